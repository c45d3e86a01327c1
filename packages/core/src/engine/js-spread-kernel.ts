import { transpose, transposeInto } from '../linalg/gemm.js';
import type { FloatArray } from '../types.js';
import type { KernelChunk, ProductEngine, SpreadKernelOutput } from './product-engine.js';
import { decisionTieFactors, type SpreadPlan } from './spread-plan.js';

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;

/** Right-hand factors of a plan in one precision, built once per plan. */
interface Factors {
  /** [M_s; W]ᵀ or M_sᵀ: D × cols (decisions) or D × K ('means' space, coordinates only). */
  right?: FloatArray;
  cols: number;
  /** Tᵀ (m × t) of the quadratic map. */
  quadT?: FloatArray;
  /** max_k ‖w_k‖ (with a classifier): scales the rounding bound of the logits (see {@link decide}). */
  maxWeightNorm: number;
  /** ‖c‖ of the point the rows are taken relative to in Z: per class μ_y ('means'), or the shift s ('features'). */
  anchorNorms: Float64Array;
}
const cache = new WeakMap<SpreadPlan, Map<Ctor, Factors>>();

function factors(plan: SpreadPlan, T: Ctor): Factors {
  let byType = cache.get(plan);
  if (!byType) cache.set(plan, (byType = new Map()));
  const hit = byType.get(T);
  if (hit) return hit;
  const { K, D, shiftedMeans, decisions, quadratic, space } = plan;
  const W = decisions?.classifier?.weights;
  const needRight = decisions !== undefined || space === 'means';
  const cols = needRight ? (W ? 2 * K : K) : 0;
  let right: FloatArray | undefined;
  if (needRight) {
    right = new T(D * cols);
    transposeInto(shiftedMeans, K, D, right, cols, 0);
    if (W) transposeInto(W, K, D, right, cols, K);
  }
  const quadT = quadratic ? transpose(T.from(quadratic.map), quadratic.rows, plan.m) : undefined;
  const { maxWeightNorm, anchorNorms } = decisionTieFactors(plan);
  const f: Factors = { right, cols, quadT, maxWeightNorm, anchorNorms };
  byType.set(T, f);
  return f;
}

/**
 * The portable spread kernel (and the reference the fused ones are tested against): see {@link SpreadPlan} for what
 * it computes. Everything in float64 — residuals, the plan's factors, the products (`engine.matmul` on float64
 * operands) and the decisions — whatever the features' precision, so float32 features give the float64 statistics of
 * their values (the fused float32 kernels agree with it to float32 precision). Ties go to the lowest class index.
 */
export async function jsSpreadChunk(chunk: KernelChunk, plan: SpreadPlan, engine: ProductEngine): Promise<SpreadKernelOutput> {
  const { features, labels, start, rows, D } = chunk;
  const { K, space, m, centres, decisions, shift } = plan;
  const T: Ctor = Float64Array;
  const f = factors(plan, T);
  const R = new T(rows * D);
  const rowSS = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const c = (labels[start + i] as number) * D;
    const src = (start + i) * D;
    let ss = 0;
    for (let t = 0; t < D; t++) {
      const r = features[src + t] - centres[c + t];
      R[i * D + t] = r;
      ss += r * r;
    }
    rowSS[i] = ss;
  }
  // Z: 'means' space — R [M_s; W]ᵀ (its first K columns are the coordinates p = M_s r); 'features' space with
  // decisions — X [M_s; W]ᵀ with X = H − s.
  let Z: FloatArray | undefined;
  let xNorms: Float64Array | undefined;
  if (space === 'means') {
    Z = await engine.matmul(R, f.right!, rows, D, f.cols);
  } else if (decisions) {
    const X = new T(rows * D);
    xNorms = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const src = (start + i) * D;
      let ss = 0;
      for (let t = 0; t < D; t++) {
        const x = features[src + t] - shift[t];
        X[i * D + t] = x;
        ss += x * x;
      }
      xNorms[i] = Math.sqrt(ss);
    }
    Z = await engine.matmul(X, f.right!, rows, D, f.cols);
  }
  // B: the rows' coordinates in the scatter space, rows × m.
  let B: FloatArray = R;
  if (space === 'means') {
    B = f.cols === K ? Z! : new T(rows * K);
    if (B !== Z) for (let i = 0; i < rows; i++) for (let k = 0; k < K; k++) B[i * K + k] = Z![i * f.cols + k];
  }
  const Bt = transpose(B as Float32Array | Float64Array, rows, m);
  const scatter = engine.matmulNT ? await engine.matmulNT(Bt, Bt, m, rows, m) : await engine.matmul(Bt, B, m, rows, m);
  const out: SpreadKernelOutput = { rowSquaredNorms: rowSS, scatter };
  if (plan.quadratic) {
    const t = plan.quadratic.rows;
    const Qv = await engine.matmul(B, f.quadT!, rows, m, t);
    const q = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < t; j++) s += Qv[i * t + j] * Qv[i * t + j];
      q[i] = s;
    }
    out.quadratic = q;
  }
  if (decisions && Z) Object.assign(out, decide(Z, f.cols, chunk, plan, f, xNorms ?? Float64Array.from(rowSS, Math.sqrt)));
  return out;
}

/**
 * NCC and classifier decisions from Z (rows × cols) for the plan's space.
 *
 * Classifier scores are assembled as w_k·x + w_k·c (x = the row relative to an anchor c: its class mean, or the
 * shift), so where the network's own W h ties exactly — e.g. a feature row of zeros after a dead ReLU, where every
 * no-bias score is exactly 0 — the assembled scores differ by rounding. Scores within the rounding bound of the best,
 * (D + 2)·ε·max‖w_k‖·(‖x‖ + ‖c‖), count as ties: the decision is the lowest class index whose score is within that
 * bound of the best, as argmax does on exact ties (the device's and PyTorch's rule), so every path takes the same
 * decisions (the onnxruntime graph applies the same rule with the ε of its precision).
 */
function decide(Z: FloatArray, cols: number, chunk: KernelChunk, plan: SpreadPlan, f: Factors, xNorms: Float64Array): Pick<SpreadKernelOutput, 'ncc' | 'classifier' | 'classifierNoBias'> {
  const { labels, start, rows } = chunk;
  const { K, space } = plan;
  const d = plan.decisions!;
  const present = d.present;
  const clfT = d.classifier;
  const ncc = new Int32Array(rows);
  const clf = clfT ? new Int32Array(rows) : undefined;
  const clfNb = clfT ? new Int32Array(rows) : undefined;
  const means = space === 'means';
  for (let i = 0; i < rows; i++) {
    const y = labels[start + i] as number;
    const zi = i * cols;
    let best = -1;
    let bestD = Infinity;
    if (means) {
      const py = Z[zi + y];
      const pd = d.pairDistSq!;
      for (let k = 0; k < K; k++) {
        if (!present[k]) continue;
        const dist = 2 * (py - Z[zi + k]) + pd[y * K + k];
        if (dist < bestD) { bestD = dist; best = k; }
      }
    } else {
      const sq = d.meanSqNorms!;
      for (let k = 0; k < K; k++) {
        if (!present[k]) continue;
        const dist = sq[k] - 2 * Z[zi + k];
        if (dist < bestD) { bestD = dist; best = k; }
      }
    }
    ncc[i] = best;
    if (clfT && clf && clfNb) {
      const off = clfT.offset;
      const offNb = clfT.offsetNoBias;
      const o = means ? y * K : 0;
      const tol = (plan.D + 2) * Number.EPSILON * f.maxWeightNorm * (xNorms[i] + f.anchorNorms[means ? y : 0]);
      // The lowest index whose score is within tol of the best (the onnxruntime graph takes the same rule).
      let bestZ = -Infinity, bestZnb = -Infinity;
      for (let k = 0; k < K; k++) {
        const wr = Z[zi + K + k];
        bestZ = Math.max(bestZ, wr + off[o + k]);
        bestZnb = Math.max(bestZnb, wr + offNb[o + k]);
      }
      let arg = -1, argNb = -1;
      for (let k = 0; k < K && (arg < 0 || argNb < 0); k++) {
        const wr = Z[zi + K + k];
        if (arg < 0 && wr + off[o + k] >= bestZ - tol) arg = k;
        if (argNb < 0 && wr + offNb[o + k] >= bestZnb - tol) argNb = k;
      }
      clf[i] = arg;
      clfNb[i] = argNb;
    }
  }
  return { ncc, classifier: clf, classifierNoBias: clfNb };
}
