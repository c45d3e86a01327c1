import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { losses } from '../src/index.js';
import { mulberry32 } from '@ncscope/core';
import { BACKENDS, useBackend } from './backends.js';
import { expectNear, numericGrad, softmax, valuesAndGrads } from './loss-helpers.js';

/** Plain float64 references, one row at a time: t are the targets, z the logits. */
const ref = {
  ce: (t: number[], z: number[]) => {
    const p = softmax(z);
    return -t.reduce((s, tk, k) => s + tk * Math.log(p[k]), 0);
  },
  ceProb: (t: number[], p: number[]) => -t.reduce((s, tk, k) => s + tk * Math.log(Math.min(1, Math.max(1e-7, p[k]))), 0),
  smooth: (alpha: number) => (t: number[], z: number[]) => ref.ce(t.map((v) => (1 - alpha) * v + alpha / t.length), z),
  focal: (gamma: number) => (t: number[], z: number[]) => {
    const p = softmax(z);
    return -t.reduce((s, tk, k) => s + tk * (1 - p[k]) ** gamma * Math.log(p[k]), 0);
  },
  mse: (k: number, M: number) => (t: number[], z: number[]) => z.reduce((s, zj, j) => s + (1 + (k - 1) * t[j]) * (zj - M * t[j]) ** 2, 0) / z.length,
};

function randomProblem(n: number, K: number, seed: number) {
  const random = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const z = Array.from({ length: n }, () => Array.from({ length: K }, () => Math.fround(3 * normal())));
  const labels = Array.from({ length: n }, () => Math.floor(random() * K));
  const t = labels.map((y) => Array.from({ length: K }, (_, k) => (k === y ? 1 : 0)));
  return { z, labels, t };
}

const CASES: [string, () => losses.LossFunction, (t: number[], z: number[]) => number][] = [
  ['crossEntropy', () => losses.crossEntropy, ref.ce],
  ['crossEntropy({ fromLogits: true })', () => losses.crossEntropy({ fromLogits: true }), ref.ce],
  ['labelSmoothing(0.1)', () => losses.labelSmoothing(0.1), ref.smooth(0.1)],
  ['labelSmoothing(0)', () => losses.labelSmoothing(0), ref.ce],
  ['focal(2)', () => losses.focal(2), ref.focal(2)],
  ['focal(0.5)', () => losses.focal(0.5), ref.focal(0.5)],
  ['focal(0) = crossEntropy', () => losses.focal(0), ref.ce],
  ['mse()', () => losses.mse(), ref.mse(1, 1)],
  ['mse({ scale: 15, M: 30 })', () => losses.mse({ scale: 15, M: 30 }), ref.mse(15, 30)],
];

for (const backend of BACKENDS) {
  describe(`losses against float64 references (${backend})`, () => {
    beforeAll(() => useBackend(backend));

    for (const [name, make, reference] of CASES) {
      it(`${name}: per-sample values and gradients w.r.t. the logits, to 1e-6, one-hot and integer labels`, async () => {
        const { z, labels, t } = randomProblem(48, 7, name.length * 31 + 5);
        const wantValues = t.map((ti, i) => reference(ti, z[i]));
        const wantGrads = t.flatMap((ti, i) => numericGrad(reference, ti, z[i]));
        for (const ints of [undefined, labels]) {
          const got = await valuesAndGrads(make(), t, z, ints);
          expect(got.shape).toEqual([48]);
          expectNear(got.values, wantValues, `${name} values`);
          expectNear(got.grads, wantGrads, `${name} gradients`);
        }
      });
    }

    it('analytic gradients: softmax(z) − t for (smoothed) cross-entropy, (2/K)(1 + (k−1)y)(z − My) for mse', async () => {
      const { z, t } = randomProblem(16, 5, 99);
      const alpha = 0.2;
      const smoothed = t.map((ti) => ti.map((v) => (1 - alpha) * v + alpha / 5));
      const got = await valuesAndGrads(losses.labelSmoothing(alpha), t, z);
      expectNear(got.grads, z.flatMap((zi, i) => softmax(zi).map((p, k) => p - smoothed[i][k])), 'label smoothing grad');
      const gotMse = await valuesAndGrads(losses.mse({ scale: 3, M: 2 }), t, z);
      expectNear(gotMse.grads, z.flatMap((zi, i) => zi.map((zj, j) => (2 / 5) * (1 + 2 * t[i][j]) * (zj - 2 * t[i][j]))), 'mse grad');
    });

    it('fromLogits: false reads probabilities (after a softmax layer): values and gradient −t/p', async () => {
      const { z, t } = randomProblem(32, 6, 7);
      const p = z.map((zi) => softmax(zi).map((v) => Math.fround(v)));
      const got = await valuesAndGrads(losses.crossEntropy({ fromLogits: false }), t, p);
      expectNear(got.values, t.map((ti, i) => ref.ceProb(ti, p[i])), 'ce(prob) values');
      expectNear(got.grads, t.flatMap((ti, i) => ti.map((tk, k) => -tk / p[i][k])), 'ce(prob) grad');
      const focalProb = await valuesAndGrads(losses.focal(2, { fromLogits: false }), t, p);
      expectNear(focalProb.values, t.map((ti, i) => -ti.reduce((s, tk, k) => s + tk * (1 - p[i][k]) ** 2 * Math.log(p[i][k]), 0)), 'focal(prob) values');
    });

    it('works in model.compile: evaluate() reports the mean of the reference over the data', async () => {
      const { z, t } = randomProblem(40, 4, 3);
      const x = tf.tensor2d(z);
      const y = tf.tensor2d(t);
      // A linear model initialised to the identity: its outputs are the inputs, i.e. the logits z.
      const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 4, kernelInitializer: 'identity', biasInitializer: 'zeros' })] });
      for (const [make, reference] of [[() => losses.crossEntropy, ref.ce], [() => losses.focal(1.5), ref.focal(1.5)], [() => losses.mse({ scale: 2 }), ref.mse(2, 1)]] as const) {
        model.compile({ optimizer: 'sgd', loss: make() });
        const evaluated = model.evaluate(x, y, { batchSize: 40 }) as tf.Scalar;
        const want = t.reduce((s, ti, i) => s + reference(ti, z[i]), 0) / t.length;
        expectNear([await evaluated.data()][0], [want], 'evaluate');
        evaluated.dispose();
        const h = await model.fit(x, y, { epochs: 2, batchSize: 20, verbose: 0 });
        expect(h.history.loss[1]).toBeLessThan(h.history.loss[0] as number);
        model.setWeights([tf.eye(4), tf.zeros([4])]);
      }
      tf.dispose([x, y]);
      model.dispose();
    });

    it('rejects bad parameters with named errors', () => {
      expect(() => losses.labelSmoothing(1)).toThrow(/alpha must be in \[0, 1\)/);
      expect(() => losses.focal(-1)).toThrow(/gamma/);
      expect(() => losses.mse({ scale: 0 })).toThrow(/scale/);
    });
  });
}
