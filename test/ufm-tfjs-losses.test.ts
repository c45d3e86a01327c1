/**
 * @ncscope/ufm simulates exactly the losses @ncscope/tfjs trains with: both evaluate the same float32 logits and
 * targets, and values and gradients agree to float32 rounding (tfjs computes in float32, the UFM in float64).
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mulberry32 } from '@ncscope/core';
import { losses } from '@ncscope/tfjs';
import { rowLoss, type LossSpec } from '@ncscope/ufm';

const CASES: [string, LossSpec, () => losses.LossFunction][] = [
  ['cross-entropy', { kind: 'ce' }, () => losses.crossEntropy],
  ['label smoothing α = 0.1', { kind: 'ls', alpha: 0.1 }, () => losses.labelSmoothing(0.1)],
  ['label smoothing α = 0.3', { kind: 'ls', alpha: 0.3 }, () => losses.labelSmoothing(0.3)],
  ['focal γ = 2', { kind: 'fl', gamma: 2 }, () => losses.focal(2)],
  ['focal γ = 0.5', { kind: 'fl', gamma: 0.5 }, () => losses.focal(0.5)],
  ['MSE', { kind: 'mse' }, () => losses.mse()],
  ['MSE k = 15, M = 30 (Hui & Belkin)', { kind: 'mse', scale: 15, M: 30 }, () => losses.mse({ scale: 15, M: 30 })],
];

describe('UFM losses = tfjs losses (same formulas and parameters)', () => {
  it('uses the cpu backend', async () => {
    await tf.setBackend('cpu');
    await tf.ready();
    expect(tf.getBackend()).toBe('cpu');
  });
  for (const [name, spec, make] of CASES) {
    it(name, async () => {
      const n = 64, K = 7;
      const u = mulberry32(9);
      const z = Float32Array.from({ length: n * K }, () => 6 * (u() - 0.5));
      const labels = Int32Array.from({ length: n }, (_, i) => i % K);
      const loss = make();
      const logits = tf.tensor2d(z, [n, K]);
      const yTrue = tf.oneHot(tf.tensor1d(labels, 'int32'), K);
      const values = loss(yTrue, logits);
      const grads = tf.grad((x: tf.Tensor) => tf.sum(loss(yTrue, x)))(logits);
      const tfValues = await values.data();
      const tfGrads = await grads.data();
      tf.dispose([logits, yTrue, values, grads]);

      const row = rowLoss(spec, K);
      const z64 = Float64Array.from(z);
      const G = new Float64Array(n * K);
      for (let i = 0; i < n; i++) {
        const v = row.value(z64, i * K, labels[i], G);
        const g = G.subarray(i * K, (i + 1) * K);
        // float32: relative 2⁻²⁰ of the value, with an absolute floor for the smallest terms.
        expect(Math.abs(tfValues[i] - v), `${name}, row ${i}: ${tfValues[i]} vs ${v}`).toBeLessThanOrEqual(1e-6 * Math.abs(v) + 1e-6);
        for (let k = 0; k < K; k++) {
          expect(Math.abs(tfGrads[i * K + k] - g[k]), `${name}, ∇ row ${i}, class ${k}`).toBeLessThanOrEqual(1e-5 * Math.abs(g[k]) + 2e-6 * Math.max(1, Math.abs(v)));
        }
      }
    });
  }
});
