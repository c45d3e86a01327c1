import type { NcContext } from '../context/context.js';
import { productNorm, productRows, type PairProduct, type PairReduction, type PairTile } from '../context/pairs.js';
import type { CosineStatistics } from './cosines.js';

/** Everything the report reads from one symmetric pair product, in one pass over its tiles. */
export interface PairSummary {
  /** Off-diagonal cosines cos(x_k, x_l), k ≠ l: mean, sample std over the K(K − 1) ordered pairs, max-angle, extremes. */
  cosine: CosineStatistics;
  /** ETF error ‖XXᵀ/‖XXᵀ‖_F − E‖_F (Zhu et al. 2021). */
  etfError: number;
  /** CDNV over pairs k < l (the 'means' product of a context with the spread phase). */
  cdnv?: number;
}

interface State {
  inv: Float64Array;
  normInv: number;
  variances?: Float64Array;
  /** Chan-merged cosine moments over ordered pairs. */
  n: number;
  mean: number;
  m2: number;
  dev: number;
  min: number;
  max: number;
  etf: number;
  cdnv: number;
  pairs: number;
}

/** Pairs closer than this relative to their norms get ‖μ_k − μ_l‖² straight from the rows (a + b − 2g cancels). */
const CLOSE = 1e-3;

/**
 * The standard reduction of a symmetric product ('means' M̃M̃ᵀ or 'weights' WWᵀ): the cosine statistics behind
 * equiangularity and max-angle, the ETF error, and on 'means' with the spread phase the CDNV — one loop per tile entry.
 * Each tile's cosine moments are accumulated around the tile's first value and merged across tiles by Chan et al.'s
 * update, so the standard deviation keeps float64 accuracy even when it is 1e-8 of the mean (near a simplex ETF).
 * The ETF error needs ‖XXᵀ‖_F first ({@link productNorm}: two D × D Grams when D < K, or the product's single tile).
 */
export function pairSummaryReduction(product: Exclude<PairProduct, 'weightsMeans'>): PairReduction<State, PairSummary> {
  return {
    product,
    async init(ctx) {
      const { xNormsSq } = productRows(ctx, product);
      return {
        inv: Float64Array.from(xNormsSq, (v) => 1 / Math.sqrt(v)),
        normInv: 1 / (await productNorm(ctx, product)),
        variances: product === 'means' && ctx.spread ? Float64Array.from(ctx.spread.withinSS, (s, k) => s / ctx.counts[k]) : undefined,
        n: 0, mean: 0, m2: 0, dev: 0, min: Infinity, max: -Infinity, etf: 0, cdnv: 0, pairs: 0,
      };
    },
    tile: (state, tile, ctx) => foldTile(state, tile, ctx),
    finish(s) {
      const cosine = { mean: s.mean, std: s.n > 1 ? Math.sqrt(s.m2 / (s.n - 1)) : 0, maxAngle: s.dev / s.n, min: s.min, max: s.max };
      return { cosine, etfError: Math.sqrt(s.etf), cdnv: s.variances ? s.cdnv / s.pairs : undefined };
    },
  };
}

function foldTile(s: State, tile: PairTile, ctx: NcContext): void {
  const { K, D } = ctx;
  const { inv, normInv, variances: v } = s;
  const sq = ctx.meanNormsSq;
  const means = ctx.means;
  const p = ctx.conventions.cdnvExponent;
  const invK1 = 1 / (K - 1);
  const scale = 1 / Math.sqrt(K - 1);
  const off = -scale / K;
  const on = (1 - 1 / K) * scale;
  const diagonalTile = tile.colStart === tile.rowStart;
  const { values, cols } = tile;
  let c0 = NaN;
  let n = 0, s1 = 0, s2 = 0, dev = 0, lo = s.min, hi = s.max, etf = 0, cd = 0;
  for (let i = 0; i < tile.rows; i++) {
    const k = tile.rowStart + i;
    const ik = inv[k];
    const row = i * cols;
    if (diagonalTile) {
      const e = values[row + i] * normInv - on;
      etf += e * e;
    }
    for (let j = diagonalTile ? i + 1 : 0; j < cols; j++) {
      const l = tile.colStart + j;
      const g = values[row + j];
      const c = g * ik * inv[l];
      if (n === 0) c0 = c;
      const d = c - c0;
      s1 += d;
      s2 += d * d;
      n++;
      dev += Math.abs(c + invK1);
      if (c < lo) lo = c;
      if (c > hi) hi = c;
      const e = g * normInv - off;
      etf += 2 * e * e;
      if (v) {
        const nn = sq[k] + sq[l];
        let d2 = nn - 2 * g;
        if (!(d2 > CLOSE * nn)) {
          d2 = 0;
          for (let t = 0; t < D; t++) d2 += (means[k * D + t] - means[l * D + t]) ** 2;
        }
        cd += (v[k] + v[l]) / (2 * (p === 1 ? d2 : d2 ** p));
      }
    }
  }
  s.etf += etf;
  s.dev += 2 * dev;
  s.min = lo;
  s.max = hi;
  s.cdnv += cd;
  s.pairs += n;
  if (n === 0) return;
  // This tile's moments over ordered pairs (each unordered pair twice), merged by Chan et al.'s update.
  const nb = 2 * n;
  const mb = c0 + s1 / n;
  const m2b = 2 * (s2 - (s1 * s1) / n);
  const total = s.n + nb;
  const delta = mb - s.mean;
  s.mean += (delta * nb) / total;
  s.m2 += m2b + (delta * delta * s.n * nb) / total;
  s.n = total;
}

export const meansSummaryReduction = pairSummaryReduction('means');
export const weightsSummaryReduction = pairSummaryReduction('weights');
