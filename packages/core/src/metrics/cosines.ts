import { productRows, type PairProduct, type PairReduction } from '../context/pairs.js';
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
