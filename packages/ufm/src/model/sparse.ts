import type { CsrMatrix } from '@ncscope/core';

/**
 * Products with core's compressed-row `CsrMatrix` (row i holds `values[rowPtr[i] .. rowPtr[i+1])` in columns
 * `colIdx[…]`) that accumulate into a caller's buffer at an offset — the objective's inner loops allocate nothing —
 * and the adjoint, which the gradient needs. (Core's `csrMultiply` returns a new array.)
 */
export type SparseMatrix = CsrMatrix;

/** out (rows × d) += α · S X for X (cols × d) row-major: out_i += α Σ_j S_ij x_j. Accumulates into out (no allocation). */
export function addSparseTimes(S: SparseMatrix, X: ArrayLike<number>, out: Float64Array, d: number, alpha = 1, xo = 0, oo = 0): void {
  for (let i = 0; i < S.rows; i++) {
    const o = oo + i * d;
    for (let e = S.rowPtr[i]; e < S.rowPtr[i + 1]; e++) {
      const s = alpha * S.values[e];
      const x = xo + S.colIdx[e] * d;
      for (let t = 0; t < d; t++) out[o + t] += s * X[x + t];
    }
  }
}

/** out (cols × d) += α · Sᵀ X for X (rows × d): out_j += α Σ_i S_ij x_i (the adjoint, for gradients). */
export function addSparseTransposeTimes(S: SparseMatrix, X: ArrayLike<number>, out: Float64Array, d: number, alpha = 1, xo = 0, oo = 0): void {
  for (let i = 0; i < S.rows; i++) {
    const x = xo + i * d;
    for (let e = S.rowPtr[i]; e < S.rowPtr[i + 1]; e++) {
      const s = alpha * S.values[e];
      const o = oo + S.colIdx[e] * d;
      for (let t = 0; t < d; t++) out[o + t] += s * X[x + t];
    }
  }
}
