import { NcInputError, SpreadAccumulator, type Classifier, type MeansStatistics, type SpreadStatistics } from '@ncscope/core';
import * as tf from '@tensorflow/tfjs-core';
import type { ProbeBatch } from '../probe/probe.js';

/**
 * The two phases of ncscope's statistics computed with tfjs ops on the backend in use (cpu, wasm, webgl, tfjs-node,
 * tfjs-node-gpu), so features never leave the device: per probe batch only K × D (phase 1) and K × K (phase 2)
 * results are downloaded, then summed in float64 in JS. On-device arithmetic is float32.
 *
 * Products are written with explicitly transposed operands (`matMul(a, b)` after `tf.transpose`), because the wasm
 * backend's fast XNNPACK path only takes untransposed operands (`matMul(a, b, true)` ran ~40× slower there).
 */

/** Stands for +∞ in the NCC distance table (any real squared distance between float32 means is far below it). */
const ABSENT = 3e38;

/** A classifier for the device phase: the live kernel (D × K, tfjs layout), optional bias, and the core's copy (K × D). */
export interface DeviceClassifier {
  kernel: tf.Tensor;
  bias?: tf.Tensor;
  core: Classifier;
}

/** Copies a Dense layer's kernel (D × K) and bias into the core's layout: weights K × D row-major (W = kernelᵀ). */
export async function toCoreClassifier(kernel: tf.Tensor, bias?: tf.Tensor): Promise<Classifier> {
  const [D, K] = kernel.shape as [number, number];
  const k = (await kernel.data()) as Float32Array;
  const weights = new Float32Array(K * D);
  for (let t = 0; t < D; t++) for (let c = 0; c < K; c++) weights[c * D + t] = k[t * K + c];
  if (!bias) return { weights };
  return { weights, bias: Float32Array.from((await bias.data()) as Float32Array) };
}

/**
 * Phase 1: per-class counts (from the JS labels, exact) and sums Σ_{y_i=k} h_i = Yᵀ H per batch (Y the n × K one-hot
 * labels), downloaded and added in float64. Non-finite features are reported as a NON_FINITE error naming the layer.
 */
export async function deviceMeans(features: tf.Tensor2D[], batches: ProbeBatch[], K: number, layer: string): Promise<MeansStatistics> {
  const D = features[0].shape[1];
  const counts = new Float64Array(K);
  const sums = new Float64Array(K * D);
  const parts = batches.map((b, i) => tf.tidy(() => tf.matMul(b.oneHotT, features[i])));
  try {
    const data = await Promise.all(parts.map((p) => p.data()));
    for (const d of data) for (let j = 0; j < d.length; j++) sums[j] += d[j];
  } finally {
    tf.dispose(parts);
  }
  for (const b of batches) for (const y of b.labels) counts[y] += 1;
  for (let j = 0; j < sums.length; j++) {
    if (!Number.isFinite(sums[j])) {
      throw new NcInputError('NON_FINITE', `features of layer "${layer}" contain NaN or ±Inf (class ${Math.floor(j / D)}, feature ${j % D}); training may have diverged`, { label: Math.floor(j / D), column: j % D, source: layer });
    }
  }
  return { K, D, counts, sums };
}

/**
 * Phase 2 on device against the phase-1 means, following core's `SpreadAccumulator` (same reference quantities from
 * `spreadReference`): with r = h − μ_y (n × D) and B = [M_sᵀ | W_tfjs] (D × K or 2K),
 *   Z = R B;  P = Z[:, :K] (p = M_s r);  projected scatter += Pᵀ P;  withinSS_k += Σ_{y=k} ‖r‖²;
 *   NCC decision = argmin_k 2(p_y − p_k) + ‖μ_y − μ_k‖² over classes present in phase 1;
 *   classifier decision = argmax_k (W r)_k + (W_k·μ_y + b_k)  (= argmax W h + b), and the same without b.
 * Confusions are Yᵀ onehot(decision). Per batch one flat vector of K + 3K² + 2 numbers is downloaded.
 * Rows of K-row tables are picked per sample by the one-hot product Y T (exact: one 1 per row) rather than
 * `tf.gather`, whose wasm kernel took ~14 ms for 2,000 × 64 against < 1 ms for the product.
 */
export async function deviceSpread(features: tf.Tensor2D[], batches: ProbeBatch[], means: MeansStatistics, classifier?: DeviceClassifier): Promise<SpreadStatistics> {
  const acc = new SpreadAccumulator(means, { classifier: classifier?.core });
  const ref = acc.reference;
  const { K, D } = ref;
  const withW = classifier !== undefined;
  const consts = tf.tidy(() => {
    const msT = new Float32Array(D * K);
    for (let k = 0; k < K; k++) for (let t = 0; t < D; t++) msT[t * K + k] = ref.shiftedMeans[k * D + t];
    const msTensor = tf.tensor2d(msT, [D, K]);
    const B = withW ? tf.concat([msTensor, classifier!.kernel as tf.Tensor2D], 1) : msTensor;
    const pair = new Float32Array(K * K);
    // Classes absent in phase 1 can never be the nearest centre: a huge finite distance (not Infinity, which the
    // one-hot products below would turn into 0 · ∞ = NaN).
    for (let y = 0; y < K; y++) for (let k = 0; k < K; k++) pair[y * K + k] = ref.present[k] ? ref.pairDistSq[y * K + k] : ABSENT;
    return {
      mu: tf.tensor2d(Float32Array.from(ref.means), [K, D]),
      B,
      pair: tf.tensor2d(pair, [K, K]),
      off: withW ? tf.tensor2d(Float32Array.from(ref.classifierOffset!), [K, K]) : undefined,
      offNoBias: withW ? tf.tensor2d(Float32Array.from(ref.classifierOffsetNoBias!), [K, K]) : undefined,
    };
  });
  const parts: tf.Tensor[] = [];
  try {
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i];
      parts.push(tf.tidy(() => {
        const H = features[i];
        const n = H.shape[0];
        const R = tf.sub(H, tf.matMul(b.oneHot, consts.mu));
        const ss = tf.reshape(tf.sum(tf.square(R), 1), [n, 1]);
        const within = tf.matMul(b.oneHotT, ss);
        const Z = tf.matMul(R, consts.B);
        const P = withW ? tf.slice(Z, [0, 0], [n, K]) : Z;
        const scatter = tf.matMul(tf.transpose(P), P);
        const py = tf.sum(tf.mul(P, b.oneHot), 1, true);
        const dist = tf.add(tf.mul(tf.sub(py, P), 2), tf.matMul(b.oneHot, consts.pair));
        const ncc = tf.argMin(dist, 1);
        const nccConf = tf.matMul(b.oneHotT, tf.cast(tf.oneHot(ncc, K), 'float32'));
        const pieces: tf.Tensor[] = [tf.reshape(within, [-1]), tf.reshape(scatter, [-1]), tf.reshape(nccConf, [-1])];
        if (withW) {
          const WR = tf.slice(Z, [0, K], [n, K]);
          const arg = tf.argMax(tf.add(WR, tf.matMul(b.oneHot, consts.off!)), 1);
          const argNb = tf.argMax(tf.add(WR, tf.matMul(b.oneHot, consts.offNoBias!)), 1);
          pieces.push(tf.reshape(tf.matMul(b.oneHotT, tf.cast(tf.oneHot(arg, K), 'float32')), [-1]));
          pieces.push(tf.reshape(tf.sum(tf.cast(tf.notEqual(arg, ncc), 'float32')), [1]));
          pieces.push(tf.reshape(tf.sum(tf.cast(tf.notEqual(argNb, ncc), 'float32')), [1]));
        }
        return tf.concat(pieces);
      }));
    }
    const data = await Promise.all(parts.map((p) => p.data()));
    const KK = K * K;
    batches.forEach((b, i) => {
      const d = data[i] as Float32Array;
      const counts = new Float64Array(K);
      for (const y of b.labels) counts[y] += 1;
      acc.addPartial({
        counts,
        withinSS: d.subarray(0, K),
        projectedScatter: d.subarray(K, K + KK),
        nccConfusion: d.subarray(K + KK, K + 2 * KK),
        classifierConfusion: withW ? d.subarray(K + 2 * KK, K + 3 * KK) : undefined,
        nccClassifierMismatch: withW ? d[K + 3 * KK] : undefined,
        nccClassifierMismatchNoBias: withW ? d[K + 3 * KK + 1] : undefined,
      });
    });
  } finally {
    tf.dispose(parts);
    tf.dispose(consts as unknown as tf.TensorContainer);
  }
  return acc.statistics;
}
