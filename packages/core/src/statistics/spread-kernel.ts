import type { KernelChunk, ProductEngine, SpreadKernelOutput } from '../engine/product-engine.js';
import type { FloatArray } from '../types.js';
import type { SpreadReference } from './spread.js';

/** B = [M_s; W]ᵀ (D × K or D × 2K) in the features' precision, cached per reference and precision. */
const rightFactors = new WeakMap<SpreadReference, Map<string, FloatArray>>();
function productRight(ref: SpreadReference, weights: FloatArray | undefined, f64: boolean): FloatArray {
  let byType = rightFactors.get(ref);
  if (!byType) rightFactors.set(ref, (byType = new Map()));
  const key = `${f64}`;
  const cached = byType.get(key);
  if (cached) return cached;
  const { K, D, shiftedMeans } = ref;
  const cols = weights ? 2 * K : K;
  const B = f64 ? new Float64Array(D * cols) : new Float32Array(D * cols);
  for (let t = 0; t < D; t++) {
    for (let k = 0; k < K; k++) B[t * cols + k] = shiftedMeans[k * D + t];
    if (weights) for (let k = 0; k < K; k++) B[t * cols + K + k] = weights[k * D + t];
  }
  byType.set(key, B);
  return B;
}

/**
 * The portable spread kernel (and the reference for fused ones). For rows i of the chunk:
 *   r_i = h_i − μ_{y_i} (float64, then stored in the features' precision),  ‖r_i‖² in float64,
 *   [p_i, W r_i] = r_i [M_s; W]ᵀ on the engine,  Σ p_i p_iᵀ = Pᵀ P on the engine,
 *   NCC: argmin_k ‖h_i − μ_k‖² = argmin_k 2 (p_{i,y} − p_{i,k}) + ‖μ_y − μ_k‖² over classes with samples,
 *   classifier: argmax_k (W r_i)_k + w_k·μ_y + b_k (and without b_k).
 * Ties go to the lowest class index.
 */
export async function jsSpreadChunk(chunk: KernelChunk, ref: SpreadReference, weights: FloatArray | undefined, engine: ProductEngine): Promise<SpreadKernelOutput> {
  const { features, labels, start, rows, D, K } = chunk;
  const { means, pairDistSq, present, classifierOffset, classifierOffsetNoBias } = ref;
  const f64 = features instanceof Float64Array;
  const R = f64 ? new Float64Array(rows * D) : new Float32Array(rows * D);
  const rowSS = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const y = labels[start + i] as number;
    const src = (start + i) * D;
    const mu = y * D;
    let ss = 0;
    for (let t = 0; t < D; t++) {
      const r = features[src + t] - means[mu + t];
      R[i * D + t] = r;
      ss += r * r;
    }
    rowSS[i] = ss;
  }
  const cols = weights ? 2 * K : K;
  const Z = await engine.matmul(R, productRight(ref, weights, f64), rows, D, cols);
  const P = f64 ? new Float64Array(rows * K) : new Float32Array(rows * K);
  const Pt = f64 ? new Float64Array(rows * K) : new Float32Array(rows * K);
  const ncc = new Int32Array(rows);
  const clf = weights ? new Int32Array(rows) : undefined;
  const clfNoBias = weights ? new Int32Array(rows) : undefined;
  for (let i = 0; i < rows; i++) {
    const y = labels[start + i] as number;
    const zi = i * cols;
    for (let k = 0; k < K; k++) {
      const p = Z[zi + k];
      P[i * K + k] = p;
      Pt[k * rows + i] = p;
    }
    const py = Z[zi + y];
    let best = -1;
    let bestD = Infinity;
    for (let k = 0; k < K; k++) {
      if (!present[k]) continue;
      const d = 2 * (py - Z[zi + k]) + pairDistSq[y * K + k];
      if (d < bestD) { bestD = d; best = k; }
    }
    ncc[i] = best;
    if (clf && clfNoBias && classifierOffset && classifierOffsetNoBias) {
      let arg = 0;
      let argNb = 0;
      let bestZ = -Infinity;
      let bestZnb = -Infinity;
      for (let k = 0; k < K; k++) {
        const wr = Z[zi + K + k];
        const z = wr + classifierOffset[y * K + k];
        const znb = wr + classifierOffsetNoBias[y * K + k];
        if (z > bestZ) { bestZ = z; arg = k; }
        if (znb > bestZnb) { bestZnb = znb; argNb = k; }
      }
      clf[i] = arg;
      clfNoBias[i] = argNb;
    }
  }
  const projectedScatter = await engine.matmul(Pt, P, K, rows, K);
  return { rowSquaredNorms: rowSS, projectedScatter, ncc, classifier: clf, classifierNoBias: clfNoBias };
}
