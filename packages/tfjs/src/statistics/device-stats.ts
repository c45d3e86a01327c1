import { NcInputError, SpreadAccumulator, type Classifier, type ConventionOptions, type MeansStatistics, type Normalization, type SpreadStatistics } from '@ncscope/core';
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
 * Feature normalization on the device (Yaras et al. 2022; core's statistics/normalization.ts): τ·h/‖h‖ per row, rows
 * of zero norm left at 0. Returns new tensors (the caller disposes them) and how many rows had zero norm.
 */
export async function normalizeOnDevice(features: tf.Tensor2D[], n: Normalization): Promise<{ features: tf.Tensor2D[]; zeroRows: number }> {
  const parts = features.map((H) => tf.tidy(() => {
    const norms = tf.sqrt(tf.sum(tf.square(H), 1, true));
    const zero = tf.equal(norms, 0);
    const safe = tf.where(zero, tf.onesLike(norms), norms);
    return { H: tf.mul(H, tf.div(tf.scalar(n.temperature), safe)) as tf.Tensor2D, zeros: tf.sum(tf.cast(zero, 'float32')) };
  }));
  const counts = await Promise.all(parts.map((p) => p.zeros.data()));
  tf.dispose(parts.map((p) => p.zeros));
  return { features: parts.map((p) => p.H), zeroRows: counts.reduce((a, c) => a + c[0], 0) };
}

/** A Dense kernel (D × K) with unit columns w_k/‖w_k‖ (zero columns stay 0): the classifier under 'features-and-classifier'. */
export function normalizedKernel(kernel: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const norms = tf.sqrt(tf.sum(tf.square(kernel), 0, true));
    return tf.div(kernel, tf.where(tf.equal(norms, 0), tf.onesLike(norms), norms)) as tf.Tensor2D;
  });
}

/**
 * Phase 1: per-class counts (from the JS labels, exact) and sums Σ_{y_i=k} h_i = Yᵀ H per batch (Y the n × K one-hot
 * labels), downloaded and added in float64. `add` only queues a batch's product on the device (every batch's runs
 * before the first download); `statistics()` downloads and sums them. Non-finite features are a NON_FINITE error naming
 * the layer.
 */
export class DeviceMeans {
  private readonly parts: tf.Tensor[] = [];
  private readonly counts: Float64Array;
  private D = 0;

  constructor(private readonly K: number, private readonly layer: string) {
    this.counts = new Float64Array(K);
  }

  /** Queues batch `b` with its features H (n × D) on the device. */
  add(H: tf.Tensor2D, b: ProbeBatch): void {
    this.D = H.shape[1];
    this.parts.push(tf.tidy(() => tf.matMul(b.oneHotT, H)));
    for (const y of b.labels) this.counts[y] += 1;
  }

  /** Downloads and sums the queued products (and frees them). */
  async statistics(): Promise<MeansStatistics> {
    const { K, D } = this;
    const sums = new Float64Array(K * D);
    try {
      const data = await Promise.all(this.parts.map((p) => p.data()));
      for (const d of data) for (let j = 0; j < d.length; j++) sums[j] += d[j];
    } finally {
      tf.dispose(this.parts);
      this.parts.length = 0;
    }
    for (let j = 0; j < sums.length; j++) {
      if (!Number.isFinite(sums[j])) {
        throw new NcInputError('NON_FINITE', `features of layer "${this.layer}" contain NaN or ±Inf (class ${Math.floor(j / D)}, feature ${j % D}); training may have diverged`, { label: Math.floor(j / D), column: j % D, source: this.layer });
      }
    }
    return { K, D, counts: this.counts, sums };
  }

  /** Frees queued products (when a run stops early). */
  dispose(): void {
    tf.dispose(this.parts);
    this.parts.length = 0;
  }
}

/** Phase 1 of the device path over whole arrays of batches (see {@link DeviceMeans}). */
export async function deviceMeans(features: tf.Tensor2D[], batches: ProbeBatch[], K: number, layer: string): Promise<MeansStatistics> {
  const acc = new DeviceMeans(K, layer);
  batches.forEach((b, i) => acc.add(features[i], b));
  return acc.statistics();
}

/**
 * Phase 2 on device against the phase-1 means, following core's spread plan (`SpreadAccumulator.create` builds the
 * same reference quantities), with r = h − μ_y (n × D) and B = [M_sᵀ | W_tfjs] (D × K or 2K):
 * - 'means' space (K ≤ D): Z = R B, P = Z[:, :K] (p = M_s r), scatter += Pᵀ P (K × K),
 *   NCC = argmin_k 2(p_y − p_k) + ‖μ_y − μ_k‖², classifier = argmax_k (W r)_k + (W_k·μ_y + b_k);
 * - 'features' space (D < K): scatter += Rᵀ R (D × D), and with x = h − s, Z = X B:
 *   NCC = argmin_k ‖m_k‖² − 2 m_k·x, classifier = argmax_k (W x)_k + (W_k·s + b_k) — no K × K table;
 * both: withinSS_k += Σ_{y=k} ‖r‖², per-class NC1 sums += Σ_{y=k} ‖T b‖² (b = p or r, T the plan's map), and per-class
 * correct counts Σ_i Y_i ∘ onehot(decision_i). Per batch one flat vector of about 4K + m² numbers is downloaded.
 * Rows of K-row tables are picked per sample by the one-hot product Y T (exact: one 1 per row) rather than
 * `tf.gather`, whose wasm kernel took ~14 ms for 2,000 × 64 against < 1 ms for the product.
 */
export class DeviceSpread {
  private readonly parts: tf.Tensor[] = [];
  private readonly batches: ProbeBatch[] = [];

  private constructor(
    private readonly acc: SpreadAccumulator,
    private readonly consts: { mu: tf.Tensor2D; B: tf.Tensor2D; Tt?: tf.Tensor2D; pair?: tf.Tensor2D; shift?: tf.Tensor2D; msq?: tf.Tensor2D; bias?: tf.Tensor2D },
    private readonly classifier: DeviceClassifier | undefined,
  ) {}

  /** The device tables of phase 2 against `means` (the spread plan of core's `SpreadAccumulator.create`). */
  static async create(means: MeansStatistics, classifier?: DeviceClassifier, conventions?: ConventionOptions): Promise<DeviceSpread> {
    const acc = await SpreadAccumulator.create(means, { classifier: classifier?.core, perClassNc1: conventions ?? {} });
    const ref = acc.reference;
    const { K, D, m, space } = ref;
    const dec = ref.decisions!;
    const quad = ref.quadratic;
    const consts = tf.tidy(() => {
      const msT = new Float32Array(D * K);
      for (let k = 0; k < K; k++) for (let t = 0; t < D; t++) msT[t * K + k] = ref.shiftedMeans[k * D + t];
      const msTensor = tf.tensor2d(msT, [D, K]);
      const B = msTensor;
      let Tt: tf.Tensor2D | undefined;
      if (quad) {
        const t = quad.rows;
        const tt = new Float32Array(m * t);
        for (let r = 0; r < t; r++) for (let i = 0; i < m; i++) tt[i * t + r] = quad.map[r * m + i];
        Tt = tf.tensor2d(tt, [m, t]);
      }
      // The classifier's scores are W h (+ b) from the rows themselves, as the network computes them, so scores that
      // tie exactly (a zero row after a dead ReLU) go to the lowest index as argmax does (core's JS kernel agrees).
      const bias = dec.classifier ? tf.tensor2d(Float32Array.from(dec.classifier.bias), [1, K]) : undefined;
      if (space === 'means') {
        const pair = new Float32Array(K * K);
        // Classes absent in phase 1 can never be the nearest centre: a huge finite distance (not Infinity, which the
        // one-hot products below would turn into 0 · ∞ = NaN).
        for (let y = 0; y < K; y++) for (let k = 0; k < K; k++) pair[y * K + k] = dec.present[k] ? dec.pairDistSq![y * K + k] : ABSENT;
        return {
          mu: tf.tensor2d(Float32Array.from(ref.means), [K, D]), B, Tt,
          pair: tf.tensor2d(pair, [K, K]),
          bias,
        };
      }
      const msq = Float32Array.from({ length: K }, (_, k) => (dec.present[k] ? dec.meanSqNorms![k] : ABSENT));
      return {
        mu: tf.tensor2d(Float32Array.from(ref.means), [K, D]), B, Tt,
        shift: tf.tensor2d(Float32Array.from(ref.shift), [1, D]),
        msq: tf.tensor2d(msq, [1, K]),
        bias,
      };
    });
    return new DeviceSpread(acc, consts as DeviceSpread['consts'], classifier);
  }

  /** Queues batch `b` with its features H (n × D): one flat vector of about 4K + m² numbers to download later. */
  add(H: tf.Tensor2D, b: ProbeBatch): void {
    const { K, space } = this.acc.reference;
    const quad = this.acc.reference.quadratic;
    const c = this.consts;
    const classifier = this.classifier;
    this.batches.push(b);
    this.parts.push(tf.tidy(() => {
      const n = H.shape[0];
      const R = tf.sub(H, tf.matMul(b.oneHot, c.mu));
      const ss = tf.reshape(tf.sum(tf.square(R), 1), [n, 1]);
      const within = tf.matMul(b.oneHotT, ss);
      let Z: tf.Tensor2D;
      let P: tf.Tensor2D;
      let dist: tf.Tensor2D;
      let coords: tf.Tensor2D;
      if (space === 'means') {
        Z = tf.matMul(R, c.B);
        P = Z;
        coords = P;
        const py = tf.sum(tf.mul(P, b.oneHot), 1, true);
        dist = tf.add(tf.mul(tf.sub(py, P), 2), tf.matMul(b.oneHot, c.pair!)) as tf.Tensor2D;
      } else {
        Z = tf.matMul(tf.sub(H, c.shift!) as tf.Tensor2D, c.B);
        P = Z;
        coords = R as tf.Tensor2D;
        dist = tf.sub(c.msq!, tf.mul(P, 2)) as tf.Tensor2D;
      }
      const scatter = tf.matMul(tf.transpose(coords), coords);
      const ncc = tf.argMin(dist, 1);
      const correct = (decision: tf.Tensor) => tf.sum(tf.mul(b.oneHot, tf.cast(tf.oneHot(decision, K), 'float32')), 0);
      const pieces: tf.Tensor[] = [tf.reshape(within, [-1]), tf.reshape(scatter, [-1]), correct(ncc)];
      if (quad) {
        const q = tf.reshape(tf.sum(tf.square(tf.matMul(coords, c.Tt!)), 1), [n, 1]);
        pieces.push(tf.reshape(tf.matMul(b.oneHotT, q), [-1]));
      }
      if (classifier) {
        const scores = tf.matMul(H, classifier.kernel as tf.Tensor2D);
        const arg = tf.argMax(tf.add(scores, c.bias!), 1);
        const argNb = tf.argMax(scores, 1);
        pieces.push(correct(arg));
        pieces.push(tf.reshape(tf.sum(tf.cast(tf.notEqual(arg, ncc), 'float32')), [1]));
        pieces.push(tf.reshape(tf.sum(tf.cast(tf.notEqual(argNb, ncc), 'float32')), [1]));
      }
      return tf.concat(pieces);
    }));
  }

  /** Downloads the queued partial sums into core's spread accumulator (and frees every device table). */
  async statistics(): Promise<SpreadStatistics> {
    const { K, m } = this.acc.reference;
    const quad = this.acc.reference.quadratic;
    const withW = this.classifier !== undefined;
    try {
      const data = await Promise.all(this.parts.map((p) => p.data()));
      const mm = m * m;
      this.batches.forEach((b, i) => {
        const d = data[i] as Float32Array;
        const counts = new Float64Array(K);
        for (const y of b.labels) counts[y] += 1;
        let o = 0;
        const take = (len: number) => d.subarray(o, (o += len));
        const withinSS = take(K);
        const scatter = take(mm);
        const nccCorrect = take(K);
        const perClassNc1 = quad ? take(K) : undefined;
        const classifierCorrect = withW ? take(K) : undefined;
        const mismatch = withW ? take(2) : undefined;
        this.acc.addPartial({
          counts, withinSS, scatter, nccCorrect, perClassNc1, classifierCorrect,
          nccClassifierMismatch: mismatch?.[0],
          nccClassifierMismatchNoBias: mismatch?.[1],
        });
      });
    } finally {
      this.dispose();
    }
    return this.acc.statistics;
  }

  /** Frees the queued partial sums and the device tables. */
  dispose(): void {
    tf.dispose(this.parts);
    this.parts.length = 0;
    tf.dispose(this.consts as unknown as tf.TensorContainer);
  }
}

/** Phase 2 of the device path over whole arrays of batches (see {@link DeviceSpread}). */
export async function deviceSpread(features: tf.Tensor2D[], batches: ProbeBatch[], means: MeansStatistics, classifier?: DeviceClassifier, conventions?: ConventionOptions): Promise<SpreadStatistics> {
  const acc = await DeviceSpread.create(means, classifier, conventions);
  batches.forEach((b, i) => acc.add(features[i], b));
  return acc.statistics();
}
