import type { FloatArray, LabelArray } from '../types.js';
import type { SpreadReference } from '../statistics/spread.js';

/** One chunk of rows handed to a fused kernel: rows [start, start + rows) of a batch. */
export interface KernelChunk {
  features: FloatArray;
  labels: LabelArray;
  start: number;
  rows: number;
  D: number;
  K: number;
}

/**
 * What a spread kernel returns for one chunk, with r_i = h_i − μ_{y_i} and p_i = M_s r_i:
 * per-row ‖r_i‖², Σ_i p_i p_iᵀ (K × K), the NCC decision per row, and with a classifier the
 * decisions argmax_k (W h_i + b)_k and argmax_k (W h_i)_k.
 */
export interface SpreadKernelOutput {
  rowSquaredNorms: ArrayLike<number>;
  projectedScatter: ArrayLike<number>;
  ncc: ArrayLike<number | bigint>;
  classifier?: ArrayLike<number | bigint>;
  classifierNoBias?: ArrayLike<number | bigint>;
}

/**
 * Where the heavy work of the statistics runs. The required operation is a dense product
 * C = A · B (row-major, A m × k, B k × n), in the precision of the features; it may return a promise.
 *
 * Engines may also provide fused kernels that do a whole chunk's O(rows · D) work natively; the
 * accumulators use them when present and fall back to plain TypeScript loops plus `matmul` otherwise
 * (the portable path, which is also the reference the fused kernels are tested against):
 * - `classSums`: Σ_{y_i = k} h_i over the chunk, K × D, accumulated in float64;
 * - `spreadChunk`: the spread-phase quantities of {@link SpreadKernelOutput}.
 */
export interface ProductEngine {
  /** Short name, recorded in reports ("js", "onnxruntime", "tfjs-wasm", …). */
  readonly name: string;
  matmul(a: FloatArray, b: FloatArray, m: number, k: number, n: number): FloatArray | Promise<FloatArray>;
  classSums?(chunk: KernelChunk): Promise<Float64Array>;
  spreadChunk?(chunk: KernelChunk, reference: SpreadReference, weights?: FloatArray): Promise<SpreadKernelOutput>;
  /** Release native resources (sessions, tensors). Optional. */
  dispose?(): void | Promise<void>;
}

/**
 * Portable engine in plain TypeScript: row-oriented i-p-j loops accumulating in float64.
 * About 1–2 GFLOP/s on one core; exact enough for float64 input (the reference for tests).
 */
export const jsEngine: ProductEngine = {
  name: 'js',
  matmul(a, b, m, k, n) {
    const out = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      const row = i * n;
      const ai = i * k;
      for (let p = 0; p < k; p++) {
        const av = a[ai + p];
        if (av === 0) continue;
        const bp = p * n;
        for (let j = 0; j < n; j++) out[row + j] += av * b[bp + j];
      }
    }
    return out;
  },
};
