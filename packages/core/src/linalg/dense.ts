/** Small dense float64 helpers on row-major arrays. Sizes here are K × D or K × K, never N × anything. */

/** X Zᵀ for X (p × d) and Z (q × d), row-major: the p × q matrix of row inner products (float64). */
export function multiplyTransposed(x: ArrayLike<number>, z: ArrayLike<number>, p: number, q: number, d: number): Float64Array {
  const xs = x instanceof Float64Array ? x : Float64Array.from(x);
  const zs = z === x ? xs : z instanceof Float64Array ? z : Float64Array.from(z);
  return rowProducts(xs, zs, p, q, d, z === x);
}

/** Monomorphic kernel of {@link multiplyTransposed}: four partial sums per dot product; symmetric when x = z. */
function rowProducts(x: Float64Array, z: Float64Array, p: number, q: number, d: number, symmetric: boolean): Float64Array {
  const out = new Float64Array(p * q);
  const d4 = d - (d % 4);
  for (let i = 0; i < p; i++) {
    const xi = i * d;
    for (let j = symmetric ? i : 0; j < q; j++) {
      const zj = j * d;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let t = 0;
      for (; t < d4; t += 4) {
        s0 += x[xi + t] * z[zj + t];
        s1 += x[xi + t + 1] * z[zj + t + 1];
        s2 += x[xi + t + 2] * z[zj + t + 2];
        s3 += x[xi + t + 3] * z[zj + t + 3];
      }
      for (; t < d; t++) s0 += x[xi + t] * z[zj + t];
      const s = s0 + s1 + (s2 + s3);
      out[i * q + j] = s;
      if (symmetric) out[j * q + i] = s;
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
