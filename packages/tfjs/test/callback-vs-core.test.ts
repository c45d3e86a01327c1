import { analyze, jsEngine, type NcMetrics, type SpreadStatistics } from '@ncscope/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureNc, ncCallback, type NcCallback } from '../src/index.js';
import { BACKENDS, useBackend } from './backends.js';
import { clusters, relDiff, sequentialMlp } from './fixtures.js';

/**
 * Issue 3, requirement 1: the callback's metrics for a trained model equal the core's metrics computed from features
 * extracted independently — a second model whose output is the classifier's input, its predictions copied to JS,
 * the kernel transposed by hand — to ≤ 1e-5 relative.
 */
async function independentReport(model: tfl.LayersModel, xs: tf.Tensor, labels: Int32Array, layerName: string, withClassifier: boolean) {
  const clf = model.getLayer('classifier');
  const featureModel = tfl.model({ inputs: model.inputs, outputs: withClassifier ? (clf.input as tfl.SymbolicTensor) : (model.getLayer(layerName).output as tfl.SymbolicTensor) });
  const out = featureModel.predict(xs) as tf.Tensor2D;
  const features = Float32Array.from((await out.array()).flat());
  out.dispose();
  let classifier;
  if (withClassifier) {
    const [kernel, bias] = clf.getWeights();
    const k = (await kernel.array()) as number[][]; // D × K
    const D = k.length;
    const K = k[0].length;
    const weights = new Float32Array(K * D);
    for (let c = 0; c < K; c++) for (let t = 0; t < D; t++) weights[c * D + t] = k[t][c];
    classifier = { weights, bias: Float32Array.from((await bias.array()) as number[]) };
  }
  // Two batches, to exercise merging on the core side as well.
  const D = features.length / labels.length;
  const half = Math.floor(labels.length / 2);
  const batches = [
    { features: features.subarray(0, half * D), labels: labels.subarray(0, half) },
    { features: features.subarray(half * D), labels: labels.subarray(half) },
  ];
  return (await analyze(batches, { classifier, engine: jsEngine, K: 4 })).report;
}

function expectClose(got: NcMetrics, want: NcMetrics, keys: (keyof NcMetrics)[]): void {
  for (const key of keys) {
    const a = got[key];
    const b = want[key];
    expect(typeof a, key).toBe('number');
    expect(typeof b, key).toBe('number');
    // Relative, with a floor of 1e-3 for metrics whose value sits near 0 (e.g. a mismatch rate of 0).
    expect(relDiff(a as number, b as number, 1e-3), `${key}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-5);
  }
}

const ALL: (keyof NcMetrics)[] = [
  'nc1', 'nc1Quotient', 'cdnv', 'equinormMeans', 'equiangularityMeans', 'maxAngleMeans', 'etfErrorMeans',
  'equinormWeights', 'equiangularityWeights', 'maxAngleWeights', 'etfErrorWeights', 'nc3SelfDuality', 'nc3Zhu',
  'nc4NccMismatch', 'nccAccuracy', 'classifierAccuracy',
];

for (const backend of BACKENDS) {
  describe(`callback metrics equal core metrics from independently extracted features (${backend})`, () => {
    let data: { train: ReturnType<typeof clusters>; probe: ReturnType<typeof clusters> };
    let model: tfl.Sequential;
    let cb: NcCallback;
    let history: tfl.History;
    beforeAll(async () => {
      await useBackend(backend);
      data = { train: clusters(240, 4, 10, 1), probe: clusters(300, 4, 10, 2) };
      model = sequentialMlp(10, 32, 16, 4, 'linear');
      model.compile({ optimizer: tf.train.adam(0.01), loss: (y, z) => tf.losses.softmaxCrossEntropy(y, z) });
      // Probe batches of 128 rows: three batches, so the float64 accumulation across batches is exercised.
      cb = ncCallback({ probe: { xs: data.probe.xs, ys: data.probe.oneHot }, every: 4, batchSize: 128, featureLayer: ['hidden1', 'features'] });
      history = await model.fit(data.train.xs, data.train.oneHot, { epochs: 12, batchSize: 32, callbacks: [cb], verbose: 0 });
    });
    afterAll(() => {
      tf.dispose([data.train.xs, data.train.oneHot, data.train.ints, data.probe.xs, data.probe.oneHot, data.probe.ints]);
      model.dispose();
    });

    it('primary layer (feeds the classifier): every metric, to 1e-5', async () => {
      const last = cb.last!.find((m) => m.primary)!;
      expect(last.layer).toBe('features');
      expect(last.withClassifier).toBe(true);
      const want = await independentReport(model, data.probe.xs, data.probe.labels, 'features', true);
      expectClose(last.report.metrics, want.metrics, ALL);
      expect(last.report.N).toBe(300);
      expect(last.report.D).toBe(16);
      // The trained model separates the clusters: a check that the comparison is not between two trivial reports.
      expect(want.metrics.classifierAccuracy).toBeGreaterThan(0.9);
    });

    it('other layer (no classifier): the metrics that need none, to 1e-5', async () => {
      const hidden = cb.last!.find((m) => m.layer === 'hidden1')!;
      expect(hidden.primary).toBe(false);
      expect(hidden.withClassifier).toBe(false);
      expect(hidden.report.metrics.equinormWeights).toBeUndefined();
      const want = await independentReport(model, data.probe.xs, data.probe.labels, 'hidden1', false);
      expectClose(hidden.report.metrics, want.metrics, ['nc1', 'nc1Quotient', 'cdnv', 'equinormMeans', 'equiangularityMeans', 'maxAngleMeans', 'etfErrorMeans', 'nccAccuracy']);
    });

    it('history holds one value per measured epoch (the first, every 4th, the last), under the CLI keys, next to loss', () => {
      expect(cb.measuredEpochs).toEqual([0, 3, 7, 11]);
      expect(history.history.loss).toHaveLength(12);
      expect(history.history.nc1).toHaveLength(4);
      expect(history.history['hidden1/nc1']).toHaveLength(4);
      expect(history.history.nc1[3]).toBe(cb.last!.find((m) => m.primary)!.report.metrics.nc1);
      expect(history.history['hidden1/equinormWeights']).toBeUndefined();
    });

    it('the device statistics match the core accumulators run in JS on downloaded features', async () => {
      const [device] = await measureNc(model, { xs: data.probe.xs, ys: data.probe.ints }, { batchSize: 100 });
      const [js] = await measureNc(model, { xs: data.probe.xs, ys: data.probe.ints }, { engine: jsEngine });
      expectClose(device.report.metrics, js.report.metrics, ALL);
      expectSameDecisions(device.spread, js.spread);
      for (let i = 0; i < device.means.counts.length; i++) expect(device.means.counts[i]).toBe(js.means.counts[i]);
      expectCloseArrays(device.report.perClass!.nc1PerClass!, js.report.perClass!.nc1PerClass!);
    });
    it('a class missing from the probe (K = 4, labels 0..2): device and JS paths agree, the class is excluded', async () => {
      const keep = Array.from(data.probe.labels.entries()).filter(([, y]) => y !== 3).map(([i]) => i);
      const idx = tf.tensor1d(keep, 'int32');
      const xs = tf.gather(data.probe.xs, idx);
      const ys = tf.gather(data.probe.ints, idx);
      const [device] = await measureNc(model, { xs, ys }, { batchSize: 64 });
      const [js] = await measureNc(model, { xs, ys }, { engine: jsEngine });
      tf.dispose([idx, xs, ys]);
      expect(device.report.K).toBe(3);
      expect(device.report.warnings.join(' ')).toMatch(/no samples: 3/);
      expectClose(device.report.metrics, js.report.metrics, ALL);
      expectSameDecisions(device.spread, js.spread);
    });

    it("fewer features than classes (D = 3 < K = 6, the scatter in 'features' space): device and JS paths agree", async () => {
      const small = { train: clusters(240, 6, 10, 3), probe: clusters(180, 6, 10, 4) };
      const narrow = sequentialMlp(10, 16, 3, 6, 'linear', 11);
      narrow.compile({ optimizer: tf.train.adam(0.01), loss: (y, z) => tf.losses.softmaxCrossEntropy(y, z) });
      await narrow.fit(small.train.xs, small.train.oneHot, { epochs: 5, batchSize: 32, verbose: 0 });
      const [device] = await measureNc(narrow, { xs: small.probe.xs, ys: small.probe.ints }, { batchSize: 64 });
      const [js] = await measureNc(narrow, { xs: small.probe.xs, ys: small.probe.ints }, { engine: jsEngine });
      tf.dispose([small.train.xs, small.train.oneHot, small.train.ints, small.probe.xs, small.probe.oneHot, small.probe.ints]);
      narrow.dispose();
      expect(device.spread.space).toBe('features');
      expect(device.spread.scatter.length).toBe(9);
      expectClose(device.report.metrics, js.report.metrics, ALL);
      expectSameDecisions(device.spread, js.spread);
      expectCloseArrays(device.report.perClass!.nc1PerClass!, js.report.perClass!.nc1PerClass!);
    });
  });
}

/** Per-class NCC / classifier decisions and mismatch counts agree exactly between two spread statistics. */
function expectSameDecisions(a: SpreadStatistics, b: SpreadStatistics): void {
  expect(Array.from(a.nccCorrect)).toEqual(Array.from(b.nccCorrect));
  expect(Array.from(a.classifierCorrect ?? [])).toEqual(Array.from(b.classifierCorrect ?? []));
  expect([a.nccClassifierMismatch, a.nccClassifierMismatchNoBias]).toEqual([b.nccClassifierMismatch, b.nccClassifierMismatchNoBias]);
}

function expectCloseArrays(a: ArrayLike<number>, b: ArrayLike<number>): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) expect(relDiff(a[i], b[i], 1e-3), `[${i}]: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(1e-5);
}
