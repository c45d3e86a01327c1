import { NcInputError, type NcErrorLocation, type NcRemedy } from '../errors.js';

/**
 * The label rule and the K rule — one copy, used by core's accumulators and `analyze`, by the CLI for files, and by
 * the adapters for probe labels.
 *
 * Labels: a class index is a non-negative integer below K (when K is known). Any numeric type holds one —
 * integer types, bool, or **floats holding integers** (2.0 is class 2; pipelines often store labels as floats, and
 * every integer below 2^24 is exact in float32). Anything else (2.5, NaN, −1) is a BAD_LABEL naming its row.
 *
 * K (the number of classes):
 * - A stated K — an option (`K`, the CLI's `--classes`), a classifier's rows, a statistics file — is K; several
 *   statements must agree, and a label ≥ K is refused.
 * - Otherwise K is the largest label + 1. A class below it with no samples (a gap between present labels) usually
 *   means a stray label — one 7 among 0..2 would make K = 8 and change every metric — so it is refused unless
 *   `emptyClasses: 'exclude'` is given explicitly (or K is stated). More classes than samples and than
 *   {@link MAX_K_FROM_LABELS} is taken as a corrupt label, not a class count.
 * - Empty classes of a stated K are excluded with a warning by default (`emptyClasses: 'error'` refuses them).
 * - A report needs at least two classes with samples.
 */

/** Whether `y` is a class index: a non-negative integer, below K when K is given. */
export function isClassIndex(y: number, K?: number): boolean {
  return Number.isInteger(y) && y >= 0 && (K === undefined || y < K);
}

/** The problem text of a label that is not a class index: `label 7 is not a class index in 0..2 (K = 3 from …)`. */
export function labelProblem(y: unknown, K?: number, statedBy?: string): string {
  const range = K === undefined ? ' (a non-negative integer)' : ` in 0..${K - 1}`;
  return `label ${String(y)} is not a class index${range}${K !== undefined && statedBy ? ` (K = ${K} from ${statedBy})` : ''}`;
}

/** The BAD_LABEL error of the label rule at `where` (`where.label` is set to the value). */
export function badLabel(y: unknown, K: number | undefined, where: NcErrorLocation, statedBy?: string): NcInputError {
  return NcInputError.at('BAD_LABEL', { ...where, label: Number(y) }, labelProblem(y, K, statedBy));
}

/** Checks every label of a batch against the label rule; BAD_LABEL naming batch and row. `K` undefined: any class index. */
export function checkLabels(labels: ArrayLike<number>, K: number | undefined, batchIndex: number, rowOffset = 0): void {
  for (let i = 0; i < labels.length; i++) {
    if (!isClassIndex(labels[i], K)) throw badLabel(labels[i], K, { batch: batchIndex, row: i + rowOffset });
  }
}

/** Samples per class of a label array, and where its largest label is. */
export interface LabelCounts {
  /** Where the labels came from, for messages (`y.npy`, `run.npz: member 'labels'`); optional. */
  source?: string;
  N: number;
  /** Samples per label value (only values that occur). */
  counts: Map<number, number>;
  maxLabel: number;
  /** Row of the (first) largest label. */
  maxRow: number;
}

/**
 * Counts labels under the label rule (BAD_LABEL naming `source` and the row for any that is not a class index).
 * Call repeatedly with `into` (and the block's first row) to count a long array block by block.
 */
export function countLabels(labels: ArrayLike<number>, options: { source?: string; rowOffset?: number; into?: LabelCounts } = {}): LabelCounts {
  const counts = options.into ?? { source: options.source, N: 0, counts: new Map<number, number>(), maxLabel: -1, maxRow: -1 };
  const rowOffset = options.rowOffset ?? 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!isClassIndex(y)) throw badLabel(y, undefined, { source: counts.source, row: rowOffset + i });
    counts.counts.set(y, (counts.counts.get(y) ?? 0) + 1);
    if (y > counts.maxLabel) {
      counts.maxLabel = y;
      counts.maxRow = rowOffset + i;
    }
  }
  counts.N += labels.length;
  return counts;
}

/** Label counts from per-class counts (phase-1 statistics): row positions are unknown (maxRow −1). */
export function countsFromClassCounts(perClass: ArrayLike<number>, source?: string): LabelCounts {
  const counts = new Map<number, number>();
  let N = 0;
  let maxLabel = -1;
  for (let k = 0; k < perClass.length; k++) {
    if (perClass[k] > 0) {
      counts.set(k, perClass[k]);
      N += perClass[k];
      maxLabel = k;
    }
  }
  return { source, N, counts, maxLabel, maxRow: -1 };
}

/** Without a stated K, more classes than samples and than this is taken as a corrupt label, not a class count. */
export const MAX_K_FROM_LABELS = 1024;

/** A statement of K, and what made it (for messages): `{ K: 10, by: 'the classifier W.npy (10 rows)' }`. */
export interface StatedK {
  K: number;
  /** What stated it, as users know it: `--classes 10`, `K = 10`, `the classifier of m.onnx (10 rows of fc.weight)`. */
  by: string;
}

/** Options of {@link decideClassCount}. */
export interface ClassCountOptions {
  /** Statements of K (an option, a classifier, a statistics file); they must agree. None: K from the labels. */
  stated?: readonly (StatedK | undefined)[];
  /** emptyClasses as the user gave it (undefined: not given — a gap between labels is then refused). */
  emptyClasses?: 'exclude' | 'error';
  /**
   * Remedies for a gap between labels when K is inferred (default: state K, or exclude the empty classes).
   * A command that cannot exclude classes (a least-squares head) says what it can do instead.
   */
  gapRemedies?: readonly NcRemedy[];
  /** Whether at least two classes must have samples (every report needs it; a statistics shard does not). Default true. */
  needTwoClasses?: boolean;
}

/** The decision: K, how empty classes are treated, and which are empty. */
export interface ClassCount {
  K: number;
  /** K was stated (true), or is the largest label + 1 (false). */
  stated: boolean;
  emptyClasses: 'exclude' | 'error';
  empty: number[];
}

/** The default remedies for a gap between labels: state K, or measure only the classes present. */
export const GAP_REMEDIES: readonly NcRemedy[] = [
  { option: 'K', purpose: 'to state K' },
  { option: 'emptyClasses', value: 'exclude', purpose: 'to measure only the classes present' },
];

/** Applies the K rule (see the top of this file) to counted labels; errors name the labels and the way out. */
export function decideClassCount(labels: LabelCounts, options: ClassCountOptions = {}): ClassCount {
  const stated = (options.stated ?? []).filter((s): s is StatedK => s !== undefined);
  const source = labels.source;
  const other = stated.find((s) => s.K !== stated[0].K);
  if (other) throw NcInputError.at('BAD_OPTION', {}, `${stated[0].by} disagrees with ${other.by}`);
  const statedK = stated[0]?.K;
  if (labels.N === 0) throw NcInputError.at('NO_DATA', { source }, 'no labels');
  const at = (where: NcErrorLocation) => (labels.maxRow >= 0 ? { source, row: labels.maxRow, ...where } : { source, ...where });
  let K: number;
  if (statedK !== undefined) {
    if (labels.maxLabel >= statedK) throw badLabel(labels.maxLabel, statedK, at({}), stated[0].by);
    K = statedK;
  } else {
    K = labels.maxLabel + 1;
    if (K > labels.N && K > MAX_K_FROM_LABELS) {
      throw NcInputError.at('BAD_LABEL', at({ label: labels.maxLabel }), `label ${labels.maxLabel} implies ${K} classes for ${labels.N} samples; check the labels`, [GAP_REMEDIES[0]]);
    }
  }
  if (options.needTwoClasses !== false && labels.counts.size < 2) {
    const only = [...labels.counts.keys()][0];
    throw NcInputError.at('TOO_FEW_CLASSES', { source }, `every label is ${only}; neural collapse (and a classifier) needs at least 2 classes with samples`);
  }
  const empty: number[] = [];
  for (let k = 0; k < K; k++) if (!labels.counts.has(k)) empty.push(k);
  const list = (ks: number[]) => (ks.length > 8 ? `${ks.slice(0, 8).join(', ')}, … (${ks.length} classes)` : ks.join(', '));
  const plural = empty.length > 1;
  if (empty.length > 0 && statedK === undefined && options.emptyClasses !== 'exclude') {
    const where = labels.maxRow >= 0 ? ` (row ${labels.maxRow})` : '';
    throw NcInputError.at(
      'EMPTY_CLASS',
      { source, label: labels.maxLabel },
      `class${plural ? 'es' : ''} ${list(empty)} ${plural ? 'have' : 'has'} no samples, but label ${labels.maxLabel}${where} makes K = ${K} (the largest label + 1). If that label is a mistake, fix it`,
      options.gapRemedies ?? GAP_REMEDIES,
    );
  }
  if (empty.length > 0 && statedK !== undefined && options.emptyClasses === 'error') {
    throw NcInputError.at('EMPTY_CLASS', { source }, `class${plural ? 'es' : ''} ${list(empty)} of K = ${K} (${stated[0].by}) ${plural ? 'have' : 'has'} no samples`, [
      { option: 'emptyClasses', value: 'exclude', purpose: 'to measure the others' },
    ]);
  }
  return { K, stated: statedK !== undefined, emptyClasses: options.emptyClasses ?? 'exclude', empty };
}
