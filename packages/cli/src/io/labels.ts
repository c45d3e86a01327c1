import { NcInputError } from '@ncscope/core';
import { CliError } from '../errors.js';
import type { Tensor } from './tensor.js';

/**
 * The label rule of every command that reads labels (analyze, onnx, head, stats):
 *
 * - shape (N,) or (N, 1), one label per sample;
 * - any numeric dtype — integer types, bool, or **floats holding integers** (2.0 is class 2). Pipelines often
 *   store labels as floats (np.loadtxt, pandas, `y.float()` in PyTorch); every integer below 2^24 is exact in
 *   float32, so such a value names its class unambiguously. Anything else (2.5, NaN, −1) is refused with the
 *   file and row. Core's `checkLabels` applies the same rule to in-memory batches.
 *
 * And the rule for K (the number of classes):
 *
 * - `--classes K` states K; a classifier (`--weights`, or the graph's classifier in `onnx`) states it too, and
 *   the two must agree. A label ≥ K is refused (file and row).
 * - Otherwise K is the largest label + 1. Then a class below it with no samples (a gap between present labels)
 *   usually means a stray label — one 7 among 0..2 would make K = 8 and change every metric — so it is refused
 *   unless `--empty-classes exclude` is given explicitly (or K is stated with --classes).
 * - Empty classes of a stated K are excluded with a warning by default (`--empty-classes error` refuses them).
 * - At least two classes must have samples.
 */

/** Per-class counts of a label array, and where its largest label is. */
export interface LabelScan {
  /** Where the labels came from, for messages (`y.npy`, `run.npz: member 'labels'`). */
  where: string;
  N: number;
  /** Samples per label value (only values that occur). */
  counts: Map<number, number>;
  maxLabel: number;
  /** Row of the (first) largest label. */
  maxRow: number;
}

/** Refuses a labels array that is not (N,) or (N, 1) with one entry per sample. */
export function checkLabelShape(labels: Tensor, N: number, samplesWhere: string, samplesNoun = 'feature rows'): void {
  if (!(labels.shape.length === 1 || (labels.shape.length === 2 && labels.shape[1] === 1))) {
    const hint = labels.shape.length === 2 ? ' (one-hot or scores? save the class indices, e.g. y.argmax(1))' : '';
    throw new CliError(`${labels.where}: labels must be 1-D class indices, got shape ${labels.shapeText}${hint}`);
  }
  if (labels.rows !== N) throw new CliError(`${labels.where}: has ${labels.rows} labels but ${samplesWhere} has ${N} ${samplesNoun}`);
}

/** Counts labels of an in-memory array, refusing any that is not a non-negative integer (row named). */
export function scanLabelArray(labels: ArrayLike<number>, where: string, rowOffset = 0, into?: LabelScan): LabelScan {
  const scan = into ?? { where, N: 0, counts: new Map<number, number>(), maxLabel: -1, maxRow: -1 };
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!(Number.isInteger(y) && y >= 0)) {
      throw new NcInputError('BAD_LABEL', `${where}: row ${rowOffset + i}: label ${y} is not a class index (a non-negative integer)`, { row: rowOffset + i, label: Number(y), source: where });
    }
    scan.counts.set(y, (scan.counts.get(y) ?? 0) + 1);
    if (y > scan.maxLabel) {
      scan.maxLabel = y;
      scan.maxRow = rowOffset + i;
    }
  }
  scan.N += labels.length;
  return scan;
}

/** Reads a labels tensor in blocks of 2^20 rows (O(N) small reads, before any feature is read) and counts it. */
export async function scanLabels(labels: Tensor): Promise<LabelScan> {
  const scan: LabelScan = { where: labels.where, N: 0, counts: new Map(), maxLabel: -1, maxRow: -1 };
  for (let start = 0; start < labels.rows; start += 1 << 20) {
    scanLabelArray(await labels.readRows(start, Math.min(1 << 20, labels.rows - start)), labels.where, start, scan);
  }
  return scan;
}

/** Without --weights/--classes, more classes than samples and than this is taken as a corrupt label, not a class count. */
export const MAX_K_FROM_LABELS = 1024;

/** What states K, besides the labels. */
export interface ClassCountOptions {
  /** `--classes K`. */
  classes?: number;
  /** K stated by a classifier or a statistics file, and what stated it (for messages): `{ K: 10, what: 'the classifier W.npy (10 rows)' }`. */
  statedBy?: { K: number; what: string };
  /** `--empty-classes` as given (undefined: not given). */
  emptyClasses?: 'exclude' | 'error';
  /** The last clause of the gap error: how this command accepts empty classes (default: pass --empty-classes exclude). */
  gapHint?: string;
  /** Whether at least two classes must have samples (every report needs it; a stats shard does not). */
  needTwoClasses?: boolean;
}

/** The decision: K, how core treats empty classes, and which classes are empty. */
export interface ClassCount {
  K: number;
  /** K stated by --classes, a classifier or a statistics file (true), or the largest label + 1 (false). */
  stated: boolean;
  emptyClasses: 'exclude' | 'error';
  empty: number[];
}

/** Applies the rule for K (see the top of this file) to scanned labels; errors name the labels and the way out. */
export function decideClassCount(scan: LabelScan, options: ClassCountOptions): ClassCount {
  const { classes, statedBy } = options;
  if (classes !== undefined && statedBy !== undefined && classes !== statedBy.K) {
    throw new CliError(`--classes ${classes} disagrees with ${statedBy.what}`);
  }
  const statedK = classes ?? statedBy?.K;
  const source = classes !== undefined ? `--classes ${classes}` : statedBy?.what ?? '';
  if (scan.N === 0) throw new NcInputError('NO_DATA', `${scan.where}: no labels`, { source: scan.where });
  let K: number;
  if (statedK !== undefined) {
    if (scan.maxLabel >= statedK) {
      throw new NcInputError('BAD_LABEL', `${scan.where}: row ${scan.maxRow}: label ${scan.maxLabel} is not a class index in 0..${statedK - 1} (K = ${statedK} from ${source})`, { row: scan.maxRow, label: scan.maxLabel, source: scan.where });
    }
    K = statedK;
  } else {
    K = scan.maxLabel + 1;
    if (K > scan.N && K > MAX_K_FROM_LABELS) {
      throw new NcInputError('BAD_LABEL', `${scan.where}: row ${scan.maxRow}: label ${scan.maxLabel} implies ${K} classes for ${scan.N} samples; check the labels, or state K with --classes`, { row: scan.maxRow, label: scan.maxLabel, source: scan.where });
    }
  }
  if (options.needTwoClasses !== false && scan.counts.size < 2) {
    const only = [...scan.counts.keys()][0];
    throw new NcInputError('TOO_FEW_CLASSES', `${scan.where}: every label is ${only}; neural collapse (and a classifier) needs at least 2 classes with samples`, { source: scan.where });
  }
  const empty: number[] = [];
  for (let k = 0; k < K; k++) if (!scan.counts.has(k)) empty.push(k);
  const list = (ks: number[]) => (ks.length > 8 ? `${ks.slice(0, 8).join(', ')}, … (${ks.length} classes)` : ks.join(', '));
  const plural = empty.length > 1;
  if (empty.length > 0 && statedK === undefined && options.emptyClasses !== 'exclude') {
    throw new NcInputError(
      'EMPTY_CLASS',
      `${scan.where}: class${plural ? 'es' : ''} ${list(empty)} ${plural ? 'have' : 'has'} no samples, but label ${scan.maxLabel} (row ${scan.maxRow}) makes K = ${K} (the largest label + 1). ` +
        `If that label is a mistake, fix it; ${options.gapHint ?? 'to state K, pass --classes K; to measure only the classes present, pass --empty-classes exclude'}`,
      { row: scan.maxRow, label: scan.maxLabel, source: scan.where },
    );
  }
  if (empty.length > 0 && statedK !== undefined && options.emptyClasses === 'error') {
    throw new NcInputError('EMPTY_CLASS', `${scan.where}: class${plural ? 'es' : ''} ${list(empty)} of K = ${K} (${source}) ${plural ? 'have' : 'has'} no samples; pass --empty-classes exclude to measure the others`, { source: scan.where });
  }
  return { K, stated: statedK !== undefined, emptyClasses: options.emptyClasses ?? 'exclude', empty };
}
