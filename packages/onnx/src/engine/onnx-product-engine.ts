import type { FloatArray, ProductEngine } from '@ncscope/core';
import * as ort from 'onnxruntime-node';
import { matmulModel, ONNX_DOUBLE, ONNX_FLOAT } from './matmul-model.js';

/** Options of {@link createOnnxProductEngine}. */
export interface OnnxProductEngineOptions {
  /** Threads for one product (default: onnxruntime's choice, all cores). */
  intraOpNumThreads?: number;
  /** Execution providers, e.g. ['cuda'] for users who installed the CUDA binaries (default ['cpu']). */
  executionProviders?: string[];
}

/**
 * A {@link ProductEngine} running C = A · B in onnxruntime-node (MLAS kernels, multi-threaded).
 * Float32 features use a float session, float64 a double session (created on first use).
 * Measured on a 2-core machine: roughly 100–200 GFLOP/s float32 for the spread-phase shapes,
 * against ~1.5 for the portable JS engine (see bench/core-analyze.bench.ts).
 */
export async function createOnnxProductEngine(options: OnnxProductEngineOptions = {}): Promise<ProductEngine> {
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    executionProviders: options.executionProviders ?? ['cpu'],
    ...(options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
  };
  const sessions = new Map<number, Promise<ort.InferenceSession>>();
  const session = (elemType: number) => {
    let s = sessions.get(elemType);
    if (!s) {
      s = ort.InferenceSession.create(matmulModel(elemType), sessionOptions);
      sessions.set(elemType, s);
    }
    return s;
  };
  // Create the float session eagerly so a broken onnxruntime install fails here, not mid-analysis.
  await session(ONNX_FLOAT);
  return {
    name: 'onnxruntime',
    async matmul(a: FloatArray, b: FloatArray, m: number, k: number, n: number): Promise<FloatArray> {
      const f64 = a instanceof Float64Array;
      const type = f64 ? 'float64' : 'float32';
      const s = await session(f64 ? ONNX_DOUBLE : ONNX_FLOAT);
      const A = new ort.Tensor(type, a, [m, k]);
      const B = new ort.Tensor(type, f64 ? toF64(b) : toF32(b), [k, n]);
      const out = await s.run({ A, B });
      const C = out.C;
      const data = C.data as FloatArray;
      C.dispose();
      return data;
    },
    async dispose() {
      for (const s of sessions.values()) await (await s).release();
      sessions.clear();
    },
  };
}

const toF32 = (x: FloatArray) => (x instanceof Float32Array ? x : Float32Array.from(x));
const toF64 = (x: FloatArray) => (x instanceof Float64Array ? x : Float64Array.from(x));
