import { jsEngine } from '../engine/js-engine.js';
import { jsSpreadChunk } from '../engine/js-spread-kernel.js';
import type { KernelChunk, ProductEngine, SpreadKernelOutput } from '../engine/product-engine.js';
import type { ScatterSpace, SpreadPlan } from '../engine/spread-plan.js';
import { NcInputError } from '../errors.js';
import type { Batch } from '../types.js';
import { assertFinite, batchShape, checkLabels } from '../validate/batch.js';
import type { MeansStatistics } from './means.js';
import { RowNormalizer, labelRows } from './normalization.js';
import { spreadReference, type PerClassNc1Conventions, type SpreadReference, type SpreadReferenceOptions } from './spread-reference.js';

/**
 * Phase 2 sufficient statistics, given the phase-1 class means μ_k. All entries are sums over samples, so shards that
 * used the same means merge by addition. With r_i = h_i − μ_{y_i} and the shifted means m_k = μ_k − s
 * (s = class-uniform mean of the non-empty classes' means; any centring convention is recovered later exactly):
 */
export interface SpreadStatistics {
  readonly K: number;
  readonly D: number;
  /** Digest of the means this phase used; merging refuses different ones. */
  readonly meansFingerprint: string;
  /** Digest of the classifier (W, b) used for decisions, or undefined without one. */
  readonly classifierFingerprint?: string;
  /** The space of `scatter`: 'means' (K ≤ D) or 'features' (D < K). */
  readonly space: ScatterSpace;
  /** Samples seen per class (must equal phase 1's n_k). */
  readonly counts: Float64Array;
  /** Σ_{y_i=k} ‖r_i‖², length K. */
  readonly withinSS: Float64Array;
  /** 'means': Σ_i p_i p_iᵀ with p_i = M_s r_i (K × K); 'features': Σ_i r_i r_iᵀ = S_W (D × D). */
  readonly scatter: Float64Array;
  /** Samples of class k whose nearest class centre is μ_k (K). */
  readonly nccCorrect: Float64Array;
  /** With a classifier: samples of class k with argmax_j (W h + b)_j = k (K). */
  readonly classifierCorrect?: Float64Array;
  /** With a classifier: samples whose NCC decision differs from argmax (W h + b). */
  readonly nccClassifierMismatch?: number;
  /** With a classifier: the same, ignoring the bias (argmax W h), as rhubarbwu/neural-collapse computes it. */
  readonly nccClassifierMismatchNoBias?: number;
  /**
   * Rows per class whose decisions were counted, when the decisions (nccCorrect, classifierCorrect, the mismatches)
   * were counted on a sample of the rows (`withSampledDecisions`); absent when every row's were (= `counts`).
   */
  readonly decisionCounts?: Float64Array;
  /**
   * Σ_{y_i=k} r_iᵀ Σ_B⁺ r_i per class (K), for the Σ_B⁺ of `conventions` (per-class NC1 = sums[k]/n_k). Absent when
   * the spread phase skipped it (option perClassNc1: false) or the statistics come from a version-1 file.
   */
  readonly perClassNc1?: { readonly conventions: PerClassNc1Conventions; readonly sums: Float64Array };
}

/** Options of {@link SpreadAccumulator}. */
export interface SpreadAccumulatorOptions extends SpreadReferenceOptions {
  /** Product engine for the chunks (and the K-sized set-up); default the portable {@link jsEngine}. */
  engine?: ProductEngine;
  /** Rows per engine call; default min(4096, 2^25 / (columns of the widest product)): scratch ≤ 2^25 values. */
  chunkRows?: number;
}

/** A spread-phase partial computed elsewhere (e.g. on a GPU by @ncscope/tfjs), merged by {@link SpreadAccumulator.addPartial}. */
export interface SpreadPartial {
  counts: ArrayLike<number>;
  withinSS: ArrayLike<number>;
  /** m × m in the reference's space. */
  scatter: ArrayLike<number>;
  nccCorrect: ArrayLike<number>;
  classifierCorrect?: ArrayLike<number>;
  nccClassifierMismatch?: number;
  nccClassifierMismatchNoBias?: number;
  /** Per-class Σ q_i when the reference has a quadratic map. */
  perClassNc1?: ArrayLike<number>;
  /** Rows per class whose decisions were counted, when the partial counted them on a sample (see SpreadStatistics). */
  decisionCounts?: ArrayLike<number>;
}

/** Rows per chunk for a plan: the widest per-chunk product stays under 2^25 values. */
export function defaultChunkRows(plan: SpreadPlan): number {
  const cols = Math.max(plan.D, plan.m, plan.decisions?.classifier ? 2 * plan.K : plan.K, plan.quadratic?.rows ?? 0);
  return Math.max(64, Math.min(4096, Math.floor(2 ** 25 / cols)));
}

/** Runs one chunk through the engine's fused kernel, or the portable kernel on its products. */
export function runSpreadChunk(engine: ProductEngine, chunk: KernelChunk, plan: SpreadPlan): Promise<SpreadKernelOutput> {
  return engine.spreadChunk ? engine.spreadChunk(chunk, plan) : jsSpreadChunk(chunk, plan, engine);
}

/**
 * Streams batches into {@link SpreadStatistics} (phase 2). Build it with `await SpreadAccumulator.create(means,
 * options)` (the K-sized set-up runs on the engine), or from a ready {@link SpreadReference}.
 */
export class SpreadAccumulator {
  private readonly engine: ProductEngine;
  private readonly chunkRows: number;
  private readonly countsArr: Float64Array;
  private readonly withinArr: Float64Array;
  private readonly scatterArr: Float64Array;
  private readonly nccArr: Float64Array;
  private readonly clfArr: Float64Array | undefined;
  private readonly nc1Arr: Float64Array | undefined;
  private mismatch = 0;
  private mismatchNoBias = 0;
  /** Set once sampled-decision statistics are merged in (see SpreadStatistics.decisionCounts). */
  private decisionArr: Float64Array | undefined;
  private rowNormalizer: RowNormalizer | undefined;
  private batches = 0;

  /** Derives the reference from the means (on `options.engine`) and returns an empty accumulator. */
  static async create(means: MeansStatistics, options: SpreadAccumulatorOptions = {}): Promise<SpreadAccumulator> {
    return new SpreadAccumulator(await spreadReference(means, options), options);
  }

  constructor(readonly reference: SpreadReference, options: Pick<SpreadAccumulatorOptions, 'engine' | 'chunkRows'> = {}) {
    this.engine = options.engine ?? jsEngine;
    if (options.chunkRows !== undefined && !(Number.isInteger(options.chunkRows) && options.chunkRows >= 1)) {
      throw new NcInputError('BAD_OPTION', `chunkRows must be a positive integer, got ${options.chunkRows}`);
    }
    this.chunkRows = options.chunkRows ?? defaultChunkRows(reference);
    const { K, m } = reference;
    this.countsArr = new Float64Array(K);
    this.withinArr = new Float64Array(K);
    this.scatterArr = new Float64Array(m * m);
    this.nccArr = new Float64Array(K);
    this.clfArr = reference.decisions?.classifier ? new Float64Array(K) : undefined;
    this.nc1Arr = reference.quadratic ? new Float64Array(K) : undefined;
  }

  /** Adds one batch (the same data, in any batching, as phase 1; normalized as phase 1 normalized it). */
  async add(batch: Batch): Promise<this> {
    const index = this.batches++;
    const { K, D } = this.reference;
    const { rows } = batchShape(batch, D, index);
    if (rows === 0) return this;
    checkLabels(batch.labels, K, index);
    const n = this.reference.normalization;
    if (n) this.rowNormalizer ??= new RowNormalizer(n);
    for (let i = 0; i < rows; i++) {
      const y = batch.labels[i] as number;
      if (!this.reference.present[y]) {
        throw NcInputError.at('STATS_MISMATCH', { batch: index, row: i, label: y }, `class ${y} had no samples in the means phase; both phases must see the same data`);
      }
    }
    for (let start = 0; start < rows; start += this.chunkRows) {
      const chunk: KernelChunk = { features: batch.features, labels: batch.labels, start, rows: Math.min(this.chunkRows, rows - start), D, K };
      // Normalized rows (as phase 1 normalized them) go to the kernel from a reusable scratch chunk.
      const kernelChunk: KernelChunk = this.rowNormalizer
        ? { ...chunk, features: this.rowNormalizer.apply(batch.features, start, chunk.rows, D), labels: labelRows(batch.labels, start, chunk.rows), start: 0 }
        : chunk;
      this.accumulate(chunk, await runSpreadChunk(this.engine, kernelChunk, this.reference), index);
    }
    return this;
  }

  private accumulate(chunk: KernelChunk, out: SpreadKernelOutput, batchIndex: number): void {
    const { labels, start, rows } = chunk;
    const q = out.quadratic;
    for (let i = 0; i < rows; i++) {
      const ss = out.rowSquaredNorms[i];
      if (!Number.isFinite(ss) || (q && !Number.isFinite(q[i]))) {
        // Phase 1 refused non-finite values, so the data changed between passes or overflowed: name the row.
        assertFinite(chunk.features.subarray((start + i) * chunk.D, (start + i + 1) * chunk.D), chunk.D, 'features', batchIndex, start + i);
        throw NcInputError.at('NON_FINITE', { batch: batchIndex, row: start + i }, 'squared distance to the class mean overflowed');
      }
      const y = labels[start + i] as number;
      this.withinArr[y] += ss;
      this.countsArr[y] += 1;
      if (this.nc1Arr && q) this.nc1Arr[y] += q[i];
      if (!out.ncc) continue; // a plan without decisions (they are counted on a sample elsewhere)
      const ncc = Number(out.ncc[i]);
      if (ncc === y) this.nccArr[y] += 1;
      if (this.clfArr && out.classifier && out.classifierNoBias) {
        const c = Number(out.classifier[i]);
        if (c === y) this.clfArr[y] += 1;
        if (c !== ncc) this.mismatch++;
        if (Number(out.classifierNoBias[i]) !== ncc) this.mismatchNoBias++;
      }
    }
    const s = out.scatter;
    const S = this.scatterArr;
    for (let i = 0; i < S.length; i++) S[i] += s[i];
  }

  /** Adds sums computed elsewhere against the same {@link reference} (e.g. on device by @ncscope/tfjs). */
  addPartial(partial: SpreadPartial): this {
    const { K, m } = this.reference;
    const need = (name: string, a: ArrayLike<number> | undefined, len: number) => {
      if (!a || a.length !== len) throw new NcInputError('SHAPE', `spread partial: ${name} must have ${len} entries`);
    };
    need('counts', partial.counts, K);
    need('withinSS', partial.withinSS, K);
    need('scatter', partial.scatter, m * m);
    need('nccCorrect', partial.nccCorrect, K);
    for (let k = 0; k < K; k++) {
      this.countsArr[k] += partial.counts[k];
      this.withinArr[k] += partial.withinSS[k];
      this.nccArr[k] += partial.nccCorrect[k];
    }
    for (let i = 0; i < m * m; i++) this.scatterArr[i] += partial.scatter[i];
    if (this.clfArr) {
      need('classifierCorrect', partial.classifierCorrect, K);
      for (let k = 0; k < K; k++) this.clfArr[k] += partial.classifierCorrect![k];
      this.mismatch += partial.nccClassifierMismatch ?? 0;
      this.mismatchNoBias += partial.nccClassifierMismatchNoBias ?? 0;
    }
    if (this.nc1Arr) {
      need('perClassNc1', partial.perClassNc1, K);
      for (let k = 0; k < K; k++) this.nc1Arr[k] += partial.perClassNc1![k];
    }
    if (partial.decisionCounts) {
      need('decisionCounts', partial.decisionCounts, K);
      this.decisionArr ??= new Float64Array(K);
      for (let k = 0; k < K; k++) this.decisionArr[k] += partial.decisionCounts[k];
    }
    return this;
  }

  /** Adds another shard computed against the same means (and classifier). Order does not matter. */
  merge(other: SpreadAccumulator | SpreadStatistics): this {
    const s = other instanceof SpreadAccumulator ? other.statistics : other;
    checkMergeable(this.statistics, s);
    return this.addPartial({ ...s, perClassNc1: s.perClassNc1?.sums });
  }

  get statistics(): SpreadStatistics {
    const r = this.reference;
    const s: SpreadStatistics = {
      K: r.K,
      D: r.D,
      meansFingerprint: r.meansFingerprint,
      space: r.space,
      counts: this.countsArr,
      withinSS: this.withinArr,
      scatter: this.scatterArr,
      nccCorrect: this.nccArr,
    };
    const out: { -readonly [P in keyof SpreadStatistics]: SpreadStatistics[P] } = s;
    if (this.clfArr) {
      out.classifierFingerprint = r.classifierFingerprint;
      out.classifierCorrect = this.clfArr;
      out.nccClassifierMismatch = this.mismatch;
      out.nccClassifierMismatchNoBias = this.mismatchNoBias;
    }
    if (this.nc1Arr && r.perClassNc1) out.perClassNc1 = { conventions: r.perClassNc1, sums: this.nc1Arr };
    if (this.decisionArr) out.decisionCounts = this.decisionArr;
    return out;
  }
}

/** STATS_MISMATCH unless two spread statistics can be added: same means, classifier, space and per-class NC1 conventions. */
export function checkMergeable(a: SpreadStatistics, b: SpreadStatistics): void {
  if (a.K !== b.K || a.D !== b.D) throw NcInputError.mismatch('shape', `spread statistics with K = ${b.K}, D = ${b.D} into K = ${a.K}, D = ${a.D}`);
  if (b.meansFingerprint !== a.meansFingerprint) {
    throw NcInputError.mismatch('means', 'spread statistics computed against different class means (merge the means shards first, then run phase 2 against the merged means)');
  }
  if (b.classifierFingerprint !== a.classifierFingerprint) {
    throw NcInputError.mismatch('classifier', 'spread statistics computed with different classifiers (or one with and one without)');
  }
  if (b.space !== a.space) throw NcInputError.mismatch('space', `spread statistics whose scatter lives in different spaces ('${b.space}' into '${a.space}'); run every shard with the same space`);
  const ca = a.perClassNc1?.conventions;
  const cb = b.perClassNc1?.conventions;
  if ((ca === undefined) !== (cb === undefined) || (ca && cb && (ca.globalMean !== cb.globalMean || ca.rank !== cb.rank || ca.pinvRtol !== cb.pinvRtol))) {
    throw NcInputError.mismatch('conventions', 'spread statistics whose per-class NC1 sums use different conventions (or one without them); run every shard with the same options');
  }
  if ((a.decisionCounts === undefined) !== (b.decisionCounts === undefined)) {
    throw new NcInputError('STATS_MISMATCH', 'cannot merge spread statistics whose decisions were counted on a sample with ones that counted every row; run every shard with the same decisions sample');
  }
}

/** The sum of spread statistics that {@link checkMergeable} accepts, as new arrays. */
export function addSpreadStatistics(a: SpreadStatistics, b: SpreadStatistics): SpreadStatistics {
  checkMergeable(a, b);
  const add = (x: Float64Array, y: ArrayLike<number>) => {
    const out = x.slice();
    for (let i = 0; i < out.length; i++) out[i] += y[i];
    return out;
  };
  const out: { -readonly [P in keyof SpreadStatistics]: SpreadStatistics[P] } = {
    ...a,
    counts: add(a.counts, b.counts),
    withinSS: add(a.withinSS, b.withinSS),
    scatter: add(a.scatter, b.scatter),
    nccCorrect: add(a.nccCorrect, b.nccCorrect),
  };
  if (a.classifierCorrect && b.classifierCorrect) {
    out.classifierCorrect = add(a.classifierCorrect, b.classifierCorrect);
    out.nccClassifierMismatch = (a.nccClassifierMismatch ?? 0) + (b.nccClassifierMismatch ?? 0);
    out.nccClassifierMismatchNoBias = (a.nccClassifierMismatchNoBias ?? 0) + (b.nccClassifierMismatchNoBias ?? 0);
  }
  if (a.perClassNc1 && b.perClassNc1) out.perClassNc1 = { conventions: a.perClassNc1.conventions, sums: add(a.perClassNc1.sums, b.perClassNc1.sums) };
  if (a.decisionCounts && b.decisionCounts) out.decisionCounts = add(a.decisionCounts, b.decisionCounts);
  return out;
}

export { checkClassifier, residualPlan, spreadReference, type PerClassNc1Conventions, type SpreadReference, type SpreadReferenceOptions } from './spread-reference.js';
