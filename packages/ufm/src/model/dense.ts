/**
 * The few dense products the UFM needs, on row-major float64 arrays. Loops run along rows (i, then k, then the
 * contiguous inner index), so every inner loop reads memory in order.
 */

/** C (m × n) += α · A Bᵀ with A m × d and B n × d (rows of A against rows of B). */
export function addABt(A: ArrayLike<number>, B: ArrayLike<number>, C: Float64Array, m: number, n: number, d: number, alpha = 1, ao = 0, bo = 0, co = 0): void {
  for (let i = 0; i < m; i++) {
    const a = ao + i * d;
    for (let j = 0; j < n; j++) {
      const b = bo + j * d;
      let s = 0;
      for (let t = 0; t < d; t++) s += A[a + t] * B[b + t];
      C[co + i * n + j] += alpha * s;
    }
  }
}

/** C (p × q) += α · Aᵀ B with A m × p and B m × q. */
export function addAtB(A: ArrayLike<number>, B: ArrayLike<number>, C: Float64Array, m: number, p: number, q: number, alpha = 1, ao = 0, bo = 0, co = 0): void {
  for (let i = 0; i < m; i++) {
    const a = ao + i * p;
    const b = bo + i * q;
    for (let r = 0; r < p; r++) {
      const s = alpha * A[a + r];
      if (s === 0) continue;
      const c = co + r * q;
      for (let t = 0; t < q; t++) C[c + t] += s * B[b + t];
    }
  }
}

/** C (m × q) += α · A B with A m × p and B p × q. */
export function addAB(A: ArrayLike<number>, B: ArrayLike<number>, C: Float64Array, m: number, p: number, q: number, alpha = 1, ao = 0, bo = 0, co = 0): void {
  for (let i = 0; i < m; i++) {
    const c = co + i * q;
    for (let r = 0; r < p; r++) {
      const s = alpha * A[ao + i * p + r];
      if (s === 0) continue;
      const b = bo + r * q;
      for (let t = 0; t < q; t++) C[c + t] += s * B[b + t];
    }
  }
}

/** Σ x_i y_i over [o, o + n) of both arrays. */
export function dot(x: ArrayLike<number>, y: ArrayLike<number>, n = x.length, xo = 0, yo = 0): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[xo + i] * y[yo + i];
  return s;
}

/** Σ x_i² over [o, o + n). */
export function squaredNorm(x: ArrayLike<number>, o = 0, n = x.length - o): number {
  let s = 0;
  for (let i = o; i < o + n; i++) s += x[i] * x[i];
  return s;
}
