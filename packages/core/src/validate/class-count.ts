import { NcInputError } from '../errors.js';

/**
 * What a number of classes K costs, known before anything is allocated, and the guard that refuses a K the memory
 * cannot hold — by name and with the bound — instead of V8's RangeError ("Invalid typed array length", "Array buffer
 * allocation failed") or an out-of-memory abort half-way through a pass.
 *
 * Every size is counted in float64 values of the tables that live at the same time; the estimates are upper bounds
 * within a small factor (scratch of the products, at most 2^25 values per chunk, is not counted).
 */

/** The default memory bound of core's guards: 8 GiB of tables. Give `maxBytes` to change it (the CLI passes the machine's memory). */
export const DEFAULT_MAX_BYTES = 2 ** 33;

/** The largest typed array V8 allocates (2^32 elements on 64-bit Node 20); no single table may exceed it. */
export const MAX_TABLE_LENGTH = 2 ** 32;

/**
 * What a bound applies to: the means phase's tables alone, a whole analysis (both phases and the report), or a
 * least-squares head (single-pass scatter statistics and the solve with its K × K targets).
 */
export type ClassCostScope = 'means' | 'analysis' | 'head';

/** The sizes that set the cost. */
export interface ClassCostShape {
  K: number;
  /** Feature dimension (at least 1 is assumed while unknown). */
  D?: number;
  /** With a classifier (its K × D rows are copied into the spread plan and the report's context). */
  classifier?: boolean;
}

/**
 * Bytes of the float64 tables for K classes of D features:
 * - `'means'`: counts and class sums, K·(D + 1) values (the means accumulator);
 * - `'analysis'`: the means phase, the spread plan (μ_k, M_s, and [M_s; W]ᵀ), the report's context (μ_k, M̃, W) —
 *   (6 + 3·[classifier])·K·D — plus the m × m scatter, Σ_B and its pseudo-inverse (m = min(K, D), 5·m²), plus in
 *   the 'means' space (K ≤ D) the K × K decision tables (3·K²);
 * - `'head'`: scatter statistics K·(D + 2) + D², the solve's centred means, right-hand sides and W (3·K·D), its
 *   Gram and factor (2·D²), and the K × K targets (twice with label smoothing: 2·K²).
 */
export function classTableBytes(shape: ClassCostShape, scope: ClassCostScope = 'analysis'): number {
  const { K } = shape;
  const D = Math.max(1, shape.D ?? 1);
  if (scope === 'means') return 8 * K * (D + 1);
  if (scope === 'head') return 8 * (K * (D + 2) + 3 * K * D + 3 * D * D + 2 * K * K);
  const m = Math.min(K, D);
  const perKD = 6 + (shape.classifier ? 3 : 0);
  return 8 * (K * (D + 1) + perKD * K * D + 5 * m * m + (K <= D ? 3 * K * K : 0));
}

/** Options of {@link checkClassCount}. */
export interface ClassCountCheck extends ClassCostShape {
  /** Memory bound in bytes (default {@link DEFAULT_MAX_BYTES}). */
  maxBytes?: number;
  /** Which tables count (default 'analysis'). */
  scope?: ClassCostScope;
  /** What stated K, for the message (`--classes 1000000`, `the option K`, `label 99999 (K = largest label + 1)`). */
  statedBy?: string;
  /** What the bound is, for the message (default "the <maxBytes> allowed"; the CLI: "the 25.2 GB of this machine's memory"). */
  boundName?: string;
  /** What the user can do besides checking K, for the message (default: raise the bound with the `maxBytes` option). */
  raiseHint?: string;
}

/** The largest K whose tables fit `maxBytes` at this D (binary search over the monotone cost). */
export function largestClassCount(shape: Omit<ClassCostShape, 'K'>, maxBytes: number, scope: ClassCostScope = 'analysis'): number {
  const D = Math.max(1, shape.D ?? 1);
  const fits = (K: number) => classTableBytes({ ...shape, K }, scope) <= maxBytes && K * D <= MAX_TABLE_LENGTH && K <= MAX_TABLE_LENGTH;
  if (!fits(1)) return 0;
  let lo = 1;
  let hi = 2;
  while (fits(hi) && hi < Number.MAX_SAFE_INTEGER / 2) hi *= 2;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** "8.6 GB", "512 MB": decimal units, three significant digits. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let u = 0;
  let v = bytes;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${Math.round(v)} bytes` : `${v.toPrecision(3)} ${units[u]}`;
}

/**
 * Refuses a K whose tables would not fit: TOO_LARGE naming K, D, the estimated size, the bound and the
 * largest K that fits at this D. Also refuses a K that is not a positive safe integer (BAD_OPTION).
 */
export function checkClassCount(check: ClassCountCheck): void {
  const { K } = check;
  if (!(Number.isSafeInteger(K) && K >= 1)) throw new NcInputError('BAD_OPTION', `K must be a positive integer, got ${K}`);
  const maxBytes = check.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!(typeof maxBytes === 'number' && maxBytes > 0)) throw new NcInputError('BAD_OPTION', `maxBytes must be a positive number of bytes, got ${maxBytes}`);
  const scope = check.scope ?? 'analysis';
  const D = Math.max(1, check.D ?? 1);
  const bytes = classTableBytes(check, scope);
  const tooLong = K > MAX_TABLE_LENGTH || K * D > MAX_TABLE_LENGTH;
  if (bytes <= maxBytes && !tooLong) return;
  const bound = largestClassCount(check, maxBytes, scope);
  const dims = check.D === undefined ? 'D ≥ 1 features' : `D = ${D.toLocaleString('en')} features`;
  const what = scope === 'means' ? 'the class counts and sums' : scope === 'head' ? 'the least-squares head' : `the statistics and report${check.classifier ? ' (with the classifier)' : ''}`;
  const limit = tooLong && bytes <= maxBytes
    ? `a K × D table of ${(K * D).toLocaleString('en')} values, more than the ${MAX_TABLE_LENGTH.toLocaleString('en')} a typed array can hold`
    : `about ${formatBytes(bytes)} for ${what}, more than ${check.boundName ?? `the ${formatBytes(maxBytes)} allowed`}`;
  const hint = check.raiseHint ?? 'raise the bound with the maxBytes option';
  throw new NcInputError(
    'TOO_LARGE',
    `${check.statedBy ? `${check.statedBy}: ` : ''}K = ${K.toLocaleString('en')} classes of ${dims} need ${limit}; ` +
      `at this D the bound is K ≤ ${bound.toLocaleString('en')}. Check K${hint ? `, or ${hint}` : ''}`,
  );
}
