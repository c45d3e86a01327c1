// Sources by relative path: the vitest config resolves workspace packages to their (possibly stale) dist/.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { layers, model as functionalModel, sequential, type LayersModel, type SymbolicTensor } from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScatterAccumulator, leastSquaresClassifier } from '../../core/src/index.js';
import { growHead, leastSquaresHead } from '../src/heads/index.js';

const worst: Record<string, number> = {};
const record = (k: string, v: number) => { worst[k] = Math.max(worst[k] ?? 0, v); };
afterAll(() => { if (process.env.NCSCOPE_TOLERANCES) console.log('tfjs heads tolerances', worst); });

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) { num = Math.max(num, Math.abs(a[i] - b[i])); den = Math.max(den, Math.abs(b[i])); }
  return den === 0 ? num : num / den;
}

/** A small MLP: 6 → 16 (relu) → 12 (tanh) → Kold (activation). */
function makeModel(Kold: number, activation: 'linear' | 'softmax' = 'linear'): LayersModel {
  return sequential({
    layers: [
      layers.dense({ inputShape: [6], units: 16, activation: 'relu' }),
      layers.dense({ units: 12, activation: 'tanh' }),
      layers.dense({ units: Kold, activation }),
    ],
  });
}

/** Inputs with class structure: class k centred at a fixed random point. */
function makeData(n: number, K: number, seed: number, classes: number[]): { xs: tf.Tensor2D; ys: tf.Tensor1D; labels: Int32Array } {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const centres = Array.from({ length: K }, () => Array.from({ length: 6 }, () => 2 * u() - 1));
  const labels = Int32Array.from({ length: n }, (_, i) => classes[i % classes.length]);
  const x = new Float32Array(n * 6);
  for (let i = 0; i < n; i++) for (let t = 0; t < 6; t++) x[i * 6 + t] = centres[labels[i]][t] + 0.3 * (u() - 0.5);
  return { xs: tf.tensor2d(x, [n, 6]), ys: tf.tensor1d(labels, 'int32'), labels };
}

/** The core's LS classifier of the model's penultimate features on xs (extracted independently of growHead). */
async function coreLs(model: LayersModel, xs: tf.Tensor, labels: Int32Array, K: number, lambda: number) {
  const head = model.layers[model.layers.length - 1];
  const f = functionalModel({ inputs: model.inputs, outputs: head.input as SymbolicTensor });
  const h = f.predict(xs) as tf.Tensor;
  const features = (await h.data()) as Float32Array;
  h.dispose();
  const acc = new ScatterAccumulator({ K });
  await acc.add({ features, labels });
  return leastSquaresClassifier(acc.statistics, { lambda });
}

/** Kernel (D × K) and bias of the last layer, as JS arrays. */
async function headWeights(model: LayersModel): Promise<{ kernel: Float32Array; bias: Float32Array; D: number; K: number }> {
  const [k, b] = model.layers[model.layers.length - 1].getWeights();
  return { kernel: (await k.data()) as Float32Array, bias: (await b.data()) as Float32Array, D: k.shape[0]!, K: k.shape[1]! };
}

function column(kernel: Float32Array, D: number, K: number, c: number): Float32Array {
  return Float32Array.from({ length: D }, (_, t) => kernel[t * K + c]);
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`heads on the ${backend} backend`, () => {
    beforeAll(async () => {
      await tf.setBackend(backend);
      await tf.ready();
      expect(tf.getBackend()).toBe(backend);
    });

    it("growHead refit 'new' with LS init: old logits unchanged, new rows = core LS rows, layers shared, no leak", async () => {
      const model = makeModel(3);
      const data = makeData(200, 5, 7, [0, 1, 2, 3, 4]);
      const probe = makeData(50, 5, 8, [0, 1, 2, 3, 4]);
      const oldOut = model.predict(probe.xs) as tf.Tensor;
      const oldLogits = (await oldOut.data()) as Float32Array;
      oldOut.dispose();
      const before = tf.memory().numTensors;
      const grown = await growHead(model, { newClasses: 2, data, init: 'least-squares', lambda: 1e-2 });
      // Only the new head's kernel and bias were allocated; every temporary was released.
      expect(tf.memory().numTensors - before).toBe(2);
      // Every other layer is the same object with the same weight variables.
      expect(grown.layers.length).toBe(model.layers.length + 1); // + the functional model's InputLayer
      const inner = grown.layers.slice(1, -1);
      inner.forEach((l, i) => {
        expect(l).toBe(model.layers[i]);
        l.weights.forEach((w, j) => expect(w).toBe(model.layers[i].weights[j]));
      });
      const out = grown.predict(probe.xs) as tf.Tensor;
      expect(out.shape).toEqual([50, 5]);
      const logits = (await out.data()) as Float32Array;
      out.dispose();
      const oldCols = Float32Array.from({ length: 50 * 3 }, (_, i) => logits[Math.floor(i / 3) * 5 + (i % 3)]);
      record(`${backend}: old logits after growHead`, relErr(oldCols, oldLogits));
      expect(relErr(oldCols, oldLogits)).toBeLessThanOrEqual(1e-6);
      // New rows equal core's LS classifier on the same features (fitted over all 5 classes).
      const ls = await coreLs(model, data.xs, data.labels, 5, 1e-2);
      const w = await headWeights(grown);
      for (const c of [3, 4]) {
        const e = relErr(column(w.kernel, w.D, w.K, c), ls.weights.subarray(c * 12, (c + 1) * 12));
        record(`${backend}: LS rows vs core`, e);
        expect(e).toBeLessThanOrEqual(1e-5);
        expect(Math.abs(w.bias[c] - ls.bias[c])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(ls.bias[c])));
      }
      grown.layers[grown.layers.length - 1].dispose();
      tf.dispose([data.xs, data.ys, probe.xs, probe.ys]);
    });

    it("growHead init 'random' keeps old rows and draws new ones from the layer's initializer", async () => {
      const model = makeModel(3, 'softmax');
      const data = makeData(60, 5, 3, [3, 4]);
      const before = tf.memory().numTensors;
      const grown = await growHead(model, { newClasses: 2, init: 'random' });
      expect(tf.memory().numTensors - before).toBe(2);
      const config = grown.layers[grown.layers.length - 1].getConfig() as { activation: string; units: number };
      expect(config).toMatchObject({ activation: 'softmax', units: 5 });
      const old = await headWeights(model);
      const w = await headWeights(grown);
      for (let c = 0; c < 3; c++) expect(Array.from(column(w.kernel, 12, 5, c))).toEqual(Array.from(column(old.kernel, 12, 3, c)));
      const ls = await coreLs(model, data.xs, data.labels, 5, 1e-3);
      expect(relErr(column(w.kernel, 12, 5, 3), ls.weights.subarray(36, 48))).toBeGreaterThan(0.1);
      // With only new-class data and LS init, 'match-norms' rescales the new rows to the old rows' mean norm.
      const scaled = await growHead(model, { newClasses: 2, data, newRowScale: 'match-norms' });
      const ws = await headWeights(scaled);
      const norm = (v: Float32Array) => Math.hypot(...v);
      const oldMean = [0, 1, 2].reduce((a, c) => a + norm(column(old.kernel, 12, 3, c)), 0) / 3;
      const newMean = [3, 4].reduce((a, c) => a + norm(column(ws.kernel, 12, 5, c)), 0) / 2;
      expect(newMean).toBeCloseTo(oldMean, 4);
      for (const g of [grown, scaled]) g.layers[g.layers.length - 1].dispose();
      tf.dispose([data.xs, data.ys]);
    });

    it("growHead refit 'all' and leastSquaresHead fit every row to the core LS classifier", async () => {
      const model = makeModel(3);
      const data = makeData(150, 5, 11, [0, 1, 2, 3, 4]);
      const oneHot = tf.oneHot(data.ys, 5);
      const grown = await growHead(model, { newClasses: 2, data: { xs: data.xs, ys: oneHot }, refit: 'all', lambda: 0.1, batchSize: 32 });
      const ls = await coreLs(model, data.xs, data.labels, 5, 0.1);
      const w = await headWeights(grown);
      const rows = Float32Array.from({ length: 5 * 12 }, (_, i) => w.kernel[(i % 12) * 5 + Math.floor(i / 12)]);
      expect(relErr(rows, ls.weights)).toBeLessThanOrEqual(1e-5);
      expect(relErr(w.bias, ls.bias)).toBeLessThanOrEqual(1e-5);

      const old = makeData(90, 3, 5, [0, 1, 2]);
      const before = tf.memory().numTensors;
      const fitted = await leastSquaresHead(model, old, { lambda: 0.05 });
      expect(tf.memory().numTensors).toBe(before);
      const ref = await coreLs(model, old.xs, old.labels, 3, 0.05);
      const w3 = await headWeights(model);
      const rows3 = Float32Array.from({ length: 3 * 12 }, (_, i) => w3.kernel[(i % 12) * 3 + Math.floor(i / 12)]);
      expect(relErr(rows3, ref.weights)).toBeLessThanOrEqual(1e-5);
      expect(relErr(fitted.weights, ref.weights)).toBeLessThanOrEqual(1e-5);
      grown.layers[grown.layers.length - 1].dispose();
      tf.dispose([data.xs, data.ys, oneHot, old.xs, old.ys]);
    });

    it('names bad input without leaking tensors', async () => {
      const model = makeModel(3);
      const data = makeData(20, 5, 1, [0, 4]);
      const oneHot4 = tf.oneHot(data.ys, 4);
      const twoLabels = tf.tensor1d([0, 1]);
      const noDense = sequential({ layers: [layers.dense({ inputShape: [6], units: 4 }), layers.activation({ activation: 'softmax' })] });
      const before = tf.memory().numTensors;
      await expect(growHead(model, { newClasses: 0, data })).rejects.toThrow(/newClasses must be a positive integer/);
      await expect(growHead(model, { newClasses: 2 })).rejects.toThrow(/needs data/);
      await expect(growHead(model, { newClasses: 1, data })).rejects.toMatchObject({ code: 'BAD_LABEL', message: expect.stringMatching(/row 1: label 4 is not a class index in 0\.\.3/) });
      await expect(growHead(model, { newClasses: 2, data: { xs: data.xs, ys: oneHot4 } })).rejects.toThrow(/one-hot with 4 columns; expected 5/);
      await expect(growHead(model, { newClasses: 2, data, refit: 'all', init: 'random' })).rejects.toThrow(/cannot be combined/);
      await expect(growHead(noDense, { newClasses: 1, init: 'random' })).rejects.toMatchObject({ code: 'NO_CLASSIFIER' });
      await expect(leastSquaresHead(model, { xs: data.xs, ys: twoLabels })).rejects.toThrow(/2 rows but data.xs has 20/);
      expect(tf.memory().numTensors).toBe(before);
      noDense.dispose();
      tf.dispose([data.xs, data.ys, oneHot4, twoLabels]);
    });
  });
}
