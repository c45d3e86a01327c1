// Imports the sources by relative path: the vitest config resolves '@ncscope/core' to a possibly stale dist/.
import { afterAll, describe, expect, it } from 'vitest';
import {
  MeansAccumulator,
  NcInputError,
  ScatterAccumulator,
  SpreadAccumulator,
  centralPath,
  choleskyFactor,
  choleskySolveRows,
  computeReport,
  labelSmoothingTargets,
  leastSquaresClassifier,
  singlePassReport,
  type ScatterStatistics,
} from '../src/index.js';
import { batches, directLeastSquares, directLoss, gaussSolve, makeData, normal, relErr, rng, type Data } from './heads-reference.js';

/** Largest errors seen, printed with NCSCOPE_TOLERANCES=1 (the figures quoted in HEADS.md). */
const worst: Record<string, number> = {};
const record = (key: string, v: number) => { worst[key] = Math.max(worst[key] ?? 0, v); };
afterAll(() => { if (process.env.NCSCOPE_TOLERANCES) console.log('heads tolerances', worst); });

/** Statistics streamed in random batches over three shards, merged in a scrambled order. */
async function streamedStats(d: Data, seed: number, K = d.K): Promise<ScatterStatistics> {
  const parts = batches(d, seed, 40);
  const shards = [new ScatterAccumulator(), new ScatterAccumulator(), new ScatterAccumulator()];
  for (let i = 0; i < parts.length; i++) await shards[(i * 7 + seed) % 3].add(parts[i]);
  return new ScatterAccumulator({ K }).merge(shards[2]).merge(shards[0]).merge(shards[1]).statistics;
}

function randomClassifier(Ko: number, D: number, seed: number, scale = 0.5) {
  const g = normal(rng(seed));
  return { weights: Float64Array.from({ length: Ko * D }, () => scale * g()), bias: Float64Array.from({ length: Ko }, () => scale * g()) };
}

describe('leastSquaresClassifier', () => {
  const cases = [
    { name: 'balanced', sizes: 'balanced' as const, N: 300, D: 8, K: 4 },
    { name: 'imbalanced, offset features', sizes: 'imbalanced' as const, N: 400, D: 12, K: 5, offset: 5 },
    { name: 'D > K, few samples per dimension', sizes: 'imbalanced' as const, N: 60, D: 20, K: 3 },
  ];
  for (const c of cases) {
    for (const lambda of [0, 1e-3, 0.5]) {
      it(`equals the direct normal-equations solve on raw features (${c.name}, λ = ${lambda})`, async () => {
        const d = makeData({ ...c, seed: 17 + c.D });
        const ls = leastSquaresClassifier(await streamedStats(d, 3), { lambda });
        const ref = directLeastSquares(d, lambda);
        const e = Math.max(relErr(ls.weights, ref.W), relErr(ls.bias, ref.b));
        record('LS vs direct normal equations', e);
        expect(e).toBeLessThanOrEqual(1e-8);
        expect(ls.outputs).toBe(c.K);
      });
    }
  }

  it('equals Han, Papyan & Donoho’s closed form for balanced classes', async () => {
    for (const lambda of [1e-4, 0.1, 2]) {
      const d = makeData({ N: 240, D: 10, K: 6, seed: 5, offset: 1 });
      const { N, D, K, X, y } = d;
      // Independent computation of w_LS = (1/K)(Mᵀ − 1 μ_Gᵀ/(1+λ)) (Σ_T + (λ/(1+λ)) μ_G μ_Gᵀ + λ I)⁻¹.
      const muG = new Float64Array(D);
      for (let i = 0; i < N; i++) for (let t = 0; t < D; t++) muG[t] += X[i * D + t] / N;
      const M = new Float64Array(K * D); // row k = μ_k (so the paper's M, D × K, is its transpose)
      const n = new Float64Array(K);
      for (let i = 0; i < N; i++) { n[y[i]]++; for (let t = 0; t < D; t++) M[y[i] * D + t] += X[i * D + t]; }
      for (let k = 0; k < K; k++) for (let t = 0; t < D; t++) M[k * D + t] /= n[k];
      const G = new Float64Array(D * D);
      for (let i = 0; i < N; i++) for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) G[a * D + b] += (X[i * D + a] - muG[a]) * (X[i * D + b] - muG[b]) / N;
      for (let a = 0; a < D; a++) { G[a * D + a] += lambda; for (let b = 0; b < D; b++) G[a * D + b] += (lambda / (1 + lambda)) * muG[a] * muG[b]; }
      const rhsT = new Float64Array(D * K); // (Mᵀ − 1μ_Gᵀ/(1+λ))ᵀ / K, D × K
      for (let k = 0; k < K; k++) for (let t = 0; t < D; t++) rhsT[t * K + k] = (M[k * D + t] - muG[t] / (1 + lambda)) / K;
      const WT = gaussSolve(G, rhsT, D, K); // G symmetric: Wᵀ = G⁻¹ rhsᵀ
      const W = new Float64Array(K * D);
      for (let k = 0; k < K; k++) for (let t = 0; t < D; t++) W[k * D + t] = WT[t * K + k];
      const b = Float64Array.from({ length: K }, (_, k) => {
        let s = 0;
        for (let t = 0; t < D; t++) s += W[k * D + t] * muG[t];
        return (1 / K - s) / (1 + lambda);
      });
      const ls = leastSquaresClassifier(await streamedStats(d, 9), { lambda });
      const e = Math.max(relErr(ls.weights, W), relErr(ls.bias, b));
      record('LS vs Han et al. closed form', e);
      expect(e).toBeLessThanOrEqual(1e-8);
    }
  });

  it('fits given targets (MSE label smoothing) like the direct solve', async () => {
    const d = makeData({ N: 200, D: 6, K: 4, seed: 8, sizes: 'imbalanced' });
    const T = labelSmoothingTargets(4, 0.2);
    expect(T[0]).toBeCloseTo(0.85, 15);
    expect(T[1]).toBeCloseTo(0.05, 15);
    const ls = leastSquaresClassifier(await streamedStats(d, 1), { lambda: 1e-2, targets: T });
    const ref = directLeastSquares(d, 1e-2, T);
    expect(Math.max(relErr(ls.weights, ref.W), relErr(ls.bias, ref.b))).toBeLessThanOrEqual(1e-8);
    // Non-square targets: 2 outputs per class.
    const T2 = Float64Array.from([1, 0, 0, 1, 1, 1, -1, 0.5]);
    const ls2 = leastSquaresClassifier(await streamedStats(d, 1), { lambda: 0.1, targets: T2 });
    const ref2 = directLeastSquares(d, 0.1, T2);
    expect(ls2.outputs).toBe(2);
    expect(Math.max(relErr(ls2.weights, ref2.W), relErr(ls2.bias, ref2.b))).toBeLessThanOrEqual(1e-8);
  });

  it('gives a zero row to a class with no samples', async () => {
    const d = makeData({ N: 120, D: 5, K: 3, seed: 4 });
    const ls = leastSquaresClassifier(await streamedStats(d, 2, 4), { lambda: 0.01 });
    expect(ls.weights.length).toBe(4 * 5);
    expect(Array.from(ls.weights.subarray(15))).toEqual([0, 0, 0, 0, 0]);
    expect(ls.bias[3]).toBe(0);
  });

  it('refuses λ = 0 on singular features with a named error suggesting λ > 0, and bad options', async () => {
    const collapsed = makeData({ N: 90, D: 6, K: 3, seed: 2, spread: 0 });
    const s = await streamedStats(collapsed, 1);
    expect(() => leastSquaresClassifier(s, { lambda: 0 })).toThrow(expect.objectContaining({ name: 'NcInputError', code: 'SINGULAR', message: expect.stringMatching(/lambda > 0/) }));
    expect(() => leastSquaresClassifier(s, { lambda: 1e-3 })).not.toThrow();
    const few = makeData({ N: 8, D: 10, K: 2, seed: 3 });
    expect(() => leastSquaresClassifier(new ScatterAccumulator().merge(s).statistics, { lambda: -1 })).toThrow(/lambda must be a finite number ≥ 0/);
    await expect((async () => leastSquaresClassifier(await streamedStats(few, 1), { lambda: 0 }))()).rejects.toMatchObject({ code: 'SINGULAR' });
    expect(() => leastSquaresClassifier(s, { lambda: 1, targets: [1, 2] })).toThrow(/K = 3 rows/);
    expect(() => leastSquaresClassifier(new ScatterAccumulator({ K: 2, D: 2 }).statistics, { lambda: 1 })).toThrow(NcInputError);
  });
});

describe('centralPath', () => {
  const cases = [
    { name: 'balanced, random features', sizes: 'balanced' as const, spread: 0.8 },
    { name: 'imbalanced, random features', sizes: 'imbalanced' as const, spread: 0.8 },
    { name: 'balanced, collapsed features', sizes: 'balanced' as const, spread: 0 },
    { name: 'imbalanced, collapsed features', sizes: 'imbalanced' as const, spread: 0 },
  ];
  for (const c of cases) {
    it(`L_NC1 + L_NC2/3 + L⊥ is the regularised MSE loss on the raw features (${c.name})`, async () => {
      const d = makeData({ N: 360, D: 9, K: 5, seed: 31, sizes: c.sizes, spread: c.spread, offset: 0.5 });
      const s = await streamedStats(d, 4);
      for (const lambda of [1e-3, 0.3]) {
        for (const seed of [1, 2]) {
          const clf = randomClassifier(5, 9, seed);
          const cp = centralPath(s, clf, { lambda });
          const direct = directLoss(d, clf.weights, clf.bias, lambda);
          const eSum = Math.abs(cp.lNC1 + cp.lNC23 + cp.lPerp - direct) / direct;
          const eLoss = Math.abs(cp.loss - direct) / direct;
          record('central path: sum of terms vs direct loss (relative)', eSum);
          record('central path: loss from statistics vs direct (relative)', eLoss);
          expect(eSum).toBeLessThanOrEqual(1e-12);
          expect(eLoss).toBeLessThanOrEqual(1e-12);
          expect(cp.lNC1).toBeGreaterThanOrEqual(0);
          expect(cp.lNC23).toBeGreaterThanOrEqual(cp.ridgeLS);
          expect(cp.lPerp).toBeGreaterThan(0);
          // L⊥ is the excess over the LS classifier's loss, both measured on the raw features.
          const lsDirect = directLoss(d, cp.leastSquares.weights, cp.leastSquares.bias, lambda);
          expect(Math.abs(cp.lossLS - lsDirect)).toBeLessThanOrEqual(1e-12 * direct);
          expect(Math.abs(cp.lPerp - (direct - lsDirect))).toBeLessThanOrEqual(1e-11 * direct);
          if (c.spread === 0) expect(cp.lNC1).toBeLessThanOrEqual(1e-25);
          else expect(cp.lNC1).toBeGreaterThan(1e-4);
        }
        // On the central path itself: the LS classifier has L⊥ = 0.
        const ls = leastSquaresClassifier(s, { lambda });
        const onPath = centralPath(s, ls, { lambda });
        record('central path: L⊥ of the LS classifier / loss', onPath.lPerp / onPath.loss);
        expect(onPath.lPerp / onPath.loss).toBeLessThanOrEqual(1e-20);
      }
    });
  }

  it('decomposes the loss with label-smoothing targets too', async () => {
    const d = makeData({ N: 200, D: 6, K: 4, seed: 12, sizes: 'imbalanced' });
    const T = labelSmoothingTargets(4, 0.1);
    const clf = randomClassifier(4, 6, 3);
    const cp = centralPath(await streamedStats(d, 6), clf, { lambda: 0.05, targets: T });
    const direct = directLoss(d, clf.weights, clf.bias, 0.05, T);
    expect(Math.abs(cp.lNC1 + cp.lNC23 + cp.lPerp - direct) / direct).toBeLessThanOrEqual(1e-12);
  });

  it('checks the classifier shape', async () => {
    const d = makeData({ N: 60, D: 4, K: 3, seed: 1 });
    const s = await streamedStats(d, 1);
    expect(() => centralPath(s, { weights: new Float64Array(8) }, { lambda: 1 })).toThrow(/expected K_out × D = 3 × 4/);
    expect(() => centralPath(s, { weights: new Float64Array(12).fill(NaN) }, { lambda: 1 })).toThrow(expect.objectContaining({ code: 'NON_FINITE' }));
  });

  it('appears in the core report when scatter statistics and W are supplied', async () => {
    const d = makeData({ N: 300, D: 7, K: 4, seed: 14, sizes: 'imbalanced' });
    const parts = batches(d, 3);
    const scatter = await streamedStats(d, 3);
    const clf = randomClassifier(4, 7, 9);
    const means = new MeansAccumulator();
    for (const b of parts) means.add(b);
    const spread = await SpreadAccumulator.create(means.statistics, { classifier: clf });
    for (const b of parts) await spread.add(b);
    const report = await computeReport(means.statistics, spread.statistics, { classifier: clf, centralPath: { scatter, lambda: 0.01 } });
    const cp = centralPath(scatter, clf, { lambda: 0.01 });
    expect(report.metrics.centralPathNC1).toBe(cp.lNC1);
    expect(report.metrics.centralPathNC23).toBe(cp.lNC23);
    expect(report.metrics.centralPathPerp).toBe(cp.lPerp);
    expect(report.metrics.centralPathLoss).toBe(cp.loss);
    expect((await computeReport(means.statistics, spread.statistics, { classifier: clf })).metrics.centralPathNC1).toBeUndefined();
    const single = await singlePassReport(scatter, { classifier: clf, centralPath: { lambda: 0.01 } });
    expect(single.metrics.centralPathPerp).toBe(cp.lPerp);
    // Statistics of different samples are refused.
    const other = await streamedStats(makeData({ N: 200, D: 7, K: 4, seed: 15 }), 1);
    await expect(computeReport(means.statistics, spread.statistics, { classifier: clf, centralPath: { scatter: other, lambda: 0.01 } })).rejects.toThrow(expect.objectContaining({ code: 'STATS_MISMATCH' }));
  });
});

describe('Cholesky (linalg/cholesky.ts)', () => {
  it('factors SPD matrices of sizes around the 4-row blocking and solves many right-hand sides', () => {
    const g = normal(rng(77));
    for (const n of [1, 3, 4, 5, 13, 64]) {
      const X = Float64Array.from({ length: (n + 3) * n }, g);
      const A = new Float64Array(n * n);
      for (let i = 0; i < n + 3; i++) for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) A[a * n + b] += X[i * n + a] * X[i * n + b];
      const L = A.slice();
      expect(choleskyFactor(L, n)).toBeUndefined();
      const LLt = new Float64Array(n * n);
      for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) { let v = 0; for (let k = 0; k < n; k++) v += L[a * n + k] * L[b * n + k]; LLt[a * n + b] = v; }
      expect(relErr(LLt, A)).toBeLessThanOrEqual(1e-13);
      for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) expect(L[a * n + b]).toBe(0);
      const m = 7;
      const R = Float64Array.from({ length: m * n }, g);
      const Xs = choleskySolveRows(L, n, R, m);
      const ref = gaussSolve(A, Float64Array.from({ length: n * m }, (_, i) => R[(i % m) * n + Math.floor(i / m)]), n, m);
      expect(relErr(Xs, Float64Array.from({ length: m * n }, (_, i) => ref[(i % n) * m + Math.floor(i / n)]))).toBeLessThanOrEqual(1e-9);
    }
  });

  it('reports the failing pivot of a singular matrix', () => {
    const A = Float64Array.from([4, 2, 2, 2, 1, 1, 2, 1, 3]); // rows 0 and 1 proportional: rank 2
    const fail = choleskyFactor(A, 3);
    expect(fail).toMatchObject({ row: 1 });
    expect(fail!.pivot).toBeLessThanOrEqual(fail!.tolerance);
    expect(() => choleskyFactor(new Float64Array(5), 2)).toThrow(RangeError);
  });
});
