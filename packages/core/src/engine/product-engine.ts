import type { FloatArray, LabelArray } from '../types.js';
import type { SpreadPlan } from './spread-plan.js';

/** One chunk of rows handed to a fused kernel: rows [start, start + rows) of a batch. */
export interface KernelChunk {
  features: FloatArray;
  /** Per row: the class (means phase) or the index of the row's residual centre in the plan (spread phase). */
  labels: LabelArray;
  start: number;
  rows: number;
  D: number;
  K: number;
}

/**
 * What a spread kernel returns for one chunk (see {@link SpreadPlan}): per-row ‖r_i‖², the chunk's scatter
 * Σ b_i b_iᵀ (m × m), per-row quadratic forms q_i (with a quadratic map), and with decisions the NCC decision per
 * row, argmax_k (W h_i + b)_k and argmax_k (W h_i)_k.
 */
export interface SpreadKernelOutput {
  rowSquaredNorms: ArrayLike<number>;
  scatter: ArrayLike<number>;
  quadratic?: ArrayLike<number>;
  ncc?: ArrayLike<number | bigint>;
  classifier?: ArrayLike<number | bigint>;
  classifierNoBias?: ArrayLike<number | bigint>;
}

/**
 * The engine's handle on the rows of one pair product X Zᵀ (from {@link ProductEngine.pairProducts}): tiles on
 * request, in float64, in any order; several may be requested before the first resolves.
 */
export interface PairProductSource {
  /** `values[i · cols + j]` = x_{rowStart+i} · z_{colStart+j}, float64 (the caller owns the array). */
  tile(rowStart: number, rows: number, colStart: number, cols: number): Promise<Float64Array>;
  /** Drops the engine's copy of the rows (after the last tile). */
  release(): void | Promise<void>;
}

/**
 * Where the heavy work runs: the product C = A · B (row-major, A m × k, B k × n). float32 inputs may be computed in
 * float32; float64 inputs must be computed in float64 (the K-sized algebra relies on it). It may return a promise.
 *
 * Engines may also provide fused kernels that do a whole chunk's O(rows · D) work natively; the accumulators use
 * them when present and fall back to plain TypeScript loops plus `matmul` otherwise (the portable path, which is
 * also the reference the fused kernels are tested against):
 * - `classSums`: Σ_{y_i = k} h_i over the chunk, K × D, accumulated in float64;
 * - `spreadChunk`: the spread-phase quantities of {@link SpreadKernelOutput} for a {@link SpreadPlan}.
 */
export interface ProductEngine {
  /** Short name, recorded in reports ("js", "onnxruntime", "tfjs-wasm", …). */
  readonly name: string;
  matmul(a: FloatArray, b: FloatArray, m: number, k: number, n: number): FloatArray | Promise<FloatArray>;
  /** Optional C = A · Bᵀ with B given n × k (row-major); without it callers transpose B and use `matmul`. */
  matmulNT?(a: FloatArray, b: FloatArray, m: number, k: number, n: number): FloatArray | Promise<FloatArray>;
  classSums?(chunk: KernelChunk): Promise<Float64Array>;
  spreadChunk?(chunk: KernelChunk, plan: SpreadPlan): Promise<SpreadKernelOutput>;
  /**
   * Optional: takes X (K × D) and Z (Kz × D; the same array for a symmetric product) once, for the many tiles of the
   * pair product X Zᵀ that the report streams (see {@link PairProductSource}). An engine may compute the tiles away
   * from the calling thread — the onnxruntime engine does, in a worker thread — so that the caller's work on one tile
   * overlaps the products of the next ones. May resolve to `undefined` to decline (the caller then uses `matmulNT`).
   */
  pairProducts?(X: Float64Array, Z: Float64Array, K: number, Kz: number, D: number): Promise<PairProductSource | undefined>;
  /** Release native resources (sessions, tensors). Optional. */
  dispose?(): void | Promise<void>;
}
