import { NcInputError } from '../errors.js';
import { fingerprint } from '../statistics/fingerprint.js';
import { MeansAccumulator, type MeansAccumulatorOptions, type MeansStatistics } from '../statistics/means.js';
import type { FloatArray } from '../types.js';
import { assertFinite } from '../validate/batch.js';
import { RowGatherer, setKey, sortRows, type MultiLabelBatch, type SortedRows } from './labels.js';

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

/**
 * Counts and sums of the label sets, indexed by first appearance, in float64 with room that doubles as sets appear
 * (so a stream of batches that each bring a few new sets does not copy J × D sums every time). Plain loops: a fused
 * class-sums kernel returns J × D values per call, more work than the rows' own adds once sets outnumber rows.
 */
class SetSums {
  counts = new Float64Array(0);
  sums = new Float64Array(0);
  private D = 0;

  /** Makes room for J sets of D features. */
  reserve(J: number, D: number): void {
    if (this.D === 0) this.D = D;
    if (J <= this.counts.length) return;
    const cap = Math.max(J, 2 * this.counts.length, 16);
    const counts = new Float64Array(cap);
    counts.set(this.counts);
    const sums = new Float64Array(cap * this.D);
    sums.set(this.sums);
    this.counts = counts;
    this.sums = sums;
  }

  /** Adds rows × D features to their sets; NON_FINITE (then located by the caller) if a row holds NaN/±Inf. */
  add(features: FloatArray, ids: Int32Array, D: number): void {
    const { counts, sums } = this;
    for (let i = 0; i < ids.length; i++) {
      const j = ids[i];
      counts[j] += 1;
      const base = j * D;
      const off = i * D;
      let check = 0;
      for (let t = 0; t < D; t++) {
        const v = features[off + t];
        sums[base + t] += v;
        check += v;
      }
      if (!Number.isFinite(check)) throw new NcInputError('NON_FINITE', 'a multi-label row holds a value that is not finite');
    }
  }
}

/** One batch's rows sorted by kind, with the set index of each multi-label row. */
interface SplitBatch {
  sorted: SortedRows;
  setIds: Int32Array;
  index: number;
}

/**
 * Streams multi-label batches into {@link MultiLabelMeansStatistics} (phase 1). Labels are multi-hot rows × K (give
 * `K`) or one label list per row (K may then grow with the labels). Single-label rows feed a standard
 * {@link MeansAccumulator} (the engine's fused class-sums kernel in {@link addAsync}); multi-label rows are summed per
 * label set, for the sets seen so far only. Runs of consecutive rows of one kind are passed on as views; other rows
 * are gathered chunk by chunk into one reused buffer (O(rows · D), small next to the products of phase 2).
 */
export class MultiLabelMeansAccumulator {
  private k: number;
  private readonly fixedK: boolean;
  private d: number | undefined;
  private readonly single: MeansAccumulator;
  private readonly setSums = new SetSums();
  private readonly setIndex = new Map<string, number>();
  private readonly setLabels: number[][] = [];
  private unlabelledRows = 0;
  private batches = 0;
  private readonly gatherer: RowGatherer;

  constructor(options: MeansAccumulatorOptions = {}) {
    if (options.K !== undefined && !(Number.isInteger(options.K) && options.K >= 1)) {
      throw new NcInputError('BAD_OPTION', `K must be a positive integer, got ${options.K}`);
    }
    this.k = options.K ?? 0;
    this.fixedK = options.K !== undefined;
    this.d = options.D;
    this.single = new MeansAccumulator(options);
    this.gatherer = new RowGatherer(options.chunkRows ?? 4096);
  }

  /** K so far: the fixed K, or the largest label seen + 1. */
  get K(): number {
    return this.k;
  }

  /** Adds one batch with plain loops. Labels and features are checked first; errors name the batch and row. */
  add(batch: MultiLabelBatch): this {
    const { sorted, setIds, index } = this.split(batch);
    const { D, single, multi } = sorted;
    try {
      this.gatherer.forEachChunkSync(batch.features, D, single.rows, (features, first, n) => void this.single.add({ features, labels: single.classes.subarray(first, first + n) }));
      this.addSets(batch, sorted, setIds);
    } catch (e) {
      throw locateNonFinite(e, batch, D, index);
    }
    return this;
  }

  private addSets(batch: MultiLabelBatch, sorted: SortedRows, setIds: Int32Array): void {
    if (setIds.length === 0) return;
    this.setSums.reserve(this.setLabels.length, sorted.D);
    this.gatherer.forEachChunkSync(batch.features, sorted.D, sorted.multi.rows, (features, first, n) => this.setSums.add(features, setIds.subarray(first, first + n), sorted.D));
  }

  /** Adds one batch, the single-label rows through the engine's fused `classSums` kernel when it has one (else like {@link add}). */
  async addAsync(batch: MultiLabelBatch): Promise<this> {
    const { sorted, setIds, index } = this.split(batch);
    const { D, single, multi } = sorted;
    try {
      await this.gatherer.forEachChunk(batch.features, D, single.rows, async (features, first, n) => void (await this.single.addAsync({ features, labels: single.classes.subarray(first, first + n) })));
      this.addSets(batch, sorted, setIds);
    } catch (e) {
      throw locateNonFinite(e, batch, D, index);
    }
    return this;
  }

  /** Validates the whole batch (nothing is added on a label error), registers new sets, and sorts the rows. */
  private split(batch: MultiLabelBatch): SplitBatch {
    const index = this.batches++;
    const sorted = sortRows(batch, this.fixedK ? this.k : undefined, this.d, index);
    if (sorted.rows > 0 && this.d === undefined) this.d = sorted.D;
    if (sorted.width > this.k) this.k = sorted.width;
    const { multi } = sorted;
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
    return { sorted, setIds, index };
  }

  /** Adds another accumulator's (or a serialized shard's) statistics; sets are matched by their labels. Order does not matter. */
  merge(other: MultiLabelMeansAccumulator | MultiLabelMeansStatistics): this {
    const s = other instanceof MultiLabelMeansAccumulator ? other.statistics : other;
    if ((s as { kind?: string }).kind !== 'multi-label') {
      throw NcInputError.mismatch('labels', 'single-label means statistics into multi-label ones: the label sets of the single-label shard are unknown; compute every shard from multi-hot labels');
    }
    if (this.fixedK && s.K > this.k) throw NcInputError.mismatch('shape', `multi-label statistics with K = ${s.K} into K = ${this.k}`);
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
      if (this.d !== s.D) throw NcInputError.mismatch('shape', `multi-label statistics with D = ${s.D} into D = ${this.d}`);
      const D = s.D;
      this.setSums.reserve(this.setLabels.length, D);
      const { counts, sums } = this.setSums;
      ids.forEach((j, i) => {
        counts[j] += s.sets.counts[i];
        for (let t = 0; t < D; t++) sums[j * D + t] += s.sets.sums[i * D + t];
      });
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
    const raw = this.setSums;
    const order = Array.from({ length: J }, (_, j) => j).sort((a, b) => compareSets(this.setLabels[a], this.setLabels[b]));
    const counts = new Float64Array(J);
    const sums = new Float64Array(J * D);
    order.forEach((j, i) => {
      counts[i] = raw.counts[j] ?? 0;
      if (j < raw.counts.length) sums.set(raw.sums.subarray(j * D, (j + 1) * D), i * D);
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
