import { requireSpread, type NcContext } from '../context/context.js';
import { reducePair } from '../context/pairs.js';
import { meansSummaryReduction } from './pair-summary.js';

/** Per-class variance v_k = (1/n_k) Σ_{y_i=k} ‖h_i − μ_k‖² (the trace of class k's covariance). */
export function classVariances(ctx: NcContext): Float64Array {
  const { withinSS } = requireSpread(ctx, 'class variances');
  return Float64Array.from(withinSS, (s, k) => s / ctx.counts[k]);
}

/**
 * CDNV — class-distance normalised variance (Galanti, György & Hutter 2022, ICLR), averaged over pairs:
 *   CDNV = mean_{k<l} (v_k + v_l) / (2 ‖μ_k − μ_l‖²).
 * With conventions.cdnvExponent p ≠ 1 the denominator is 2 (‖μ_k − μ_l‖²)^p, as rhubarbwu/neural-collapse's
 * `variability_cdnv(…, dist_exp = p)`. Independent of the global-mean convention. Streamed over tiles of M̃M̃ᵀ on the
 * engine, with ‖μ_k − μ_l‖² = ‖μ̃_k‖² + ‖μ̃_l‖² − 2 μ̃_k·μ̃_l, recomputed from the rows for pairs close against their
 * norms (metrics/pair-summary.ts).
 */
export async function cdnv(ctx: NcContext): Promise<number> {
  requireSpread(ctx, 'CDNV');
  return (await reducePair(ctx, meansSummaryReduction)).cdnv!;
}
