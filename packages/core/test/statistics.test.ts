/**
 * The two-phase statistics themselves: empty shards, K growth across shards, the identities behind
 * `spreadReference` (which on-device implementations rely on), sources that are iterables, and progress.
 *
 * Memory (DESIGN.md: O(K·D + K²) beyond the input, never a D × D matrix in the default mode). This is not tested
 * by measuring allocations — a test of that kind could not reliably fail. The design guarantees it structurally:
 * - MeansAccumulator holds counts (K) and sums (K × D), nothing else.
 * - SpreadAccumulator holds counts and withinSS (K), projectedScatter, nccConfusion and classifierConfusion (K × K),
 *   and its `reference` (means and shifted means K × D, pairDistSq and classifier offsets K × K). Per chunk it
 *   allocates the residuals R (chunkRows × D), the product Z = R [M_s; W]ᵀ (chunkRows × 2K), P and Pᵀ
 *   (chunkRows × K) and PᵀP (K × K): the only D-sized factor is always paired with chunkRows or K.
 * - Σ_W and Σ_B are never formed: NC1 uses C = M̃ Σ_W M̃ᵀ (K × K, from PᵀP by a K × K congruence) and the
 *   eigen-decomposition of M̃M̃ᵀ (K × K); the other metrics read K × D rows and K-vectors.
 * The statistics a SpreadAccumulator exposes (checked below) have exactly those sizes, whatever D is.
 */
import { describe, expect, it } from 'vitest';
import {
  analyze,
  computeReport,
  MeansAccumulator,
  parseStatistics,
  serializeStatistics,
  SpreadAccumulator,
  spreadReference,
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
  it('with r = h − μ_y and p = M_s r: ‖h − μ_k‖² = ‖r‖² + 2(p_y − p_k) + ‖μ_y − μ_k‖², logits = W r + offset[y, :]', () => {
    const ds = makeCase(21, { N: 40, D: 5, K: 4, offset: 3 });
    const means = new MeansAccumulator().add({ features: ds.features, labels: ds.labels }).statistics;
    const ref = spreadReference(means, { weights: ds.W!, bias: ds.b! });
    const { K, D } = ref;
    for (let i = 0; i < ds.N; i++) {
      const y = ds.labels[i];
      const h = Array.from(ds.features.subarray(i * D, (i + 1) * D));
      const r = h.map((x, t) => x - ref.means[y * D + t]);
      const p = Array.from({ length: K }, (_, k) => r.reduce((s, x, t) => s + ref.shiftedMeans[k * D + t] * x, 0));
      const rr = r.reduce((s, x) => s + x * x, 0);
      for (let k = 0; k < K; k++) {
        const direct = h.reduce((s, x, t) => s + (x - ref.means[k * D + t]) ** 2, 0);
        expect(rr + 2 * (p[y] - p[k]) + ref.pairDistSq[y * K + k]).toBeCloseTo(direct, 10);
        const wr = r.reduce((s, x, t) => s + ds.W![k * D + t] * x, 0);
        const logit = h.reduce((s, x, t) => s + ds.W![k * D + t] * x, 0) + ds.b![k];
        expect(wr + ref.classifierOffset![y * K + k]).toBeCloseTo(logit, 10);
        expect(wr + ref.classifierOffsetNoBias![y * K + k]).toBeCloseTo(logit - ds.b![k], 10);
      }
    }
    // The shift s is the class-uniform mean of the means.
    for (let t = 0; t < D; t++) {
      let m = 0;
      for (let k = 0; k < K; k++) m += ref.means[k * D + t] / K;
      expect(ref.shift[t]).toBeCloseTo(m, 12);
    }
  });

  it('spread statistics have K- and K × K-sized arrays only, whatever D is', async () => {
    for (const D of [2, 300]) {
      const ds = makeCase(22, { N: 20, D, K: 3 });
      const { spread } = await analyze([{ features: ds.features, labels: ds.labels }], { classifier: { weights: ds.W!, bias: ds.b! } });
      expect([spread.counts.length, spread.withinSS.length]).toEqual([3, 3]);
      expect([spread.projectedScatter.length, spread.nccConfusion.length, spread.classifierConfusion!.length]).toEqual([9, 9, 9]);
    }
  });

  it('addPartial of another shard equals merge of it', async () => {
    const ds = makeCase(23, { N: 50, D: 6, K: 4 });
    const classifier = { weights: ds.W!, bias: ds.b! };
    const [a, b] = [batchesOf(ds, 17).slice(0, 2), batchesOf(ds, 17).slice(2)];
    const means = new MeansAccumulator().add({ features: ds.features, labels: ds.labels }).statistics;
    const sa = new SpreadAccumulator(means, { classifier });
    const sb = new SpreadAccumulator(means, { classifier });
    for (const x of a) await sa.add(x);
    for (const x of b) await sb.add(x);
    const viaPartial = new SpreadAccumulator(means, { classifier }).addPartial(sa.statistics).addPartial(sb.statistics);
    const viaMerge = new SpreadAccumulator(means, { classifier }).merge(sa).merge(sb);
    expect(viaPartial.statistics).toEqual(viaMerge.statistics);
    expect(computeReport(means, viaMerge.statistics, { classifier })).toEqual(computeReport(means, viaPartial.statistics, { classifier }));
  });
});

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

  it('without the spread phase, computeReport gives the means-only metrics', () => {
    const means = new MeansAccumulator().add({ features: ds.features, labels: ds.labels }).statistics;
    const report = computeReport(means, undefined);
    expect(Object.keys(report.metrics).sort()).toEqual(['equiangularityMeans', 'equinormMeans', 'etfErrorMeans', 'maxAngleMeans']);
    expect(report.perClass.variances).toBeUndefined();
  });
});
