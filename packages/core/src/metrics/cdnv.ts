import { requireSpread, type NcContext } from '../context/context.js';
import { firstPairColumn, reducePair, type PairReduction } from '../context/pairs.js';

/** Per-class variance v_k = (1/n_k) Σ_{y_i=k} ‖h_i − μ_k‖² (the trace of class k's covariance). */
export function classVariances(ctx: NcContext): Float64Array {
  const { withinSS } = requireSpread(ctx, 'class variances');
  return Float64Array.from(withinSS, (s, k) => s / ctx.counts[k]);
}

/**
 * Pairs closer than this, relative to their norms, get ‖μ_k − μ_l‖² from the rows directly: from the Gram,
 * a + b − 2g loses about log10((a + b)/d²) digits.
 */
const CLOSE = 1e-3;

/** The CDNV sum over unordered pairs, tile by tile over M̃M̃ᵀ (‖μ_k − μ_l‖² = ‖μ̃_k‖² + ‖μ̃_l‖² − 2 μ̃_k·μ̃_l). */
export const cdnvReduction: PairReduction<{ v: Float64Array; total: number; pairs: number }, number> = {
  product: 'means',
  init: (ctx) => ({ v: classVariances(ctx), total: 0, pairs: 0 }),
  tile(state, tile, ctx) {
    const { v } = state;
    const p = ctx.conventions.cdnvExponent;
    const n = ctx.meanNormsSq;
    const { means, D } = ctx;
    let total = 0;
    let pairs = 0;
    for (let i = 0; i < tile.rows; i++) {
      const k = tile.rowStart + i;
      const row = i * tile.cols;
      for (let j = firstPairColumn(tile, i); j < tile.cols; j++) {
        const l = tile.colStart + j;
        const nn = n[k] + n[l];
        let d2 = nn - 2 * tile.values[row + j];
        if (!(d2 > CLOSE * nn)) {
          d2 = 0;
          for (let t = 0; t < D; t++) d2 += (means[k * D + t] - means[l * D + t]) ** 2;
        }
        total += (v[k] + v[l]) / (2 * (p === 1 ? d2 : d2 ** p));
        pairs++;
      }
    }
    state.total += total;
    state.pairs += pairs;
  },
  finish: (state) => state.total / state.pairs,
};

/**
 * CDNV — class-distance normalised variance (Galanti, György & Hutter 2022, ICLR), averaged over pairs:
 *   CDNV = mean_{k<l} (v_k + v_l) / (2 ‖μ_k − μ_l‖²).
 * With conventions.cdnvExponent p ≠ 1 the denominator is 2 (‖μ_k − μ_l‖²)^p, as rhubarbwu/neural-collapse's
 * `variability_cdnv(…, dist_exp = p)`. Independent of the global-mean convention. Streamed over tiles of M̃M̃ᵀ.
 */
export async function cdnv(ctx: NcContext): Promise<number> {
  requireSpread(ctx, 'CDNV');
  return reducePair(ctx, cdnvReduction);
}
