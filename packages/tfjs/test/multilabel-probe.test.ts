/**
 * Multi-hot probes: measureNc and ncCallback measure multi-label data (Li et al. 2023) exactly as core's
 * analyzeMultiLabel does on independently extracted features; pick-all-label training logs the tag-wise keys; no
 * tensor leaks; bad multi-hot labels and a multi-hot dataset without `multiLabel: true` are named errors.
 */
import { analyzeMultiLabel, mulberry32, NcInputError } from '@ncscope/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { losses, measureNc, ncCallback, MULTI_LABEL_KEYS, type NcCallback } from '../src/index.js';
import { BACKENDS, useBackend } from './backends.js';
import { relDiff, sequentialMlp } from './fixtures.js';

/** Inputs around K cluster centres; a third of the rows carry two labels and sit at the average of their centres. */
function multiLabelData(n: number, K: number, dIn: number, seed: number) {
  const r = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const c = mulberry32(77);
  const centres = Array.from({ length: K }, () => Array.from({ length: dIn }, () => 4 * (c() - 0.5)));
  const x = new Float32Array(n * dIn);
  const y = new Float32Array(n * K);
  for (let i = 0; i < n; i++) {
    const set = i % 3 === 2 ? [i % K, (i + 1 + (i % 2)) % K] : [i % K];
    for (const k of set) y[i * K + k] = 1;
    for (let t = 0; t < dIn; t++) x[i * dIn + t] = set.reduce((s, k) => s + centres[k][t], 0) / set.length + 0.3 * normal();
  }
  return { xs: tf.tensor2d(x, [n, dIn]), ys: tf.tensor2d(y, [n, K]), multiHot: y };
}

const close = (a: number, b: number, what: string) => expect(relDiff(a, b, 1e-3), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-5);

for (const backend of BACKENDS) {
  describe(`multi-hot probes (${backend})`, () => {
    beforeAll(() => useBackend(backend));

    it('measureNc equals core\'s analyzeMultiLabel on independently extracted features', async () => {
      const model = sequentialMlp(6, 16, 8, 4);
      const { xs, ys, multiHot } = multiLabelData(120, 4, 6, 3);
      const [m] = await measureNc(model, { xs, ys }, { ncMlab: true });
      expect('multiLabel' in m.report).toBe(true);
      const report = m.report as import('@ncscope/core').MultiLabelNcReport;
      // Independent: features from a second model, classifier transposed by hand.
      const clf = model.getLayer('classifier');
      const featureModel = tfl.model({ inputs: model.inputs, outputs: clf.input as tfl.SymbolicTensor });
      const out = featureModel.predict(xs) as tf.Tensor2D;
      const features = Float32Array.from((await out.array()).flat());
      const [kernel, bias] = clf.getWeights();
      const k = (await kernel.array()) as number[][];
      const weights = Float32Array.from({ length: 4 * 8 }, (_, i) => k[i % 8][Math.floor(i / 8)]);
      const want = await analyzeMultiLabel([{ features, labels: multiHot }], { K: 4, classifier: { weights, bias: Float32Array.from((await bias.array()) as number[]) }, ncMlab: true });
      tf.dispose([out, xs, ys]);
      model.dispose();
      for (const [key, v] of Object.entries(want.report.metrics)) close((report.metrics as Record<string, number>)[key], v, key);
      const a = report.multiLabel;
      const b = want.report.multiLabel;
      expect([a.singleLabelN, a.multiLabelN, a.setsSeen]).toEqual([b.singleLabelN, b.multiLabelN, b.setsSeen]);
      close(a.tagWiseAngle!, b.tagWiseAngle!, 'tagWiseAngle');
      close(a.labelSetNc1!, b.labelSetNc1!, 'labelSetNc1');
      close(a.ncMlab!.angleRatio!, b.ncMlab!.angleRatio!, 'ncMlab');
      expect(m.multiLabel!.means.sets.counts).toEqual(want.means.sets.counts);
    });

    it('ncCallback: pick-all-label training logs the tag-wise keys and JSONL lines, without leaking tensors', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ncscope-ml-'));
      const model = sequentialMlp(6, 16, 8, 4);
      model.compile({ optimizer: tf.train.adam(0.01), loss: losses.pickAllLabels });
      const train = multiLabelData(90, 4, 6, 5);
      const probe = multiLabelData(60, 4, 6, 6);
      const logFile = join(dir, 'ml.jsonl');
      const cb: NcCallback = ncCallback({ probe: { xs: probe.xs, ys: probe.ys }, every: 2, logFile, run: 'pal' });
      await model.fit(train.xs, train.ys, { epochs: 1, batchSize: 30, verbose: 0 }); // optimizer slots first
      const before = tf.memory().numTensors;
      const h = await model.fit(train.xs, train.ys, { epochs: 4, batchSize: 30, verbose: 0, callbacks: [cb] });
      expect(tf.memory().numTensors).toBe(before);
      for (const key of MULTI_LABEL_KEYS) {
        expect(h.history[key], key).toHaveLength(cb.measuredEpochs.length);
        expect((h.history[key] as number[]).every(Number.isFinite), key).toBe(true);
      }
      const lines = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toHaveLength(cb.measuredEpochs.length);
      expect(lines[0].multiLabel.multiLabelN).toBe(20);
      expect(lines.at(-1).multiLabel.tagWiseAngle).toBe(h.history.tagWiseAngle.at(-1));
      tf.dispose([train.xs, train.ys, probe.xs, probe.ys]);
      model.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    it('sampleTraining draws a multi-hot sample, stratified by label set', async () => {
      const model = sequentialMlp(6, 16, 8, 4);
      const data = multiLabelData(150, 4, 6, 9);
      const [m] = await (async () => {
        const cb = ncCallback({ sampleTraining: { xs: data.xs, ys: data.ys, n: 90, seed: 1 } });
        model.compile({ optimizer: 'sgd', loss: losses.binaryCrossEntropy });
        await model.fit(data.xs, data.ys, { epochs: 1, batchSize: 50, verbose: 0, callbacks: [cb] });
        return cb.last!;
      })();
      const ml = (m.report as import('@ncscope/core').MultiLabelNcReport).multiLabel;
      expect(ml.singleLabelN + ml.multiLabelN).toBe(90);
      expect(ml.multiLabelN).toBe(30); // a third, as in the data
      tf.dispose([data.xs, data.ys]);
      model.dispose();
    });

    it('bad multi-hot labels, a width that disagrees with the classifier, and an unannounced multi-hot dataset are named errors', async () => {
      const model = sequentialMlp(6, 16, 8, 4);
      const { xs, ys } = multiLabelData(30, 4, 6, 2);
      const bad = tf.tidy(() => tf.concat([tf.slice(ys, [0, 0], [29, 4]), tf.tensor2d([[0, 0.5, 1, 0]])]));
      await expect(measureNc(model, { xs, ys: bad }, { multiLabel: true })).rejects.toThrow(/probe ys, row 29, column 1: multi-hot label value 0.5 is not 0 or 1/);
      const wide = tf.tidy(() => tf.concat([ys, tf.zeros([30, 1])], 1));
      await expect(measureNc(model, { xs, ys: wide }, { multiLabel: true })).rejects.toThrow(/5 label columns but the classifier has K = 4 outputs/);
      const dataset = { iterator: async () => { let done = false; return { next: async () => (done ? { done: true, value: undefined } : ((done = true), { done: false, value: { xs: xs.clone(), ys: ys.clone() } })) }; } };
      const err = await measureNc(model, dataset).catch((e) => e);
      expect(err).toBeInstanceOf(NcInputError);
      expect(err.message).toMatch(/multi-hot labels .* pass multiLabel: true/);
      const [m] = await measureNc(model, dataset, { multiLabel: true });
      expect((m.report as import('@ncscope/core').MultiLabelNcReport).multiLabel.multiLabelN).toBe(10);
      await expect(measureNc(model, { xs, ys }, { multiLabel: 'yes' as never })).rejects.toThrow(/multiLabel must be true, false or 'auto'/);
      tf.dispose([xs, ys, bad, wide]);
      model.dispose();
    });
  });
}
