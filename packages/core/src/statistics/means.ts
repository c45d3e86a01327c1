import { NcInputError } from '../errors.js';
import type { ProductEngine } from '../engine/product-engine.js';
import type { Batch } from '../types.js';
import { assertFinite, batchShape, checkLabels } from '../validate/batch.js';
import { RowNormalizer, describeNormalization, labelRows, resolveNormalization, sameNormalization, type Normalization, type NormalizationOptions } from './normalization.js';

/**
 * Phase 1 sufficient statistics: per-class sample counts n_k and feature sums Σ_{y_i=k} h_i, in float64.
 * Sums over samples, so shards merge by addition in any order.
 */
export interface MeansStatistics {
  readonly K: number;
  readonly D: number;
  /** n_k, length K. */
  readonly counts: Float64Array;
  /** Σ_{y_i=k} h_i, K × D row-major (of the normalized rows τ·h/‖h‖ when `normalization` is set). */
  readonly sums: Float64Array;
  /**
   * Set when the features were normalized before summing (statistics/normalization.ts): the mode, τ, and how many
   * rows had zero norm (left at zero). The spread phase applies the same normalization; shards merge only with the
   * same one.
   */
  readonly normalization?: Normalization & { readonly zeroRows: number };
}

/**
 * Options of {@link MeansAccumulator}. Omit K to let it grow with the largest label seen. `normalize`/`temperature`
 * normalize each row before it is summed (Yaras et al. 2022); without them, an accumulator that has seen no rows
 * takes the normalization of the first statistics merged into it.
 */
export interface MeansAccumulatorOptions extends NormalizationOptions {
  K?: number;
  D?: number;
  /** Engine whose fused `classSums` kernel {@link MeansAccumulator.addAsync} uses (default: plain loops). */
  engine?: ProductEngine;
  /** Rows per kernel call in addAsync (default 4096). */
  chunkRows?: number;
}

/** Rows an accumulator sums with the plain loop before {@link MeansAccumulator.addAsync} uses the engine's kernel. */
export const KERNEL_AFTER_ROWS = 65_536;

/** Streams batches into {@link MeansStatistics} (phase 1). */
export class MeansAccumulator {
  private k: number;
  private d: number | undefined;
  private readonly fixedK: boolean;
  private countsArr: Float64Array;
  private sumsArr: Float64Array;
  private batches = 0;
  /** Rows handed to {@link addAsync} so far (its kernel rule). */
  private rowsSeen = 0;
  private readonly engine: ProductEngine | undefined;
  private readonly chunkRows: number;
  /** The normalization; 'unset' until rows or a merge fix it (when the options did not). */
  private norm: Normalization | undefined | 'unset';
  /** Zero-norm rows of merged statistics; the normalizer counts this accumulator's own. */
  private zeroRows = 0;
  private rowNormalizer: RowNormalizer | undefined;

  constructor(options: MeansAccumulatorOptions = {}) {
    this.engine = options.engine;
    this.norm = options.normalize === undefined && options.temperature === undefined ? 'unset' : resolveNormalization(options);
    this.chunkRows = options.chunkRows ?? 4096;
    if (options.K !== undefined && !(Number.isInteger(options.K) && options.K >= 1)) {
      throw new NcInputError('BAD_OPTION', `K must be a positive integer, got ${options.K}`);
    }
    this.k = options.K ?? 0;
    this.fixedK = options.K !== undefined;
    this.d = options.D;
    this.countsArr = new Float64Array(this.k);
    this.sumsArr = new Float64Array(this.k * (this.d ?? 0));
  }

  /** Adds one batch with plain loops. Labels and features are checked; errors name the batch and row. */
  add(batch: Batch): this {
    const prepared = this.prepare(batch);
    if (!prepared) return this;
    const { D, index } = prepared;
    const { labels } = batch;
    const normalizer = this.normalizer();
    for (let start = 0; start < labels.length; start += this.chunkRows) {
      this.sumChunk(batch, start, Math.min(this.chunkRows, labels.length - start), D, normalizer);
    }
    this.checkSums(batch, D, index);
    return this;
  }

  /**
   * Adds one batch through the engine's fused `classSums` kernel when it has one and it pays, else with the plain loop
   * of {@link add}, chunk by chunk:
   * - a kernel call returns K × D sums whatever its rows (zeroed, scattered into, returned and added up here), so
   *   unless the chunk has many rows per class (K ≤ rows/16) the O(rows · D) loop is cheaper: at K = 1,000,
   *   D = 1,024 the loop took about half the CPU of the kernel; at K = 8,192 the kernel cost 9.5 CPU-s;
   * - the kernel's first calls in a process pay for its memory (onnxruntime's arena) and first-run set-up, ~0.1 s
   *   more than the loop over 50,000 × 512 float32 rows on the 2-core machine of the benchmarks, while a warm kernel
   *   saves ~0.8 µs per such row: the first {@link KERNEL_AFTER_ROWS} rows of an accumulator use the loop (a cold
   *   `ncscope analyze` of 50,000 rows never starts the kernel; 200,000 rows in a warm process take ~30 ms more).
   * Both sum in float64 and give the same statistics up to the order of additions.
   */
  async addAsync(batch: Batch): Promise<this> {
    const kernel = this.engine?.classSums?.bind(this.engine);
    if (!kernel || this.k * 16 > Math.min(this.chunkRows, batch.labels.length)) {
      this.rowsSeen += batch.labels.length;
      return this.add(batch);
    }
    const prepared = this.prepare(batch);
    if (!prepared) return this;
    const { D, index } = prepared;
    const { labels } = batch;
    const normalizer = this.normalizer();
    for (let start = 0; start < labels.length; start += this.chunkRows) {
      const rows = Math.min(this.chunkRows, labels.length - start);
      const warm = this.rowsSeen >= KERNEL_AFTER_ROWS;
      this.rowsSeen += rows;
      if (!warm) {
        this.sumChunk(batch, start, rows, D, normalizer);
        continue;
      }
      for (let i = start; i < start + rows; i++) this.countsArr[labels[i] as number] += 1;
      const chunk = normalizer
        ? { features: normalizer.apply(batch.features, start, rows, D), labels: labelRows(labels, start, rows), start: 0, rows, D, K: this.k }
        : { features: batch.features, labels, start, rows, D, K: this.k };
      const s = await kernel(chunk);
      for (let i = 0; i < s.length; i++) this.sumsArr[i] += s[i];
    }
    this.checkSums(batch, D, index);
    return this;
  }

  /** Counts and sums rows [start, start + rows) of a batch with plain loops (normalized through the scratch chunk). */
  private sumChunk(batch: Batch, start: number, rows: number, D: number, normalizer: RowNormalizer | undefined): void {
    const { labels } = batch;
    const sums = this.sumsArr;
    const counts = this.countsArr;
    // Normalized rows go through a reusable scratch chunk; raw rows are read in place.
    const features = normalizer ? normalizer.apply(batch.features, start, rows, D) : batch.features;
    const first = normalizer ? 0 : start;
    for (let i = 0; i < rows; i++) {
      const y = labels[start + i] as number;
      counts[y] += 1;
      const base = y * D;
      const off = (first + i) * D;
      for (let t = 0; t < D; t++) sums[base + t] += features[off + t];
    }
  }

  /** The row normalizer when a normalization is set (fixing "none" at the first rows otherwise). */
  private normalizer(): RowNormalizer | undefined {
    if (this.norm === 'unset') this.norm = undefined;
    if (!this.norm) return undefined;
    this.rowNormalizer ??= new RowNormalizer(this.norm);
    return this.rowNormalizer;
  }

  /** Validates a batch, sizes the arrays, counts it; undefined for an empty batch. */
  private prepare(batch: Batch): { D: number; index: number } | undefined {
    const index = this.batches++;
    const { rows, D } = batchShape(batch, this.d, index);
    if (rows === 0) return undefined;
    checkLabels(batch.labels, this.fixedK ? this.k : undefined, index);
    this.ensureShape(D, batch);
    return { D, index };
  }

  private checkSums(batch: Batch, D: number, index: number): void {
    const sums = this.sumsArr;
    const { features } = batch;
    // NaN/Inf anywhere in the batch shows up in the class sums; only then scan the batch to name the row.
    for (let i = 0; i < sums.length; i++) {
      if (!Number.isFinite(sums[i])) {
        assertFinite(features, D, 'features', index);
        throw NcInputError.at('NON_FINITE', { batch: index }, 'feature sums overflowed float64 (values too large)');
      }
    }
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
    const theirs = s.normalization ? { mode: s.normalization.mode, temperature: s.normalization.temperature } : undefined;
    const seen = s.counts.some((n) => n > 0);
    if (this.norm === 'unset') {
      if (seen || theirs) this.norm = theirs;
    } else if ((seen || theirs) && !sameNormalization(this.norm, theirs)) {
      throw NcInputError.mismatch('normalization', `means statistics of features normalized as ${describeNormalization(theirs)} into statistics normalized as ${describeNormalization(this.norm)}; every shard must use the same normalize and temperature`);
    }
    this.zeroRows += s.normalization?.zeroRows ?? 0;
    if (s.K === 0) return this;
    // A shard that saw no rows (D = 0) carries no sums; only its K may matter. It must not fix D to 0.
    if (s.D === 0) return s.K > this.k ? this.withK(s.K) : this;
    if (this.d === undefined) {
      this.d = s.D;
      this.sumsArr = new Float64Array(this.k * s.D);
    }
    if (s.D !== this.d) throw NcInputError.mismatch('shape', `means statistics with D = ${s.D} into D = ${this.d}`);
    if (s.K > this.k) {
      if (this.fixedK) throw NcInputError.mismatch('shape', `means statistics with K = ${s.K} into K = ${this.k}`);
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
    const out: MeansStatistics = { K: this.k, D: this.d ?? 0, counts: this.countsArr, sums: this.sumsArr };
    const n = this.norm;
    const zeroRows = this.zeroRows + (this.rowNormalizer?.zeroRows ?? 0);
    return n && n !== 'unset' ? { ...out, normalization: { mode: n.mode, temperature: n.temperature, zeroRows } } : out;
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
