/**
 * Cholesky factorisation and solves for symmetric positive-definite float64 matrices (row-major), sized D × D
 * (the ridge least-squares systems of the heads). A = L Lᵀ with L lower triangular.
 *
 * Layout and speed: the row-oriented (Cholesky–Crout) form computes L[i][j] = (A[i][j] − L[i][:j]·L[j][:j]) / L[j][j],
 * whose inner loops are dot products over contiguous row prefixes. Rows are processed four at a time so each
 * row L[j] read from memory serves four dot products (a register block; the matrix does not fit in cache
 * beyond D ≈ 700). Backward stable like every Cholesky: the computed L is exact for A + δA with
 * ‖δA‖ ≲ c·n·ε·‖A‖.
 */

/** Returned by {@link choleskyFactor} when a pivot is not safely positive. */
export interface CholeskyFailure {
  /** Row whose pivot failed. */
  row: number;
  /** The pivot value d = A[i][i] − ‖L[i][:i]‖² found there. */
  pivot: number;
  /** The threshold it had to exceed. */
  tolerance: number;
}

/**
 * Factors the symmetric n × n matrix `a` (row-major; only the lower triangle is read) in place: on success the
 * lower triangle holds L and the strict upper triangle is zeroed, and `undefined` is returned. A pivot
 * d ≤ `relTol` · max_i A[i][i] (default n·ε₆₄) means A is singular or numerically indefinite: the factorisation stops
 * and a {@link CholeskyFailure} is returned (the array is then partly overwritten).
 */
export function choleskyFactor(a: Float64Array, n: number, relTol = n * Number.EPSILON): CholeskyFailure | undefined {
  if (a.length !== n * n) throw new RangeError(`choleskyFactor: expected ${n * n} entries, got ${a.length}`);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(a[i * n + i]));
  const tol = relTol * maxDiag;
  let i = 0;
  // Blocks of four rows i0..i3: for each earlier row j, one pass over L[j][:j] updates four entries.
  for (; i + 3 < n; i += 4) {
    const r0 = i * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
    for (let j = 0; j < i; j++) {
      const rj = j * n;
      let s0 = a[r0 + j], s1 = a[r1 + j], s2 = a[r2 + j], s3 = a[r3 + j];
      for (let k = 0; k < j; k++) {
        const l = a[rj + k];
        s0 -= a[r0 + k] * l;
        s1 -= a[r1 + k] * l;
        s2 -= a[r2 + k] * l;
        s3 -= a[r3 + k] * l;
      }
      const d = a[rj + j];
      a[r0 + j] = s0 / d;
      a[r1 + j] = s1 / d;
      a[r2 + j] = s2 / d;
      a[r3 + j] = s3 / d;
    }
    // The 4 × 4 diagonal block, row by row.
    for (let t = 0; t < 4; t++) {
      const fail = finishRow(a, n, i + t, i, tol);
      if (fail) return fail;
    }
  }
  for (; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < i; j++) {
      const rj = j * n;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= a[ri + k] * a[rj + k];
      a[ri + j] = s / a[rj + j];
    }
    const fail = finishRow(a, n, i, i, tol);
    if (fail) return fail;
  }
  for (let r = 0; r < n; r++) for (let c = r + 1; c < n; c++) a[r * n + c] = 0;
  return undefined;
}

/** Completes row `row` of L: entries from column `from` up to the diagonal (earlier columns are done). */
function finishRow(a: Float64Array, n: number, row: number, from: number, tol: number): CholeskyFailure | undefined {
  const ri = row * n;
  for (let j = from; j < row; j++) {
    const rj = j * n;
    let s = a[ri + j];
    for (let k = 0; k < j; k++) s -= a[ri + k] * a[rj + k];
    a[ri + j] = s / a[rj + j];
  }
  let d = a[ri + row];
  for (let k = 0; k < row; k++) d -= a[ri + k] * a[ri + k];
  if (!(d > tol)) return { row, pivot: d, tolerance: tol };
  a[ri + row] = Math.sqrt(d);
  return undefined;
}

/**
 * Solves A x = r for each of the m rows r of `rhs` (m × n row-major) given the factor L of A from
 * {@link choleskyFactor}; returns X (m × n), row j = A⁻¹ r_j. Forward L y = r, then backward Lᵀ x = y; both sweeps
 * read L row by row ONCE for all m right-hand sides (the backward sweep as axpy updates), so L streams through the
 * cache twice in all rather than 2m times.
 */
export function choleskySolveRows(L: Float64Array, n: number, rhs: ArrayLike<number>, m: number): Float64Array {
  if (rhs.length !== m * n) throw new RangeError(`choleskySolveRows: expected ${m * n} right-hand-side entries, got ${rhs.length}`);
  const Y = Float64Array.from(rhs as ArrayLike<number>);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    const d = L[ri + i];
    for (let r = 0; r < m; r++) {
      const y = r * n;
      let s = Y[y + i];
      for (let k = 0; k < i; k++) s -= L[ri + k] * Y[y + k];
      Y[y + i] = s / d;
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * n;
    const d = L[ri + i];
    for (let r = 0; r < m; r++) {
      const y = r * n;
      const x = Y[y + i] / d;
      Y[y + i] = x;
      if (x === 0) continue;
      for (let k = 0; k < i; k++) Y[y + k] -= L[ri + k] * x;
    }
  }
  return Y;
}
