import { NcInputError } from '../errors.js';
import { jsEngine, type KernelChunk, type ProductEngine, type SpreadKernelOutput } from '../engine/product-engine.js';
import type { Batch, Classifier } from '../types.js';
import { jsSpreadChunk } from './spread-kernel.js';
import { assertFinite, batchShape, checkLabels } from '../validate/batch.js';
import { fingerprint } from './fingerprint.js';
import { classMeans, type MeansStatistics } from './means.js';
import { multiplyTransposed } from '../linalg/dense.js';

/**
 * Phase 2 sufficient statistics, given the phase-1 class means μ_k. All entries are sums over samples, so
 * shards that used the same means merge by addition. With r_i = h_i − μ_{y_i} and the shifted means
 * m_k = μ_k − s (s = class-uniform mean of the non-empty classes' means; any centring convention is recovered
 * later by an exact K × K congruence, see `context.ts`):
 */
export interface SpreadStatistics {
  readonly K: number;
  readonly D: number;
  /** Digest of the means this phase used; merging refuses different ones. */
  readonly meansFingerprint: string;
  /** Digest of the classifier (W, b) used for decisions, or undefined without one. */
  readonly classifierFingerprint?: string;
  /** Samples seen per class (must equal phase 1's n_k). */
  readonly counts: Float64Array;
  /** Σ_{y_i=k} ‖r_i‖², length K. */
  readonly withinSS: Float64Array;
  /** Σ_i p_i p_iᵀ with p_i = M_s r_i (M_s rows m_k), K × K. */
  readonly projectedScatter: Float64Array;
  /** Counts of (true label, nearest-class-centre decision), K × K row-major. */
  readonly nccConfusion: Float64Array;
  /** With a classifier: counts of (true label, argmax_k (W h + b)_k), K × K. */
  readonly classifierConfusion?: Float64Array;
  /** With a classifier: samples whose NCC decision differs from argmax (W h + b). */
  readonly nccClassifierMismatch?: number;
  /** With a classifier: the same, ignoring the bias (argmax W h), as rhubarbwu/neural-collapse computes it. */
  readonly nccClassifierMismatchNoBias?: number;
}

/** The K-sized quantities every spread computation (JS, tfjs, onnx) needs, derived once from the means. */
export interface SpreadReference {
  K: number;
  D: number;
  /** μ_k, K × D (rows of empty classes are 0). */
  means: Float64Array;
  /** Which classes had samples in phase 1. */
  present: boolean[];
  /** s: class-uniform mean of the non-empty class means. */
  shift: Float64Array;
  /** m_k = μ_k − s, K × D (0 for empty classes). */
  shiftedMeans: Float64Array;
  /** ‖μ_y − μ_k‖², K × K. */
  pairDistSq: Float64Array;
  /** W_k · μ_y + b_k at [y, k], K × K (with a classifier). */
  classifierOffset?: Float64Array;
  /** W_k · μ_y at [y, k], K × K (with a classifier). */
  classifierOffsetNoBias?: Float64Array;
  meansFingerprint: string;
  classifierFingerprint?: string;
}

/** Derives the {@link SpreadReference} from phase-1 statistics and an optional classifier. */
export function spreadReference(means: MeansStatistics, classifier?: Classifier): SpreadReference {
  const { K, D } = means;
  const mu = classMeans(means);
  const present = Array.from(means.counts, (n) => n > 0);
  const nPresent = present.filter(Boolean).length;
  if (nPresent === 0) throw new NcInputError('NO_DATA', 'no samples were seen in the means phase');
  const shift = new Float64Array(D);
  for (let k = 0; k < K; k++) if (present[k]) for (let t = 0; t < D; t++) shift[t] += mu[k * D + t];
  for (let t = 0; t < D; t++) shift[t] /= nPresent;
  const shiftedMeans = new Float64Array(K * D);
  for (let k = 0; k < K; k++) if (present[k]) for (let t = 0; t < D; t++) shiftedMeans[k * D + t] = mu[k * D + t] - shift[t];
  // ‖μ_a − μ_b‖² directly (not from a Gram matrix: no cancellation when two means are close).
  const pairDistSq = new Float64Array(K * K);
  for (let a = 0; a < K; a++)
    for (let b = a + 1; b < K; b++) {
      let s = 0;
      const ra = a * D;
      const rb = b * D;
      for (let t = 0; t < D; t++) {
        const diff = shiftedMeans[ra + t] - shiftedMeans[rb + t];
        s += diff * diff;
      }
      pairDistSq[a * K + b] = pairDistSq[b * K + a] = s;
    }
  const ref: SpreadReference = { K, D, means: mu, present, shift, shiftedMeans, pairDistSq, meansFingerprint: fingerprint(means.counts, means.sums) };
  if (classifier) {
    checkClassifier(classifier, K, D);
    // offNoBias[y, k] = w_k · μ_y, i.e. (M Wᵀ)[y, k]; add b_k for the biased form.
    const offNoBias = multiplyTransposed(mu, classifier.weights, K, K, D);
    const b = classifier.bias;
    const off = Float64Array.from(offNoBias, (v, i) => v + (b ? b[i % K] : 0));
    ref.classifierOffset = off;
    ref.classifierOffsetNoBias = offNoBias;
    ref.classifierFingerprint = fingerprint(classifier.weights, b ?? []);
  }
  return ref;
}

/** Checks a classifier's shapes and values against K and D; named errors otherwise. */
export function checkClassifier(classifier: Classifier, K: number, D: number): void {
  const { weights, bias } = classifier;
  if (weights.length !== K * D) {
    throw new NcInputError('SHAPE', `classifier weights have ${weights.length} values; expected K × D = ${K} × ${D} = ${K * D} (rows are classes)`);
  }
  assertFinite(weights, D, 'classifier weights');
  if (bias) {
    if (bias.length !== K) throw new NcInputError('SHAPE', `classifier bias has ${bias.length} values; expected K = ${K}`);
    assertFinite(bias, 1, 'classifier bias');
  }
}

/** Options of {@link SpreadAccumulator}. */
export interface SpreadAccumulatorOptions {
  classifier?: Classifier;
  /** Product engine; default the portable {@link jsEngine}. */
  engine?: ProductEngine;
  /** Rows per engine call; bounds scratch memory to chunkRows × (D + 3K). Default 4096. */
  chunkRows?: number;
}

/** A spread-phase partial computed elsewhere (e.g. on a GPU by @ncscope/tfjs), merged by {@link SpreadAccumulator.addPartial}. */
export interface SpreadPartial {
  counts: ArrayLike<number>;
  withinSS: ArrayLike<number>;
  projectedScatter: ArrayLike<number>;
  nccConfusion: ArrayLike<number>;
  classifierConfusion?: ArrayLike<number>;
  nccClassifierMismatch?: number;
  nccClassifierMismatchNoBias?: number;
}

/**
 * Streams batches into {@link SpreadStatistics} (phase 2). The heavy work is one product per chunk,
 * R · [M_s; W]ᵀ (rows × D by D × K or 2K), and PᵀP (K × rows by rows × K), both on the chosen engine;
 * residuals, squared norms and decisions are O(rows · (D + K)) in float64.
 */
export class SpreadAccumulator {
  readonly reference: SpreadReference;
  private readonly engine: ProductEngine;
  private readonly chunkRows: number;
  private readonly withClassifier: boolean;
  private readonly countsArr: Float64Array;
  private readonly withinArr: Float64Array;
  private readonly scatterArr: Float64Array;
  private readonly confusionArr: Float64Array;
  private readonly clfConfusionArr: Float64Array | undefined;
  private mismatch = 0;
  private mismatchNoBias = 0;
  private batches = 0;

  constructor(means: MeansStatistics, options: SpreadAccumulatorOptions = {}) {
    this.reference = spreadReference(means, options.classifier);
    this.engine = options.engine ?? jsEngine;
    this.chunkRows = options.chunkRows ?? 4096;
    this.withClassifier = options.classifier !== undefined;
    const { K } = means;
    this.countsArr = new Float64Array(K);
    this.withinArr = new Float64Array(K);
    this.scatterArr = new Float64Array(K * K);
    this.confusionArr = new Float64Array(K * K);
    this.clfConfusionArr = this.withClassifier ? new Float64Array(K * K) : undefined;
    this.classifier = options.classifier;
  }
  private readonly classifier: Classifier | undefined;

  /** Adds one batch (the same data, in any batching, as phase 1). */
  async add(batch: Batch): Promise<this> {
    const index = this.batches++;
    const { K, D } = this.reference;
    const { rows } = batchShape(batch, D, index);
    if (rows === 0) return this;
    checkLabels(batch.labels, K, index);
    for (let i = 0; i < rows; i++) {
      const y = batch.labels[i] as number;
      if (!this.reference.present[y]) {
        throw new NcInputError('STATS_MISMATCH', `batch ${index}, row ${i}: class ${y} had no samples in the means phase; both phases must see the same data`, { batch: index, row: i, label: y });
      }
    }
    for (let start = 0; start < rows; start += this.chunkRows) {
      const chunk: KernelChunk = { features: batch.features, labels: batch.labels, start, rows: Math.min(this.chunkRows, rows - start), D, K };
      const out = this.engine.spreadChunk
        ? await this.engine.spreadChunk(chunk, this.reference, this.classifier?.weights)
        : await jsSpreadChunk(chunk, this.reference, this.classifier?.weights, this.engine);
      this.accumulate(chunk, out, index);
    }
    return this;
  }

  private accumulate(chunk: KernelChunk, out: SpreadKernelOutput, batchIndex: number): void {
    const { K } = this.reference;
    const { labels, start, rows } = chunk;
    for (let i = 0; i < rows; i++) {
      const ss = out.rowSquaredNorms[i];
      if (!Number.isFinite(ss)) {
        // Phase 1 refused non-finite values, so the data changed between passes or overflowed: name the row.
        assertFinite(chunk.features.subarray((start + i) * chunk.D, (start + i + 1) * chunk.D), chunk.D, `row ${start + i} of`, batchIndex);
        throw new NcInputError('NON_FINITE', `batch ${batchIndex}, row ${start + i}: squared distance to the class mean overflowed`, { batch: batchIndex, row: start + i });
      }
      const y = labels[start + i] as number;
      this.withinArr[y] += ss;
      this.countsArr[y] += 1;
      const ncc = Number(out.ncc[i]);
      this.confusionArr[y * K + ncc] += 1;
      if (this.clfConfusionArr && out.classifier && out.classifierNoBias) {
        const c = Number(out.classifier[i]);
        this.clfConfusionArr[y * K + c] += 1;
        if (c !== ncc) this.mismatch++;
        if (Number(out.classifierNoBias[i]) !== ncc) this.mismatchNoBias++;
      }
    }
    for (let i = 0; i < K * K; i++) this.scatterArr[i] += out.projectedScatter[i];
  }

  /** Adds sums computed elsewhere against the same {@link reference} (e.g. on device by @ncscope/tfjs). */
  addPartial(partial: SpreadPartial): this {
    const { K } = this.reference;
    const need = (name: string, a: ArrayLike<number> | undefined, len: number) => {
      if (!a || a.length !== len) throw new NcInputError('SHAPE', `spread partial: ${name} must have ${len} entries`);
    };
    need('counts', partial.counts, K);
    need('withinSS', partial.withinSS, K);
    need('projectedScatter', partial.projectedScatter, K * K);
    need('nccConfusion', partial.nccConfusion, K * K);
    for (let k = 0; k < K; k++) {
      this.countsArr[k] += partial.counts[k];
      this.withinArr[k] += partial.withinSS[k];
    }
    for (let i = 0; i < K * K; i++) {
      this.scatterArr[i] += partial.projectedScatter[i];
      this.confusionArr[i] += partial.nccConfusion[i];
    }
    if (this.clfConfusionArr) {
      need('classifierConfusion', partial.classifierConfusion, K * K);
      for (let i = 0; i < K * K; i++) this.clfConfusionArr[i] += partial.classifierConfusion![i];
      this.mismatch += partial.nccClassifierMismatch ?? 0;
      this.mismatchNoBias += partial.nccClassifierMismatchNoBias ?? 0;
    }
    return this;
  }

  /** Adds another shard computed against the same means (and classifier). Order does not matter. */
  merge(other: SpreadAccumulator | SpreadStatistics): this {
    const s = other instanceof SpreadAccumulator ? other.statistics : other;
    if (s.meansFingerprint !== this.reference.meansFingerprint) {
      throw new NcInputError('STATS_MISMATCH', 'cannot merge spread statistics computed against different class means (merge the means shards first, then run phase 2 against the merged means)');
    }
    if (s.classifierFingerprint !== this.reference.classifierFingerprint) {
      throw new NcInputError('STATS_MISMATCH', 'cannot merge spread statistics computed with different classifiers (or one with and one without)');
    }
    return this.addPartial(s);
  }

  get statistics(): SpreadStatistics {
    const s: SpreadStatistics = {
      K: this.reference.K,
      D: this.reference.D,
      meansFingerprint: this.reference.meansFingerprint,
      counts: this.countsArr,
      withinSS: this.withinArr,
      projectedScatter: this.scatterArr,
      nccConfusion: this.confusionArr,
    };
    if (this.withClassifier) {
      return {
        ...s,
        classifierFingerprint: this.reference.classifierFingerprint,
        classifierConfusion: this.clfConfusionArr,
        nccClassifierMismatch: this.mismatch,
        nccClassifierMismatchNoBias: this.mismatchNoBias,
      };
    }
    return s;
  }
}
