import { NcInputError } from '../errors.js';
import type { Batch } from '../types.js';
import { assertFinite, batchShape, checkLabels } from '../validate/batch.js';

/**
 * Phase 1 sufficient statistics: per-class sample counts n_k and feature sums Σ_{y_i=k} h_i, in float64.
 * Sums over samples, so shards merge by addition in any order.
 */
export interface MeansStatistics {
  readonly K: number;
  readonly D: number;
  /** n_k, length K. */
  readonly counts: Float64Array;
  /** Σ_{y_i=k} h_i, K × D row-major. */
  readonly sums: Float64Array;
}

/** Options of {@link MeansAccumulator}. Omit K to let it grow with the largest label seen. */
export interface MeansAccumulatorOptions {
  K?: number;
  D?: number;
}

/** Streams batches into {@link MeansStatistics} (phase 1). */
export class MeansAccumulator {
  private k: number;
  private d: number | undefined;
  private readonly fixedK: boolean;
  private countsArr: Float64Array;
  private sumsArr: Float64Array;
  private batches = 0;

  constructor(options: MeansAccumulatorOptions = {}) {
    if (options.K !== undefined && !(Number.isInteger(options.K) && options.K >= 1)) {
      throw new NcInputError('BAD_OPTION', `K must be a positive integer, got ${options.K}`);
    }
    this.k = options.K ?? 0;
    this.fixedK = options.K !== undefined;
    this.d = options.D;
    this.countsArr = new Float64Array(this.k);
    this.sumsArr = new Float64Array(this.k * (this.d ?? 0));
  }

  /** Adds one batch. Labels and features are checked; errors name the batch and row. */
  add(batch: Batch): this {
    const index = this.batches;
    const { rows, D } = batchShape(batch, this.d, index);
    if (rows === 0) {
      this.batches++;
      return this;
    }
    checkLabels(batch.labels, this.fixedK ? this.k : undefined, index);
    this.ensureShape(D, batch);
    const { features, labels } = batch;
    const sums = this.sumsArr;
    const counts = this.countsArr;
    for (let i = 0; i < rows; i++) {
      const y = labels[i] as number;
      counts[y] += 1;
      const base = y * D;
      const off = i * D;
      for (let t = 0; t < D; t++) sums[base + t] += features[off + t];
    }
    // NaN/Inf anywhere in the batch shows up in the class sums; only then scan the batch to name the row.
    for (let i = 0; i < sums.length; i++) {
      if (!Number.isFinite(sums[i])) {
        assertFinite(features, D, 'features', index);
        throw new NcInputError('NON_FINITE', `batch ${index}: feature sums overflowed float64 (values too large)`, { batch: index });
      }
    }
    this.batches++;
    return this;
  }

  private ensureShape(D: number, batch: Batch): void {
    if (this.d === undefined) {
      this.d = D;
      this.sumsArr = new Float64Array(this.k * D);
    }
    if (!this.fixedK) {
      let maxLabel = -1;
      for (let i = 0; i < batch.labels.length; i++) if ((batch.labels[i] as number) > maxLabel) maxLabel = batch.labels[i] as number;
      if (maxLabel >= this.k) this.grow(maxLabel + 1);
    }
  }

  private grow(K: number): void {
    const D = this.d ?? 0;
    const counts = new Float64Array(K);
    counts.set(this.countsArr);
    const sums = new Float64Array(K * D);
    sums.set(this.sumsArr);
    this.k = K;
    this.countsArr = counts;
    this.sumsArr = sums;
  }

  /** Adds another accumulator's (or serialized shard's) sums. Order does not matter. */
  merge(other: MeansAccumulator | MeansStatistics): this {
    const s = other instanceof MeansAccumulator ? other.statistics : other;
    if (s.K === 0) return this;
    if (this.d === undefined) {
      this.d = s.D;
      this.sumsArr = new Float64Array(this.k * s.D);
    }
    if (s.D !== this.d) throw new NcInputError('STATS_MISMATCH', `cannot merge means statistics with D = ${s.D} into D = ${this.d}`);
    if (s.K > this.k) {
      if (this.fixedK) throw new NcInputError('STATS_MISMATCH', `cannot merge means statistics with K = ${s.K} into K = ${this.k}`);
      this.grow(s.K);
    }
    for (let k = 0; k < s.K; k++) this.countsArr[k] += s.counts[k];
    for (let i = 0; i < s.sums.length; i++) this.sumsArr[i] += s.sums[i];
    return this;
  }

  /** Raises K (e.g. to the classifier's row count) so classes with no samples are represented. */
  withK(K: number): this {
    if (K < this.k) throw new NcInputError('STATS_MISMATCH', `labels go up to ${this.k - 1} but K = ${K}`);
    if (K > this.k) this.grow(K);
    return this;
  }

  get statistics(): MeansStatistics {
    return { K: this.k, D: this.d ?? 0, counts: this.countsArr, sums: this.sumsArr };
  }
}

/** Class means μ_k = sums / n_k (rows of empty classes are 0). */
export function classMeans(s: MeansStatistics): Float64Array {
  const mu = new Float64Array(s.K * s.D);
  for (let k = 0; k < s.K; k++) {
    const n = s.counts[k];
    if (n === 0) continue;
    for (let t = 0; t < s.D; t++) mu[k * s.D + t] = s.sums[k * s.D + t] / n;
  }
  return mu;
}
