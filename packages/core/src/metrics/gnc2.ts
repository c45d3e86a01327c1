import type { NcContext } from '../context/context.js';
import { firstPairColumn, reducePair, type PairReduction } from '../context/pairs.js';
import { mergeShifted, type Moments } from './shifted-moments.js';

/**
 * Generalized NC2 — hyperspherical uniformity of the class means (Liu et al. 2023, "Generalizing and decoupling neural
 * collapse via hyperspherical uniformity gap"), exactly as rhubarbwu/neural-collapse's `kernel_stats` computes it:
 *
 *   μ̂_k = μ̃_k / (‖μ̃_k‖ + ε)        (its `normalize`; ε = the float64 machine epsilon 2⁻⁵², the means' dtype),
 *   d_kl = ‖μ̂_k − μ̂_l‖ over the K(K − 1)/2 pairs k < l, and three kernels of it:
 *     distance  d_kl,      log  log(1/d_kl),      Riesz  sign(D − 2)·d_kl^−(D−2)   (D the feature dimension),
 *   mean = (1/P) Σ_{k<l} κ_kl,   var = (1/P) Σ_{k<l} (κ_kl − mean)²   (P = K(K − 1)/2; mean of squared deviations).
 *
 * Uniformly spread means (a simplex ETF) minimise the log and Riesz means and make every variance 0. With
 * conventions.kernelPrecision 'float32' (the `rhubarbwu` preset) each κ_kl is rounded to float32 before the mean and
 * variance and the results are float32 values, as that library stores its kernel grid in a float32 tensor.
 * Streamed over tiles of M̃M̃ᵀ: d²_kl = ‖μ̂_k‖² + ‖μ̂_l‖² − 2 μ̂_k·μ̂_l, recomputed from the rows when it cancels.
 */
export interface Gnc2Statistics {
  logMean: number;
  logVar: number;
  rieszMean: number;
  rieszVar: number;
  distMean: number;
  distVar: number;
}

/** The float64 epsilon rhubarbwu's normalize adds to each norm (`torch.finfo(float64).eps`). */
const EPS64 = 2 ** -52;

/** Pairs whose squared distance is below this fraction of ‖μ̂_k‖² + ‖μ̂_l‖² are recomputed from the rows. */
const CLOSE = 1e-3;

interface State {
  /** 1/(‖μ̃_k‖ + ε) and ‖μ̂_k‖². */
  inv: Float64Array;
  sq: Float64Array;
  moments: [Moments, Moments, Moments];
}

/** A finite shift for a tile's sums: its first value, or 0 when that is ±∞ or NaN. */
const finiteOr0 = (x: number): number => (Number.isFinite(x) ? x : 0);

export const gnc2Reduction: PairReduction<State, Gnc2Statistics> = {
  product: 'means',
  init(ctx) {
    const { K } = ctx;
    const inv = new Float64Array(K);
    const sq = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      const norm = Math.sqrt(ctx.meanNormsSq[k]);
      inv[k] = 1 / (norm + EPS64);
      sq[k] = (norm * inv[k]) ** 2;
    }
    const moments = (): Moments => ({ n: 0, mean: 0, m2: 0 });
    return { inv, sq, moments: [moments(), moments(), moments()] };
  },
  // One pass over the tile: d² from the product, log(1/d) = −½·log d², and the Riesz kernel d^−S = exp(S·log(1/d))
  // (one log and one exp per pair instead of a general power: the same value to ~|S·log d|·2⁻⁵² relative).
  tile(state, tile, ctx) {
    const { inv, sq } = state;
    const { D, centredMeans: M } = ctx;
    const S = D - 2;
    const sign = S >= 0 ? 1 : -1; // Python's copysign(1, S) for an integer S
    const f32 = ctx.conventions.kernelPrecision === 'float32';
    const { values, cols, rowStart, colStart } = tile;
    let count = 0;
    let lgShift = 0, rzShift = 0, dsShift = 0;
    let lg1 = 0, lg2 = 0, rz1 = 0, rz2 = 0, ds1 = 0, ds2 = 0;
    for (let i = 0; i < tile.rows; i++) {
      const k = rowStart + i;
      const ik = inv[k];
      const sk = sq[k];
      const row = i * cols;
      for (let j = firstPairColumn(tile, i); j < cols; j++) {
        const l = colStart + j;
        const nn = sk + sq[l];
        let d2 = nn - 2 * values[row + j] * ik * inv[l];
        if (!(d2 > CLOSE * nn)) {
          d2 = 0;
          for (let t = 0; t < D; t++) d2 += (M[k * D + t] * ik - M[l * D + t] * inv[l]) ** 2;
        }
        let ds = Math.sqrt(d2);
        let lg = -0.5 * Math.log(d2);
        let rz = S === 0 ? sign : sign * Math.exp(S * lg);
        if (f32) {
          lg = Math.fround(lg);
          rz = Math.fround(rz);
          ds = Math.fround(ds);
        }
        if (count === 0) {
          lgShift = finiteOr0(lg);
          rzShift = finiteOr0(rz);
          dsShift = finiteOr0(ds);
        }
        count++;
        const a = lg - lgShift;
        lg1 += a;
        lg2 += a * a;
        const b = rz - rzShift;
        rz1 += b;
        rz2 += b * b;
        const c = ds - dsShift;
        ds1 += c;
        ds2 += c * c;
      }
    }
    // Each kernel's tile sums around the tile's first value, merged into the running moments.
    mergeShifted(state.moments[0], count, lgShift, lg1, lg2);
    mergeShifted(state.moments[1], count, rzShift, rz1, rz2);
    mergeShifted(state.moments[2], count, dsShift, ds1, ds2);
  },
  finish(state, ctx) {
    const f32 = ctx.conventions.kernelPrecision === 'float32';
    const stats = state.moments.map(({ n, mean, m2 }) => {
      if (!f32) return { mean, variance: m2 / n };
      // float32 grid: the deviations are taken from the float32 mean, Σ(κ − m₃₂)² = M2 + n(m − m₃₂)².
      const m32 = Math.fround(mean);
      return { mean: m32, variance: Math.fround(m2 / n + (mean - m32) ** 2) };
    });
    return {
      logMean: stats[0].mean, logVar: stats[0].variance,
      rieszMean: stats[1].mean, rieszVar: stats[1].variance,
      distMean: stats[2].mean, distVar: stats[2].variance,
    };
  },
};

/** GNC2 statistics of all three kernels (one tiled pass over M̃M̃ᵀ, shared with the report's other mean metrics). */
export function gnc2(ctx: NcContext): Promise<Gnc2Statistics> {
  return reducePair(ctx, gnc2Reduction);
}

/** Mean over pairs k < l of the log kernel log(1/‖μ̂_k − μ̂_l‖) (Liu et al. 2023; rhubarbwu's `kernel_stats(…, log_kernel)[0]`). */
export async function gnc2LogMean(ctx: NcContext): Promise<number> {
  return (await gnc2(ctx)).logMean;
}
/** Variance over pairs of the log kernel (mean of squared deviations; rhubarbwu's `kernel_stats(…, log_kernel)[1]`). */
export async function gnc2LogVar(ctx: NcContext): Promise<number> {
  return (await gnc2(ctx)).logVar;
}
/** Mean over pairs of the Riesz kernel sign(D − 2)·‖μ̂_k − μ̂_l‖^−(D−2) (Liu et al. 2023; rhubarbwu's `riesz_kernel`). */
export async function gnc2RieszMean(ctx: NcContext): Promise<number> {
  return (await gnc2(ctx)).rieszMean;
}
/** Variance over pairs of the Riesz kernel. */
export async function gnc2RieszVar(ctx: NcContext): Promise<number> {
  return (await gnc2(ctx)).rieszVar;
}
/** Mean over pairs of the distance ‖μ̂_k − μ̂_l‖ (rhubarbwu's default `dist_kernel`). */
export async function gnc2DistMean(ctx: NcContext): Promise<number> {
  return (await gnc2(ctx)).distMean;
}
/** Variance over pairs of the distance ‖μ̂_k − μ̂_l‖ (rhubarbwu's README "nc2g_dist"). */
export async function gnc2DistVar(ctx: NcContext): Promise<number> {
  return (await gnc2(ctx)).distVar;
}
