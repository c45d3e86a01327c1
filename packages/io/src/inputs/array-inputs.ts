import { NcInputError, type Batch, type Classifier, type FloatArray } from '@ncscope/core';
import { checkLabelShape } from './labels.js';
import { openInput, type InputRole, type OpenedInput } from '../arrays/open.js';
import type { DecodedArray, Tensor } from '../arrays/tensor.js';

/** Paths and keys of the arrays of a labelled feature set (features, labels, optional classifier). */
export interface ArrayInputPaths {
  features: string;
  labels: string;
  weights?: string;
  bias?: string;
  featuresKey?: string;
  labelsKey?: string;
  weightsKey?: string;
  biasKey?: string;
  /** Labels must be multi-hot N × K (`--multi-label`); otherwise an N × K (K > 1) label array is detected as multi-hot. */
  multiLabel?: boolean;
}

/** Opened, shape-checked inputs; only headers have been read. */
export interface ArrayInputs {
  features: OpenedInput;
  labels: OpenedInput;
  weights?: OpenedInput;
  bias?: OpenedInput;
  /** Samples (rows of features = number of labels). */
  N: number;
  /** Feature dimension (trailing axes of the features flattened). */
  D: number;
  /** Classes, from the classifier rows when weights are given (or the columns of multi-hot labels). */
  K?: number;
  /** Multi-hot labels (N × K, K ≥ 2): the multi-label analysis (core's analyzeMultiLabel). */
  multiLabel: boolean;
  /** Notes for the report (e.g. flattened feature axes). */
  notes: string[];
  close(): Promise<void>;
}

/**
 * Opens every input and checks shapes before any data is read: features have ≥ 2 axes (N × D; trailing axes are
 * flattened), labels are 1-D (or N × 1) with one entry per feature row, weights are K × D, bias has K entries.
 * On error every file opened so far is closed and an NcInputError names the file and the problem.
 */
export async function openArrayInputs(paths: ArrayInputPaths): Promise<ArrayInputs> {
  const opened: OpenedInput[] = [];
  const open = async (path: string, role: InputRole, key?: string) => {
    const input = await openInput(path, role, key);
    opened.push(input);
    return input;
  };
  const close = async () => {
    await Promise.all(opened.map((o) => o.close().catch(() => undefined)));
  };
  try {
    if (paths.bias !== undefined && paths.weights === undefined) throw NcInputError.at('BAD_OPTION', { source: paths.bias }, "a bias needs the classifier's weights (K × D rows)", [{ option: 'weights', purpose: 'with the bias' }]);
    const features = await open(paths.features, 'features', paths.featuresKey);
    const labels = await open(paths.labels, 'labels', paths.labelsKey);
    const f = features.tensor;
    const l = labels.tensor;
    const notes: string[] = [];
    if (f.shape.length < 2) throw NcInputError.at('SHAPE', { source: f.where }, `features must be 2-D (N × D), got shape ${f.shapeText}`);
    const N = f.shape[0];
    const D = f.rowSize;
    if (N === 0) throw NcInputError.at('SHAPE', { source: f.where }, `has no rows (shape ${f.shapeText})`);
    if (D === 0) throw NcInputError.at('SHAPE', { source: f.where }, `rows are empty (shape ${f.shapeText})`);
    if (f.shape.length > 2) notes.push(`features of shape ${f.shapeText} were flattened to ${N} × ${D}`);
    const multiLabel = multiHotShape(l, paths.multiLabel === true);
    if (multiLabel) {
      if (l.rows !== N) throw NcInputError.at('SHAPE', { source: l.where }, `has ${l.rows} labels but ${f.where} has ${N} feature rows`);
    } else {
      if (!(l.shape.length === 1 || (l.shape.length === 2 && l.shape[1] === 1))) throw NcInputError.at('SHAPE', { source: l.where }, `labels must be 1-D class indices or N × K multi-hot rows, got shape ${l.shapeText}`);
      checkLabelShape(l, N, f.where);
    }
    let K: number | undefined = multiLabel ? l.shape[1] : undefined;
    let weights: OpenedInput | undefined;
    let bias: OpenedInput | undefined;
    if (paths.weights !== undefined) {
      weights = await open(paths.weights, 'weights', paths.weightsKey);
      const w = weights.tensor;
      if (w.shape.length !== 2) throw NcInputError.at('SHAPE', { source: w.where }, `classifier weights must be 2-D (K × D), got shape ${w.shapeText}`);
      if (w.shape[1] !== D) {
        const hint = w.shape[0] === D ? ` — it looks like D × K (Keras layout); ncscope expects K × D (PyTorch nn.Linear layout): save its transpose` : '';
        throw NcInputError.at('SHAPE', { source: w.where }, `weights have shape ${w.shapeText} but the features have D = ${D}${hint}`);
      }
      if (multiLabel && w.shape[0] !== K) {
        throw NcInputError.at('SHAPE', { source: l.where }, `multi-hot labels have K = ${K} columns but ${w.where} has ${w.shape[0]} rows; the label columns and the classifier rows must be the same classes`);
      }
      K = w.shape[0];
      if (K < 2) throw NcInputError.at('SHAPE', { source: w.where }, `a classifier needs at least 2 rows (classes), got shape ${w.shapeText}`);
      if (paths.bias !== undefined) {
        bias = await open(paths.bias, 'bias', paths.biasKey);
        const b = bias.tensor;
        if (!(b.shape.length === 1 || (b.shape.length === 2 && b.shape[0] === 1)) || b.elementCount !== K) {
          throw NcInputError.at('SHAPE', { source: b.where }, `bias must have K = ${K} entries (one per classifier row), got shape ${b.shapeText}`);
        }
      }
    }
    return { features, labels, weights, bias, N, D, K, multiLabel, notes, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Rows [start, end) of a file (a shard's, or all). */
export interface RowRange {
  start: number;
  end: number;
}

/**
 * Whether a label array is multi-hot: N × K with K ≥ 2 (one-hot rows are multi-hot rows with one label each, and give
 * the same single-label report plus an empty multi-label section). `forced` (`--multi-label`) refuses anything else.
 */
function multiHotShape(l: Tensor, forced: boolean): boolean {
  const twoD = l.shape.length === 2 && l.shape[1] >= 2;
  if (forced && !twoD) throw NcInputError.at('SHAPE', { source: l.where }, `multi-label analysis needs multi-hot labels of shape N × K (K ≥ 2 classes, 0/1 entries), got shape ${l.shapeText}`);
  return twoD;
}

/** Reads the classifier (weights and optional bias) whole, as float arrays; undefined without weights. */
export async function readClassifier(inputs: ArrayInputs): Promise<Classifier | undefined> {
  if (!inputs.weights) return undefined;
  const weights = toFloat(await inputs.weights.tensor.readAll());
  const bias = inputs.bias ? toFloat(await inputs.bias.tensor.readAll()) : undefined;
  return { weights, bias };
}

/** Floats stay as they are (float16/bfloat16 arrive as Float32Array); integers become Float64Array (exact). */
export function toFloat(a: DecodedArray): FloatArray {
  return a instanceof Int32Array ? Float64Array.from(a) : a;
}

/**
 * The re-readable batch source core's two-pass driver (`runPasses`, `analyze`) needs: each call returns a fresh
 * async iterable over batches of `batchSize` rows, reading features and labels side by side from disk, one batch
 * ahead. With `rows`, only rows [start, end) are read (positioned reads: the rest of the file is never touched).
 * The driver times how long each pass waits for it (`timing.read`).
 *
 * The features of a batch are read into one of two buffers that alternate (the batch in use and the one being read
 * ahead), so a pass does not fault in fresh pages for every batch (~57,000 page faults per cold
 * `ncscope analyze` of 50,000 × 512 float32 before; system time was a third of the process's CPU). A batch's
 * features stay valid until the consumer asks for the batch after next — core's accumulators finish a batch first.
 */
export function batchSource(features: Tensor, labels: Tensor, batchSize: number, rows: RowRange = { start: 0, end: features.rows }): () => AsyncIterable<Batch> {
  const { start: first, end } = rows;
  const N = features.rows;
  const bytes = Math.min(batchSize, Math.max(0, end - first)) * (features.elementCount / Math.max(1, N)) * features.itemSize;
  const scratch = [new Uint8Array(bytes), new Uint8Array(bytes)];
  let turn = 0;
  const read = (start: number): Promise<Batch> => {
    const count = Math.min(batchSize, end - start);
    const buffer = scratch[turn++ % 2];
    const p = Promise.all([features.readRows(start, count, buffer), labels.readRows(start, count)]).then(([f, l]) => ({ features: toFloat(f), labels: l }));
    p.catch(() => undefined); // a prefetch the consumer never awaits (it stopped on an error) must not become an unhandled rejection
    return p;
  };
  return () =>
    (async function* () {
      if (end <= first) return;
      let next = read(first);
      for (let start = first; start < end; start += batchSize) {
        const batch = await next;
        if (start + batchSize < end) next = read(start + batchSize);
        yield batch;
      }
    })();
}
