import { NcInputError } from '../errors.js';
import { fingerprint } from '../statistics/fingerprint.js';
import { MeansAccumulator, type MeansAccumulatorOptions, type MeansStatistics } from '../statistics/means.js';
import type { Batch } from '../types.js';
import { assertFinite } from '../validate/batch.js';
import { gatherRows, setKey, sortRows, type MultiLabelBatch, type SortedRows } from './labels.js';

/** Counts and feature sums of the label sets with |S| ≥ 2 that occur (only those: sets are sparse). */
export interface LabelSetSums {
  /** The sets, each ascending, in canonical order: by size, then lexicographically. */
  readonly labels: readonly (readonly number[])[];
  /** n_S per set. */
  readonly counts: Float64Array;
  /** Σ_{i∈S} h_i per set, J × D row-major. */
  readonly sums: Float64Array;
}

/**
 * Phase-1 statistics of multi-label data: the single-label classes' counts and sums (the standard
 * {@link MeansStatistics} of the samples whose label set is exactly {k}), the same for every label set with |S| ≥ 2
 * that occurs, and the number of unlabelled rows. Sums over samples: shards merge by addition (sets by their labels).
 */
export interface MultiLabelMeansStatistics {
  readonly kind: 'multi-label';
  readonly K: number;
  readonly D: number;
  readonly single: MeansStatistics;
  readonly sets: LabelSetSums;
  /** Rows with no label: counted, excluded from every sum. */
  readonly unlabelled: number;
}

/** Orders label sets by size, then lexicographically. */
export function compareSets(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** Digest of label-set statistics (labels, counts, sums): what a multi-label spread phase was computed against. */
export function setsFingerprint(sets: LabelSetSums): string {
  const flat: number[] = [];
  for (const s of sets.labels) flat.push(s.length, ...s);
  return fingerprint(flat, sets.counts, sets.sums);
}

/** One batch split into the standard batch of its single-label rows and the set-indexed batch of its multi-label rows. */
interface SplitBatch {
  sorted: SortedRows;
  single: Batch;
  multi: Batch;
}

/**
 * Streams multi-label batches into {@link MultiLabelMeansStatistics} (phase 1). Labels are multi-hot rows × K (give
 * `K`) or one label list per row (K may then grow with the labels). Single-label rows feed a standard
 * {@link MeansAccumulator}; multi-label rows one whose "classes" are the label sets seen so far; both use the engine's
 * fused kernel in {@link addAsync}. A batch of only single-label rows is passed on without a copy; otherwise the rows
 * of each kind are gathered (O(rows · D), small next to the products of phase 2).
 */
export class MultiLabelMeansAccumulator {
  private k: number;
  private readonly fixedK: boolean;
  private d: number | undefined;
  private readonly single: MeansAccumulator;
  private readonly setAcc: MeansAccumulator;
  private readonly setIndex = new Map<string, number>();
  private readonly setLabels: number[][] = [];
  private unlabelledRows = 0;
  private batches = 0;

  constructor(options: MeansAccumulatorOptions = {}) {
    if (options.K !== undefined && !(Number.isInteger(options.K) && options.K >= 1)) {
      throw new NcInputError('BAD_OPTION', `K must be a positive integer, got ${options.K}`);
    }
    this.k = options.K ?? 0;
    this.fixedK = options.K !== undefined;
    this.d = options.D;
    this.single = new MeansAccumulator(options);
    this.setAcc = new MeansAccumulator({ D: options.D, engine: options.engine, chunkRows: options.chunkRows });
  }

  /** K so far: the fixed K, or the largest label seen + 1. */
  get K(): number {
    return this.k;
  }

  /** Adds one batch with plain loops. Labels and features are checked first; errors name the batch and row. */
  add(batch: MultiLabelBatch): this {
    const split = this.split(batch);
    this.guard(batch, split, () => {
      this.single.add(split.single);
      this.setAcc.add(split.multi);
    });
    return this;
  }

  /** Adds one batch through the engine's fused `classSums` kernel when it has one (else like {@link add}). */
  async addAsync(batch: MultiLabelBatch): Promise<this> {
    const split = this.split(batch);
    await this.guardAsync(batch, split, async () => {
      await this.single.addAsync(split.single);
      await this.setAcc.addAsync(split.multi);
    });
    return this;
  }

  /** Validates the whole batch (nothing is added on a label error), registers new sets, and splits the rows. */
  private split(batch: MultiLabelBatch): SplitBatch {
    const index = this.batches++;
    const sorted = sortRows(batch, this.fixedK ? this.k : undefined, this.d, index);
    if (sorted.rows > 0 && this.d === undefined) this.d = sorted.D;
    if (sorted.width > this.k) this.k = sorted.width;
    const D = sorted.D;
    const { single, multi } = sorted;
    const singleFeatures = single.rows.length === sorted.rows ? batch.features : gatherRows(batch.features, D, single.rows);
    const setIds = new Int32Array(multi.keys.length);
    multi.keys.forEach((key, i) => {
      let j = this.setIndex.get(key);
      if (j === undefined) {
        j = this.setLabels.length;
        this.setIndex.set(key, j);
        this.setLabels.push(multi.sets[i]);
      }
      setIds[i] = j;
    });
    this.unlabelledRows += sorted.unlabelled;
    return {
      sorted,
      single: { features: singleFeatures, labels: single.classes },
      multi: { features: gatherRows(batch.features, D, multi.rows), labels: setIds },
    };
  }

  /** Runs the sub-batch additions; a non-finite value is reported at its row of the caller's batch. */
  private guard(batch: MultiLabelBatch, split: SplitBatch, run: () => void): void {
    try {
      run();
    } catch (e) {
      throw locateNonFinite(e, batch, split.sorted.D, this.batches - 1);
    }
  }

  private async guardAsync(batch: MultiLabelBatch, split: SplitBatch, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (e) {
      throw locateNonFinite(e, batch, split.sorted.D, this.batches - 1);
    }
  }

  /** Adds another accumulator's (or a serialized shard's) statistics; sets are matched by their labels. Order does not matter. */
  merge(other: MultiLabelMeansAccumulator | MultiLabelMeansStatistics): this {
    const s = other instanceof MultiLabelMeansAccumulator ? other.statistics : other;
    if ((s as { kind?: string }).kind !== 'multi-label') {
      throw new NcInputError('STATS_MISMATCH', 'cannot merge single-label means statistics into multi-label ones: the label sets of the single-label shard are unknown; compute every shard from multi-hot labels');
    }
    if (this.fixedK && s.K > this.k) throw new NcInputError('STATS_MISMATCH', `cannot merge multi-label statistics with K = ${s.K} into K = ${this.k}`);
    this.single.merge(s.single);
    if (s.D > 0 && this.d === undefined) this.d = s.D;
    const ids = s.sets.labels.map((labels) => {
      const key = setKey(labels as number[]);
      let j = this.setIndex.get(key);
      if (j === undefined) {
        j = this.setLabels.length;
        this.setIndex.set(key, j);
        this.setLabels.push(labels.slice());
      }
      return j;
    });
    if (ids.length > 0 && s.D > 0) {
      const J = this.setLabels.length;
      const D = s.D;
      const counts = new Float64Array(J);
      const sums = new Float64Array(J * D);
      ids.forEach((j, i) => {
        counts[j] = s.sets.counts[i];
        sums.set(s.sets.sums.subarray(i * D, (i + 1) * D), j * D);
      });
      this.setAcc.merge({ K: J, D, counts, sums });
    }
    if (s.K > this.k) this.k = s.K;
    this.unlabelledRows += s.unlabelled;
    return this;
  }

  /** Raises K (e.g. to the classifier's row count) so classes without samples are represented. */
  withK(K: number): this {
    if (K < this.k) throw new NcInputError('STATS_MISMATCH', `labels go up to ${this.k - 1} but K = ${K}`);
    this.k = K;
    return this;
  }

  get statistics(): MultiLabelMeansStatistics {
    const K = this.k;
    const raw1 = this.single.withK(Math.max(K, this.single.statistics.K)).statistics;
    const D = this.d ?? raw1.D;
    // A shard whose rows all had two or more labels never gave the single-label accumulator its D: zero sums of D.
    const single = raw1.D === D ? raw1 : { K: raw1.K, D, counts: raw1.counts, sums: new Float64Array(raw1.K * D) };
    const J = this.setLabels.length;
    const raw = this.setAcc.withK(Math.max(J, this.setAcc.statistics.K)).statistics;
    const order = Array.from({ length: J }, (_, j) => j).sort((a, b) => compareSets(this.setLabels[a], this.setLabels[b]));
    const counts = new Float64Array(J);
    const sums = new Float64Array(J * D);
    order.forEach((j, i) => {
      counts[i] = raw.counts[j] ?? 0;
      if (raw.D === D) sums.set(raw.sums.subarray(j * D, (j + 1) * D), i * D);
    });
    return {
      kind: 'multi-label', K, D, single,
      sets: { labels: order.map((j) => this.setLabels[j].slice()), counts, sums },
      unlabelled: this.unlabelledRows,
    };
  }
}

/**
 * A NON_FINITE error from a sub-batch names a row of the gathered rows; scanning the caller's batch names the row
 * there instead. Other errors pass unchanged.
 */
export function locateNonFinite(e: unknown, batch: MultiLabelBatch, D: number, batchIndex: number): unknown {
  if (!(e instanceof NcInputError && e.code === 'NON_FINITE')) return e;
  try {
    assertFinite(batch.features, D, 'features', batchIndex);
  } catch (located) {
    return located;
  }
  return e;
}
