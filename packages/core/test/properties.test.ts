/**
 * Invariance properties (fast-check): NC metrics do not depend on the coordinate system of the features
 * (rotation, translation, scaling — with the classifier transformed consistently), on the names of the classes,
 * nor on how the data is batched, chunked, sharded, merged or serialized.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  analyze,
  computeReport,
  MeansAccumulator,
  parseStatistics,
  serializeStatistics,
  SpreadAccumulator,
  type NcReport,
} from '@ncscope/core';
import { absoluteFloors, batchesOf, floorOf, gaussian, makeCase, rng, shuffle, type AbsoluteFloors, type Dataset } from './helpers.js';

/** |a − b| ≤ rtol·|b| + atol: relative, with an absolute allowance for O(1) quantities whose value may be 0. */
function close(a: number | undefined, b: number | undefined, rtol: number, atol: number, what: string): void {
  expect(a, what).toBeTypeOf('number');
  expect(b, what).toBeTypeOf('number');
  // Undefined quantities (NaN, e.g. GNC2 kernels of coinciding normalized means) and infinities must match as such.
  if (!Number.isFinite(b!) || !Number.isFinite(a!)) {
    if (!Object.is(a, b) && !(Number.isNaN(a!) && Number.isNaN(b!))) expect.fail(`${what}: ${a} vs ${b}`);
    return;
  }
  const err = Math.abs(a! - b!);
  if (!(err <= rtol * Math.abs(b!) + atol)) expect.fail(`${what}: ${a} vs ${b} (difference ${err.toExponential(2)} > ${rtol}·|b| + ${atol})`);
}

/**
 * Absolute floors for comparing the reports of two data sets (a transformed copy and the original), scaled to the
 * data (helpers.ts, absoluteFloors): the larger of the two sets' floors, with the norms of the second report's
 * units (a scaled copy has scaled norms and variances).
 */
function floorsOf(a: { ds: Dataset; report: NcReport }, b: { ds: Dataset; report: NcReport }): AbsoluteFloors {
  const fa = absoluteFloors(a.ds.features, a.ds.D, a.report.perClass!.meanNorms);
  const fb = absoluteFloors(b.ds.features, b.ds.D, b.report.perClass!.meanNorms);
  return {
    geometry: Math.max(fa.geometry, fb.geometry),
    ratio: Math.max(fa.ratio, fb.ratio),
    norm: fb.norm,
    variance: fb.variance,
  };
}

/**
 * GNC2 kernels read the normalized means' pairwise distances. In one dimension the normalized means are ±1, so with
 * three or more classes two of them coincide: their distance is rounding noise and so are the kernels.
 */
function gnc2Defined(r: NcReport): boolean {
  return r.D > 1 || r.K === 2;
}

interface Mapping {
  /** New position of class k: perm[k] (class relabelling). */
  perm?: number[];
  /** Factor on meanNorms / variances / weightNorms (feature and weight scaling). */
  meanScale?: number;
  weightScale?: number;
  /** Factors on scale-dependent metrics (unc3 scales by (c c′)², nc0 by c′). */
  metricScale?: Record<string, number>;
  /** Metrics the transformation changes (the orthogonal-frame distance of the uncentred means under translation). */
  skip?: string[];
}

/** Expects report `b` to be report `a` seen through a class relabelling and/or a scaling, to rtol above the floors. */
function expectSameReport(a: NcReport, b: NcReport, rtol: number, floors: AbsoluteFloors, where: string, map: Mapping = {}): void {
  const K = a.K;
  const perm = map.perm ?? Array.from({ length: K }, (_, k) => k);
  const ms = map.meanScale ?? 1;
  const ws = map.weightScale ?? 1;
  expect([b.N, b.D, b.K, b.rank], `${where}: N, D, K, rank`).toEqual([a.N, a.D, a.K, a.rank]);
  expect(Object.keys(b.metrics).sort(), `${where}: metric keys`).toEqual(Object.keys(a.metrics).sort());
  const kernels = gnc2Defined(a) && gnc2Defined(b);
  for (const [key, value] of Object.entries(a.metrics)) {
    if (map.skip?.includes(key) || (key.startsWith('gnc2') && !kernels)) continue;
    const f = map.metricScale?.[key] ?? 1;
    close(b.metrics[key as keyof NcReport['metrics']], value * f, rtol, floorOf(key, floors), `${where}: ${key}`);
  }
  expect(b.degenerate, `${where}: degenerate`).toBe(a.degenerate);
  expect(b.imbalance === undefined, `${where}: imbalance section`).toBe(a.imbalance === undefined);
  if (a.imbalance && b.imbalance) {
    // Every number of the section is scale-free and coordinate-free; class lists follow the relabelling.
    for (const [key, value] of Object.entries(a.imbalance)) {
      const got = (b.imbalance as unknown as Record<string, unknown>)[key];
      if (typeof value === 'number') close(got as number, value, rtol, floors.geometry, `${where}: imbalance.${key}`);
      else if (Array.isArray(value)) expect([...(got as number[])].sort(), `${where}: imbalance.${key}`).toEqual(value.map((k) => perm[k]).sort());
      else expect(got, `${where}: imbalance.${key}`).toEqual(value);
    }
  }
  const pa = a.perClass!;
  const pb = b.perClass!;
  for (let k = 0; k < K; k++) {
    const j = perm[k];
    expect(pb.counts[j], `${where}: counts[${k}]`).toBe(pa.counts[k]);
    close(pb.meanNorms[j], pa.meanNorms[k] * ms, rtol, floors.norm, `${where}: meanNorms[${k}]`);
    if (pa.variances) close(pb.variances![j], pa.variances[k] * ms * ms, rtol, floors.variance, `${where}: variances[${k}]`);
    if (pa.nccRecall) close(pb.nccRecall![j], pa.nccRecall[k], rtol, floors.geometry, `${where}: nccRecall[${k}]`);
    if (pa.weightNorms) close(pb.weightNorms![j], pa.weightNorms[k] * ws, rtol, floors.geometry * Math.abs(pa.weightNorms[k] * ws), `${where}: weightNorms[${k}]`);
    // NC1_c is scale-free: Σ_c scales by c², Σ_B⁺ by 1/c².
    if (pa.nc1PerClass) close(pb.nc1PerClass![j], pa.nc1PerClass[k], rtol, floors.ratio, `${where}: nc1PerClass[${k}]`);
    for (let l = 0; l < K; l++) {
      close(pb.cosineMeans![j][perm[l]], pa.cosineMeans![k][l], rtol, floors.geometry, `${where}: cosineMeans[${k}][${l}]`);
      if (pa.cosineWeights) close(pb.cosineWeights![j][perm[l]], pa.cosineWeights[k][l], rtol, floors.geometry, `${where}: cosineWeights[${k}][${l}]`);
    }
  }
}

/** A small random data set with a classifier, from fast-check's choice of seed and shape. */
const datasetArb = fc
  .record({
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    K: fc.integer({ min: 2, max: 5 }),
    D: fc.integer({ min: 1, max: 8 }),
    perClass: fc.integer({ min: 2, max: 12 }),
    imbalanced: fc.boolean(),
  })
  .map(({ seed, K, D, perClass, imbalanced }) => ({
    seed,
    ds: makeCase(seed, { N: K * perClass, D, K, sizes: imbalanced ? 'imbalanced' : 'balanced', offset: 2 }),
  }));

const RUNS = { numRuns: Number(process.env.NCSCOPE_PROPERTY_RUNS ?? 30), seed: Number(process.env.NCSCOPE_PROPERTY_SEED ?? 20261129) };

async function reportOf(ds: Dataset, options: Parameters<typeof analyze>[1] = {}): Promise<NcReport> {
  return (await analyze(batchesOf(ds, 11), { classifier: { weights: ds.W!, bias: ds.b! }, K: ds.K, ...options })).report;
}

/** A random D × D orthogonal matrix (Gram–Schmidt on Gaussian columns), row-major. */
function randomOrthogonal(D: number, u: () => number): Float64Array {
  const g = gaussian(u);
  const q = Array.from({ length: D }, () => Array.from({ length: D }, () => g()));
  for (let j = 0; j < D; j++) {
    for (let p = 0; p < j; p++) {
      let d = 0;
      for (let i = 0; i < D; i++) d += q[i][p] * q[i][j];
      for (let i = 0; i < D; i++) q[i][j] -= d * q[i][p];
    }
    const n = Math.hypot(...q.map((r) => r[j]));
    for (let i = 0; i < D; i++) q[i][j] /= n;
  }
  return Float64Array.from(q.flat());
}

/** Rows of X (n × D) mapped by x → Q x. */
function rotateRows(X: ArrayLike<number>, n: number, D: number, Q: Float64Array): Float64Array {
  const out = new Float64Array(n * D);
  for (let i = 0; i < n; i++) for (let a = 0; a < D; a++) {
    let s = 0;
    for (let t = 0; t < D; t++) s += Q[a * D + t] * X[i * D + t];
    out[i * D + a] = s;
  }
  return out;
}

// Generous timeouts: the machine is shared; these are not timing tests.
describe('invariance to the coordinate system of the features', { timeout: 60_000 }, () => {
  it('rotation: h → Q h, w_k → Q w_k', async () => {
    await fc.assert(fc.asyncProperty(datasetArb, async ({ seed, ds }) => {
      const { N, D, K } = ds;
      const Q = randomOrthogonal(D, rng(seed + 1));
      const rotated: Dataset = { ...ds, features: rotateRows(ds.features, N, D, Q), W: rotateRows(ds.W!, K, D, Q) };
      const [a, b] = [await reportOf(ds), await reportOf(rotated)];
      expectSameReport(a, b, 1e-8, floorsOf({ ds, report: a }, { ds: rotated, report: b }), `rotation seed ${seed}`);
    }), RUNS);
  });

  it('translation: h → h + t, b → b − W t (logits unchanged)', async () => {
    await fc.assert(fc.asyncProperty(datasetArb, fc.double({ min: -1e3, max: 1e3, noNaN: true }), async ({ seed, ds }, size) => {
      const { D } = ds;
      const g = gaussian(rng(seed + 2));
      const shift = Array.from({ length: D }, () => size * g());
      const features = Float64Array.from(ds.features, (x, i) => x + shift[i % D]);
      const b = Float64Array.from(ds.b!, (bk, k) => bk - shift.reduce((s, x, t) => s + ds.W![k * D + t] * x, 0));
      const moved: Dataset = { ...ds, features, b };
      for (const preset of ['ncscope', 'zhu'] as const) {
        const [ra, rb] = [await reportOf(ds, { preset }), await reportOf(moved, { preset })];
        expectSameReport(ra, rb, 1e-6, floorsOf({ ds, report: ra }, { ds: moved, report: rb }), `translation ${size} seed ${seed} ${preset}`, { skip: ['orthoFrameMeans'] });
      }
    }), RUNS);
  });

  it('scaling: h → c h, W → c′ W, b → c c′ b (logits scale by c c′ > 0; scale-free metrics unchanged, norms and variances scale)', async () => {
    const scale = fc.constantFrom(1e-3, 0.37, 2, 1e4);
    await fc.assert(fc.asyncProperty(datasetArb, scale, scale, async ({ seed, ds }, c, cw) => {
      const scaled: Dataset = {
        ...ds,
        features: Float64Array.from(ds.features, (x) => c * x),
        b: Float64Array.from(ds.b!, (x) => c * cw * x),
        W: Float64Array.from(ds.W!, (x) => cw * x),
      };
      const [a, b] = [await reportOf(ds), await reportOf(scaled)];
      expectSameReport(a, b, 1e-9, floorsOf({ ds, report: a }, { ds: scaled, report: b }), `scaling ${c}, ${cw} seed ${seed}`, { meanScale: c, weightScale: cw, metricScale: { unc3: (c * cw) ** 2, nc0: cw } });
    }), RUNS);
  });
});

// Generous timeouts: the machine is shared; these are not timing tests.
describe('invariance to class relabelling', { timeout: 60_000 }, () => {
  it('labels y → π(y), rows of W and b permuted: per-class arrays permute, scalars unchanged', async () => {
    await fc.assert(fc.asyncProperty(datasetArb, async ({ seed, ds }) => {
      const { D, K } = ds;
      const perm = shuffle(Array.from({ length: K }, (_, k) => k), rng(seed + 3));
      const W = new Float64Array(K * D);
      const b = new Float64Array(K);
      for (let k = 0; k < K; k++) {
        W.set(ds.W!.subarray(k * D, (k + 1) * D), perm[k] * D);
        b[perm[k]] = ds.b![k];
      }
      const relabelled: Dataset = { ...ds, labels: Int32Array.from(ds.labels, (y) => perm[y]), W, b };
      for (const preset of ['ncscope', 'zhou'] as const) {
        const [a, b] = [await reportOf(ds, { preset }), await reportOf(relabelled, { preset })];
        expectSameReport(a, b, 1e-9, floorsOf({ ds, report: a }, { ds: relabelled, report: b }), `relabelling ${perm} seed ${seed} ${preset}`, { perm });
      }
    }), RUNS);
  });
});

// Generous timeouts: the machine is shared; these are not timing tests.
describe('invariance to batching, chunking, sharding and merge order', { timeout: 60_000 }, () => {
  it('batch size 1, 7 and all rows; chunkRows 1, 3 and default give the same report', async () => {
    await fc.assert(fc.asyncProperty(datasetArb, fc.boolean(), async ({ seed, ds }, f32) => {
      const data: Dataset = f32 ? { ...ds, features: Float32Array.from(ds.features) } : ds;
      const classifier = { weights: ds.W!, bias: ds.b! };
      const base = (await analyze([{ features: data.features, labels: data.labels }], { classifier })).report;
      for (const size of [1, 7, data.N]) {
        for (const chunkRows of [1, 3, undefined]) {
          const { report } = await analyze(batchesOf(data, size), { classifier, chunkRows });
          expectSameReport(base, report, 1e-10, floorsOf({ ds: data, report: base }, { ds: data, report }), `batch ${size} chunk ${chunkRows ?? 'default'} ${f32 ? 'f32' : 'f64'} seed ${seed}`);
        }
      }
    }), { numRuns: 25 });
  });

  it('shards merged in random order (also through serialized files) equal one pass', async () => {
    await fc.assert(fc.asyncProperty(datasetArb, fc.integer({ min: 1, max: 5 }), fc.boolean(), async ({ seed, ds }, nShards, viaFiles) => {
      const u = rng(seed + 4);
      const { N, K } = ds;
      const classifier = { weights: ds.W!, bias: ds.b! };
      // Cut the rows into nShards contiguous pieces (some may be empty), each in random batches.
      const cuts = [0, ...Array.from({ length: nShards - 1 }, () => Math.floor(u() * (N + 1))).sort((a, b) => a - b), N];
      const shards = cuts.slice(1).map((end, s) => {
        const start = cuts[s];
        return batchesOf({ D: ds.D, features: ds.features.subarray(start * ds.D, end * ds.D), labels: ds.labels.subarray(start, end) }, 1 + Math.floor(u() * 9));
      });
      const roundTrip = <T>(stats: T, part: 'means' | 'spread', means?: unknown): T => {
        if (!viaFiles) return stats;
        const file = part === 'means' ? serializeStatistics({ means: stats as never }) : serializeStatistics({ means: means as never, spread: stats as never });
        return parseStatistics(file, `shard.json`)[part] as T;
      };

      // Phase 1: each shard alone (K grows with the labels it sees), merged in random order.
      const meanShards = shards.map((batches) => batches.reduce((acc, b) => acc.add(b), new MeansAccumulator()).statistics);
      const merged = new MeansAccumulator();
      for (const s of shuffle(meanShards.map((_, i) => i), u)) merged.merge(roundTrip(meanShards[s], 'means'));
      merged.withK(K);
      const single = new MeansAccumulator({ K }).add({ features: ds.features, labels: ds.labels }).statistics;
      expect(merged.statistics.counts).toEqual(single.counts);
      const sumFloor = absoluteFloors(ds.features, ds.D, []).norm; // a sum of N rows of norm ≤ s: error ≤ N·ε·s
      for (let i = 0; i < single.sums.length; i++) close(merged.statistics.sums[i], single.sums[i], 1e-12, sumFloor, `sums[${i}]`);

      // Phase 2: each shard against the merged means, merged in random order.
      const M = merged.statistics;
      const spreadShards = await Promise.all(shards.map(async (batches) => {
        const acc = await SpreadAccumulator.create(M, { classifier });
        for (const b of batches) await acc.add(b);
        return acc.statistics;
      }));
      const spread = await SpreadAccumulator.create(M, { classifier });
      for (const s of shuffle(spreadShards.map((_, i) => i), u)) spread.merge(roundTrip(spreadShards[s], 'spread', M));

      const report = await computeReport(M, spread.statistics, { classifier });
      const onePass = (await analyze([{ features: ds.features, labels: ds.labels }], { classifier })).report;
      const floors = floorsOf({ ds, report: onePass }, { ds, report });
      expectSameReport(onePass, report, 1e-10, floors, `${nShards} shards ${viaFiles ? 'via files' : 'in memory'} seed ${seed}`);

      // The merged statistics file reproduces the merged report exactly.
      const file = serializeStatistics({ means: M, spread: spread.statistics });
      const parsed = parseStatistics(file);
      expect(Array.from(parsed.means.sums)).toEqual(Array.from(M.sums));
      expect(Array.from(parsed.spread!.scatter)).toEqual(Array.from(spread.statistics.scatter));
      expect(Array.from(parsed.spread!.perClassNc1!.sums)).toEqual(Array.from(spread.statistics.perClassNc1!.sums));
      expect(await computeReport(parsed.means, parsed.spread, { classifier })).toEqual(report);
      expectSameReport(onePass, await computeReport(parsed.means, parsed.spread, { classifier }), 1e-10, floors, `merged file seed ${seed}`);
    }), RUNS);
  });

  it('serializeStatistics / parseStatistics is an exact round trip', async () => {
    await fc.assert(fc.asyncProperty(datasetArb, fc.boolean(), async ({ ds }, withClassifier) => {
      const { means, spread } = await analyze(batchesOf(ds, 5), withClassifier ? { classifier: { weights: ds.W!, bias: ds.b! } } : {});
      const parsed = parseStatistics(serializeStatistics({ means, spread }));
      expect(parsed.means).toEqual(means);
      expect(parsed.spread).toEqual(spread);
      expect(parseStatistics(serializeStatistics({ means }))).toEqual({ means });
    }), { numRuns: 25 });
  });
});
