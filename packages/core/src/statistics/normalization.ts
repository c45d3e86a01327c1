import { NcInputError } from '../errors.js';
import type { Batch, Classifier, FloatArray } from '../types.js';

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
 * τ·h/‖h‖ for each of `rows` rows (row-major, D columns), in a new array of the same precision. O(rows·D), one
 * read and one write per value. Rows of zero norm stay zero (counted in `zeroRows`); non-finite rows give NaN, which
 * the accumulators then report by row.
 */
export function normalizeRows<T extends FloatArray>(x: T, rows: number, D: number, temperature = 1): { data: T; zeroRows: number } {
  const out = new (x.constructor as new (n: number) => T)(rows * D);
  let zeroRows = 0;
  for (let r = 0; r < rows; r++) {
    const n = rowNorm(x, r, D);
    const o = r * D;
    if (n === 0) {
      zeroRows++;
      continue;
    }
    const f = temperature / n;
    if (Number.isFinite(f)) for (let t = 0; t < D; t++) out[o + t] = x[o + t] * f;
    else for (let t = 0; t < D; t++) out[o + t] = NaN;
  }
  return { data: out, zeroRows };
}

/** The batch with normalized feature rows (a copy), or the batch itself without normalization. */
export function normalizeBatch(batch: Batch, n: Normalization | undefined, D: number): { batch: Batch; zeroRows: number } {
  if (!n) return { batch, zeroRows: 0 };
  const rows = batch.labels.length;
  const { data, zeroRows } = normalizeRows(batch.features, rows, D, n.temperature);
  return { batch: { features: data, labels: batch.labels }, zeroRows };
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
