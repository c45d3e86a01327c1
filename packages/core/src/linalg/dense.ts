/** Small dense float64 helpers on row-major arrays. Sizes here are K × D or K × K, never N × anything. */

/** X Zᵀ for X (p × d) and Z (q × d), row-major: the p × q matrix of row inner products. */
export function multiplyTransposed(x: ArrayLike<number>, z: ArrayLike<number>, p: number, q: number, d: number): Float64Array {
  const out = new Float64Array(p * q);
  for (let i = 0; i < p; i++) {
    const xi = i * d;
    for (let j = 0; j < q; j++) {
      const zj = j * d;
      let s = 0;
      for (let t = 0; t < d; t++) s += x[xi + t] * z[zj + t];
      out[i * q + j] = s;
    }
  }
  return out;
}

/** Frobenius norm of a dense array. */
export function frobeniusNorm(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

/** Sample mean and standard deviation (n − 1 in the denominator). */
export function meanAndStd(values: ArrayLike<number>): { mean: number; std: number } {
  const n = values.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += values[i];
  m /= n;
  let s = 0;
  for (let i = 0; i < n; i++) s += (values[i] - m) ** 2;
  return { mean: m, std: n > 1 ? Math.sqrt(s / (n - 1)) : 0 };
}

/** Norms of the rows of a p × d matrix. */
export function rowNorms(x: ArrayLike<number>, p: number, d: number): Float64Array {
  const out = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += x[i * d + t] ** 2;
    out[i] = Math.sqrt(s);
  }
  return out;
}
