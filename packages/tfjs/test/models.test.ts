import { NcInputError, jsEngine } from '@ncscope/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { measureNc, ncCallback, type NcReportInfo } from '../src/index.js';
import { BACKENDS, useBackend } from './backends.js';
import { clusters, functionalMlp, relDiff, sequentialMlp, softmaxCrossEntropy } from './fixtures.js';

async function expectNcError(p: Promise<unknown> | (() => unknown), code: string, text: RegExp): Promise<void> {
  let error: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    error = e;
  }
  expect(error, 'expected an NcInputError').toBeInstanceOf(NcInputError);
  expect((error as NcInputError).code).toBe(code);
  expect((error as Error).message).toMatch(text);
}

for (const backend of BACKENDS) {
  describe(`models, labels and classifiers (${backend})`, () => {
    let probe: ReturnType<typeof clusters>;
    beforeAll(async () => {
      await useBackend(backend);
      probe = clusters(90, 3, 5, 3);
    });
    afterAll(() => tf.dispose([probe.xs, probe.oneHot, probe.ints]));

    for (const kind of ['sequential', 'functional'] as const) {
      for (const last of ['linear', 'softmax'] as const) {
        it(`${kind} model, ${last} last layer: integer and one-hot labels give the same report, with W, b from the last Dense`, async () => {
          const model = kind === 'sequential' ? sequentialMlp(5, 12, 6, 3, last) : functionalMlp(5, 12, 6, 3, last);
          const [onehot] = await measureNc(model, { xs: probe.xs, ys: probe.oneHot });
          const [ints] = await measureNc(model, { xs: probe.xs, ys: tf.reshape(probe.ints, [-1, 1]) });
          const [js] = await measureNc(model, { xs: probe.xs, ys: probe.ints }, { engine: jsEngine });
          expect(onehot.layer).toBe(kind === 'sequential' ? 'features' : 'f_features');
          expect(onehot.withClassifier).toBe(true);
          expect(onehot.report.metrics).toEqual(ints.report.metrics);
          for (const [k, v] of Object.entries(js.report.metrics)) expect(relDiff(onehot.report.metrics[k as 'nc1']!, v, 1e-3), k).toBeLessThan(1e-5);
          expect(onehot.report.metrics.classifierAccuracy).toBeTypeOf('number');
          // The classifier is the Dense layer, not the softmax: its argmax decides, so accuracy is the same either way.
          const logits = tf.tidy(() => tf.argMax(model.predict(probe.xs) as tf.Tensor, 1));
          const predicted = await logits.data();
          logits.dispose();
          const accuracy = probe.labels.reduce((s, y, i) => s + (predicted[i] === y ? 1 : 0), 0) / probe.labels.length;
          expect(onehot.report.metrics.classifierAccuracy).toBeCloseTo(accuracy, 12);
          model.dispose();
        });
      }
    }

    it('featureLayer by name or (negative) index; layer-wise lists; classifier: false', async () => {
      const model = sequentialMlp(5, 12, 6, 3);
      const [byIndex] = await measureNc(model, { xs: probe.xs, ys: probe.ints }, { featureLayer: -2 });
      const [byName] = await measureNc(model, { xs: probe.xs, ys: probe.ints }, { featureLayer: 'features' });
      expect(byIndex.layer).toBe('features');
      expect(byIndex.report.metrics).toEqual(byName.report.metrics);
      expect(byIndex.withClassifier).toBe(true);
      const both = await measureNc(model, { xs: probe.xs, ys: probe.ints }, { featureLayer: [0, 'features'] });
      expect(both.map((m) => [m.layer, m.primary, m.withClassifier])).toEqual([['hidden1', false, false], ['features', true, true]]);
      expect(both[0].report.D).toBe(12);
      const [plain] = await measureNc(model, { xs: probe.xs, ys: probe.ints }, { featureLayer: 'features', classifier: false });
      expect(plain.withClassifier).toBe(false);
      expect(plain.report.metrics.nc1).toBeCloseTo(byName.report.metrics.nc1!, 10);
      expect(plain.report.metrics.nc3Zhu).toBeUndefined();
      // Measuring the classifier's own output (logits) has no W either.
      const [logits] = await measureNc(model, { xs: probe.xs, ys: probe.ints }, { featureLayer: 'classifier' });
      expect(logits.withClassifier).toBe(false);
      expect(logits.report.D).toBe(3);
      model.dispose();
    });

    it('named errors: no Dense classifier, labels out of range, wrong shapes, bad options', async () => {
      const noDense = tfl.sequential({ layers: [tfl.layers.activation({ inputShape: [5], activation: 'relu', name: 'act' }), tfl.layers.softmax({ name: 'soft' })] });
      await expectNcError(measureNc(noDense, { xs: probe.xs, ys: probe.ints }), 'NO_CLASSIFIER', /no Dense layer.*featureLayer.*classifier/s);
      const [viaOption] = await measureNc(noDense, { xs: probe.xs, ys: probe.ints }, { featureLayer: 'act' });
      expect(viaOption.report.K).toBe(3);
      const model = sequentialMlp(5, 12, 6, 3);
      await expectNcError(measureNc(model, { xs: probe.xs, ys: probe.ints }, { classifier: 'missing' }), 'BAD_OPTION', /no layer named "missing".*hidden1/);
      await expectNcError(measureNc(model, { xs: probe.xs, ys: probe.ints }, { featureLayer: 7 }), 'BAD_OPTION', /layer index 7/);
      const bad = tf.tensor1d([0, 1, 2, 5, 1], 'int32');
      const five = tf.slice(probe.xs, 0, 5);
      await expectNcError(measureNc(model, { xs: five, ys: bad }), 'BAD_LABEL', /probe ys: row 3: label 5 is not a class index in 0\.\.2/);
      const frac = tf.tensor1d([0, 1, 2, 1.5, 1]);
      await expectNcError(measureNc(model, { xs: five, ys: frac }), 'BAD_LABEL', /row 3: label 1.5/);
      const wide = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 1], 'int32'), 4);
      await expectNcError(measureNc(model, { xs: five, ys: wide }), 'SHAPE', /4 columns but the classifier has K = 3/);
      const wrongX = tf.zeros([5, 4]);
      await expectNcError(measureNc(model, { xs: wrongX, ys: tf.slice(probe.ints, 0, 5) }), 'SHAPE', /shape \[5, 4\].*expects \[null, 5\]/);
      await expectNcError(measureNc(model, { xs: five, ys: probe.ints }), 'SHAPE', /5 rows but ys has 90/);
      await expectNcError(measureNc(model, { xs: five, ys: tf.slice(probe.ints, 0, 5) }, { batchSize: 0 }), 'BAD_OPTION', /batchSize/);
      await expectNcError(() => ncCallback({ probe: { xs: five, ys: bad }, every: 0 }), 'BAD_OPTION', /every/);
      await expectNcError(() => ncCallback({} as never), 'BAD_OPTION', /exactly one of probe/);
      await expectNcError(() => ncCallback({ probe: { xs: five, ys: bad }, logMetrics: ['nc9' as never] }), 'BAD_OPTION', /unknown metric "nc9"/);
      // Through fit: the error comes from onTrainBegin, before any training step.
      model.compile({ optimizer: 'sgd', loss: softmaxCrossEntropy });
      const w0 = (await model.getLayer('features').getWeights()[0].data()).slice();
      await expectNcError(model.fit(probe.xs, probe.oneHot, { epochs: 2, verbose: 0, callbacks: [ncCallback({ probe: { xs: five, ys: bad } })] }), 'BAD_LABEL', /label 5/);
      expect(Array.from(await model.getLayer('features').getWeights()[0].data())).toEqual(Array.from(w0));
      tf.dispose([bad, five, frac, wide, wrongX]);
      model.dispose();
      noDense.dispose();
    });
  });
}

describe('callback options (cpu)', () => {
  let train: ReturnType<typeof clusters>;
  let dir: string;
  beforeAll(async () => {
    await useBackend('cpu');
    train = clusters(60, 3, 5, 4);
    dir = mkdtempSync(join(tmpdir(), 'ncscope-tfjs-'));
  });
  afterAll(() => {
    tf.dispose([train.xs, train.oneHot, train.ints]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('logFile gets one JSON line per measured layer; onReport sees every report; the first, every n-th and the last epoch are measured', async () => {
    const model = sequentialMlp(5, 12, 6, 3);
    model.compile({ optimizer: tf.train.adam(0.01), loss: softmaxCrossEntropy, metrics: ['accuracy'] });
    const file = join(dir, 'sub', 'nc.jsonl');
    const seen: [number, string, NcReportInfo][] = [];
    const cb = ncCallback({
      probe: { xs: train.xs, ys: train.oneHot },
      every: 3,
      featureLayer: ['hidden1', 'features'],
      logFile: file,
      run: 'test-run',
      onReport: (report, epoch, info) => { seen.push([epoch, info.layer, info]); expect(report.schema).toBe('ncscope.report/1'); },
    });
    const history = await model.fit(train.xs, train.oneHot, { epochs: 7, callbacks: [cb], verbose: 0 });
    expect(cb.measuredEpochs).toEqual([0, 2, 5, 6]);
    expect(seen.map(([e, l]) => `${e}:${l}`)).toEqual(['0:hidden1', '0:features', '2:hidden1', '2:features', '5:hidden1', '5:features', '6:hidden1', '6:features']);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(8);
    const line = lines[7];
    expect(line.schema).toBe('ncscope.measurement/1');
    expect([line.step, line.epoch, line.layer, line.run]).toEqual([7, 6, 'features', 'test-run']);
    expect(line.logs.loss).toBe(history.history.loss[6]);
    expect(line.logs.acc).toBe(history.history.acc[6]);
    expect(line.logs.nc1).toBeUndefined();
    expect(line.metrics.nc1).toBe(history.history.nc1[3]);
    expect(line.seconds).toBeGreaterThan(0);
    expect(Date.parse(line.time)).not.toBeNaN();
    expect(history.history['hidden1/nc1']).toHaveLength(4);
    model.dispose();
  });

  it("unmeasured: 'nan' keeps the NC arrays aligned with history.epoch", async () => {
    const model = sequentialMlp(5, 12, 6, 3);
    model.compile({ optimizer: 'adam', loss: softmaxCrossEntropy });
    const cb = ncCallback({ probe: { xs: train.xs, ys: train.ints }, every: 3, unmeasured: 'nan', logMetrics: ['nc1', 'nccAccuracy'] });
    const history = await model.fit(train.xs, train.oneHot, { epochs: 5, callbacks: [cb], verbose: 0 });
    expect(history.history.nc1).toHaveLength(5);
    expect(history.history.nc1.map((v) => Number.isNaN(v))).toEqual([false, true, false, true, false]);
    expect(history.history.nccAccuracy.map((v) => Number.isNaN(v))).toEqual([false, true, false, true, false]);
    expect(history.history.cdnv).toBeUndefined();
    model.dispose();
  });

  it('stopWhen: { nc1Below } and a predicate stop training on a measured epoch', async () => {
    const model = sequentialMlp(5, 12, 6, 3);
    model.compile({ optimizer: 'adam', loss: softmaxCrossEntropy });
    const h1 = await model.fit(train.xs, train.oneHot, { epochs: 10, verbose: 0, callbacks: [ncCallback({ probe: { xs: train.xs, ys: train.ints }, every: 2, stopWhen: { nc1Below: 1e9 } })] });
    expect(h1.epoch).toEqual([0]);
    const h2 = await model.fit(train.xs, train.oneHot, {
      epochs: 10,
      verbose: 0,
      callbacks: [ncCallback({ probe: { xs: train.xs, ys: train.ints }, stopWhen: (_report, epoch) => epoch >= 2 })],
    });
    expect(h2.epoch).toEqual([0, 1, 2]);
    model.dispose();
  });

  it('NaN features: measureNc throws NON_FINITE naming the layer; the callback logs NaN and warns once instead of ending fit', async () => {
    const model = sequentialMlp(5, 12, 6, 3);
    const [kernel, bias] = model.getLayer('hidden1').getWeights();
    model.getLayer('hidden1').setWeights([tf.fill(kernel.shape, NaN), bias]);
    await expectNcError(measureNc(model, { xs: train.xs, ys: train.ints }), 'NON_FINITE', /layer "features".*NaN/);
    model.compile({ optimizer: tf.train.sgd(0), loss: 'categoricalCrossentropy' });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const cb = ncCallback({ probe: { xs: train.xs, ys: train.ints } });
    const history = await model.fit(train.xs, train.oneHot, { epochs: 2, callbacks: [cb], verbose: 0 });
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
    expect(history.history.nc1).toHaveLength(2);
    expect(history.history.nc1.every((v) => Number.isNaN(v))).toBe(true);
    expect(cb.measuredEpochs).toEqual([0, 1]);
    model.dispose();
  });

  it('conventions reach the core report; the callback works under fitDataset with a dataset probe', async () => {
    const model = sequentialMlp(5, 12, 6, 3);
    const [plain] = await measureNc(model, { xs: train.xs, ys: train.ints });
    const [papyan] = await measureNc(model, { xs: train.xs, ys: train.ints }, { conventions: { preset: 'papyan' } });
    expect(papyan.report.conventions.preset).toBe('papyan');
    expect(papyan.report.metrics.nc1).toBeCloseTo(3 * plain.report.metrics.nc1!, 10); // Papyan's notebook: no /K
    const dataset = {
      async iterator() {
        let i = 0;
        return {
          async next() {
            if (i >= 4) return { done: true, value: undefined };
            const start = 15 * i++;
            return { done: false, value: { xs: tf.slice(train.xs, start, 15), ys: tf.slice(train.oneHot, start, 15) } };
          },
        };
      },
    };
    model.compile({ optimizer: 'adam', loss: softmaxCrossEntropy });
    const cb = ncCallback({ probe: dataset, every: 2, featureLayer: ['hidden1', 'features'] });
    await model.fitDataset(dataset as never, { epochs: 1, batchesPerEpoch: 4, callbacks: [cb], verbose: 0 }); // warm-up (Adam's slots)
    const before = tf.memory().numTensors;
    const history = await model.fitDataset(dataset as never, { epochs: 4, batchesPerEpoch: 4, callbacks: [cb], verbose: 0 });
    expect(cb.measuredEpochs).toEqual([0, 1, 3]);
    expect(history.history.nc1).toHaveLength(3);
    expect(cb.last!.map((m) => m.report.N)).toEqual([60, 60]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
