// Imports the sources by relative path: the vitest config resolves '@ncscope/core' to a possibly stale dist/.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NcInputError,
  ScatterAccumulator,
  analyze,
  jsEngine,
  parseScatter,
  serializeScatter,
  singlePassReport,
  type ProductEngine,
  type ScatterStatistics,
} from '../src/index.js';
import { batches, makeData, relErr, type Data } from './heads-reference.js';

/** Two-pass textbook reference on raw features: counts, means, per-class SS, S_W = Σ (h − μ_y)(h − μ_y)ᵀ. */
function twoPass(d: Data, X: ArrayLike<number> = d.X) {
  const { N, D, K, y } = d;
  const counts = new Float64Array(K);
  const means = new Float64Array(K * D);
  for (let i = 0; i < N; i++) {
    counts[y[i]]++;
    for (let t = 0; t < D; t++) means[y[i] * D + t] += X[i * D + t];
  }
  for (let k = 0; k < K; k++) for (let t = 0; t < D; t++) means[k * D + t] /= counts[k];
  const ss = new Float64Array(K);
  const S = new Float64Array(D * D);
  for (let i = 0; i < N; i++) {
    const r = Array.from({ length: D }, (_, t) => X[i * D + t] - means[y[i] * D + t]);
    for (let a = 0; a < D; a++) {
      ss[y[i]] += r[a] * r[a];
      for (let b = 0; b < D; b++) S[a * D + b] += r[a] * r[b];
    }
  }
  return { counts, means, ss, S };
}

async function accumulate(parts: { features: Float64Array | Float32Array; labels: Int32Array }[], K?: number, engine?: ProductEngine): Promise<ScatterAccumulator> {
  const acc = new ScatterAccumulator({ K, engine, chunkRows: 17 });
  for (const b of parts) await acc.add(b);
  return acc;
}

function expectMatches(s: ScatterStatistics, ref: ReturnType<typeof twoPass>, tol: number) {
  expect(Array.from(s.counts)).toEqual(Array.from(ref.counts));
  expect(relErr(s.means, ref.means)).toBeLessThan(tol);
  expect(relErr(s.withinSS, ref.ss)).toBeLessThan(tol);
  expect(relErr(s.withinScatter, ref.S)).toBeLessThan(tol);
}

describe('ScatterAccumulator', () => {
  it('streams batches to the two-pass within-class scatter (balanced and imbalanced)', async () => {
    for (const sizes of ['balanced', 'imbalanced'] as const) {
      const d = makeData({ N: 400, D: 9, K: 5, seed: 3, sizes });
      const acc = await accumulate(batches(d, 1));
      expectMatches(acc.statistics, twoPass(d), 1e-12);
    }
  });

  it('merges shards in any order by Chan’s update (property)', async () => {
    const d = makeData({ N: 240, D: 6, K: 4, seed: 11, sizes: 'imbalanced' });
    const ref = twoPass(d);
    const parts = batches(d, 5, 30);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: parts.length, maxLength: parts.length }), fc.integer({ min: 0, max: 1000 }), async (assign, seed) => {
        const shards = [0, 1, 2, 3].map(() => new ScatterAccumulator());
        for (let i = 0; i < parts.length; i++) await shards[assign[i]].add(parts[i]);
        const order = [0, 1, 2, 3].sort((a, b) => ((a * 7919 + seed) % 13) - ((b * 7919 + seed) % 13));
        const total = new ScatterAccumulator();
        for (const o of order) total.merge(shards[o]);
        total.withK(4);
        expectMatches(total.statistics, ref, 1e-11);
      }),
      { numRuns: 25 },
    );
  });

  it('stays accurate for float32 features far from the origin (offset 1e4)', async () => {
    const d = makeData({ N: 300, D: 5, K: 3, seed: 7, offset: 1e4, spread: 0.01 });
    const parts = batches(d, 2, 40, true);
    const X32 = new Float64Array(d.N * d.D);
    let o = 0;
    for (const p of parts) { X32.set(p.features, o); o += p.features.length; }
    const acc = await accumulate(parts);
    // Reference on the same float32 values; the naive E[hhᵀ] − μμᵀ would lose every digit here (1e8 vs 1e-4).
    expectMatches(acc.statistics, twoPass(d, X32), 1e-9);
  });

  it('uses a product engine when given one, with the same result', async () => {
    const d = makeData({ N: 150, D: 7, K: 3, seed: 9 });
    let calls = 0;
    const engine: ProductEngine = { name: 'counting', matmul: (a, b, m, k, n) => { calls++; return jsEngine.matmul(a, b, m, k, n); } };
    const acc = await accumulate(batches(d, 4), undefined, engine);
    expect(calls).toBeGreaterThan(0);
    expectMatches(acc.statistics, twoPass(d), 1e-12);
  });

  it('serializes and parses back exactly', async () => {
    const d = makeData({ N: 120, D: 4, K: 3, seed: 1 });
    const s = (await accumulate(batches(d, 8))).statistics;
    const back = parseScatter(serializeScatter(s));
    expect(back).toEqual({ K: s.K, D: s.D, counts: s.counts, means: s.means, withinSS: s.withinSS, withinScatter: s.withinScatter });
    expect(() => parseScatter('{"format":"ncscope.scatter","version":1,"K":2,"D":2,"counts":[1]}', 'x.json')).toThrow(/x\.json: "counts" must be an array of 2/);
    expect(() => parseScatter('nope')).toThrow(NcInputError);
  });

  it('names bad input and leaves the statistics untouched', async () => {
    const acc = new ScatterAccumulator({ K: 2 });
    await acc.add({ features: new Float64Array([1, 2, 3, 4]), labels: new Int32Array([0, 1]) });
    const before = serializeScatter(acc.statistics);
    await expect(acc.add({ features: new Float64Array([1, NaN, 3, 4]), labels: new Int32Array([0, 1]) })).rejects.toThrow(/batch 1, features row 0, column 1/);
    await expect(acc.add({ features: new Float64Array([1, 2, 3, 4]), labels: new Int32Array([0, 2]) })).rejects.toMatchObject({ code: 'BAD_LABEL' });
    await expect(acc.add({ features: new Float64Array([1, 2, 3]), labels: new Int32Array([0]) })).rejects.toMatchObject({ code: 'SHAPE' });
    expect(serializeScatter(acc.statistics)).toBe(before);
    expect(() => acc.merge(new ScatterAccumulator({ D: 3 }).statistics)).not.toThrow(); // empty shard
    const other = new ScatterAccumulator();
    await other.add({ features: new Float64Array([1, 2, 3]), labels: new Int32Array([0]) });
    expect(() => acc.merge(other)).toThrow(/D = 3 into D = 2/);
  });
});

describe('single-pass report', () => {
  it('gives the two-phase NC1, NC1 quotient, CDNV and classifier geometry, and omits NCC metrics', async () => {
    for (const sizes of ['balanced', 'imbalanced'] as const) {
      const d = makeData({ N: 500, D: 8, K: 4, seed: 21, sizes });
      const u = makeData({ N: 4, D: 8, K: 4, seed: 99 });
      const classifier = { weights: u.X.slice(0, 32), bias: new Float64Array([0.1, -0.2, 0.3, 0]) };
      const parts = batches(d, 6);
      const two = (await analyze(parts, { classifier })).report;
      const one = await singlePassReport((await accumulate(parts)).statistics, { classifier });
      for (const key of ['nc1', 'nc1Quotient', 'cdnv', 'equinormMeans', 'etfErrorMeans', 'nc3SelfDuality', 'nc3Zhu', 'etfErrorWeights'] as const) {
        expect(Math.abs((one.metrics[key] as number) - (two.metrics[key] as number))).toBeLessThanOrEqual(1e-9 * Math.abs(two.metrics[key] as number) + 1e-14);
      }
      expect(one.metrics.nccAccuracy).toBeUndefined();
      expect(one.metrics.nc4NccMismatch).toBeUndefined();
      expect(one.perClass!.nccRecall).toBeUndefined();
      expect(one.perClass!.variances).toEqual(two.perClass!.variances!.map((v) => expect.closeTo(v, 12)));
      expect(one.warnings.join(' ')).toMatch(/single-pass/);
    }
  });
});
