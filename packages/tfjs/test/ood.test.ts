/**
 * The OOD probe and callback: values equal core's evaluateOod on the same features (read through a separate tap
 * model), history / JSONL keys, several OOD sets, no tensor leak on the cpu and wasm backends, named errors.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateOod, NcInputError, type OodBatch } from '@ncscope/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { measureOod, oodCallback, oodLogs } from '../src/index.js';
import { BACKENDS, useBackend } from './backends.js';
import { clusters, sequentialMlp, softmaxCrossEntropy } from './fixtures.js';

/** OOD inputs: the same clusters shifted far from the training data. */
function shifted(n: number, dIn: number, seed: number, by: number): tf.Tensor2D {
  const c = clusters(n, 3, dIn, seed, 3, 4242);
  const x = tf.add(c.xs, by) as tf.Tensor2D;
  tf.dispose([c.xs, c.oneHot, c.ints]);
  return x;
}

for (const backend of BACKENDS) {
  describe(`OOD probe (${backend})`, () => {
    it('measureOod equals core evaluateOod on the same features and classifier, and frees its tensors', async () => {
      await useBackend(backend);
      const fit = clusters(60, 3, 4, 1);
      const id = clusters(30, 3, 4, 2);
      const far = shifted(20, 4, 3, 2.5);
      const model = sequentialMlp(4, 8, 6, 3);
      const before = tf.memory().numTensors;
      const r = await measureOod(model, { fit: { xs: fit.xs, ys: fit.ints }, id: id.xs, ood: { far } }, { vimDim: 3, necoDim: 2 });
      expect(tf.memory().numTensors).toBe(before);
      // The reference: features through an independent tap model, W and b from the layer, core directly.
      const tap = tfl.model({ inputs: model.inputs, outputs: model.getLayer('features').output as tfl.SymbolicTensor });
      const feats = async (x: tf.Tensor) => {
        const y = tap.predict(x) as tf.Tensor;
        const d = (await y.data()) as Float32Array;
        y.dispose();
        return d;
      };
      const [kernel, bias] = model.getLayer('classifier').getWeights();
      const k = (await kernel.data()) as Float32Array;
      const weights = new Float32Array(18);
      for (let t = 0; t < 6; t++) for (let c = 0; c < 3; c++) weights[c * 6 + t] = k[t * 3 + c];
      const ref = await evaluateOod(
        [{ features: await feats(fit.xs), labels: fit.labels }],
        [{ features: await feats(id.xs) } as OodBatch],
        { far: [{ features: await feats(far) }] },
        { classifier: { weights, bias: (await bias.data()) as Float32Array }, vimDim: 3, necoDim: 2 },
      );
      expect(r.scores).toEqual(ref.scores);
      expect(r.nc5).toEqual(ref.nc5);
      expect(r.params.scores).toEqual(['msp', 'maxlogit', 'energy', 'mahalanobis', 'vim', 'neco', 'nci']);
      expect(r.fit.report?.metrics.nc1).toBeGreaterThan(0);
      tf.dispose([fit.xs, fit.oneHot, fit.ints, id.xs, id.oneHot, id.ints, far]);
      model.dispose();
    });

    it('the callback logs ood_<score>_auroc / _fpr95 / ood_nc5 per measured epoch into history and JSONL, without leaks', async () => {
      await useBackend(backend);
      const dir = mkdtempSync(join(tmpdir(), 'ncscope-ood-'));
      try {
        const train = clusters(48, 3, 4, 1);
        const id = clusters(30, 3, 4, 2);
        const far = shifted(20, 4, 3, 3);
        const model = sequentialMlp(4, 8, 6, 3);
        model.compile({ optimizer: tf.train.adam(0.01), loss: softmaxCrossEntropy });
        const logFile = join(dir, 'ood.jsonl');
        const cb = oodCallback({ data: { fit: { xs: train.xs, ys: train.ints }, id: id.xs, ood: { far } }, every: 2, scores: ['neco', 'energy', 'mahalanobis'], necoDim: 2, logFile, run: 'r1' });
        await model.fit(train.xs, train.oneHot, { epochs: 1, batchSize: 16, callbacks: [cb], verbose: 0 }); // warm-up (Adam slots)
        const before = tf.memory().numTensors;
        const history = await model.fit(train.xs, train.oneHot, { epochs: 5, batchSize: 16, callbacks: [cb], verbose: 0 });
        expect(tf.memory().numTensors).toBe(before);
        expect(cb.measuredEpochs).toEqual([0, 1, 3, 4]);
        for (const key of ['ood_neco_auroc', 'ood_neco_fpr95', 'ood_energy_auroc', 'ood_mahalanobis_fpr95', 'ood_nc5', 'ood_nc5_raw']) {
          expect(history.history[key], key).toHaveLength(4);
          for (const v of history.history[key] as number[]) expect(Number.isFinite(v)).toBe(true);
        }
        expect(history.history.ood_neco_auroc.at(-1)).toBe(cb.last!.scores.neco!.far.auroc);
        const lines = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
        expect(lines).toHaveLength(5); // warm-up fit's epoch 0, then four
        expect(lines[4]).toMatchObject({ schema: 'ncscope.measurement/1', run: 'r1', layer: 'features', step: 5, N: 48 });
        expect(lines[4].logs.ood_neco_auroc).toBe(cb.last!.scores.neco!.far.auroc);
        expect(typeof lines[4].logs.loss).toBe('number');
        expect(lines[4].metrics.nc1).toBeGreaterThan(0);
        tf.dispose([train.xs, train.oneHot, train.ints, id.xs, id.oneHot, id.ints, far]);
        model.dispose();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

describe('OOD probe: keys and errors', () => {
  it('several OOD sets: every key carries the set name', async () => {
    await useBackend('cpu');
    const fit = clusters(45, 3, 4, 1);
    const id = clusters(21, 3, 4, 2);
    const a = shifted(10, 4, 3, 2);
    const b = shifted(12, 4, 5, -2);
    const model = sequentialMlp(4, 8, 6, 3);
    const r = await measureOod(model, { fit: { xs: fit.xs, ys: fit.oneHot }, id: id.xs, ood: { a, b } }, { scores: ['msp', 'nci'] });
    expect(Object.keys(oodLogs(r)).sort()).toEqual(['ood_a_msp_auroc', 'ood_a_msp_fpr95', 'ood_a_nc5', 'ood_a_nc5_raw', 'ood_a_nci_auroc', 'ood_a_nci_fpr95', 'ood_b_msp_auroc', 'ood_b_msp_fpr95', 'ood_b_nc5', 'ood_b_nc5_raw', 'ood_b_nci_auroc', 'ood_b_nci_fpr95']);
    tf.dispose([fit.xs, fit.oneHot, fit.ints, id.xs, id.oneHot, id.ints, a, b]);
    model.dispose();
  });

  it('named errors: no OOD set, inputs of the wrong shape, bad options', async () => {
    await useBackend('cpu');
    const fit = clusters(30, 3, 4, 1);
    const model = sequentialMlp(4, 8, 6, 3);
    const wrong = tf.zeros([5, 3]);
    const fail = async (p: Promise<unknown>, code: string, text: RegExp) => {
      await expect(p).rejects.toBeInstanceOf(NcInputError);
      await expect(p).rejects.toMatchObject({ code, message: expect.stringMatching(text) });
    };
    await fail(measureOod(model, { fit: { xs: fit.xs, ys: fit.ints }, id: fit.xs, ood: {} }), 'BAD_OPTION', /at least one OOD set/);
    await fail(measureOod(model, { fit: { xs: fit.xs, ys: fit.ints }, id: fit.xs, ood: { svhn: wrong } }), 'SHAPE', /"svhn".*\[5, 3\]/);
    await fail(measureOod(model, { fit: { xs: fit.xs, ys: fit.ints }, id: fit.xs, ood: { x: fit.xs } }, { vimDim: 6 }), 'BAD_OPTION', /vimDim = 6/);
    expect(() => oodCallback({ data: { fit: { xs: fit.xs, ys: fit.ints }, id: fit.xs, ood: { x: fit.xs } }, every: 0 })).toThrow(/every/);
    tf.dispose([fit.xs, fit.oneHot, fit.ints, wrong]);
    model.dispose();
  });
});
