import { NcInputError } from '../errors.js';
import { assertFinite } from '../validate/batch.js';

/** NON_FINITE naming the set (as `where.source`), batch, row and column. */
function assertFiniteIn(values: ArrayLike<number> & (Float32Array | Float64Array), D: number, what: string, set: string, batch: number): void {
  try {
    assertFinite(values, D, what, batch);
  } catch (e) {
    if (e instanceof NcInputError) throw new NcInputError(e.code, `${set}, ${e.message}`, { ...e.where, source: set });
    throw e;
  }
}
import type { OodDetector, OodBatch } from './detector.js';
import type { OodScoreName } from './params.js';

/** The per-row scores of one scored set, in row order, and the set's feature mean. */
export interface OodSetScores {
  /** The set's name ("in-distribution", or the OOD set's name). */
  readonly name: string;
  readonly rows: number;
  /** One float64 per row for each score the detector runs. */
  readonly scores: Readonly<Partial<Record<OodScoreName, Float64Array>>>;
  /** The set's mean feature vector (D), for NC5. */
  readonly mean: Float64Array;
}

/** A growable float64 buffer (one value per scored row). */
class Column {
  private data = new Float64Array(1024);
  length = 0;

  push(values: Float64Array): void {
    if (this.length + values.length > this.data.length) {
      let cap = this.data.length;
      while (cap < this.length + values.length) cap *= 2;
      const next = new Float64Array(cap);
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    this.data.set(values, this.length);
    this.length += values.length;
  }

  /** The values, trimmed to length (a copy only when the buffer is larger). */
  take(): Float64Array {
    return this.data.length === this.length ? this.data : this.data.slice(0, this.length);
  }
}

/**
 * Streams one unlabelled set (test, ID or OOD) through a detector: validates each batch (D, finiteness, logits),
 * scores it chunk by chunk, and keeps one float per row per score plus the set's feature sum. Build it with
 * {@link OodDetector} and `new OodSetScorer(detector, name)`.
 */
export class OodSetScorer {
  private readonly columns = new Map<OodScoreName, Column>();
  private readonly centredSum: Float64Array;
  private rows = 0;
  private batches = 0;
  private logitsWidth: number | undefined;

  constructor(private readonly detector: OodDetector, readonly name: string) {
    for (const s of detector.params.scores) this.columns.set(s, new Column());
    this.centredSum = new Float64Array(detector.D);
  }

  /** Adds a batch (features rows × D; logits rows × K when the detector reads logits from the rows). */
  async add(batch: OodBatch): Promise<this> {
    const index = this.batches++;
    const D = this.detector.D;
    const where = { source: this.name, batch: index };
    const { features } = batch;
    if (!(features instanceof Float32Array || features instanceof Float64Array)) {
      throw new NcInputError('SHAPE', `${this.name}, batch ${index}: features must be a Float32Array or Float64Array (rows × D, row-major)`, where);
    }
    if (features.length % D !== 0) {
      throw new NcInputError('SHAPE', `${this.name}, batch ${index}: ${features.length} feature values do not split into rows of the fit set's D = ${D} (the sets must have the same feature dimension)`, where);
    }
    const rows = features.length / D;
    if (rows === 0) return this;
    assertFiniteIn(features, D, 'features', this.name, index);
    let useLogits = batch.logits;
    if (this.detector.classifierWeights) useLogits = undefined; // the classifier defines z
    else if (this.needsRowLogits) {
      if (!batch.logits) throw new NcInputError('SHAPE', `${this.name}, batch ${index}: the rows carry no logits, and without a classifier the logit scores need them`, where);
      if (batch.logits.length % rows !== 0 || batch.logits.length === 0) {
        throw new NcInputError('SHAPE', `${this.name}, batch ${index}: ${batch.logits.length} logit values do not split into ${rows} rows`, where);
      }
      const K = batch.logits.length / rows;
      if (this.logitsWidth !== undefined && K !== this.logitsWidth) {
        throw new NcInputError('SHAPE', `${this.name}, batch ${index}: rows have ${K} logits, earlier batches had ${this.logitsWidth}`, where);
      }
      this.logitsWidth = K;
      assertFiniteIn(batch.logits, K, 'logits', this.name, index);
    } else useLogits = undefined;
    const step = this.detector.chunkRows();
    for (let start = 0; start < rows; start += step) {
      const n = Math.min(step, rows - start);
      const { scores, centredSum } = await this.detector.scoreChunk({ features, logits: useLogits }, start, n);
      for (const [s, col] of this.columns) col.push(scores[s]!);
      for (let t = 0; t < D; t++) this.centredSum[t] += centredSum[t];
    }
    this.rows += rows;
    return this;
  }

  /** Whether the detector takes logits from the rows (no classifier, logit scores asked for). */
  private get needsRowLogits(): boolean {
    const p = this.detector.params;
    return p.scores.some((s) => s === 'msp' || s === 'maxlogit' || s === 'energy' || (s === 'neco' && p.necoMaxLogit));
  }

  /** Rows scored so far. */
  get rowCount(): number {
    return this.rows;
  }

  /** The scores and the set's mean; NO_DATA when no row was scored. */
  result(): OodSetScores {
    if (this.rows === 0) throw new NcInputError('NO_DATA', `${this.name}: the set has no rows`, { source: this.name });
    const D = this.detector.D;
    const mu = this.detector.moments.sampleMean;
    const mean = new Float64Array(D);
    for (let t = 0; t < D; t++) mean[t] = mu[t] + this.centredSum[t] / this.rows;
    const scores: Partial<Record<OodScoreName, Float64Array>> = {};
    for (const [s, col] of this.columns) scores[s] = col.take();
    return { name: this.name, rows: this.rows, scores, mean };
  }
}
