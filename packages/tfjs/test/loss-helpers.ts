/** Shared by the loss tests: a plain softmax, finite-difference gradients of float64 references, tolerance checks, and the loss values and gradients tfjs computes. */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { losses } from '../src/index.js';

export const softmax = (z: number[]) => {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

/** Central finite differences of a float64 reference, h = 1e-6 (error ~1e-10 for these smooth functions). */
export function numericGrad(f: (t: number[], z: number[]) => number, t: number[], z: number[]): number[] {
  const h = 1e-6;
  return z.map((_, j) => {
    const up = z.slice();
    const down = z.slice();
    up[j] += h;
    down[j] -= h;
    return (f(t, up) - f(t, down)) / (2 * h);
  });
}

export function expectNear(got: ArrayLike<number>, want: number[], what: string, tol = 1e-6): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    expect(Math.abs(got[i] - want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i])));
  }
}

/** Per-sample values and gradients w.r.t. the logits of a loss, for targets t (or integer labels) and logits z. */
export async function valuesAndGrads(loss: losses.LossFunction, t: number[][], z: number[][], integerLabels?: number[]) {
  const yTrue = integerLabels ? tf.tensor1d(integerLabels, 'int32') : tf.tensor2d(t);
  const logits = tf.tensor2d(z);
  const values = loss(yTrue, logits);
  const grads = tf.grad((x: tf.Tensor) => tf.sum(loss(yTrue, x)))(logits);
  const out = { values: Array.from(await values.data()), grads: Array.from(await grads.data()), shape: values.shape };
  tf.dispose([yTrue, logits, values, grads]);
  return out;
}
