/** Sums of weighted outer products on dense row-major float64 matrices. */

/**
 * A += Σ_j s_j v_j v_jᵀ (D × D, both triangles), row by row: each row of A is loaded once for all vectors
 * (A does not fit in cache for large D; the vectors do).
 */
export function addOuters(A: Float64Array, vectors: ArrayLike<number>[], s: ArrayLike<number>, D: number): void {
  for (let r = 0; r < D; r++) {
    const row = r * D;
    for (let j = 0; j < vectors.length; j++) {
      const v = vectors[j];
      const f = s[j] * v[r];
      if (f === 0) continue;
      for (let c = 0; c < D; c++) A[row + c] += f * v[c];
    }
  }
}
