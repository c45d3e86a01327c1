import { NcInputError } from '../errors.js';
import type { Classifier, FloatArray, LabelArray } from '../types.js';

/**
 * Feature normalization before any statistic (Yaras et al. 2022, NeurIPS, "Neural collapse with normalized features:
 * a geometric analysis over the Riemannian manifold"): every metric is computed on τ·h/‖h‖ instead of h, and with
 * `'features-and-classifier'` also on the classifier rows w_k/‖w_k‖.
 */
export type FeatureNormalization = 'none' | 'features' | 'features-and-classifier';

/** User options: the mode and the temperature τ (normalized features are scaled to norm τ; default 1). */
export interface NormalizationOptions {
  normalize?: FeatureNormalization;
  /**
   * τ > 0: normalized features become τ·h/‖h‖, so logits of unit classifier rows are τ·cos(w_k, h) — the temperature
   * of Yaras et al.'s loss CE(τ Wᵀh). Only with `normalize`. Scale-free metrics (NC1, NC2, NC3, CDNV) do not change
   * with τ; NC4 with a bias, UNC3 and the raw-scale numbers do.
   */
  temperature?: number;
}

/** A resolved normalization (absent = none), as the statistics record it. */
export interface Normalization {
  readonly mode: Exclude<FeatureNormalization, 'none'>;
  readonly temperature: number;
}

const MODES: readonly FeatureNormalization[] = ['none', 'features', 'features-and-classifier'];

/** Validates the options; undefined for no normalization. `temperature` without `normalize` is refused. */
export function resolveNormalization(options: NormalizationOptions): Normalization | undefined {
  const { normalize, temperature } = options;
  if (normalize !== undefined && !MODES.includes(normalize)) {
    throw new NcInputError('BAD_OPTION', `normalize must be one of ${MODES.map((m) => `"${m}"`).join(', ')}, got ${JSON.stringify(normalize)}`);
  }
  if (temperature !== undefined && !(typeof temperature === 'number' && Number.isFinite(temperature) && temperature > 0)) {
    throw new NcInputError('BAD_OPTION', `temperature must be a positive finite number, got ${temperature}`);
  }
  if (normalize === undefined || normalize === 'none') {
    if (temperature !== undefined) throw new NcInputError('BAD_OPTION', 'temperature scales normalized features: give it together with normalize "features" or "features-and-classifier"');
    return undefined;
  }
  return { mode: normalize, temperature: temperature ?? 1 };
}

/** True when two normalizations are the same (both absent, or same mode and τ). */
export function sameNormalization(a: Normalization | undefined, b: Normalization | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.mode === b.mode && a.temperature === b.temperature;
}

/** "none", "features (τ = 1)", "features-and-classifier (τ = 10)": for messages. */
export function describeNormalization(n: Normalization | undefined): string {
  return n ? `${n.mode} (τ = ${n.temperature})` : 'none';
}

/** ‖x‖ of row `r`, without overflow for huge entries. */
function rowNorm(x: FloatArray, r: number, D: number): number {
  const o = r * D;
  let s = 0;
  for (let t = 0; t < D; t++) s += x[o + t] * x[o + t];
  if (Number.isFinite(s) && (s > 1e-280 || s === 0)) return Math.sqrt(s);
  // Overflow or underflow of the squares: scale by the largest entry first.
  let m = 0;
  for (let t = 0; t < D; t++) m = Math.max(m, Math.abs(x[o + t]));
  if (!Number.isFinite(m) || m === 0) return m;
  s = 0;
  for (let t = 0; t < D; t++) s += (x[o + t] / m) ** 2;
  return m * Math.sqrt(s);
}

/**
 * Writes τ·h/‖h‖ of rows [start, start + rows) of `x` (row-major, D columns) into `out` (rows × D), O(rows·D): one
 * read and one write per value. Rows of zero norm stay zero (returned as the count); non-finite rows give NaN, which
 * the accumulators then report by row.
 */
function normalizeInto(x: FloatArray, start: number, rows: number, D: number, temperature: number, out: FloatArray): number {
  let zeroRows = 0;
  for (let r = 0; r < rows; r++) {
    const n = rowNorm(x, start + r, D);
    const src = (start + r) * D;
    const dst = r * D;
    if (n === 0) {
      zeroRows++;
      out.fill(0, dst, dst + D);
      continue;
    }
    const f = temperature / n;
    if (Number.isFinite(f)) for (let t = 0; t < D; t++) out[dst + t] = x[src + t] * f;
    else out.fill(NaN, dst, dst + D);
  }
  return zeroRows;
}

/** τ·h/‖h‖ for each of `rows` rows, in a new array of the same precision (zero rows stay zero, and are counted). */
export function normalizeRows<T extends FloatArray>(x: T, rows: number, D: number, temperature = 1): { data: T; zeroRows: number } {
  const data = new (x.constructor as new (n: number) => T)(rows * D);
  return { data, zeroRows: normalizeInto(x, 0, rows, D, temperature, data) };
}

/**
 * Normalizes chunks of rows into one reusable scratch buffer of the input's precision (a 50,000 × 512 batch would
 * otherwise cost a fresh 100 MB array per pass, whose first touch alone outweighs the arithmetic). The view it
 * returns is valid until the next call. Counts the zero rows it saw.
 */
export class RowNormalizer {
  zeroRows = 0;
  private scratch: FloatArray | undefined;

  constructor(readonly normalization: Normalization) {}

  /** Rows [start, start + rows) of `x`, normalized, as a rows × D view of the scratch buffer. */
  apply(x: FloatArray, start: number, rows: number, D: number): FloatArray {
    const size = rows * D;
    if (!this.scratch || this.scratch.constructor !== x.constructor || this.scratch.length < size) {
      this.scratch = new (x.constructor as new (n: number) => FloatArray)(size);
    }
    const out = this.scratch.subarray(0, size);
    this.zeroRows += normalizeInto(x, start, rows, D, this.normalization.temperature, out);
    return out;
  }
}

/** Rows [start, start + rows) of a label array (a view for typed arrays). */
export function labelRows(labels: LabelArray, start: number, rows: number): LabelArray {
  return Array.isArray(labels) ? labels.slice(start, start + rows) : (labels as Exclude<LabelArray, number[]>).subarray(start, start + rows);
}

/**
 * The classifier the metrics read under a normalization: rows w_k/‖w_k‖ for `'features-and-classifier'` (zero rows
 * stay zero; the bias is kept), else the classifier as given.
 */
export function normalizedClassifier(classifier: Classifier, n: Normalization | undefined, D: number): Classifier {
  if (n?.mode !== 'features-and-classifier') return classifier;
  const K = classifier.weights.length / D;
  return { weights: normalizeRows(classifier.weights, K, D).data, bias: classifier.bias };
}
