/**
 * Float64 dense algebra on a {@link ProductEngine}: the O(K²D) and O(K³) steps of the metrics run here as large
 * products (onnxruntime's double MatMul where present, the blocked TypeScript kernel otherwise). Only O(n²) glue and
 * small diagonal blocks stay in plain loops.
 */
import { choleskyFactor, type CholeskyFailure } from '../linalg/cholesky.js';
import { transpose } from '../linalg/gemm.js';
import type { ProductEngine } from './product-engine.js';

const toF64 = (x: ArrayLike<number>): Float64Array => (x instanceof Float64Array ? x : Float64Array.from(x as ArrayLike<number>));

/** C = A · B in float64 (A m × k, B k × n). */
export async function multiply(engine: ProductEngine, a: Float64Array, b: Float64Array, m: number, k: number, n: number): Promise<Float64Array> {
  if (m === 0 || n === 0) return new Float64Array(m * n);
  if (k === 0) return new Float64Array(m * n);
  return toF64(await engine.matmul(a, b, m, k, n));
}

/** C = A · Bᵀ in float64 (A m × k, B n × k): the engine's `matmulNT` when it has one, else a transpose and `matmul`. */
export async function multiplyNT(engine: ProductEngine, a: Float64Array, b: Float64Array, m: number, k: number, n: number): Promise<Float64Array> {
  if (m === 0 || n === 0 || k === 0) return new Float64Array(m * n);
  if (engine.matmulNT) return toF64(await engine.matmulNT(a, b, m, k, n));
  return toF64(await engine.matmul(a, transpose(b, n, k), m, k, n));
}

/** Xᵀ X (D × D) for X (K × D): the Gram matrix of the columns, symmetrised exactly. */
export async function columnGram(engine: ProductEngine, x: Float64Array, K: number, D: number): Promise<Float64Array> {
  const g = await multiply(engine, transpose(x, K, D), x, D, K, D);
  return symmetrize(g, D);
}

/** X Xᵀ (K × K) for X (K × D), symmetrised exactly. */
export async function rowGram(engine: ProductEngine, x: Float64Array, K: number, D: number): Promise<Float64Array> {
  return symmetrize(await multiplyNT(engine, x, x, K, D, K), K);
}

/** Replaces g by (g + gᵀ)/2 (n × n) and returns it. */
export function symmetrize(g: Float64Array, n: number): Float64Array {
  for (let a = 0; a < n; a++)
    for (let b = a + 1; b < n; b++) {
      const v = 0.5 * (g[a * n + b] + g[b * n + a]);
      g[a * n + b] = v;
      g[b * n + a] = v;
    }
  return g;
}

/** Below this size the recursive factorisation runs in plain loops (the engine's call overhead would dominate). */
const LEAF = 96;

/** L and L⁻¹ of a symmetric positive-definite A = L Lᵀ (both lower triangular, n × n row-major), or the failure. */
export interface CholeskyInverse {
  L: Float64Array;
  Linv: Float64Array;
}

/**
 * Cholesky factor and its inverse by recursive blocking: with A = [A11 A12; A21 A22],
 *   L11 = chol(A11),  L21 = A21 L11⁻ᵀ,  L22 = chol(A22 − L21 L21ᵀ),  (L⁻¹)21 = −L22⁻¹ (L21 L11⁻¹),
 * so all but the small diagonal leaves are products on the engine (≈ n³ flops in all, against n³/3 for the factor
 * alone: the inverse comes almost free). A pivot ≤ tol (absolute; default n·ε·max A_ii) fails the factorisation:
 * the returned {@link CholeskyFailure} names the row.
 */
export async function choleskyWithInverse(engine: ProductEngine, a: ArrayLike<number>, n: number, tol?: number): Promise<CholeskyInverse | CholeskyFailure> {
  if (a.length !== n * n) throw new RangeError(`choleskyWithInverse: expected ${n * n} entries, got ${a.length}`);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(a[i * n + i]));
  const t = tol ?? n * Number.EPSILON * maxDiag;
  return recurse(engine, toF64(a).slice(), n, t, 0);
}

async function recurse(engine: ProductEngine, a: Float64Array, n: number, tol: number, offset: number): Promise<CholeskyInverse | CholeskyFailure> {
  if (n <= LEAF) return leaf(a, n, tol, offset);
  const n1 = Math.ceil(n / 2 / 16) * 16;
  const n2 = n - n1;
  const A11 = block(a, n, 0, 0, n1, n1);
  const A21 = block(a, n, n1, 0, n2, n1);
  const A22 = block(a, n, n1, n1, n2, n2);
  const top = await recurse(engine, A11, n1, tol, offset);
  if (!('L' in top)) return top;
  const L21 = await multiplyNT(engine, A21, top.Linv, n2, n1, n1);
  const S = await multiplyNT(engine, L21, L21, n2, n1, n2);
  for (let i = 0; i < n2 * n2; i++) S[i] = A22[i] - S[i];
  symmetrize(S, n2);
  const bottom = await recurse(engine, S, n2, tol, offset + n1);
  if (!('L' in bottom)) return bottom;
  const T1 = await multiply(engine, L21, top.Linv, n2, n1, n1);
  const X21 = await multiply(engine, bottom.Linv, T1, n2, n2, n1);
  const L = new Float64Array(n * n);
  const Linv = new Float64Array(n * n);
  put(L, n, 0, 0, top.L, n1, n1);
  put(L, n, n1, 0, L21, n2, n1);
  put(L, n, n1, n1, bottom.L, n2, n2);
  put(Linv, n, 0, 0, top.Linv, n1, n1);
  for (let i = 0; i < X21.length; i++) X21[i] = -X21[i];
  put(Linv, n, n1, 0, X21, n2, n1);
  put(Linv, n, n1, n1, bottom.Linv, n2, n2);
  return { L, Linv };
}

function leaf(a: Float64Array, n: number, tol: number, offset: number): CholeskyInverse | CholeskyFailure {
  const L = a.slice();
  // choleskyFactor's tolerance is relative to the leaf's largest diagonal entry: convert the absolute one.
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(L[i * n + i]));
  const fail = choleskyFactor(L, n, maxDiag > 0 ? tol / maxDiag : 0);
  if (fail) return { row: fail.row + offset, pivot: fail.pivot, tolerance: tol };
  return { L, Linv: lowerInverse(L, n) };
}

/** Inverse of a lower-triangular n × n matrix by forward substitution, column by column (lower triangular). */
export function lowerInverse(L: Float64Array, n: number): Float64Array {
  const X = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    X[j * n + j] = 1 / L[j * n + j];
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      const li = i * n;
      for (let k = j; k < i; k++) s += L[li + k] * X[k * n + j];
      X[li + j] = -s / L[li + i];
    }
  }
  return X;
}

/** Copy of the rows × cols block at (r0, c0) of an n-column row-major matrix. */
export function block(a: Float64Array, n: number, r0: number, c0: number, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) out.set(a.subarray((r0 + i) * n + c0, (r0 + i) * n + c0 + cols), i * cols);
  return out;
}

/** Writes a rows × cols block into an n-column row-major matrix at (r0, c0). */
export function put(a: Float64Array, n: number, r0: number, c0: number, src: Float64Array, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++) a.set(src.subarray(i * cols, (i + 1) * cols), (r0 + i) * n + c0);
}

export type { CholeskyFailure };
