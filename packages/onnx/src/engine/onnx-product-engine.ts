import type { FloatArray, KernelChunk, ProductEngine, SpreadKernelOutput, SpreadPlan } from '@ncscope/core';
import * as ort from 'onnxruntime-node';
import { ONNX_DOUBLE, ONNX_FLOAT } from './graph-builder.js';
import { classSumsModel, matmulModel, spreadModel } from './kernel-models.js';

/** Options of {@link createOnnxProductEngine}. */
export interface OnnxProductEngineOptions {
  /** Threads for one kernel call (default: onnxruntime's choice, all cores). */
  intraOpNumThreads?: number;
  /** Execution providers, e.g. ['cuda'] for users who installed the CUDA binaries (default ['cpu']). */
  executionProviders?: string[];
}

type Precision = 'float32' | 'float64';
type Feeds = Record<string, ort.Tensor>;

/**
 * A {@link ProductEngine} on onnxruntime-node: the product, and fused `classSums` / `spreadChunk` kernels
 * that do a chunk's whole O(rows · D) work in native, multi-threaded code (see kernel-models.ts), so the
 * JavaScript side only touches O(rows) and K × K values. Sessions are created on first use per graph.
 * Measured figures: bench/core-analyze.bench.ts and the @ncscope/core README.
 */
export async function createOnnxProductEngine(options: OnnxProductEngineOptions = {}): Promise<ProductEngine> {
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    // No spin-waiting between kernel calls: the JavaScript work between calls needs the cores on a 2-core machine.
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    executionProviders: options.executionProviders ?? ['cpu'],
    ...(options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
  };
  const sessions = new Map<string, Promise<ort.InferenceSession>>();
  const session = (key: string, bytes: () => Uint8Array, overrides: ort.InferenceSession.SessionOptions = {}) => {
    let s = sessions.get(key);
    if (!s) sessions.set(key, (s = ort.InferenceSession.create(bytes(), { ...sessionOptions, ...overrides })));
    return s;
  };
  const elem = (p: Precision) => (p === 'float64' ? ONNX_DOUBLE : ONNX_FLOAT);
  // Create one session eagerly so a broken onnxruntime install fails here, not mid-analysis.
  await session('matmul:float32', () => matmulModel(ONNX_FLOAT));

  const constants = new WeakMap<SpreadPlan, Map<Precision, Feeds>>();
  const spreadConstants = (plan: SpreadPlan, p: Precision): Feeds => {
    let byPrecision = constants.get(plan);
    if (!byPrecision) constants.set(plan, (byPrecision = new Map()));
    const cached = byPrecision.get(p);
    if (cached) return cached;
    const feeds = buildSpreadConstants(plan, p);
    byPrecision.set(p, feeds);
    return feeds;
  };

  return {
    name: 'onnxruntime',
    async matmul(a, b, m, k, n) {
      const p = precisionOf(a);
      const s = await session(`matmul:${p}`, () => matmulModel(elem(p)));
      const out = await s.run({ A: new ort.Tensor(p, a, [m, k]), B: new ort.Tensor(p, cast(b, p), [k, n]) });
      return out.C.data as FloatArray;
    },
    async classSums({ features, labels, start, rows, D, K }: KernelChunk) {
      const p = precisionOf(features);
      // One thread: onnxruntime 1.30's parallel ScatterND with reduction "add" races and loses rows
      // (seen on 4096 × 512 chunks); a sequential scatter-add is exact and still O(rows · D) native work.
      const s = await session(`sums:${p}`, () => classSumsModel(elem(p)), { intraOpNumThreads: 1, interOpNumThreads: 1 });
      const y = new BigInt64Array(rows);
      for (let i = 0; i < rows; i++) y[i] = BigInt(labels[start + i] as number);
      const out = await s.run({
        H: new ort.Tensor(p, features.subarray(start * D, (start + rows) * D), [rows, D]),
        y2: new ort.Tensor('int64', y, [rows, 1]),
        Z: new ort.Tensor('float64', new Float64Array(K * D), [K, D]),
      });
      return out.S.data as Float64Array;
    },
    async spreadChunk(chunk: KernelChunk, plan: SpreadPlan): Promise<SpreadKernelOutput> {
      const { features, labels, start, rows, D } = chunk;
      const p = precisionOf(features);
      const graph = { space: plan.space, decisions: plan.decisions !== undefined, classifier: plan.decisions?.classifier !== undefined, quadratic: plan.quadratic !== undefined };
      const s = await session(`spread:${p}:${graph.space}:${+graph.decisions}${+graph.classifier}${+graph.quadratic}`, () => spreadModel(elem(p), graph));
      const c = new BigInt64Array(rows);
      for (let i = 0; i < rows; i++) c[i] = BigInt(labels[start + i] as number);
      const feeds: Feeds = {
        ...spreadConstants(plan, p),
        H: new ort.Tensor(p, features.subarray(start * D, (start + rows) * D), [rows, D]),
        c: new ort.Tensor('int64', c, [rows]),
      };
      if (graph.decisions && graph.space === 'means') feeds.c2 = new ort.Tensor('int64', c, [rows, 1]);
      const out = await s.run(feeds);
      return {
        rowSquaredNorms: out.SS.data as FloatArray,
        scatter: out.S.data as FloatArray,
        quadratic: graph.quadratic ? (out.Q.data as FloatArray) : undefined,
        ncc: graph.decisions ? (out.NCC.data as BigInt64Array) : undefined,
        classifier: graph.classifier ? (out.CLF.data as BigInt64Array) : undefined,
        classifierNoBias: graph.classifier ? (out.CLFNB.data as BigInt64Array) : undefined,
      };
    },
    async dispose() {
      for (const s of sessions.values()) await (await s).release();
      sessions.clear();
    },
  };
}

function precisionOf(a: FloatArray): Precision {
  return a instanceof Float64Array ? 'float64' : 'float32';
}

function cast(x: FloatArray, p: Precision): FloatArray {
  if (p === 'float64') return x instanceof Float64Array ? x : Float64Array.from(x);
  return x instanceof Float32Array ? x : Float32Array.from(x);
}

/** The per-plan inputs of the spread graph (see kernel-models.ts), in the features' precision. */
function buildSpreadConstants(plan: SpreadPlan, p: Precision): Feeds {
  const { K, D, J, m, centres, shiftedMeans, shift, decisions, quadratic, space } = plan;
  const make = (n: number) => (p === 'float64' ? new Float64Array(n) : new Float32Array(n));
  /** A float64 array as one tensor (float64) or a float32 hi + lo pair: x = hi + lo to ~2⁻⁴⁸ relative. */
  const split = (x: Float64Array, dims: number[], hiName: string, loName: string, feeds: Feeds) => {
    const hi = make(x.length);
    hi.set(x);
    feeds[hiName] = new ort.Tensor(p, hi, dims);
    if (p === 'float32') {
      const lo = make(x.length);
      for (let i = 0; i < lo.length; i++) lo[i] = x[i] - hi[i];
      feeds[loName] = new ort.Tensor(p, lo, dims);
    }
  };
  const feeds: Feeds = {};
  split(centres, [J, D], 'Chi', 'Clo', feeds);
  const W = decisions?.classifier?.weights;
  if (space === 'means' || decisions) {
    // B = [M_sᵀ Wᵀ] (D × 2K) with a classifier, else M_sᵀ (D × K).
    const cols = W ? 2 * K : K;
    const B = make(D * cols);
    for (let k = 0; k < K; k++) for (let t = 0; t < D; t++) B[t * cols + k] = shiftedMeans[k * D + t];
    if (W) for (let k = 0; k < K; k++) for (let t = 0; t < D; t++) B[t * cols + K + k] = W[k * D + t];
    feeds.B = new ort.Tensor(p, B, [D, cols]);
  }
  if (quadratic) {
    const t = quadratic.rows;
    const Tt = make(m * t);
    for (let r = 0; r < t; r++) for (let i = 0; i < m; i++) Tt[i * t + r] = quadratic.map[r * m + i];
    feeds.Tt = new ort.Tensor(p, Tt, [m, t]);
  }
  if (decisions) {
    const { present } = decisions;
    if (space === 'means') {
      const PD = make(K * K);
      const pd = decisions.pairDistSq!;
      for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) PD[a * K + b] = present[b] ? pd[a * K + b] : Infinity;
      feeds.PD = new ort.Tensor(p, PD, [K, K]);
    } else {
      split(shift, [1, D], 'Shi', 'Slo', feeds);
      const MSQ = make(K);
      for (let k = 0; k < K; k++) MSQ[k] = present[k] ? decisions.meanSqNorms![k] : Infinity;
      feeds.MSQ = new ort.Tensor(p, MSQ, [1, K]);
    }
    const clf = decisions.classifier;
    if (clf) {
      const bound = (v: number) => new ort.Tensor('int64', BigInt64Array.of(BigInt(v)), [1]);
      Object.assign(feeds, { k0: bound(0), k1: bound(K), k2: bound(2 * K), ax: bound(1) });
      const dims = space === 'means' ? [K, K] : [1, K];
      const off = make(clf.offset.length);
      off.set(clf.offset);
      const offNb = make(clf.offsetNoBias.length);
      offNb.set(clf.offsetNoBias);
      feeds.OFF = new ort.Tensor(p, off, dims);
      feeds.OFFNB = new ort.Tensor(p, offNb, dims);
    }
  }
  return feeds;
}
