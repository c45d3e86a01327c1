/**
 * The pieces behind issue 14's large-K architecture, each against a plain computation: the blocked products, the
 * recursive Cholesky with inverse, Lanczos, the choice of Σ_B⁺ route, the pair tiles, and the per-class size rule.
 */
import { describe, expect, it } from 'vitest';
import {
  analyze,
  betweenClass,
  buildContext,
  choleskyWithInverse,
  firstPairColumn,
  forEachPairTile,
  gemm,
  gemmNT,
  jsEngine,
  MeansAccumulator,
  nc1,
  reducePair,
  reducePairs,
  symmetricEigen,
  topEigenpairs,
  type PairReduction,
  type ProductEngine,
} from '@ncscope/core';
import { gaussian, makeCase, rng } from './helpers.js';

const naive = (a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number) => {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) { let s = 0; for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j]; c[i * n + j] = s; }
  return c;
};

/** An engine that counts its calls and works in float64 through the portable kernel (tests that the algebra uses it). */
function countingEngine(): ProductEngine & { calls: number } {
  const e = { name: 'counting', calls: 0, matmul(a: Float32Array | Float64Array, b: Float32Array | Float64Array, m: number, k: number, n: number) { e.calls++; return gemm(a, b, m, k, n); } };
  return e;
}

describe('blocked products', () => {
  it('gemm and gemmNT equal the textbook triple loop on odd shapes (register-block edges, k beyond one slice)', () => {
    const u = rng(1);
    for (const [m, k, n] of [[1, 1, 1], [3, 5, 7], [2, 300, 5], [9, 257, 6], [17, 33, 1]]) {
      const a = Float64Array.from({ length: m * k }, () => u() - 0.5);
      const b = Float64Array.from({ length: k * n }, () => u() - 0.5);
      const want = naive(a, b, m, k, n);
      const got = gemm(a, b, m, k, n);
      const bt = Float64Array.from({ length: n * k }, (_, i) => b[(i % k) * n + Math.floor(i / k)]);
      const gotNT = gemmNT(a, bt, m, k, n);
      want.forEach((v, i) => {
        expect(Math.abs(got[i] - v)).toBeLessThan(1e-13 * k);
        expect(Math.abs(gotNT[i] - v)).toBeLessThan(1e-13 * k);
      });
    }
  });
});

describe('Cholesky with inverse (recursive, products on the engine)', { timeout: 60_000 }, () => {
  it('gives L with L Lᵀ = A and L⁻¹ with L⁻¹ L = I, across the recursion sizes', async () => {
    const u = rng(2);
    for (const n of [1, 5, 96, 97, 200, 333, 420]) {
      const X = Float64Array.from({ length: n * (n + 5) }, () => u() - 0.5);
      const A = gemmNT(X, X, n, n + 5, n);
      for (let i = 0; i < n; i++) A[i * n + i] += 0.1;
      const e = countingEngine();
      const f = await choleskyWithInverse(e, A, n);
      expect('L' in f).toBe(true);
      const { L, Linv } = f as { L: Float64Array; Linv: Float64Array };
      const LLt = gemmNT(L, L, n, n, n);
      const I = gemm(Linv, L, n, n, n);
      let errA = 0, errI = 0, scale = 0;
      for (let i = 0; i < n * n; i++) {
        errA = Math.max(errA, Math.abs(LLt[i] - A[i]));
        scale = Math.max(scale, Math.abs(A[i]));
        errI = Math.max(errI, Math.abs(I[i] - (i % (n + 1) === 0 ? 1 : 0)));
      }
      expect(errA).toBeLessThan(1e-12 * scale * n);
      expect(errI).toBeLessThan(1e-9);
      if (n >= 420) expect(e.calls).toBeGreaterThan(0); // products above SMALL_PRODUCT go to the engine
    }
  });

  it('names the failing row of a singular matrix', async () => {
    const n = 150;
    const u = rng(12);
    const X = Float64Array.from({ length: n * 40 }, () => u() - 0.5);
    const A = gemmNT(X, X, n, 40, n); // rank 40
    const f = await choleskyWithInverse(jsEngine, A, n);
    expect('row' in f).toBe(true);
    expect((f as { row: number }).row).toBeGreaterThanOrEqual(39);
  });
});

describe('Lanczos', () => {
  it('finds the top eigenpairs of a dense matrix, including a repeated top eigenvalue (simplex ETF)', () => {
    const u = rng(3);
    const n = 60;
    const X = Float64Array.from({ length: n * 8 }, () => u() - 0.5);
    const A = gemmNT(X, X, n, 8, n);
    const { values } = symmetricEigen(A, n);
    const top = topEigenpairs((x) => gemm(A, x, n, n, 1), n, 2);
    expect(top.values[0]).toBeCloseTo(values[n - 1], 10);
    expect(top.values[1]).toBeCloseTo(values[n - 2], 10);
    const Av = gemm(A, top.vectors[0], n, n, 1);
    Av.forEach((v, i) => expect(v).toBeCloseTo(top.values[0] * top.vectors[0][i], 9));
    // I − 11ᵀ/K: eigenvalue 1 with multiplicity K − 1, and 0.
    const K = 7;
    const P = Float64Array.from({ length: K * K }, (_, i) => (i % (K + 1) === 0 ? 1 : 0) - 1 / K);
    const etf = topEigenpairs((x) => gemm(P, x, K, K, 1), K, 2);
    expect(etf.values[0]).toBeCloseTo(1, 12);
    expect(etf.values[1]).toBeCloseTo(1, 12);
    const dot = etf.vectors[0].reduce((s, v, i) => s + v * etf.vectors[1][i], 0);
    expect(Math.abs(dot)).toBeLessThan(1e-10);
  });
});

describe('Σ_B⁺ routes', { timeout: 60_000 }, () => {
  const setup = async (seed: number, N: number, D: number, K: number) => {
    const ds = makeCase(seed, { N, D, K });
    const means = new MeansAccumulator().add({ features: ds.features, labels: ds.labels }).statistics;
    return { ds, means };
  };
  it('well-conditioned means take the Cholesky route in either space, and the eigen route gives the same NC1', async () => {
    for (const [D, K] of [[12, 5], [4, 9]]) {
      const { ds } = await setup(4, 300, D, K);
      const { means, spread } = await analyze([{ features: ds.features, labels: ds.labels }]);
      const chol = await buildContext(means, spread);
      const eig = await buildContext(means, spread, { spectralRoute: 'eigen' });
      expect(chol.between.space).toBe(K <= D ? 'means' : 'features');
      expect(chol.between.route).toBe('cholesky');
      expect(eig.between.route).toBe('eigen');
      expect(chol.between.rank).toBe(eig.between.rank);
      expect(chol.between.lambdaMax).toBeCloseTo(eig.between.lambdaMax, 12);
      const a = await nc1(chol);
      const b = await nc1(eig);
      expect(Math.abs(a - b)).toBeLessThan(1e-11 * b);
    }
  });
  it('rank-deficient Σ_B falls back to the eigendecomposition and drops the null directions', async () => {
    // Two classes with the same mean: K = 4 means span 2 dimensions only.
    const u = rng(5);
    const g = gaussian(u);
    const D = 6, K = 4, N = 200;
    const centres = [[1, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0], [-1, -2, 0, 0, 0, 0]];
    // Noise in ± pairs, so every class mean is exactly its centre.
    const features = new Float64Array(N * D);
    const labels = Int32Array.from({ length: N }, (_, i) => Math.floor(i / 2) % K);
    for (let i = 0; i < N; i += 2) {
      for (let t = 0; t < D; t++) {
        const e = 0.1 * g();
        features[i * D + t] = centres[labels[i]][t] + e;
        features[(i + 1) * D + t] = centres[labels[i]][t] - e;
      }
    }
    const { means, spread } = await analyze([{ features, labels }]);
    const ctx = await buildContext(means, spread);
    expect(ctx.between.route).toBe('eigen');
    expect(ctx.between.rank).toBe(2);
    await expect(buildContext(means, spread, { spectralRoute: 'cholesky' })).rejects.toThrow(/not safely full-rank/);
  });
  it('the K-sized algebra runs on the given engine (products above SMALL_PRODUCT)', async () => {
    const { ds } = await setup(6, 600, 300, 300);
    const e = countingEngine();
    await analyze([{ features: ds.features, labels: ds.labels }], { engine: e });
    expect(e.calls).toBeGreaterThanOrEqual(5);
    const ctx = await buildContext((await analyze([{ features: ds.features, labels: ds.labels }])).means, undefined, { engine: e });
    expect(ctx.between.space).toBe('means');
    expect(betweenClass).toBeTypeOf('function');
  });
});

describe('pair tiles', () => {
  it('visit every unordered pair once (symmetric) or every entry once, with the right values', async () => {
    const u = rng(7);
    const K = 23, D = 4, T = 5;
    const X = Float64Array.from({ length: K * D }, () => u() - 0.5);
    const Z = Float64Array.from({ length: K * D }, () => u() - 0.5);
    for (const [Y, symmetric] of [[X, true], [Z, false]] as const) {
      const seen = new Map<string, number>();
      await forEachPairTile(jsEngine, X, Y, K, K, D, (tile) => {
        for (let i = 0; i < tile.rows; i++) {
          for (let j = firstPairColumn(tile, i); j < tile.cols; j++) {
            const key = `${tile.rowStart + i},${tile.colStart + j}`;
            seen.set(key, (seen.get(key) ?? 0) + 1);
            let dot = 0;
            for (let t = 0; t < D; t++) dot += X[(tile.rowStart + i) * D + t] * Y[(tile.colStart + j) * D + t];
            expect(tile.values[i * tile.cols + j]).toBeCloseTo(dot, 13);
          }
        }
      }, T);
      expect(seen.size).toBe(symmetric ? (K * (K - 1)) / 2 : K * K);
      expect([...seen.values()].every((c) => c === 1)).toBe(true);
      if (symmetric) expect([...seen.keys()].every((k) => { const [a, b] = k.split(',').map(Number); return a < b; })).toBe(true);
    }
  });

  it('a custom reduction shares the pass and its result is memoised on the context', async () => {
    const ds = makeCase(8, { N: 120, D: 5, K: 12 });
    const { means, spread } = await analyze([{ features: ds.features, labels: ds.labels }]);
    const ctx = await buildContext(means, spread, { pairTile: 5 });
    let passes = 0;
    // Smallest distance between two class means, straight from the tiles.
    const closest: PairReduction<{ best: number }, number> = {
      product: 'means',
      init: () => { passes++; return { best: Infinity }; },
      tile(state, tile, c) {
        for (let i = 0; i < tile.rows; i++) {
          for (let j = firstPairColumn(tile, i); j < tile.cols; j++) {
            const k = tile.rowStart + i, l = tile.colStart + j;
            state.best = Math.min(state.best, c.meanNormsSq[k] + c.meanNormsSq[l] - 2 * tile.values[i * tile.cols + j]);
          }
        }
      },
      finish: (s) => Math.sqrt(s.best),
    };
    const d = await reducePair(ctx, closest);
    expect(await reducePair(ctx, closest)).toBe(d);
    expect(passes).toBe(1);
    let want = Infinity;
    for (let k = 0; k < ctx.K; k++) for (let l = k + 1; l < ctx.K; l++) {
      let s = 0;
      for (let t = 0; t < ctx.D; t++) s += (ctx.means[k * ctx.D + t] - ctx.means[l * ctx.D + t]) ** 2;
      want = Math.min(want, Math.sqrt(s));
    }
    expect(d).toBeCloseTo(want, 10);
  });

  it('the uncentred products come from the centred pass plus a rank-one shift: same entries, one product pass', async () => {
    // Means far from the origin (offset 40) and W centred (zhou): MMᵀ and WWᵀ as given are the shifted tiles.
    const ds = makeCase(9, { N: 200, D: 6, K: 17, offset: 40 });
    const { means, spread } = await analyze([{ features: ds.features, labels: ds.labels }]);
    // An engine that counts the product passes (forEachPairTile asks it for a source once per pass) and declines.
    let passes = 0;
    const engine: ProductEngine = { name: 'counting', matmul: jsEngine.matmul, pairProducts: async () => { passes++; return undefined; } };
    const classifier = { weights: ds.W!, bias: ds.b! };
    for (const tile of [4, 17]) {
      const ctx = await buildContext(means, spread, { classifier, preset: 'zhou', pairTile: tile, engine });
      const { K, D } = ctx;
      const W = ctx.weights!;
      const pairs = new Map<string, number>();
      const record = (name: string): PairReduction<null, null> => ({
        product: name as 'rawMeans',
        init: () => null,
        tile(_s, t) {
          for (let i = 0; i < t.rows; i++) for (let j = firstPairColumn(t, i); j < t.cols; j++) pairs.set(`${name} ${t.rowStart + i} ${t.colStart + j}`, t.values[i * t.cols + j]);
        },
        finish: () => null,
      });
      await reducePairs(ctx, ['means', 'rawMeans', 'weights', 'rawWeights'].map(record));
      let worst = 0;
      for (const [X, name] of [[ctx.means, 'rawMeans'], [W, 'rawWeights']] as const) {
        for (let k = 0; k < K; k++) for (let l = k + 1; l < K; l++) {
          let dot = 0;
          for (let t = 0; t < D; t++) dot += X[k * D + t] * X[l * D + t];
          worst = Math.max(worst, Math.abs(pairs.get(`${name} ${k} ${l}`)! - dot) / Math.abs(dot));
        }
      }
      expect(worst, `tile ${tile}`).toBeLessThan(1e-12);
      expect(pairs.size).toBe((4 * K * (K - 1)) / 2);
      // Tiles of 4 rows: one pass over M̃M̃ᵀ and one over W_cW_cᵀ; one tile (17 rows): kept whole, no pass.
      expect(passes, `tile ${tile}`).toBe(tile === 4 ? 2 : 0);
      passes = 0;
    }
  });
});

describe('per-class data past a size', () => {
  it('keeps vectors up to perClassLimit and K × K matrices up to perClassMatrixLimit, then summarises with a warning', async () => {
    const ds = makeCase(9, { N: 400, D: 6, K: 20 });
    const batches = [{ features: ds.features, labels: ds.labels }];
    const full = (await analyze(batches, { classifier: { weights: ds.W!, bias: ds.b! } })).report;
    expect(full.perClass!.cosineMeans).toHaveLength(20);
    const noMatrices = (await analyze(batches, { classifier: { weights: ds.W!, bias: ds.b! }, perClassMatrixLimit: 10 })).report;
    expect(noMatrices.perClass!.cosineMeans).toBeUndefined();
    expect(noMatrices.perClass!.cosineWeights).toBeUndefined();
    expect(noMatrices.perClass!.nc1PerClass).toEqual(full.perClass!.nc1PerClass);
    expect(noMatrices.warnings.join(' ')).toMatch(/K × K cosine matrices/);
    const summary = (await analyze(batches, { classifier: { weights: ds.W!, bias: ds.b! }, perClassLimit: 10 })).report;
    expect(summary.perClass).toBeUndefined();
    expect(summary.metrics).toEqual(full.metrics);
    const s = summary.perClassSummary!;
    expect(s.K).toBe(20);
    const sorted = [...full.perClass!.nc1PerClass!].sort((a, b) => a - b);
    expect(s.nc1PerClass!.min).toBe(sorted[0]);
    expect(s.nc1PerClass!.max).toBe(sorted[19]);
    expect(s.nc1PerClass!.median).toBe(sorted[9]);
    expect(s.counts.mean).toBe(20);
    expect(summary.warnings.join(' ')).toMatch(/perClassSummary/);
  });
});

describe('NC3 (Zhu) past one tile', () => {
  it('the closed form used when W M̃ᵀ does not fit a tile equals the entry-by-entry sum', async () => {
    const ds = makeCase(13, { N: 300, D: 7, K: 15 });
    const { means, spread } = await analyze([{ features: ds.features, labels: ds.labels }]);
    const classifier = { weights: ds.W!, bias: ds.b! };
    const one = await buildContext(means, spread, { classifier });
    const tiled = await buildContext(means, spread, { classifier, pairTile: 4 });
    const { nc3Zhu } = await import('@ncscope/core');
    const a = await nc3Zhu(one);
    const b = await nc3Zhu(tiled);
    expect(a).toBeGreaterThan(0.01);
    expect(Math.abs(a - b)).toBeLessThan(1e-12);
  });
});
