import { jsEngine } from '../engine/js-engine.js';
import type { KernelChunk, ProductEngine } from '../engine/product-engine.js';
import type { SpreadPlan } from '../engine/spread-plan.js';
import { NcInputError } from '../errors.js';
import { SpreadAccumulator, addSpreadStatistics, checkMergeable, defaultChunkRows, residualPlan, runSpreadChunk, type SpreadAccumulatorOptions, type SpreadStatistics } from '../statistics/spread.js';
import { assertFinite } from '../validate/batch.js';
import { RowGatherer, setKey, sortRows, type MultiLabelBatch } from './labels.js';
import { locateNonFinite, setsFingerprint, type MultiLabelMeansStatistics } from './means.js';

/** Phase-2 sums of the multi-label rows, per label set (in the means' set order). */
export interface LabelSetSpread {
  /** n_S seen (must equal phase 1's). */
  readonly counts: Float64Array;
  /** Σ_{i∈S} ‖h_i − μ_S‖² per set. */
  readonly withinSS: Float64Array;
  /** Σ b bᵀ over the multi-label rows' residuals r = h − μ_S, in the single-label spread's space (m × m). */
  readonly scatter: Float64Array;
}

/**
 * Phase-2 statistics of multi-label data, given the phase-1 {@link MultiLabelMeansStatistics}: the standard spread
 * statistics of the single-label rows (against the single-label class means, with NCC and classifier decisions), and
 * for the multi-label rows the residuals around their own label set's mean, measured in the same space (so Σ_W^sets,
 * and with it label-set NC1, is exact for any global-mean convention). Sums over samples: shards computed against the
 * same merged means merge by addition.
 */
export interface MultiLabelSpreadStatistics {
  readonly kind: 'multi-label';
  readonly K: number;
  readonly D: number;
  /** Digest of the label-set means this phase used ({@link setsFingerprint}). */
  readonly setsFingerprint: string;
  readonly single: SpreadStatistics;
  readonly sets: LabelSetSpread;
  /** Unlabelled rows seen (must equal phase 1's). */
  readonly unlabelled: number;
}

/**
 * Streams multi-label batches into {@link MultiLabelSpreadStatistics} (phase 2). Build it with `await
 * MultiLabelSpreadAccumulator.create(means, options)` (options as the standard spread accumulator's: classifier,
 * engine, chunkRows, space, perClassNc1). The multi-label rows run through `runSpreadChunk` with a
 * {@link residualPlan} whose centres are the label-set means, on the same engine (fused kernels included).
 */
export class MultiLabelSpreadAccumulator {
  private readonly engine: ProductEngine;
  private readonly chunkRows: number;
  private readonly setIndex = new Map<string, number>();
  private readonly setCounts: Float64Array;
  private readonly setWithin: Float64Array;
  private readonly setScatter: Float64Array;
  private readonly fingerprintOfSets: string;
  private unlabelledRows = 0;
  private batches = 0;
  private readonly gatherer: RowGatherer;

  /** Derives both references from the means (on `options.engine`) and returns an empty accumulator. */
  static async create(means: MultiLabelMeansStatistics, options: SpreadAccumulatorOptions = {}): Promise<MultiLabelSpreadAccumulator> {
    if ((means as { kind?: string }).kind !== 'multi-label') {
      throw new NcInputError('STATS_MISMATCH', 'multi-label spread statistics need multi-label means statistics (from MultiLabelMeansAccumulator or a multi-label statistics file)');
    }
    if (!(means.single.counts.some((n) => n > 0))) {
      throw new NcInputError('NO_DATA', 'no sample has exactly one label: the class means μ_k (and every multi-label metric) are means of single-label samples');
    }
    const single = await SpreadAccumulator.create(means.single, options);
    const { counts, sums, labels } = means.sets;
    const J = counts.length;
    const D = means.D;
    let plan: SpreadPlan | undefined;
    if (J > 0) {
      const centres = new Float64Array(J * D);
      for (let j = 0; j < J; j++) for (let t = 0; t < D; t++) centres[j * D + t] = sums[j * D + t] / counts[j];
      // Residuals around the set means, coordinates in the single-label space; no per-row quadratic form is needed
      // (label-set NC1 comes from the scatter, for any conventions).
      plan = { ...residualPlan(single.reference, centres, J), quadratic: undefined };
    }
    const acc = new MultiLabelSpreadAccumulator(means, single, plan, options);
    labels.forEach((s, j) => acc.setIndex.set(setKey(s as number[]), j));
    return acc;
  }

  private constructor(
    private readonly means: MultiLabelMeansStatistics,
    /** The standard spread accumulator of the single-label rows. */
    readonly single: SpreadAccumulator,
    /** The residual plan of the multi-label rows (undefined when no set has two or more labels). */
    readonly plan: SpreadPlan | undefined,
    options: Pick<SpreadAccumulatorOptions, 'engine' | 'chunkRows'>,
  ) {
    this.engine = options.engine ?? jsEngine;
    this.chunkRows = options.chunkRows ?? (plan ? defaultChunkRows(plan) : 4096);
    this.gatherer = new RowGatherer(this.chunkRows);
    const J = means.sets.counts.length;
    const m = single.reference.m;
    this.setCounts = new Float64Array(J);
    this.setWithin = new Float64Array(J);
    this.setScatter = new Float64Array(m * m);
    this.fingerprintOfSets = setsFingerprint(means.sets);
  }

  /** Adds one batch (the same data, in any batching, as phase 1). */
  async add(batch: MultiLabelBatch): Promise<this> {
    const index = this.batches++;
    const { K, D } = this.means;
    const sorted = sortRows(batch, K, D, index);
    const present = this.single.reference.present;
    for (let i = 0; i < sorted.single.rows.length; i++) {
      const y = sorted.single.classes[i];
      if (!present[y]) {
        const row = sorted.single.rows[i];
        throw NcInputError.at('STATS_MISMATCH', { batch: index, row, label: y }, `label set {${y}} had no samples in the means phase; both phases must see the same data`);
      }
    }
    const ids = new Int32Array(sorted.multi.keys.length);
    sorted.multi.keys.forEach((key, i) => {
      const j = this.setIndex.get(key);
      if (j === undefined) {
        const row = sorted.multi.rows[i];
        throw NcInputError.at('STATS_MISMATCH', { batch: index, row }, `label set {${key}} had no samples in the means phase; both phases must see the same data`);
      }
      ids[i] = j;
    });
    this.unlabelledRows += sorted.unlabelled;
    const { single, multi } = sorted;
    try {
      await this.gatherer.forEachChunk(batch.features, D, single.rows, async (features, first, n) => void (await this.single.add({ features, labels: single.classes.subarray(first, first + n) })));
    } catch (e) {
      throw locateNonFinite(e, batch, D, index);
    }
    await this.gatherer.forEachChunk(batch.features, D, multi.rows, async (features, first, rows) => {
      const chunk: KernelChunk = { features, labels: ids.subarray(first, first + rows), start: 0, rows, D, K };
      const out = await runSpreadChunk(this.engine, chunk, this.plan!);
      for (let i = 0; i < rows; i++) {
        const ss = out.rowSquaredNorms[i];
        if (!Number.isFinite(ss)) {
          const row = multi.rows[first + i];
          assertFinite(batch.features.subarray(row * D, (row + 1) * D), D, 'features', index, row);
          throw NcInputError.at('NON_FINITE', { batch: index, row }, 'squared distance to the label-set mean overflowed');
        }
        const j = ids[first + i];
        this.setWithin[j] += ss;
        this.setCounts[j] += 1;
      }
      const s = out.scatter;
      for (let i = 0; i < this.setScatter.length; i++) this.setScatter[i] += s[i];
    });
    return this;
  }

  /** Adds another shard computed against the same means (and classifier). Order does not matter. */
  merge(other: MultiLabelSpreadAccumulator | MultiLabelSpreadStatistics): this {
    const s = other instanceof MultiLabelSpreadAccumulator ? other.statistics : other;
    checkMultiLabelMergeable(this.statistics, s);
    this.single.merge(s.single);
    for (let j = 0; j < this.setCounts.length; j++) {
      this.setCounts[j] += s.sets.counts[j];
      this.setWithin[j] += s.sets.withinSS[j];
    }
    for (let i = 0; i < this.setScatter.length; i++) this.setScatter[i] += s.sets.scatter[i];
    this.unlabelledRows += s.unlabelled;
    return this;
  }

  get statistics(): MultiLabelSpreadStatistics {
    return {
      kind: 'multi-label', K: this.means.K, D: this.means.D, setsFingerprint: this.fingerprintOfSets,
      single: this.single.statistics,
      sets: { counts: this.setCounts, withinSS: this.setWithin, scatter: this.setScatter },
      unlabelled: this.unlabelledRows,
    };
  }
}

/** STATS_MISMATCH unless two multi-label spread statistics can be added (same set means, and what the single-label part needs). */
export function checkMultiLabelMergeable(a: MultiLabelSpreadStatistics, b: MultiLabelSpreadStatistics): void {
  if ((b as { kind?: string }).kind !== 'multi-label' || (a as { kind?: string }).kind !== 'multi-label') {
    throw NcInputError.mismatch('labels', 'single-label spread statistics with multi-label ones; compute every shard from multi-hot labels');
  }
  if (a.setsFingerprint !== b.setsFingerprint) {
    throw NcInputError.mismatch('means', 'multi-label spread statistics computed against different label-set means (merge the means shards first, then run phase 2 against the merged means)');
  }
  checkMergeable(a.single, b.single);
}

/** The sum of two multi-label spread statistics that {@link checkMultiLabelMergeable} accepts, as new arrays. */
export function addMultiLabelSpread(a: MultiLabelSpreadStatistics, b: MultiLabelSpreadStatistics): MultiLabelSpreadStatistics {
  checkMultiLabelMergeable(a, b);
  const add = (x: Float64Array, y: ArrayLike<number>) => Float64Array.from(x, (v, i) => v + y[i]);
  return {
    ...a,
    single: addSpreadStatistics(a.single, b.single),
    sets: { counts: add(a.sets.counts, b.sets.counts), withinSS: add(a.sets.withinSS, b.sets.withinSS), scatter: add(a.sets.scatter, b.sets.scatter) },
    unlabelled: a.unlabelled + b.unlabelled,
  };
}
