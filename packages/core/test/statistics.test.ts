/**
 * The two-phase statistics themselves: empty shards, K growth across shards, the identities behind
 * `spreadReference` (which on-device implementations rely on), sources that are iterables, and progress.
 *
 * Memory (DESIGN.md: O(K·D + min(K, D)²) beyond the input). This is not tested by measuring allocations — a test
 * of that kind could not reliably fail. The design guarantees it structurally:
 * - MeansAccumulator holds counts (K) and sums (K × D), nothing else.
 * - SpreadAccumulator holds K-vectors (counts, withinSS, nccCorrect, classifierCorrect, per-class NC1 sums) and one
 *   m × m scatter, m = min(K, D); its `reference` holds K × D means and the decision tables — K × K only in 'means'
 *   space (K ≤ D, where K × K ≤ K × D), K-vectors in 'features' space. Per chunk it allocates rows × D residuals,
 *   the rows × 2K product and rows × m coordinates; chunkRows shrinks as K grows.
 * - Σ_W and Σ_B are never formed beyond m × m; pairwise metrics stream tiles of M̃M̃ᵀ, WWᵀ and WM̃ᵀ.
 * The statistics a SpreadAccumulator exposes (checked below) have exactly those sizes.
 */
import { describe, expect, it } from 'vitest';
import {
  addSpreadStatistics,
  analyze,
  computeReport,
  fingerprint,
  jsEngine,
  KERNEL_AFTER_ROWS,
  MeansAccumulator,
  parseStatistics,
  residualPlan,
  runSpreadChunk,
  serializeStatistics,
  SpreadAccumulator,
  spreadReference,
  type SpreadStatistics,
} from '@ncscope/core';
import { batchesOf, makeCase } from './helpers.js';

describe('empty shards', () => {
  const ds = makeCase(3, { N: 30, D: 4, K: 3 });
  const all = { features: ds.features, labels: ds.labels };

  it('an accumulator that saw no rows serializes to a file that parses and merges as a no-op', () => {
    // Before the fix, parseStatistics refused the K = 0, D = 0 file that serializeStatistics had written.
    for (const empty of [new MeansAccumulator(), new MeansAccumulator({ K: 3 }), new MeansAccumulator({ K: 5 }).add({ features: new Float64Array(0), labels: new Int32Array(0) })]) {
      const file = serializeStatistics({ means: empty.statistics });
      const parsed = parseStatistics(file, 'empty.json');
      expect(parsed.means.D).toBe(0);
      const merged = new MeansAccumulator().merge(parsed.means).merge(new MeansAccumulator().add(all));
      const single = new MeansAccumulator().add(all).withK(Math.max(3, empty.statistics.K));
      expect(merged.statistics).toEqual(single.statistics);
    }
  });

  it('merging an empty K-only shard first does not fix D to 0', () => {
    // Before the fix: "cannot merge means statistics with D = 4 into D = 0", and add() refused D = 4 rows.
    const merged = new MeansAccumulator().merge(new MeansAccumulator({ K: 5 }).statistics);
    expect(merged.statistics.K).toBe(5);
    merged.merge(new MeansAccumulator().add(all));
    expect(merged.statistics.D).toBe(4);
    const added = new MeansAccumulator().merge(new MeansAccumulator({ K: 5 })).add(all);
    expect(added.statistics.D).toBe(4);
    expect(Array.from(added.statistics.counts)).toEqual([...Array.from(new MeansAccumulator().add(all).statistics.counts), 0, 0]);
  });

  it('shards that see different subsets of the classes grow K and merge to the single pass', () => {
    const byClass = [0, 1, 2].map((k) => {
      const rows = Array.from(ds.labels.keys()).filter((i) => ds.labels[i] === k);
      return {
        features: Float64Array.from(rows.flatMap((i) => Array.from(ds.features.subarray(i * 4, i * 4 + 4)))),
        labels: Int32Array.from(rows.map(() => k)),
      };
    });
    const merged = new MeansAccumulator();
    for (const k of [2, 0, 1]) merged.merge(new MeansAccumulator().add(byClass[k]));
    const single = new MeansAccumulator().add(all).statistics;
    expect(Array.from(merged.statistics.counts)).toEqual(Array.from(single.counts));
    merged.statistics.sums.forEach((s, i) => expect(s).toBeCloseTo(single.sums[i], 12));
  });
});

describe('spreadReference identities (what an on-device spread phase computes)', () => {
  it("'means' space: with r = h − μ_y and p = M_s r, ‖h − μ_k‖² = ‖r‖² + 2(p_y − p_k) + ‖μ_y − μ_k‖², logits = W r + offset[y, :]", async () => {
    const ds = makeCase(21, { N: 40, D: 5, K: 4, offset: 3 });
    const means = new MeansAccumulator().add({ features: ds.features, labels: ds.labels }).statistics;
    const ref = await spreadReference(means, { classifier: { weights: ds.W!, bias: ds.b! } });
    expect(ref.space).toBe('means');
    const { K, D } = ref;
    const d = ref.decisions!;
    for (let i = 0; i < ds.N; i++) {
      const y = ds.labels[i];
      const h = Array.from(ds.features.subarray(i * D, (i + 1) * D));
      const r = h.map((x, t) => x - ref.means[y * D + t]);
      const p = Array.from({ length: K }, (_, k) => r.reduce((s, x, t) => s + ref.shiftedMeans[k * D + t] * x, 0));
      const rr = r.reduce((s, x) => s + x * x, 0);
      for (let k = 0; k < K; k++) {
        const direct = h.reduce((s, x, t) => s + (x - ref.means[k * D + t]) ** 2, 0);
        expect(rr + 2 * (p[y] - p[k]) + d.pairDistSq![y * K + k]).toBeCloseTo(direct, 10);
        const wr = r.reduce((s, x, t) => s + ds.W![k * D + t] * x, 0);
        const logit = h.reduce((s, x, t) => s + ds.W![k * D + t] * x, 0) + ds.b![k];
        expect(wr + d.classifier!.offset[y * K + k]).toBeCloseTo(logit, 10);
        expect(wr + d.classifier!.offsetNoBias[y * K + k]).toBeCloseTo(logit - ds.b![k], 10);
      }
    }
    // The shift s is the class-uniform mean of the means.
    for (let t = 0; t < D; t++) {
      let m = 0;
      for (let k = 0; k < K; k++) m += ref.means[k * D + t] / K;
      expect(ref.shift[t]).toBeCloseTo(m, 12);
    }
  });

  it("'features' space: with x = h − s, ‖h − μ_k‖² = ‖x‖² − 2 m_k·x + ‖m_k‖², logits = W x + offset (K-vectors only)", async () => {
    const ds = makeCase(24, { N: 60, D: 3, K: 6, offset: 3 });
    const means = new MeansAccumulator().add({ features: ds.features, labels: ds.labels }).statistics;
    const ref = await spreadReference(means, { classifier: { weights: ds.W!, bias: ds.b! } });
    expect(ref.space).toBe('features');
    const { K, D } = ref;
    const d = ref.decisions!;
    expect(d.pairDistSq).toBeUndefined();
    expect([d.meanSqNorms!.length, d.classifier!.offset.length, d.classifier!.offsetNoBias.length]).toEqual([K, K, K]);
    for (let i = 0; i < ds.N; i++) {
      const h = Array.from(ds.features.subarray(i * D, (i + 1) * D));
      const x = h.map((v, t) => v - ref.shift[t]);
      const xx = x.reduce((s, v) => s + v * v, 0);
      for (let k = 0; k < K; k++) {
        const mx = x.reduce((s, v, t) => s + ref.shiftedMeans[k * D + t] * v, 0);
        const direct = h.reduce((s, v, t) => s + (v - ref.means[k * D + t]) ** 2, 0);
        expect(xx - 2 * mx + d.meanSqNorms![k]).toBeCloseTo(direct, 10);
        const wx = x.reduce((s, v, t) => s + ds.W![k * D + t] * v, 0);
        const logit = h.reduce((s, v, t) => s + ds.W![k * D + t] * v, 0) + ds.b![k];
        expect(wx + d.classifier!.offset[k]).toBeCloseTo(logit, 10);
      }
    }
  });

  it('the quadratic map gives each residual its rᵀ Σ_B⁺ r, in both spaces', async () => {
    for (const [D, K] of [[6, 4], [3, 6]]) {
      const ds = makeCase(25, { N: 50, D, K });
      const means = new MeansAccumulator().add({ features: ds.features, labels: ds.labels }).statistics;
      // Σ_B⁺ by brute force (D × D, full rank here): Σ_B = M̃ᵀM̃/K with the class-uniform global mean.
      const mu = Array.from({ length: K }, (_, k) => Array.from({ length: D }, (_, t) => means.sums[k * D + t] / means.counts[k]));
      const g = Array.from({ length: D }, (_, t) => mu.reduce((s, m) => s + m[t], 0) / K);
      const SB = Array.from({ length: D }, (_, a) => Array.from({ length: D }, (_, b) => mu.reduce((s, m) => s + (m[a] - g[a]) * (m[b] - g[b]), 0) / K));
      const SBinv = D < K ? invert(SB) : [];
      const qOf = new Map<string, number[]>();
      for (const space of ['means', 'features'] as const) {
        const ref = await spreadReference(means, { space });
        expect(ref.space).toBe(space);
        const { map, rows } = ref.quadratic!;
        qOf.set(space, Array.from({ length: 10 }, (_, i) => {
          const y = ds.labels[i];
          const r = Array.from({ length: D }, (_, t) => ds.features[i * D + t] - mu[y][t]);
          const b = space === 'means' ? Array.from({ length: K }, (_, k) => r.reduce((s, v, t) => s + ref.shiftedMeans[k * D + t] * v, 0)) : r;
          let q = 0;
          for (let j = 0; j < rows; j++) q += b.reduce((s, v, c) => s + map[j * ref.m + c] * v, 0) ** 2;
          return q;
        }));
      }
      // The two spaces agree; when D < K, Σ_B is invertible in D dimensions and both equal rᵀ Σ_B⁻¹ r.
      qOf.get('means')!.forEach((q, i) => expect(q).toBeCloseTo(qOf.get('features')![i], 8));
      if (D < K) {
        for (let i = 0; i < 10; i++) {
          const y = ds.labels[i];
          const r = Array.from({ length: D }, (_, t) => ds.features[i * D + t] - mu[y][t]);
          const direct = r.reduce((s, ra, a) => s + ra * r.reduce((u, rb, c) => u + SBinv[a][c] * rb, 0), 0);
          expect(qOf.get('features')![i]).toBeCloseTo(direct, 8);
        }
      }
    }
  });

  it('spread statistics hold K-vectors and one m × m scatter (m = min(K, D)), nothing K × K when D < K', async () => {
    for (const D of [2, 300]) {
      const ds = makeCase(22, { N: 20, D, K: 3 });
      const { spread } = await analyze([{ features: ds.features, labels: ds.labels }], { classifier: { weights: ds.W!, bias: ds.b! } });
      expect([spread.counts.length, spread.withinSS.length, spread.nccCorrect.length, spread.classifierCorrect!.length, spread.perClassNc1!.sums.length]).toEqual([3, 3, 3, 3, 3]);
      expect(spread.space).toBe(D < 3 ? 'features' : 'means');
      expect(spread.scatter.length).toBe(Math.min(3, D) ** 2);
    }
  });

  it('addPartial of another shard equals merge of it', async () => {
    const ds = makeCase(23, { N: 50, D: 6, K: 4 });
    const classifier = { weights: ds.W!, bias: ds.b! };
    const [a, b] = [batchesOf(ds, 17).slice(0, 2), batchesOf(ds, 17).slice(2)];
    const means = new MeansAccumulator().add({ features: ds.features, labels: ds.labels }).statistics;
    const sa = await SpreadAccumulator.create(means, { classifier });
    const sb = await SpreadAccumulator.create(means, { classifier });
    for (const x of a) await sa.add(x);
    for (const x of b) await sb.add(x);
    const partial = (s: SpreadStatistics) => ({ ...s, perClassNc1: s.perClassNc1?.sums });
    const viaPartial = (await SpreadAccumulator.create(means, { classifier })).addPartial(partial(sa.statistics)).addPartial(partial(sb.statistics));
    const viaMerge = (await SpreadAccumulator.create(means, { classifier })).merge(sa).merge(sb);
    expect(viaPartial.statistics).toEqual(viaMerge.statistics);
    expect(addSpreadStatistics(sa.statistics, sb.statistics)).toEqual(viaMerge.statistics);
    expect(await computeReport(means, viaMerge.statistics, { classifier })).toEqual(await computeReport(means, viaPartial.statistics, { classifier }));
  });

  it('a residual plan measures residuals around other centres with the same Σ_B⁺ map (the multi-label building block)', async () => {
    const ds = makeCase(26, { N: 80, D: 5, K: 4 });
    const means = new MeansAccumulator().add({ features: ds.features, labels: ds.labels }).statistics;
    const acc = await SpreadAccumulator.create(means);
    await acc.add({ features: ds.features, labels: ds.labels });
    // Centres = the class means themselves: the per-row sums must reproduce withinSS and the per-class NC1 sums.
    const plan = residualPlan(acc.reference, acc.reference.means, 4);
    expect(plan.decisions).toBeUndefined();
    const out = await runSpreadChunk(jsEngine, { features: ds.features, labels: ds.labels, start: 0, rows: ds.N, D: 5, K: 4 }, plan);
    const ss = new Float64Array(4);
    const q = new Float64Array(4);
    for (let i = 0; i < ds.N; i++) { ss[ds.labels[i]] += out.rowSquaredNorms[i]; q[ds.labels[i]] += out.quadratic![i]; }
    ss.forEach((v, k) => expect(v).toBeCloseTo(acc.statistics.withinSS[k], 10));
    q.forEach((v, k) => expect(v).toBeCloseTo(acc.statistics.perClassNc1!.sums[k], 10));
    Array.from(out.scatter).forEach((v, i) => expect(v).toBeCloseTo(acc.statistics.scatter[i], 10));
    // Other centres: residuals against them.
    const centres = Float64Array.from({ length: 2 * 5 }, (_, i) => i / 7);
    const two = residualPlan(acc.reference, centres, 2);
    const idx = Int32Array.from(ds.labels, (y) => y % 2);
    const o2 = await runSpreadChunk(jsEngine, { features: ds.features, labels: idx, start: 0, rows: ds.N, D: 5, K: 4 }, two);
    for (let i = 0; i < 5; i++) {
      const direct = Array.from({ length: 5 }, (_, t) => (ds.features[i * 5 + t] - centres[idx[i] * 5 + t]) ** 2).reduce((a, b) => a + b, 0);
      expect(o2.rowSquaredNorms[i]).toBeCloseTo(direct, 10);
    }
  });
});

/** Inverse of a small SPD matrix by Gauss–Jordan (test helper). */
function invert(A: number[][]): number[][] {
  const n = A.length;
  const M = A.map((r, i) => [...r, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    const d = M[c][c];
    for (let j = 0; j < 2 * n; j++) M[c][j] /= d;
    for (let r = 0; r < n; r++) if (r !== c) { const f = M[r][c]; for (let j = 0; j < 2 * n; j++) M[r][j] -= f * M[c][j]; }
  }
  return M.map((r) => r.slice(n));
}

describe('analyze sources and progress', () => {
  const ds = makeCase(31, { N: 45, D: 3, K: 3 });
  const batches = batchesOf(ds, 10);

  it('an array, a function returning an iterable and one returning an async iterable give the same report', async () => {
    const fromArray = await analyze(batches);
    const fromIterable = await analyze(() => batches.values());
    const fromAsync = await analyze(() => (async function* () { for (const b of batches) yield b; })());
    expect(fromIterable.report).toEqual(fromArray.report);
    expect(fromAsync.report).toEqual(fromArray.report);
  });

  it('onProgress reports cumulative rows for the means phase, then the spread phase', async () => {
    const calls: [string, number][] = [];
    await analyze(batches, { onProgress: (phase, rows) => calls.push([phase, rows]) });
    const expected = batches.map((_, i) => Math.min(ds.N, 10 * (i + 1)));
    expect(calls).toEqual([...expected.map((r) => ['means', r]), ...expected.map((r) => ['spread', r])]);
  });

  it('a source that is neither an array nor a function is refused by name', async () => {
    await expect(analyze((batches.values() as unknown) as never)).rejects.toMatchObject({ code: 'BAD_OPTION' });
  });

  it('without the spread phase, computeReport gives the means-only metrics', async () => {
    const means = new MeansAccumulator().add({ features: ds.features, labels: ds.labels }).statistics;
    const report = await computeReport(means, undefined);
    expect(Object.keys(report.metrics).sort()).toEqual([
      'coherence', 'equiangularityMeans', 'equinormMeans', 'etfErrorMeans',
      'gnc2DistMean', 'gnc2DistVar', 'gnc2LogMean', 'gnc2LogVar', 'gnc2RieszMean', 'gnc2RieszVar', 'maxAngleMeans', 'orthoFrameMeans',
    ]);
    expect(report.perClass!.variances).toBeUndefined();
  });
});

describe('the means phase and an engine kernel', () => {
  it(`addAsync sums the first ${KERNEL_AFTER_ROWS} rows with the plain loop and the rest with the engine's classSums, and equals add`, async () => {
    const N = KERNEL_AFTER_ROWS + 9_000;
    const ds = makeCase(11, { N, D: 3, K: 4 });
    const kernelRows: number[] = [];
    const engine = {
      name: 'counting',
      matmul: jsEngine.matmul,
      // A plain float64 scatter of the chunk: what a native kernel returns.
      async classSums({ features, labels, start, rows, D, K }: { features: ArrayLike<number>; labels: ArrayLike<number>; start: number; rows: number; D: number; K: number }) {
        kernelRows.push(rows);
        const s = new Float64Array(K * D);
        for (let i = start; i < start + rows; i++) for (let t = 0; t < D; t++) s[labels[i] * D + t] += features[i * D + t];
        return s;
      },
    };
    const viaKernel = new MeansAccumulator({ K: 4, engine, chunkRows: 1000 });
    const plain = new MeansAccumulator({ K: 4 });
    for (const batch of batchesOf(ds, 5_000)) {
      await viaKernel.addAsync(batch);
      plain.add(batch);
    }
    // Whole chunks: the chunk that reaches KERNEL_AFTER_ROWS rows still runs in the loop.
    const looped = Math.ceil(KERNEL_AFTER_ROWS / 1000) * 1000;
    expect(kernelRows.reduce((a, b) => a + b, 0)).toBe(N - looped);
    expect(Array.from(viaKernel.statistics.counts)).toEqual(Array.from(plain.statistics.counts));
    const a = viaKernel.statistics.sums;
    const b = plain.statistics.sums;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b[i])));
  });
});

describe('fingerprints', () => {
  it('keep the digests statistics files already store (pinned values of the byte-wise FNV-1a digest)', () => {
    const a = Float64Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 1e3);
    const b = Float32Array.from({ length: 77 }, (_, i) => i / 7);
    const c = [1, 2.5, -0, 0, 1e-300];
    expect(fingerprint(a)).toBe('8dc320693cad6abc');
    expect(fingerprint(a, b)).toBe('0b5b3f5a76a7aef8');
    expect(fingerprint(b, c)).toBe('fa8ac06589bedcd8');
    expect(fingerprint(c)).toBe('937213fc687d2004');
    expect(fingerprint()).toBe('811c9dc55ad1e806');
    // A view into a larger buffer hashes its own elements only.
    expect(fingerprint(a.subarray(3, 50), new Float64Array(0))).toBe('ff23f90a2e6a1f34');
  });
});
