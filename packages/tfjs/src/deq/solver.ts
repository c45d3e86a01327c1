import { choleskyFactor, choleskySolveRows } from '@ncscope/core';
import * as tf from '@tensorflow/tfjs-core';

/** How the equilibrium z = g(z) is found: plain iteration z ← g(z), or Anderson acceleration (type II). */
export type FixedPointSolver = 'fixed-point' | 'anderson';

export interface FixedPointOptions {
  solver: FixedPointSolver;
  /** Stop once the relative residual ‖g(z) − z‖_F / ‖g(z)‖_F ≤ tolerance. */
  tolerance: number;
  /** Give up (converged: false) after this many evaluations of g. */
  maxIterations: number;
  /** Anderson: number of past iterates mixed (default 5). */
  memory?: number;
}

export interface FixedPointResult {
  /** The last evaluation g(z_k) (its own residual is at most the contraction factor times `residual`). */
  z: tf.Tensor;
  /** Evaluations of g. */
  iterations: number;
  /** ‖g(z_k) − z_k‖_F / ‖g(z_k)‖_F at the last iterate z_k (0 when g(z_k) = z_k = 0). */
  residual: number;
  converged: boolean;
}

/** Relative residual ‖gz − z‖ / ‖gz‖ (one download of two numbers). */
function relativeResidual(z: tf.Tensor, gz: tf.Tensor): number {
  const [diff, norm] = tf.tidy(() => tf.stack([tf.norm(tf.sub(gz, z)), tf.norm(gz)])).dataSync() as Float32Array;
  return norm > 0 ? diff / norm : diff;
}

/**
 * Solves z = g(z) starting from z0 (not disposed; the caller keeps it). Every intermediate tensor is freed; the
 * returned `z` is new and owned by the caller. Synchronous (reads two numbers per iteration), so it can run inside a
 * layer's `call` and a custom gradient.
 *
 * Anderson acceleration (Walker & Ni 2011; as in Bai, Kolter & Koltun's DEQ code) treats the whole batch as one
 * vector: with the last m iterates x_i and values f_i = g(x_i), residuals r_i = f_i − x_i, it picks α minimizing
 * ‖Σ α_i r_i‖ subject to Σ α_i = 1 — (R Rᵀ + λ I) a = 1, α = a / Σa, λ = 1e-8 · max diag(R Rᵀ), solved in float64 in
 * JS — and moves to Σ α_i f_i. A plain step replaces it if that solve fails.
 */
export function solveFixedPoint(g: (z: tf.Tensor) => tf.Tensor, z0: tf.Tensor, options: FixedPointOptions): FixedPointResult {
  return options.solver === 'anderson' ? anderson(g, z0, options) : iterate(g, z0, options);
}

function iterate(g: (z: tf.Tensor) => tf.Tensor, z0: tf.Tensor, { tolerance, maxIterations }: FixedPointOptions): FixedPointResult {
  let z = z0;
  let residual = Infinity;
  let k = 0;
  while (k < maxIterations) {
    const gz = g(z);
    k++;
    residual = relativeResidual(z, gz);
    if (z !== z0) z.dispose();
    z = gz;
    if (residual <= tolerance) return { z, iterations: k, residual, converged: true };
  }
  return { z: z === z0 ? z0.clone() : z, iterations: k, residual, converged: false };
}

function anderson(g: (z: tf.Tensor) => tf.Tensor, z0: tf.Tensor, { tolerance, maxIterations, memory = 5 }: FixedPointOptions): FixedPointResult {
  const xs: tf.Tensor[] = [];
  const fs: tf.Tensor[] = [];
  let x = z0.clone();
  let residual = Infinity;
  let k = 0;
  try {
    while (k < maxIterations) {
      const fx = g(x);
      k++;
      residual = relativeResidual(x, fx);
      xs.push(x);
      fs.push(fx);
      if (residual <= tolerance) {
        fs.pop();
        return { z: fx, iterations: k, residual, converged: true };
      }
      if (xs.length > memory) {
        xs.shift()!.dispose();
        fs.shift()!.dispose();
      }
      x = mix(xs, fs) ?? fx.clone();
    }
    const last = fs.pop()!;
    return { z: last, iterations: k, residual, converged: false };
  } finally {
    tf.dispose(xs);
    tf.dispose(fs);
  }
}

/** Σ α_i f_i with the Anderson weights, or undefined if the small system cannot be solved. */
function mix(xs: tf.Tensor[], fs: tf.Tensor[]): tf.Tensor | undefined {
  const m = xs.length;
  if (m === 1) return undefined;
  const gram = tf.tidy(() => {
    const R = tf.stack(xs.map((x, i) => tf.reshape(tf.sub(fs[i], x), [-1])));
    return tf.matMul(R, tf.transpose(R));
  });
  const H = Float64Array.from(gram.dataSync());
  gram.dispose();
  let maxDiag = 0;
  for (let i = 0; i < m; i++) maxDiag = Math.max(maxDiag, H[i * m + i]);
  if (!(maxDiag > 0) || !Number.isFinite(maxDiag)) return undefined;
  for (let i = 0; i < m; i++) H[i * m + i] += 1e-8 * maxDiag;
  if (choleskyFactor(H, m, 1e-14)) return undefined;
  const a = choleskySolveRows(H, m, new Float64Array(m).fill(1), 1);
  const total = a.reduce((s, v) => s + v, 0);
  if (!Number.isFinite(total) || total === 0) return undefined;
  return tf.tidy(() => fs.reduce<tf.Tensor | undefined>((acc, f, i) => {
    const term = tf.mul(f, a[i] / total);
    return acc ? tf.add(acc, term) : term;
  }, undefined)!);
}
