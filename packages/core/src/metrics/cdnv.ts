import { requireSpread, type NcContext } from '../context.js';

/** Per-class variance v_k = (1/n_k) Σ_{y_i=k} ‖h_i − μ_k‖² (the trace of class k's covariance). */
export function classVariances(ctx: NcContext): Float64Array {
  const { withinSS } = requireSpread(ctx, 'class variances');
  return Float64Array.from(withinSS, (s, k) => s / ctx.counts[k]);
}

/**
 * CDNV — class-distance normalised variance (Galanti, György & Hutter 2022, ICLR), averaged over pairs:
 *   CDNV = mean_{k<l} (v_k + v_l) / (2 ‖μ_k − μ_l‖²).
 * Independent of the global-mean convention.
 */
export function cdnv(ctx: NcContext): number {
  const v = classVariances(ctx);
  const { K, D, means } = ctx;
  let total = 0;
  let pairs = 0;
  for (let k = 0; k < K; k++)
    for (let l = k + 1; l < K; l++) {
      let d2 = 0;
      for (let t = 0; t < D; t++) d2 += (means[k * D + t] - means[l * D + t]) ** 2;
      total += (v[k] + v[l]) / (2 * d2);
      pairs++;
    }
  return total / pairs;
}
