import type { FloatArray, KernelChunk, ProductEngine, SpreadKernelOutput, SpreadPlan } from '@ncscope/core';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { ONNX_DOUBLE, ONNX_FLOAT } from './graph-builder.js';
import { classSumsModel, matmulModel, matmulNTModel, spreadModel } from './kernel-models.js';
import { PairWorker } from './pair-worker.js';
import { decisionTieFactors, transposeInto } from '@ncscope/core';

/** Options of {@link createOnnxProductEngine}. */
export interface OnnxProductEngineOptions {
  /**
   * Threads for one kernel call. Default: every core the process may use (`os.availableParallelism()`).
   * onnxruntime's own default picked ONE thread on the 2-core machine this is measured on.
   */
  intraOpNumThreads?: number;
  /**
   * Let idle pool threads spin briefly instead of sleeping (default true). Without spinning the calling thread did
   * ~80 % of a parallel MatMul itself on 2 cores (the sleeping worker wakes too late); with it both cores share it.
   */
  spinning?: boolean;
  /** Execution providers, e.g. ['cuda'] for users who installed the CUDA binaries (default ['cpu']). */
  executionProviders?: string[];
  /**
   * Where the tiles of the report's K × K pair products are computed (`pairProducts`): `'auto'` (default) in a worker
   * thread for products of at least {@link PAIR_WORKER_MIN_WORK} multiply-adds, so the main thread's reductions of one
   * tile overlap the products of the next; `true` in the worker for every product of more than one tile; `false` on
   * the calling thread (each product then stops the JavaScript until it is done).
   */
  pairWorker?: boolean | 'auto';
}

/**
 * Multiply-adds of a pair product (K·Kz·D, halved when symmetric) from which `pairWorker: 'auto'` computes its tiles
 * in the worker: starting the worker costs ~0.1 s, about the reductions saved on a 4,096 × 4,096 product of D = 512.
 */
export const PAIR_WORKER_MIN_WORK = 2 ** 32;

type Precision = 'float32' | 'float64';

/**
 * Class sums: onnxruntime 1.30's multi-threaded ScatterND with reduction "add" races and loses rows (seen on
 * 4096 × 512 chunks), so each ScatterND runs single-threaded (intra-op 1) — and the chunk is split into one part per
 * core, scattered by separate nodes that a parallel executor runs side by side (inter-op threads = cores).
 */
const SUMS_PARTS = Math.max(1, Math.min(4, availableParallelism()));
const SUMS_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: SUMS_PARTS,
  executionMode: SUMS_PARTS > 1 ? 'parallel' : 'sequential',
};
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
    // Input shapes change with every chunk size; without a memory pattern the first run already settles the
    // allocations (with it, the first two runs of every session paid ~100 ms each on this machine).
    enableMemPattern: false,
    // No spin-waiting between kernel calls: the JavaScript work between calls needs the cores on a 2-core machine.
    extra: { session: { intra_op: { allow_spinning: options.spinning === false ? '0' : '1' }, inter_op: { allow_spinning: '0' } } },
    executionProviders: options.executionProviders ?? ['cpu'],
    intraOpNumThreads: options.intraOpNumThreads ?? availableParallelism(),
  };
  const sessions = new Map<string, Promise<ort.InferenceSession>>();
  const session = (key: string, bytes: () => Uint8Array, overrides: ort.InferenceSession.SessionOptions = {}) => {
    let s = sessions.get(key);
    if (!s) sessions.set(key, (s = ort.InferenceSession.create(bytes(), { ...sessionOptions, ...overrides })));
    return s;
  };
  const elem = (p: Precision) => (p === 'float64' ? ONNX_DOUBLE : ONNX_FLOAT);
  // Create one session eagerly so a broken onnxruntime install fails here, not mid-analysis: the float32 class-sums
  // kernel, the first one an analysis runs (one session creation in all; sessions are otherwise made on first use).
  await session('sums:float32', () => classSumsModel(ONNX_FLOAT, SUMS_PARTS), SUMS_OPTIONS);

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

  const pairMode = options.pairWorker ?? 'auto';
  if (pairMode !== true && pairMode !== false && pairMode !== 'auto') throw new TypeError(`pairWorker must be true, false or 'auto', got ${String(pairMode)}`);
  // Started on the first large pair product; undefined when onnxruntime cannot run in a worker (tiles then run here).
  let pairWorker: Promise<PairWorker | undefined> | undefined;

  return {
    name: 'onnxruntime',
    async matmul(a, b, m, k, n) {
      const p = precisionOf(a);
      const s = await session(`matmul:${p}`, () => matmulModel(elem(p)));
      const out = await s.run({ A: new ort.Tensor(p, a, [m, k]), B: new ort.Tensor(p, cast(b, p), [k, n]) });
      return out.C.data as FloatArray;
    },
    async matmulNT(a, b, m, k, n) {
      const p = precisionOf(a);
      const s = await session(`matmulNT:${p}`, () => matmulNTModel(elem(p)));
      const out = await s.run({ A: new ort.Tensor(p, a, [m, k]), B: new ort.Tensor(p, cast(b, p), [n, k]) });
      return out.C.data as FloatArray;
    },
    async classSums({ features, labels, start, rows, D, K }: KernelChunk) {
      const p = precisionOf(features);
      const s = await session(`sums:${p}`, () => classSumsModel(elem(p), SUMS_PARTS), SUMS_OPTIONS);
      const feeds: Feeds = {};
      for (let part = 0; part < SUMS_PARTS; part++) {
        const a = start + Math.floor((rows * part) / SUMS_PARTS);
        const b = start + Math.floor((rows * (part + 1)) / SUMS_PARTS);
        const y = new BigInt64Array(b - a);
        for (let i = a; i < b; i++) y[i - a] = BigInt(labels[i] as number);
        feeds[`H${part}`] = new ort.Tensor(p, features.subarray(a * D, b * D), [b - a, D]);
        feeds[`y${part}`] = new ort.Tensor('int64', y, [b - a, 1]);
        feeds[`Z${part}`] = new ort.Tensor('float64', new Float64Array(K * D), [K, D]);
      }
      const out = await s.run(feeds);
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
    async pairProducts(X, Z, K, Kz, D) {
      const work = (K * Kz * D) / (X === Z ? 2 : 1);
      if (pairMode === false || (pairMode === 'auto' && work < PAIR_WORKER_MIN_WORK)) return undefined;
      const worker = await (pairWorker ??= PairWorker.start(sessionOptions));
      return worker?.source(X, Z, D);
    },
    async dispose() {
      for (const s of sessions.values()) await (await s).release();
      sessions.clear();
      const worker = await pairWorker;
      pairWorker = undefined;
      await worker?.terminate();
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
    const Bm = make(D * K);
    transposeInto(shiftedMeans, K, D, Bm, K, 0);
    feeds.Bm = new ort.Tensor(p, Bm, [D, K]);
  }
  if (W && decisions) {
    const Bw = make(D * K);
    transposeInto(W, K, D, Bw, K, 0);
    feeds.Bw = new ort.Tensor(p, Bw, [D, K]);
  }
  if (quadratic) {
    const t = quadratic.rows;
    const Tt = make(m * t);
    transposeInto(quadratic.map, t, m, Tt, t, 0);
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
      const off = make(clf.offset.length);
      off.set(clf.offset);
      feeds.OFF = new ort.Tensor(p, off, space === 'means' ? [K, K] : [1, K]);
      const bias = make(K);
      bias.set(clf.bias);
      feeds.BIAS = new ort.Tensor(p, bias, [1, K]);
      // The tie bound of the classifier decisions (kernel-models.ts, core's decisionTieFactors): ‖anchor‖ per class
      // ('means': μ_k) or of the shift ('features'), and (D + 2)·ε·max‖w_k‖ with the ε of the graph's precision.
      const { maxWeightNorm, anchorNorms } = decisionTieFactors(plan);
      const AN = make(anchorNorms.length);
      AN.set(anchorNorms);
      feeds.AN = new ort.Tensor(p, AN, [AN.length, 1]);
      const epsilon = p === 'float64' ? Number.EPSILON : 2 ** -23;
      feeds.TC = new ort.Tensor(p, make(1).fill((D + 2) * epsilon * maxWeightNorm), [1, 1]);
      if (space === 'means') feeds.SHP = new ort.Tensor('int64', BigInt64Array.from([-1n, 1n]), [2]);
    }
  }
  return feeds;
}
