/**
 * Test helpers for the @ncscope/core suite: a seeded PRNG, synthetic feature sets with known structure,
 * batching, and a relative-error check that records the largest error seen per metric (printed at the end
 * of a file when NCSCOPE_TOLERANCES=1, so the report's "tolerance reached" figures can be regenerated).
 *
 * Nothing here imports @ncscope/core: data generation must not share code with what it tests.
 */
import { expect } from 'vitest';
import { mulberry32 as rng } from '../src/random.js';
export { rng };


/** Standard normal draws (Box–Muller) from a uniform generator. */
export function gaussian(u: () => number): () => number {
  return () => {
    let x = 0;
    while (x === 0) x = u();
    return Math.sqrt(-2 * Math.log(x)) * Math.cos(2 * Math.PI * u());
  };
}

/** In-place Fisher–Yates shuffle. */
export function shuffle<T>(a: T[], u: () => number): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** A synthetic labelled feature set with an optional linear classifier. */
export interface Dataset {
  N: number;
  D: number;
  K: number;
  features: Float64Array | Float32Array;
  labels: Int32Array;
  W?: Float64Array | Float32Array;
  b?: Float64Array | Float32Array;
}

export interface CaseSpec {
  N: number;
  D: number;
  K: number;
  /** 'balanced' (labels i mod K, shuffled) or 'imbalanced' (geometric sizes, ratio ≈ 8 largest/smallest). */
  sizes?: 'balanced' | 'imbalanced';
  /** Scale of the class means (default 1). */
  meanScale?: number;
  /** Within-class standard deviation (default 0.5). */
  spread?: number;
  /** Constant added to every feature coordinate (default 0). */
  offset?: number;
  /** Produce a classifier W = (true centred means) + noise, b = noise (default true). */
  classifier?: boolean;
  /** Store features (and W, b) as float32. */
  f32?: boolean;
  /** Classes that get no samples at all (the classifier keeps their rows). */
  emptyClasses?: number[];
}

/** Generates a data set: class means, then samples around them, then a classifier near the centred means. */
export function makeCase(seed: number, spec: CaseSpec): Dataset {
  const u = rng(seed);
  const g = gaussian(u);
  const { N, D, K } = spec;
  const meanScale = spec.meanScale ?? 1;
  const spread = spec.spread ?? 0.5;
  const offset = spec.offset ?? 0;
  const empty = new Set(spec.emptyClasses ?? []);
  const present = Array.from({ length: K }, (_, k) => k).filter((k) => !empty.has(k));
  // Class sizes.
  const sizes = new Array<number>(K).fill(0);
  if (spec.sizes === 'imbalanced') {
    const r = Math.pow(1 / 8, 1 / Math.max(1, present.length - 1));
    const w = present.map((_, i) => Math.pow(r, i));
    const total = w.reduce((a, b) => a + b, 0);
    let used = 0;
    present.forEach((k, i) => {
      sizes[k] = Math.max(2, Math.floor((N * w[i]) / total));
      used += sizes[k];
    });
    sizes[present[0]] += Math.max(0, N - used);
  } else {
    present.forEach((k, i) => (sizes[k] = Math.floor(N / present.length) + (i < N % present.length ? 1 : 0)));
  }
  const labelsList: number[] = [];
  for (let k = 0; k < K; k++) for (let i = 0; i < sizes[k]; i++) labelsList.push(k);
  shuffle(labelsList, u);
  const n = labelsList.length;
  const mu = Array.from({ length: K }, () => Array.from({ length: D }, () => meanScale * g()));
  const F = spec.f32 ? new Float32Array(n * D) : new Float64Array(n * D);
  for (let i = 0; i < n; i++) {
    const y = labelsList[i];
    for (let t = 0; t < D; t++) F[i * D + t] = offset + mu[y][t] + spread * g();
  }
  const ds: Dataset = { N: n, D, K, features: F, labels: Int32Array.from(labelsList) };
  if (spec.classifier ?? true) {
    const muBar = Array.from({ length: D }, (_, t) => mu.reduce((s, m) => s + m[t], 0) / K);
    const W = spec.f32 ? new Float32Array(K * D) : new Float64Array(K * D);
    const b = spec.f32 ? new Float32Array(K) : new Float64Array(K);
    for (let k = 0; k < K; k++) {
      for (let t = 0; t < D; t++) W[k * D + t] = (mu[k][t] - muBar[t]) / meanScale + 0.4 * g();
      b[k] = 0.3 * g();
    }
    ds.W = W;
    ds.b = b;
  }
  return ds;
}

/** Splits a data set into consecutive batches of the given sizes (cycled), as views (no copies). */
export function batchesOf(ds: Pick<Dataset, 'features' | 'labels' | 'D'>, sizes: number[] | number): { features: Float64Array | Float32Array; labels: Int32Array }[] {
  const list = typeof sizes === 'number' ? [sizes] : sizes;
  const out: { features: Float64Array | Float32Array; labels: Int32Array }[] = [];
  const n = ds.labels.length;
  let start = 0;
  let i = 0;
  while (start < n) {
    const size = Math.max(1, list[i++ % list.length]);
    const end = Math.min(n, start + size);
    out.push({ features: ds.features.subarray(start * ds.D, end * ds.D), labels: ds.labels.subarray(start, end) });
    start = end;
  }
  return out;
}

/** Random batch sizes that cover n rows. */
export function randomBatchSizes(n: number, u: () => number): number[] {
  const sizes: number[] = [];
  let left = n;
  while (left > 0) {
    const s = Math.min(left, 1 + Math.floor(u() * Math.max(1, n / 3)));
    sizes.push(s);
    left -= s;
  }
  return sizes;
}

// ---------------------------------------------------------------------------------------------------------------
// Relative-error checks with a record of the worst error per metric.

const worst = new Map<string, { err: number; where: string }>();

/**
 * Expects |actual − expected| ≤ rtol · max(|expected|, floor) and records the relative error under `key`.
 * `floor` is an absolute scale below which the error is measured absolutely (for metrics that are bounded by a
 * constant, such as cosine-based ones, whose exact value may be 0 while rounding leaves 1e-16).
 */
export function expectRel(key: string, actual: number | undefined, expected: number, rtol: number, floor = 0, where = ''): void {
  expect(actual, `${key} ${where}: missing`).toBeTypeOf('number');
  const a = actual as number;
  const scale = Math.max(Math.abs(expected), floor);
  // NaN where the reference is NaN (an undefined quantity) counts as agreement.
  const err = a === expected || (Number.isNaN(a) && Number.isNaN(expected)) ? 0 : scale === 0 ? Infinity : Math.abs(a - expected) / scale;
  const w = worst.get(key);
  if (!w || err > w.err) worst.set(key, { err, where });
  if (!(err <= rtol)) {
    expect.fail(`${key} ${where}: got ${a}, reference ${expected} (relative error ${err.toExponential(2)} > ${rtol})`);
  }
}

/** Element-wise {@link expectRel} over arrays (key gets the element-wise maximum). */
export function expectRelArray(key: string, actual: ArrayLike<number> | undefined, expected: ArrayLike<number>, rtol: number, floor = 0, where = ''): void {
  expect(actual, `${key} ${where}: missing`).toBeDefined();
  expect(actual!.length, `${key} ${where}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expectRel(key, actual![i], expected[i], rtol, floor, `${where} [${i}]`);
}

/** Prints the worst relative errors recorded so far (when NCSCOPE_TOLERANCES=1) and clears the record. */
export function reportTolerances(title: string): void {
  if (process.env.NCSCOPE_TOLERANCES === '1' && worst.size > 0) {
    const rows = [...worst.entries()].sort(([a], [b]) => a.localeCompare(b));
    const lines = rows.map(([k, v]) => `  ${k.padEnd(40)} ${v.err === 0 ? '0' : v.err.toExponential(2)}   ${v.where}`);
    // eslint-disable-next-line no-console
    console.log(`max relative error — ${title}\n${lines.join('\n')}`);
  }
  worst.clear();
}

// ---------------------------------------------------------------------------------------------------------------
// Exact geometries.

/** Orthonormalises the columns of a rows × cols matrix (row-major) by modified Gram–Schmidt. */
export function orthonormalColumns(a: number[][]): number[][] {
  const rows = a.length;
  const cols = a[0].length;
  const q = a.map((r) => r.slice());
  for (let j = 0; j < cols; j++) {
    for (let p = 0; p < j; p++) {
      let d = 0;
      for (let i = 0; i < rows; i++) d += q[i][p] * q[i][j];
      for (let i = 0; i < rows; i++) q[i][j] -= d * q[i][p];
    }
    let n = 0;
    for (let i = 0; i < rows; i++) n += q[i][j] ** 2;
    n = Math.sqrt(n);
    for (let i = 0; i < rows; i++) q[i][j] /= n;
  }
  return q;
}

/**
 * K simplex-ETF vectors in R^D (D ≥ K − 1): an orthonormal basis U (K × (K − 1)) of 1⊥ gives the ETF rows
 * U[k, :] = coordinates of e_k − 1/K; a random D × (K − 1) matrix Q with orthonormal columns places them in R^D.
 */
export function simplexEtf(K: number, D: number, scale: number, u: () => number): number[][] {
  const centred = Array.from({ length: K }, (_, i) => Array.from({ length: K - 1 }, (_, j) => (i === j ? 1 : 0) - 1 / K));
  const U = orthonormalColumns(centred);
  const g = gaussian(u);
  const Q = orthonormalColumns(Array.from({ length: D }, () => Array.from({ length: K - 1 }, () => g())));
  return Array.from({ length: K }, (_, k) => Array.from({ length: D }, (_, t) => {
    let s = 0;
    for (let j = 0; j < K - 1; j++) s += Q[t][j] * U[k][j];
    return scale * s;
  }));
}
