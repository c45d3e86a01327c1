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
 * Expects |actual − expected| ≤ rtol · |expected| + atol and records the relative error under `key`.
 * `atol` is an absolute floor for values whose exact answer may be 0 while rounding leaves a tiny residue
 * (a purely relative test against an exact 0 fails on 5e-12); take it from {@link absoluteFloors}, scaled to the
 * data, never a bare constant.
 */
export function expectRel(key: string, actual: number | undefined, expected: number, rtol: number, atol = 0, where = ''): void {
  expect(actual, `${key} ${where}: missing`).toBeTypeOf('number');
  const a = actual as number;
  const diff = Math.abs(a - expected);
  // NaN where the reference is NaN (an undefined quantity) counts as agreement.
  const same = a === expected || (Number.isNaN(a) && Number.isNaN(expected));
  // Recorded error: relative to the reference, or to the floor's equivalent scale (atol/rtol) when that is larger.
  const scale = Math.max(Math.abs(expected), rtol > 0 ? atol / rtol : 0);
  const err = same ? 0 : scale === 0 ? Infinity : diff / scale;
  const w = worst.get(key);
  if (!w || err > w.err) worst.set(key, { err, where });
  if (!(same || diff <= rtol * Math.abs(expected) + atol)) {
    expect.fail(`${key} ${where}: got ${a}, reference ${expected} (difference ${diff.toExponential(2)} > ${rtol}·|reference| + ${atol.toExponential(2)})`);
  }
}

/** Element-wise {@link expectRel} over arrays (key gets the element-wise maximum). */
export function expectRelArray(key: string, actual: ArrayLike<number> | undefined, expected: ArrayLike<number>, rtol: number, atol = 0, where = ''): void {
  expect(actual, `${key} ${where}: missing`).toBeDefined();
  expect(actual!.length, `${key} ${where}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expectRel(key, actual![i], expected[i], rtol, atol, `${where} [${i}]`);
}

/**
 * Absolute error floors for comparing two float64 computations of the metrics of one data set, scaled to that
 * data (N rows of norm ≤ s). A class mean summed over n ≤ N rows carries a rounding error of at most
 * δ = N·ε·s; every metric inherits it in a known way:
 * - `geometry`: scale-free O(1) quantities of the centred means (cosines, equinorm, equiangularity, max-angle,
 *   ETF errors, NC3, fractions) move by the relative perturbation δ/m of the centred means (m = the smallest
 *   ‖μ̃_k‖) — first order, so the worst case is used;
 * - `norm`: lengths in feature units (‖μ̃_k‖, projections, sums): δ;
 * - `variance`: within-class mean squares — the first-order term cancels at the mean, leaving the square of the
 *   mean's rounding, taken as a random walk of N steps of ε·s: N·(ε·s)² (the resolution of the data itself);
 * - `ratio`: variances over squared mean distances (NC1, NC1 quotient, CDNV): N·(ε·s/m)².
 * Each carries a factor 64 of headroom (the metrics chain a few roundings). A variance computed as
 * E‖h‖² − ‖μ‖² errs by ε·s², a factor 1/(N·ε) above the variance floor, so the floors keep the far-from-origin
 * cases meaningful. `meanNorms` are the data's centred class-mean norms (the reference's, or a report's).
 */
export interface AbsoluteFloors {
  geometry: number;
  norm: number;
  variance: number;
  ratio: number;
}

const EPS64 = 2 ** -52;

export function absoluteFloors(features: ArrayLike<number>, D: number, meanNorms: ArrayLike<number>): AbsoluteFloors {
  const N = Math.max(1, Math.floor(features.length / D));
  let s = 0;
  for (let i = 0; i < N; i++) {
    let r = 0;
    for (let t = 0; t < D; t++) r += features[i * D + t] ** 2;
    s = Math.max(s, Math.sqrt(r));
  }
  const positive = Array.from(meanNorms).filter((x) => x > 0);
  const m = positive.length ? Math.min(...positive) : Math.max(s, 1);
  const c = 64;
  const delta = N * EPS64 * s;
  const resolution = N * (EPS64 * s) ** 2;
  return {
    geometry: c * Math.max(EPS64, delta / m),
    norm: c * Math.max(EPS64 * s, delta),
    variance: c * resolution,
    ratio: c * resolution / (m * m),
  };
}

/** Which floor a metric key takes (see {@link absoluteFloors}). */
export function floorOf(key: string, floors: AbsoluteFloors): number {
  return key === 'nc1' || key === 'nc1Quotient' || key === 'nc1Svd' || key === 'cdnv' ? floors.ratio : floors.geometry;
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
