import type { FloatArray } from '../types.js';

/**
 * The one heavy operation of the spread phase: a dense product C = A · B, all row-major,
 * A m × k, B k × n. Everything else in ncscope is O(N·D) or K-sized.
 *
 * Engines may run anywhere (plain JS, onnxruntime, a tfjs backend). They receive A in the
 * precision of the features (Float32Array or Float64Array) and B in the same type, and return
 * m × n in any float type. An engine may return a promise (GPU and native engines are async).
 */
export interface ProductEngine {
  /** Short name, recorded in reports ("js", "onnxruntime", "tfjs-wasm", …). */
  readonly name: string;
  matmul(a: FloatArray, b: FloatArray, m: number, k: number, n: number): FloatArray | Promise<FloatArray>;
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
