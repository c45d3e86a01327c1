import { firstPairColumn, productRows, type PairProduct, type PairReduction } from '../context/pairs.js';
import { multiplyTransposed } from '../linalg/dense.js';

/** K × K matrix of cosines cos(x_k, x_l) between the rows of a K × D matrix (diagonal 1). */
export function cosineMatrix(rows: Float64Array, K: number, D: number): Float64Array {
  return cosinesFromGram(multiplyTransposed(rows, rows, K, K, D), K);
}

/** Cosines from a Gram matrix G = X Xᵀ: G_kl / √(G_kk G_ll), diagonal 1. */
export function cosinesFromGram(gram: Float64Array, K: number): Float64Array {
  const g = new Float64Array(K * K);
  for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) g[a * K + b] = a === b ? 1 : gram[a * K + b] / Math.sqrt(gram[a * K + a] * gram[b * K + b]);
  return g;
}

/** The K(K − 1) off-diagonal entries of a K × K matrix. */
export function offDiagonal(m: Float64Array, K: number): Float64Array {
  const out = new Float64Array(K * (K - 1));
  let i = 0;
  for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) if (a !== b) out[i++] = m[a * K + b];
  return out;
}

/** Summary of the off-diagonal cosines cos(x_k, x_l), k ≠ l, of a symmetric product. */
export interface CosineStatistics {
  /** Mean over k ≠ l. */
  mean: number;
  /** Sample standard deviation over the K(K − 1) ordered pairs (equiangularity). */
  std: number;
  /** Mean over k ≠ l of |cos + 1/(K − 1)| (max-angle deviation). */
  maxAngle: number;
  min: number;
  max: number;
}

interface CosineState { n: number; mean: number; m2: number; dev: number; min: number; max: number; scratch: Float64Array }

/**
 * Cosine statistics of a symmetric product, tile by tile: each tile's unordered pairs give a two-pass mean and M2,
 * merged across tiles by Chan et al.'s update (each unordered pair stands for two ordered ones), so the standard
 * deviation keeps float64 accuracy even when it is 1e-8 of the mean (near a simplex ETF).
 */
export function cosineReduction(product: Exclude<PairProduct, 'weightsMeans'>): PairReduction<CosineState, CosineStatistics> {
  return {
    product,
    init: () => ({ n: 0, mean: 0, m2: 0, dev: 0, min: Infinity, max: -Infinity, scratch: new Float64Array(0) }),
    tile(state, tile, ctx) {
      const { xNormsSq } = productRows(ctx, product);
      const inv = 1 / (ctx.K - 1);
      if (state.scratch.length < tile.rows * tile.cols) state.scratch = new Float64Array(tile.rows * tile.cols);
      const c = state.scratch;
      let count = 0;
      let sum = 0;
      for (let i = 0; i < tile.rows; i++) {
        const nk = xNormsSq[tile.rowStart + i];
        for (let j = firstPairColumn(tile, i); j < tile.cols; j++) {
          const v = tile.values[i * tile.cols + j] / Math.sqrt(nk * xNormsSq[tile.colStart + j]);
          c[count++] = v;
          sum += v;
        }
      }
      if (count === 0) return;
      const mean = sum / count;
      let m2 = 0;
      let dev = 0;
      let lo = state.min;
      let hi = state.max;
      for (let i = 0; i < count; i++) {
        const d = c[i] - mean;
        m2 += d * d;
        dev += Math.abs(c[i] + inv);
        if (c[i] < lo) lo = c[i];
        if (c[i] > hi) hi = c[i];
      }
      // Ordered pairs: every unordered pair twice.
      const nb = 2 * count;
      const n = state.n + nb;
      const delta = mean - state.mean;
      state.mean += (delta * nb) / n;
      state.m2 += 2 * m2 + (delta * delta * state.n * nb) / n;
      state.n = n;
      state.dev += 2 * dev;
      state.min = lo;
      state.max = hi;
    },
    finish: (s) => ({ mean: s.mean, std: s.n > 1 ? Math.sqrt(s.m2 / (s.n - 1)) : 0, maxAngle: s.dev / s.n, min: s.min, max: s.max }),
  };
}

export const cosineMeansReduction = cosineReduction('means');
export const cosineWeightsReduction = cosineReduction('weights');

/** The full K × K cosine matrix of a symmetric product (for small K: per-class data of the report). */
export function cosineMatrixReduction(product: Exclude<PairProduct, 'weightsMeans'>): PairReduction<Float64Array, Float64Array> {
  return {
    product,
    init: (ctx) => new Float64Array(ctx.K * ctx.K),
    tile(out, tile, ctx) {
      const { xNormsSq } = productRows(ctx, product);
      const K = ctx.K;
      for (let i = 0; i < tile.rows; i++) {
        const k = tile.rowStart + i;
        for (let j = 0; j < tile.cols; j++) {
          const l = tile.colStart + j;
          const v = k === l ? 1 : tile.values[i * tile.cols + j] / Math.sqrt(xNormsSq[k] * xNormsSq[l]);
          out[k * K + l] = v;
          out[l * K + k] = v;
        }
      }
    },
    finish: (out) => out,
  };
}

export const cosineMatrixMeansReduction = cosineMatrixReduction('means');
export const cosineMatrixWeightsReduction = cosineMatrixReduction('weights');
