/**
 * Issue 10 in @ncscope/tfjs: the layer-wise subspace alignment of every measured layer read by a Dense layer
 * (Rangamani et al. 2023), and normalized features on the device (Yaras et al. 2022) — both against the core's
 * report of features extracted independently, on the cpu and wasm backends, without leaking tensors.
 */
import { analyze, jsEngine, type NcMetrics } from '@ncscope/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it, vi } from 'vitest';
import { measureNc, ncCallback } from '../src/index.js';
import { BACKENDS, useBackend } from './backends.js';
import { clusters, relDiff, softmaxCrossEntropy } from './fixtures.js';

const init = (seed: number) => tfl.initializers.glorotUniform({ seed });

/** 6 → 16 → 12 → 10 → 4: three hidden Dense layers, each read by the next Dense layer; a Dropout before the last. */
function deepMlp(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [6], units: 16, activation: 'relu', kernelInitializer: init(1), name: 'hidden1' }),
      tfl.layers.dense({ units: 12, activation: 'tanh', kernelInitializer: init(2), name: 'hidden2' }),
      tfl.layers.dense({ units: 10, activation: 'relu', kernelInitializer: init(3), name: 'features' }),
      tfl.layers.dropout({ rate: 0.1, name: 'drop' }),
      tfl.layers.dense({ units: 4, kernelInitializer: init(4), name: 'classifier' }),
    ],
  });
}

/** Features of a layer and a Dense layer's kernel as the core's A = kernelᵀ, read out independently of the package. */
async function independent(model: tfl.LayersModel, xs: tf.Tensor2D, layer: string, consumer: string) {
  const tap = tfl.model({ inputs: model.inputs, outputs: model.getLayer(layer).output as tfl.SymbolicTensor });
  const out = tap.predict(xs) as tf.Tensor2D;
  const features = Float32Array.from(await out.data());
  out.dispose();
  const k = (await model.getLayer(consumer).getWeights()[0].array()) as number[][]; // D × out
  const D = k.length;
  const outputs = k[0].length;
  const weights = new Float64Array(outputs * D);
  for (let o = 0; o < outputs; o++) for (let t = 0; t < D; t++) weights[o * D + t] = k[t][o];
  return { features, consumer: { weights, outputs } };
}

for (const backend of BACKENDS) {
  describe(`layer-wise subspace alignment (${backend})`, () => {
    it('reports it for each measured layer read by a Dense layer, equal to the core on extracted features', async () => {
      await useBackend(backend);
      const probe = clusters(120, 4, 6, 3);
      const model = deepMlp();
      model.compile({ optimizer: tf.train.adam(0.02), loss: softmaxCrossEntropy });
      await model.fit(probe.xs, probe.oneHot, { epochs: 15, batchSize: 30, verbose: 0, shuffle: false });
      const before = tf.memory().numTensors;
      const ms = await measureNc(model, { xs: probe.xs, ys: probe.ints }, { featureLayer: ['hidden1', 'hidden2', 'features', 'drop'] });
      expect(tf.memory().numTensors).toBe(before);
      const byLayer = Object.fromEntries(ms.map((m) => [m.layer, m]));
      // hidden1 → hidden2, hidden2 → features; features → drop (not Dense): no alignment; drop → classifier.
      expect(byLayer.hidden1.consumer).toBe('hidden2');
      expect(byLayer.hidden2.consumer).toBe('features');
      expect(byLayer.features.consumer).toBeUndefined();
      expect(byLayer.features.report.metrics.subspaceAlignment).toBeUndefined();
      expect(byLayer.drop.consumer).toBe('classifier');
      for (const [layer, consumer] of [['hidden1', 'hidden2'], ['hidden2', 'features'], ['drop', 'classifier']] as const) {
        const ind = await independent(model, probe.xs, layer, consumer);
        const { report } = await analyze([{ features: ind.features, labels: probe.labels }], { K: 4, consumer: ind.consumer, engine: jsEngine });
        const got = byLayer[layer].report.metrics.subspaceAlignment!;
        expect(got).toBeGreaterThan(0);
        expect(got).toBeLessThanOrEqual(1 + 1e-12);
        expect(relDiff(got, report.metrics.subspaceAlignment!), `${layer}: ${got} vs ${report.metrics.subspaceAlignment}`).toBeLessThan(1e-4);
        expect(byLayer[layer].report.consumer).toEqual({ name: consumer, outputs: consumer === 'classifier' ? 4 : consumer === 'features' ? 10 : 12 });
      }
      // The layer feeding the classifier: its consumer is the classifier, so both alignments agree.
      const primary = ms.find((m) => m.withClassifier)!;
      expect(primary.layer).toBe('drop');
      expect(relDiff(primary.report.metrics.subspaceAlignment!, primary.report.metrics.subspaceAlignmentWeights!)).toBeLessThan(1e-9);
      tf.dispose([probe.xs, probe.oneHot, probe.ints]);
      model.dispose();
    });

    it('the callback logs layer/subspaceAlignment for layers with a Dense consumer', async () => {
      await useBackend(backend);
      const probe = clusters(60, 3, 6, 5);
      const model = tfl.sequential({
        layers: [
          tfl.layers.dense({ inputShape: [6], units: 8, activation: 'relu', kernelInitializer: init(5), name: 'a' }),
          tfl.layers.dense({ units: 6, activation: 'relu', kernelInitializer: init(6), name: 'b' }),
          tfl.layers.dense({ units: 3, kernelInitializer: init(7), name: 'classifier' }),
        ],
      });
      model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      const cb = ncCallback({ probe: { xs: probe.xs, ys: probe.ints }, featureLayer: ['a', 'b'] });
      const h = await model.fit(probe.xs, probe.oneHot, { epochs: 2, callbacks: [cb], verbose: 0 });
      expect(h.history['a/subspaceAlignment']).toHaveLength(2);
      expect(h.history.subspaceAlignment).toHaveLength(2);
      expect(h.history.subspaceAlignmentWeights).toHaveLength(2);
      expect(h.history.gnc2LogMean).toHaveLength(2);
      tf.dispose([probe.xs, probe.oneHot, probe.ints]);
      model.dispose();
    });
  });

  describe(`degenerate geometry (${backend})`, () => {
    it('dead features (every ReLU off) are reported degenerate with NaN ratios and one console warning per fit, not as collapse', async () => {
      await useBackend(backend);
      const probe = clusters(40, 3, 6, 9);
      const model = tfl.sequential({
        layers: [
          tfl.layers.dense({ inputShape: [6], units: 5, activation: 'relu', kernelInitializer: 'zeros', biasInitializer: tfl.initializers.constant({ value: -1 }), name: 'dead' }),
          tfl.layers.dense({ units: 3, kernelInitializer: init(3), name: 'classifier' }),
        ],
      });
      model.compile({ optimizer: tf.train.sgd(0), loss: 'meanSquaredError' });
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      try {
        const cb = ncCallback({ probe: { xs: probe.xs, ys: probe.ints } });
        const h = await model.fit(probe.xs, probe.oneHot, { epochs: 2, callbacks: [cb], verbose: 0 });
        expect(cb.last![0].report.degenerate).toBe(true);
        expect(h.history.nc1.every((v) => Number.isNaN(v as number))).toBe(true);
        expect(warn).toHaveBeenCalledTimes(1);
        expect(String(warn.mock.calls[0][0])).toMatch(/degenerate geometry in "dead"/);
      } finally {
        warn.mockRestore();
      }
      tf.dispose([probe.xs, probe.oneHot, probe.ints]);
      model.dispose();
    });
  });

  describe(`normalized features on the device (${backend})`, () => {
    const KEYS: (keyof NcMetrics)[] = ['nc1', 'nc1Quotient', 'cdnv', 'equinormMeans', 'etfErrorMeans', 'etfErrorWeights', 'nc3SelfDuality', 'nc3Zhu', 'nccAccuracy', 'classifierAccuracy', 'unc3', 'gnc2LogMean'];
    for (const [normalize, temperature] of [['features', undefined], ['features-and-classifier', 5]] as const) {
      it(`${normalize}${temperature ? `, τ = ${temperature}` : ''}: the device statistics equal the core's on the same features`, async () => {
        await useBackend(backend);
        const probe = clusters(90, 3, 6, 7);
        const model = deepMlp();
        const before = tf.memory().numTensors;
        const [device] = await measureNc(model, { xs: probe.xs, ys: probe.ints }, { normalize, temperature });
        const [js] = await measureNc(model, { xs: probe.xs, ys: probe.ints }, { normalize, temperature, engine: jsEngine });
        expect(tf.memory().numTensors).toBe(before);
        expect(device.means.normalization).toEqual({ mode: normalize, temperature: temperature ?? 1, zeroRows: js.means.normalization!.zeroRows });
        expect(device.report.conventions.normalize).toBe(normalize);
        for (const key of KEYS) {
          const a = device.report.metrics[key]!;
          const b = js.report.metrics[key]!;
          expect(relDiff(a, b, 1e-3), `${key}: ${a} vs ${b}`).toBeLessThan(2e-4);
        }
        if (normalize === 'features-and-classifier') expect(device.report.perClass!.weightNorms!.every((n) => Math.abs(n - 1) < 1e-6)).toBe(true);
        tf.dispose([probe.xs, probe.oneHot, probe.ints]);
        model.dispose();
      });
    }

    it('refuses a temperature without normalize by name', async () => {
      await useBackend(backend);
      const probe = clusters(30, 3, 6, 7);
      const model = deepMlp();
      await expect(measureNc(model, { xs: probe.xs, ys: probe.ints }, { temperature: 2 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
      tf.dispose([probe.xs, probe.oneHot, probe.ints]);
      model.dispose();
    });
  });
}
