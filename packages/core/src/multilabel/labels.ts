import { NcInputError } from '../errors.js';
import type { FloatArray, LabelArray } from '../types.js';
import { batchShape } from '../validate/batch.js';
import { badLabel, isClassIndex } from '../validate/labels.js';

/**
 * Multi-hot labels, rows × K row-major: 0/1 in any numeric type (bool arrays decode to 0/1), or booleans.
 * Their row count is their length / K, so K must be known (an option, or the classifier's rows).
 */
export type MultiHotArray =
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array
  | readonly number[] | readonly boolean[];

/** One list of class indices per row (the JS-friendly form): `[[3], [1, 4], []]`; an empty list is an unlabelled row. */
export type LabelLists = readonly ArrayLike<number>[];

/** A batch of multi-label samples: features rows × D and, per row, a label set (multi-hot row or label list). */
export interface MultiLabelBatch {
  features: FloatArray;
  labels: MultiHotArray | LabelLists;
}

/** True for the label-list form (an array whose entries are arrays). */
export function isLabelLists(labels: MultiLabelBatch['labels']): labels is LabelLists {
  return Array.isArray(labels) && labels.length > 0 && typeof labels[0] === 'object' && labels[0] !== null;
}

/** Canonical key of a label set: its labels ascending, joined by commas ("1,4"). */
export function setKey(labels: readonly number[]): string {
  return labels.join(',');
}

/** A batch's rows sorted by the size of their label set (indices into the batch). */
export interface SortedRows {
  rows: number;
  D: number;
  /** Rows with exactly one label, and that label. */
  single: { rows: Int32Array; classes: Int32Array };
  /** Rows with two or more labels, each with its set (ascending labels) and the set's key. */
  multi: { rows: Int32Array; sets: number[][]; keys: string[] };
  /** Rows with no label. */
  unlabelled: number;
  /** Largest label seen + 1 (0 when no row has a label). */
  width: number;
}

/**
 * Validates a multi-label batch and sorts its rows into single-label, multi-label and unlabelled. `K`: the label
 * width (required for multi-hot arrays; label lists may omit it and then take any non-negative integer).
 * Named errors: SHAPE (rows of labels and features disagree), BAD_LABEL (a multi-hot entry that is not 0/1, a list
 * entry outside 0..K−1 or repeated), BAD_OPTION (multi-hot labels without K).
 */
export function sortRows(batch: MultiLabelBatch, K: number | undefined, expectedD: number | undefined, batchIndex: number): SortedRows {
  const { labels } = batch;
  const lists = isLabelLists(labels);
  let rows: number;
  if (lists || (labels as ArrayLike<unknown>).length === 0) {
    rows = (labels as ArrayLike<unknown>).length;
  } else {
    if (K === undefined) {
      throw NcInputError.at('BAD_OPTION', { batch: batchIndex }, 'multi-hot labels (rows × K in one flat array) need K, the number of classes: pass K (or a classifier), or give one label list per row');
    }
    const len = (labels as ArrayLike<unknown>).length;
    if (len % K !== 0) {
      throw NcInputError.at('SHAPE', { batch: batchIndex }, `${len} multi-hot label values do not split into rows of K = ${K}`);
    }
    rows = len / K;
  }
  // batchShape reads only the labels' length: the row count.
  const { D } = batchShape({ features: batch.features, labels: { length: rows } as unknown as LabelArray }, expectedD, batchIndex);
  const singleRows: number[] = [];
  const singleClasses: number[] = [];
  const multiRows: number[] = [];
  const sets: number[][] = [];
  const keys: string[] = [];
  let unlabelled = 0;
  let width = 0;
  const row: number[] = [];
  for (let i = 0; i < rows; i++) {
    row.length = 0;
    if (lists) readList((labels as LabelLists)[i], K, batchIndex, i, row);
    else readMultiHot(labels as MultiHotArray, K!, batchIndex, i, row);
    if (row.length === 0) {
      unlabelled++;
    } else if (row.length === 1) {
      singleRows.push(i);
      singleClasses.push(row[0]);
    } else {
      const s = row.slice();
      multiRows.push(i);
      sets.push(s);
      keys.push(setKey(s));
    }
    if (row.length > 0 && row[row.length - 1] + 1 > width) width = row[row.length - 1] + 1;
  }
  return {
    rows, D,
    single: { rows: Int32Array.from(singleRows), classes: Int32Array.from(singleClasses) },
    multi: { rows: Int32Array.from(multiRows), sets, keys },
    unlabelled, width,
  };
}

/** Row i of flat multi-hot labels into `out` (ascending labels). */
function readMultiHot(labels: MultiHotArray, K: number, batch: number, i: number, out: number[]): void {
  const base = i * K;
  for (let k = 0; k < K; k++) {
    const v = labels[base + k] as number | boolean;
    if (v === 1 || v === true) out.push(k);
    else if (!(v === 0 || v === false)) {
      throw NcInputError.at('BAD_LABEL', { batch, row: i, column: k }, `multi-hot label value ${String(v)} is not 0 or 1 (scores or probabilities? threshold them first)`);
    }
  }
}

/** A label list into `out`, sorted; entries must be distinct integers in 0..K−1. */
function readList(list: ArrayLike<number>, K: number | undefined, batch: number, i: number, out: number[]): void {
  if (list === null || typeof list !== 'object' || typeof list.length !== 'number') {
    throw NcInputError.at('BAD_LABEL', { batch, row: i }, `expected a list of class indices, got ${String(list)}`);
  }
  for (let j = 0; j < list.length; j++) {
    const y = list[j];
    if (!isClassIndex(y, K)) throw badLabel(y, K, { batch, row: i });
    out.push(y);
  }
  out.sort((a, b) => a - b);
  for (let j = 1; j < out.length; j++) {
    if (out[j] === out[j - 1]) throw NcInputError.at('BAD_LABEL', { batch, row: i, label: out[j] }, `label ${out[j]} appears twice in the row's label list`);
  }
}

/**
 * Reusable scratch rows for gathering: fresh memory is slow to touch (a 68 MB gather took ~1 s on a busy 2-core
 * machine, against ~0.15 s through one reused 8 MB buffer), so rows are copied chunk by chunk into one buffer per
 * feature type that lives as long as its accumulator.
 */
export class RowGatherer {
  private f32: Float32Array | undefined;
  private f64: Float64Array | undefined;

  constructor(private readonly chunkRows: number) {}

  /**
   * Calls `use(rowsOfChunk, first)` for consecutive chunks of the given rows of `features` (rows × D), each gathered
   * into the scratch buffer (same type as the features; valid until `use` returns). `first` is the chunk's offset in
   * `rows`. A run of consecutive rows is passed as a view of the features, without a copy.
   */
  async forEachChunk(features: FloatArray, D: number, rows: Int32Array, use: (chunk: FloatArray, first: number, count: number) => void | Promise<void>): Promise<void> {
    for (let first = 0; first < rows.length; first += this.chunkRows) {
      const count = Math.min(this.chunkRows, rows.length - first);
      await use(this.gather(features, D, rows, first, count), first, count);
    }
  }

  /** The synchronous form of {@link forEachChunk}, for a synchronous `use`. */
  forEachChunkSync(features: FloatArray, D: number, rows: Int32Array, use: (chunk: FloatArray, first: number, count: number) => void): void {
    for (let first = 0; first < rows.length; first += this.chunkRows) {
      const count = Math.min(this.chunkRows, rows.length - first);
      use(this.gather(features, D, rows, first, count), first, count);
    }
  }

  private gather(features: FloatArray, D: number, rows: Int32Array, first: number, count: number): FloatArray {
    if (rows[first + count - 1] - rows[first] === count - 1) return features.subarray(rows[first] * D, (rows[first] + count) * D);
    let out: FloatArray;
    if (features instanceof Float32Array) {
      if (!this.f32 || this.f32.length < this.chunkRows * D) this.f32 = new Float32Array(this.chunkRows * D);
      out = this.f32;
    } else {
      if (!this.f64 || this.f64.length < this.chunkRows * D) this.f64 = new Float64Array(this.chunkRows * D);
      out = this.f64;
    }
    for (let i = 0; i < count; i++) {
      const r = rows[first + i];
      out.set(features.subarray(r * D, (r + 1) * D), i * D);
    }
    return out.subarray(0, count * D);
  }
}
