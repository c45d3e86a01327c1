/**
 * The small dense algebra behind the metrics: the symmetric eigen-decomposition of K × K Gram matrices
 * (reconstruction, orthogonality, order, agreement with ml-matrix; repeated eigenvalues, n = 1, the zero matrix),
 * and the product engine / row-product helpers against naive loops.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { jsEngine, multiplyTransposed, symmetricEigen } from '@ncscope/core';
import { gaussian, rng } from './helpers.js';

/** Random symmetric n × n matrix (row-major) with N(0, 1) entries. */
function randomSymmetric(n: number, seed: number): Float64Array {
  const g = gaussian(rng(seed));
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = g();
  return a;
}

/** Random n × n orthogonal matrix by Gram–Schmidt, row-major. */
function randomOrthogonal(n: number, seed: number): Float64Array {
  const g = gaussian(rng(seed));
  const q = Array.from({ length: n }, () => Array.from({ length: n }, () => g()));
  for (let j = 0; j < n; j++) {
    for (let p = 0; p < j; p++) {
      let d = 0;
      for (let i = 0; i < n; i++) d += q[i][p] * q[i][j];
      for (let i = 0; i < n; i++) q[i][j] -= d * q[i][p];
    }
    const norm = Math.hypot(...q.map((r) => r[j]));
    for (let i = 0; i < n; i++) q[i][j] /= norm;
  }
  return Float64Array.from(q.flat());
}

/** Q diag(values) Qᵀ. */
function withSpectrum(values: number[], seed: number): Float64Array {
  const n = values.length;
  const q = randomOrthogonal(n, seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += q[i * n + k] * values[k] * q[j * n + k];
    a[i * n + j] = s;
  }
  return a;
}

const frob = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, x) => s + x * x, 0));

/** Checks A = V Λ Vᵀ, VᵀV = I and ascending order, relative to ‖A‖_F (or absolutely for A = 0). */
function expectValidDecomposition(a: Float64Array, n: number, tol = 1e-13): { values: Float64Array; vectors: Float64Array } {
  const { values, vectors: v } = symmetricEigen(a, n);
  expect(values).toHaveLength(n);
  expect(v).toHaveLength(n * n);
  const scale = Math.max(frob(a), 1);
  for (let i = 0; i + 1 < n; i++) expect(values[i]).toBeLessThanOrEqual(values[i + 1]);
  let recon = 0;
  let ortho = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    let o = 0;
    for (let k = 0; k < n; k++) {
      s += v[i * n + k] * values[k] * v[j * n + k];
      o += v[k * n + i] * v[k * n + j];
    }
    recon = Math.max(recon, Math.abs(s - a[i * n + j]));
    ortho = Math.max(ortho, Math.abs(o - (i === j ? 1 : 0)));
  }
  expect(recon / scale, 'reconstruction ‖A − VΛVᵀ‖_max / ‖A‖_F').toBeLessThan(tol * Math.max(1, n));
  expect(ortho, 'orthogonality ‖VᵀV − I‖_max').toBeLessThan(tol * Math.max(1, n));
  return { values, vectors: v };
}

describe('symmetricEigen', () => {
  it('random symmetric matrices: reconstruction, orthogonality, ascending order, ml-matrix eigenvalues', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (n, seed) => {
      const a = randomSymmetric(n, seed);
      const { values } = expectValidDecomposition(a, n);
      const ml = new EigenvalueDecomposition(new Matrix(Array.from({ length: n }, (_, i) => Array.from(a.subarray(i * n, (i + 1) * n)))), { assumeSymmetric: true });
      const expected = [...ml.realEigenvalues].sort((x, y) => x - y);
      for (let i = 0; i < n; i++) expect(Math.abs(values[i] - expected[i])).toBeLessThan(1e-12 * frob(a));
    }), { numRuns: 50 });
  });

  it('repeated eigenvalues (and the identity) keep an orthonormal basis', () => {
    for (const spectrum of [[1, 1, 1, 2, 2, 5], [3, 3, 3, 3], [0, 0, 0, 7, 7], [-2, -2, 4, 4, 4, 4, 9]]) {
      const a = withSpectrum(spectrum, spectrum.length);
      const { values } = expectValidDecomposition(a, spectrum.length);
      const sorted = [...spectrum].sort((x, y) => x - y);
      sorted.forEach((l, i) => expect(values[i]).toBeCloseTo(l, 12));
    }
    const eye = Float64Array.from({ length: 25 }, (_, i) => (i % 6 === 0 ? 1 : 0));
    const { values } = expectValidDecomposition(eye, 5);
    expect(Array.from(values)).toEqual([1, 1, 1, 1, 1]);
  });

  it('rank-deficient Gram matrices M̃M̃ᵀ (K > D): the null eigenvalues are at rounding level', () => {
    const K = 9;
    const D = 3;
    const g = gaussian(rng(5));
    const M = Float64Array.from({ length: K * D }, () => g());
    const G = multiplyTransposed(M, M, K, K, D);
    const { values } = expectValidDecomposition(G, K);
    for (let j = 0; j < K - D; j++) expect(Math.abs(values[j])).toBeLessThan(1e-14 * values[K - 1] * K);
    expect(values[K - D]).toBeGreaterThan(1e-3);
  });

  it('n = 1', () => {
    const { values, vectors } = symmetricEigen(Float64Array.of(-3.5), 1);
    expect(Array.from(values)).toEqual([-3.5]);
    expect(Math.abs(vectors[0])).toBe(1);
  });

  it('the zero matrix: zero eigenvalues and an orthonormal basis', () => {
    for (const n of [1, 2, 5]) {
      const { values } = expectValidDecomposition(new Float64Array(n * n), n);
      expect(Array.from(values)).toEqual(new Array(n).fill(0));
    }
  });

  it('n = 0 gives empty results; a wrong length is refused', () => {
    const { values, vectors } = symmetricEigen(new Float64Array(0), 0);
    expect(values).toHaveLength(0);
    expect(vectors).toHaveLength(0);
    expect(() => symmetricEigen(new Float64Array(5), 2)).toThrow(RangeError);
  });

  it('widely scaled spectra (1e-12 … 1e12) are resolved relative to the largest eigenvalue', () => {
    const spectrum = [1e-12, 1e-6, 1, 1e6, 1e12];
    const a = withSpectrum(spectrum, 11);
    const { values } = expectValidDecomposition(a, 5);
    expect(values[4] / 1e12).toBeCloseTo(1, 12);
    expect(values[3] / 1e6).toBeCloseTo(1, 6);
    for (let i = 0; i < 3; i++) expect(Math.abs(values[i] - spectrum[i])).toBeLessThan(1e-12 * 1e12 * 5);
  });
});

describe('products', () => {
  const naive = (a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number) => {
    const c = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      c[i * n + j] = s;
    }
    return c;
  };

  it('jsEngine.matmul equals the naive triple loop (float64 and float32, with zeros in A)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.boolean(),
      async (m, k, n, seed, f32) => {
        const u = rng(seed);
        const g = gaussian(u);
        const make = (len: number) => {
          const x = Float64Array.from({ length: len }, () => (u() < 0.2 ? 0 : g()));
          return f32 ? Float32Array.from(x) : x;
        };
        const a = make(m * k);
        const b = make(k * n);
        const c = await jsEngine.matmul(a, b, m, k, n);
        const expected = naive(a, b, m, k, n);
        expect(c).toHaveLength(m * n);
        for (let i = 0; i < m * n; i++) expect(Math.abs(c[i] - expected[i])).toBeLessThan(1e-13 * (1 + Math.abs(expected[i])) * k);
      },
    ), { numRuns: 50 });
  });

  it('multiplyTransposed is X Zᵀ', () => {
    const g = gaussian(rng(3));
    const X = Float64Array.from({ length: 4 * 6 }, () => g());
    const Z = Float64Array.from({ length: 5 * 6 }, () => g());
    const Zt = new Float64Array(6 * 5);
    for (let j = 0; j < 5; j++) for (let t = 0; t < 6; t++) Zt[t * 5 + j] = Z[j * 6 + t];
    const got = multiplyTransposed(X, Z, 4, 5, 6);
    const expected = naive(X, Zt, 4, 6, 5);
    for (let i = 0; i < 20; i++) expect(got[i]).toBeCloseTo(expected[i], 13);
  });
});
