import { multiplyTransposed } from '../linalg/dense.js';

/** K × K matrix of cosines cos(x_k, x_l) between the rows of a K × D matrix (diagonal 1). */
export function cosineMatrix(rows: Float64Array, K: number, D: number): Float64Array {
  const g = multiplyTransposed(rows, rows, K, K, D);
  const norms = Float64Array.from({ length: K }, (_, k) => Math.sqrt(g[k * K + k]));
  for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) g[a * K + b] = a === b ? 1 : g[a * K + b] / (norms[a] * norms[b]);
  return g;
}

/** The K(K − 1) off-diagonal entries of a K × K matrix. */
export function offDiagonal(m: Float64Array, K: number): Float64Array {
  const out = new Float64Array(K * (K - 1));
  let i = 0;
  for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) if (a !== b) out[i++] = m[a * K + b];
  return out;
}
