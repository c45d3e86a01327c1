/**
 * Multi-label losses (pick-all-label cross-entropy, sigmoid binary cross-entropy) against plain float64 references:
 * per-sample values, gradients w.r.t. the logits (finite differences of the reference, and the analytic forms
 * |S|·softmax(z) − y and (σ(z) − y)/K), multi-hot targets with 0, 1 or several labels, on the cpu and wasm backends.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '@ncscope/core';
import { losses } from '../src/index.js';
import { BACKENDS, useBackend } from './backends.js';
import { expectNear, numericGrad, softmax, valuesAndGrads } from './loss-helpers.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
/** Plain float64 references, one row at a time: t the multi-hot targets, z the logits. */
const ref = {
  pal: (t: number[], z: number[]) => t.reduce((s, tk, k) => s - tk * Math.log(softmax(z)[k]), 0),
  palN: (t: number[], z: number[]) => ref.pal(t, z) / Math.max(1, t.reduce((a, b) => a + b, 0)),
  bce: (t: number[], z: number[]) => t.reduce((s, tk, k) => s - tk * Math.log(sigmoid(z[k])) - (1 - tk) * Math.log(1 - sigmoid(z[k])), 0) / z.length,
  bceSum: (t: number[], z: number[]) => ref.bce(t, z) * z.length,
};

/** n rows of K logits and multi-hot targets with 0 to 3 labels (mostly 1 or 2). */
function problem(n: number, K: number, seed: number) {
  const r = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const z = Array.from({ length: n }, () => Array.from({ length: K }, () => Math.fround(3 * normal())));
  const t = Array.from({ length: n }, (_, i) => {
    const size = i % 7 === 0 ? 0 : i % 3 === 0 ? 2 : i % 11 === 0 ? 3 : 1;
    const row = new Array<number>(K).fill(0);
    while (row.reduce((a, b) => a + b, 0) < size) row[Math.floor(r() * K)] = 1;
    return row;
  });
  return { z, t };
}

const CASES: [string, () => losses.LossFunction, (t: number[], z: number[]) => number][] = [
  ['pickAllLabels', () => losses.pickAllLabels, ref.pal],
  ['pickAllLabels({ normalize: true })', () => losses.pickAllLabels({ normalize: true }), ref.palN],
  ['binaryCrossEntropy', () => losses.binaryCrossEntropy, ref.bce],
  ['binaryCrossEntropy({ reduction: "sum" })', () => losses.binaryCrossEntropy({ reduction: 'sum' }), ref.bceSum],
];

for (const backend of BACKENDS) {
  describe(`multi-label losses against float64 references (${backend})`, () => {
    beforeAll(() => useBackend(backend));

    for (const [name, make, reference] of CASES) {
      it(`${name}: per-sample values and gradients to 1e-6 (0, 1, 2 and 3 labels per row)`, async () => {
        const { z, t } = problem(56, 6, name.length * 17 + 3);
        const got = await valuesAndGrads(make(), t, z);
        expect(got.shape).toEqual([56]);
        expectNear(got.values, t.map((ti, i) => reference(ti, z[i])), `${name} values`);
        expectNear(got.grads, t.flatMap((ti, i) => numericGrad(reference, ti, z[i])), `${name} gradients`);
      });
    }

    it('analytic gradients: |S|·softmax(z) − y (pick-all-label), (σ(z) − y)/K (binary cross-entropy)', async () => {
      const { z, t } = problem(24, 5, 11);
      const pal = await valuesAndGrads(losses.pickAllLabels, t, z);
      expectNear(pal.grads, z.flatMap((zi, i) => {
        const size = t[i].reduce((a, b) => a + b, 0);
        return softmax(zi).map((p, k) => size * p - t[i][k]);
      }), 'pal grad');
      const bce = await valuesAndGrads(losses.binaryCrossEntropy, t, z);
      expectNear(bce.grads, z.flatMap((zi, i) => zi.map((zk, k) => (sigmoid(zk) - t[i][k]) / 5)), 'bce grad');
    });

    it('pick-all-label is cross-entropy for one label and the sum of the labels\' cross-entropies for several', async () => {
      const { z } = problem(3, 4, 5);
      const t = [[0, 1, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]];
      const pal = await valuesAndGrads(losses.pickAllLabels, t, z);
      const ce = await valuesAndGrads(losses.crossEntropy, [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0]], z);
      expectNear([pal.values[0]], [ce.values[0]], 'one label');
      expectNear([pal.values[1]], [ce.values[1] + (await valuesAndGrads(losses.crossEntropy, [[0, 0, 1, 0]], [z[1]])).values[0]], 'two labels');
      expect(Math.abs(pal.values[2])).toBe(0);
    });

    it('stays finite for large logits (stable forms) and reads probabilities with fromLogits: false', async () => {
      const z = [[80, -80, 0.5], [-60, 70, 30]];
      const t = [[1, 0, 1], [0, 1, 1]];
      const bce = await valuesAndGrads(losses.binaryCrossEntropy, t, z);
      // −log σ(z) = log(1 + e^{−z}) and −log(1 − σ(z)) = log(1 + e^{z}), written without overflow for the reference.
      const softplus = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
      expectNear(bce.values, t.map((ti, i) => ti.reduce((s, tk, k) => s + tk * softplus(-z[i][k]) + (1 - tk) * softplus(z[i][k]), 0) / 3), 'bce large', 1e-5);
      expect(bce.grads.every(Number.isFinite)).toBe(true);
      const pal = await valuesAndGrads(losses.pickAllLabels, t, z);
      expect(pal.values.every(Number.isFinite)).toBe(true);
      const p = [[0.9, 0.2, 0.6], [0.1, 0.7, 0.5]];
      const prob = await valuesAndGrads(losses.binaryCrossEntropy({ fromLogits: false }), t, p);
      expectNear(prob.values, t.map((ti, i) => ti.reduce((s, tk, k) => s - tk * Math.log(p[i][k]) - (1 - tk) * Math.log(1 - p[i][k]), 0) / 3), 'bce(prob)');
    });

    it('trains a model through compile/fit and rejects bad options by name', async () => {
      const { z, t } = problem(40, 4, 8);
      const x = tf.tensor2d(z);
      const y = tf.tensor2d(t);
      const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 4, kernelInitializer: 'identity', biasInitializer: 'zeros' })] });
      for (const [loss, reference] of [[losses.pickAllLabels, ref.pal], [losses.binaryCrossEntropy, ref.bce]] as const) {
        model.compile({ optimizer: 'sgd', loss });
        const evaluated = model.evaluate(x, y, { batchSize: 40 }) as tf.Scalar;
        expectNear([(await evaluated.data())[0]], [t.reduce((s, ti, i) => s + reference(ti, z[i]), 0) / t.length], 'evaluate');
        evaluated.dispose();
        const h = await model.fit(x, y, { epochs: 2, batchSize: 20, verbose: 0 });
        expect(h.history.loss[1]).toBeLessThan(h.history.loss[0] as number);
        model.setWeights([tf.eye(4), tf.zeros([4])]);
      }
      tf.dispose([x, y]);
      model.dispose();
      expect(() => losses.binaryCrossEntropy({ reduction: 'max' as never })).toThrow(/reduction must be 'mean' or 'sum'/);
    });
  });
}
