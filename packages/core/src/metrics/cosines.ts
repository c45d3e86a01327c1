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
