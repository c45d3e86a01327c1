/**
 * A sparse matrix in compressed-row form, with the field names of core's `CsrMatrix` (graph/csr.ts): row i holds
 * `values[rowPtr[i] .. rowPtr[i+1])` in columns `colIdx[…]`.
 */
export interface SparseMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly rowPtr: Int32Array;
  readonly colIdx: Int32Array;
  readonly values: Float64Array;
}

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
