/**
 * Dense products in plain TypeScript, accumulated in float64: the portable engine's kernel (the K-sized algebra
 * falls back to it without onnxruntime).
 *
 * The kernel is C = A · Bᵀ with both operands row-major (every entry a dot product of two contiguous rows), in
 * register blocks of 2 rows of A × 4 rows of B (eight running sums per pass over a slice of 256 columns, six rows in
 * L1), so each loaded value feeds four or two multiply-adds. On the 2-core machine this project is measured on it ran
 * ~1–3.3 GFLOP/s (busy machine) against ~0.5–1.3 for an i-p-j loop once the operands outgrow the cache.
 */
const KB = 256;

/** C = A Bᵀ: A is m × k, B is n × k (row-major); C is m × n, float64. */
export function gemmNT(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  if (a.length < m * k || b.length < n * k) throw new RangeError(`gemmNT: expected A ${m}×${k} and B ${n}×${k}, got ${a.length} and ${b.length} values`);
  const A = a instanceof Float64Array ? a : Float64Array.from(a as ArrayLike<number>);
  const B = b === a ? A : b instanceof Float64Array ? b : Float64Array.from(b as ArrayLike<number>);
  const out = new Float64Array(m * n);
  for (let p0 = 0; p0 < k; p0 += KB) kernel(A, B, out, m, k, n, p0, Math.min(k, p0 + KB));
  return out;
}

/** C = A · B: A is m × k, B is k × n (row-major); C is m × n, float64. */
export function gemm(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  if (b.length < k * n) throw new RangeError(`gemm: expected B ${k}×${n}, got ${b.length} values`);
  const B = b instanceof Float64Array ? b : Float64Array.from(b as ArrayLike<number>);
  return gemmNT(a, transpose(B, k, n), m, k, n);
}

function kernel(A: Float64Array, B: Float64Array, out: Float64Array, m: number, k: number, n: number, p0: number, p1: number): void {
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const a0 = i * k;
    const a1 = a0 + k;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      const b0 = j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let p = p0; p < p1; p++) {
        const x0 = A[a0 + p];
        const x1 = A[a1 + p];
        const y0 = B[b0 + p], y1 = B[b1 + p], y2 = B[b2 + p], y3 = B[b3 + p];
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
      }
      const c0 = i * n + j;
      const c1 = c0 + n;
      out[c0] += s00; out[c0 + 1] += s01; out[c0 + 2] += s02; out[c0 + 3] += s03;
      out[c1] += s10; out[c1 + 1] += s11; out[c1 + 2] += s12; out[c1 + 3] += s13;
    }
    for (; j < n; j++) {
      const b0 = j * k;
      let s0 = 0, s1 = 0;
      for (let p = p0; p < p1; p++) {
        s0 += A[a0 + p] * B[b0 + p];
        s1 += A[a1 + p] * B[b0 + p];
      }
      out[i * n + j] += s0;
      out[(i + 1) * n + j] += s1;
    }
  }
  for (; i < m; i++) {
    const a0 = i * k;
    for (let j = 0; j < n; j++) {
      const b0 = j * k;
      let s = 0;
      for (let p = p0; p < p1; p++) s += A[a0 + p] * B[b0 + p];
      out[i * n + j] += s;
    }
  }
}

/** The transpose of a row-major rows × cols matrix (cols × rows), in the same element type for typed arrays. */
export function transpose<T extends Float32Array | Float64Array>(x: T, rows: number, cols: number): T {
  const out = new (x.constructor as { new (n: number): T })(rows * cols);
  const B = 32;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(rows, i0 + B);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(cols, j0 + B);
      for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) out[j * rows + i] = x[i * cols + j];
    }
  }
  return out;
}
