/**
 * Multi-label Neural Collapse (Li et al. 2023; core README "Multi-label Neural Collapse"): exact theory (tag-wise
 * averages on a simplex ETF give angle 0, the scales used, label-set NC1 0), agreement with the plain float64
 * reference on random multi-hot data, the golden set, the NC_MLab script's own numbers, batching/sharding/merging and
 * serialization invariance, and bad input.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  MultiLabelMeansAccumulator,
  MultiLabelSpreadAccumulator,
  NcInputError,
  analyze,
  analyzeMultiLabel,
  computeMultiLabelReport,
  parseAnyStatistics,
  parseMultiLabelStatistics,
  parseNpy,
  parseStatistics,
  serializeMultiLabelStatistics,
  serializeStatistics,
  type MultiLabelBatch,
  type MultiLabelNcReport,
} from '@ncscope/core';
import { expectRel, gaussian, reportTolerances, rng, shuffle } from './helpers.js';
import { multiLabelReference } from './multilabel-reference.js';

const GOLDEN = new URL('../../../test/fixtures/golden/multilabel/', import.meta.url);
const NCMLAB = new URL('../../../test/fixtures/ncmlab/', import.meta.url);

afterAll(() => reportTolerances('multi-label'));

/** Multi-hot rows × K (uint8) from label sets. */
function multiHot(sets: number[][], K: number): Uint8Array {
  const y = new Uint8Array(sets.length * K);
  sets.forEach((s, i) => s.forEach((k) => (y[i * K + k] = 1)));
  return y;
}

/** Orthonormal columns (modified Gram–Schmidt) of a rows × cols matrix. */
function orthonormalColumns(a: number[][]): number[][] {
  const q = a.map((r) => r.slice());
  for (let j = 0; j < q[0].length; j++) {
    for (let p = 0; p < j; p++) {
      const d = q.reduce((s, r) => s + r[p] * r[j], 0);
      for (const r of q) r[j] -= d * r[p];
    }
    const n = Math.sqrt(q.reduce((s, r) => s + r[j] ** 2, 0));
    for (const r of q) r[j] /= n;
  }
  return q;
}

/** K simplex-ETF vectors (centred, equal norms `scale`) in R^D, D ≥ K − 1, in a random orientation. */
function simplexEtf(K: number, D: number, scale: number, u: () => number): number[][] {
  const U = orthonormalColumns(Array.from({ length: K }, (_, i) => Array.from({ length: K - 1 }, (_, j) => (i === j ? 1 : 0) - 1 / K)));
  const g = gaussian(u);
  const Q = orthonormalColumns(Array.from({ length: D }, () => Array.from({ length: K - 1 }, () => g())));
  return Array.from({ length: K }, (_, k) => Array.from({ length: D }, (_, t) => scale * U[k].reduce((s, v, j) => s + v * Q[t][j], 0)));
}

interface MlCase {
  K: number;
  D: number;
  features: Float64Array;
  sets: number[][];
}

/**
 * Random multi-label data: class means at random, single-label samples around them, and for chosen label sets
 * samples around c·(average of their labels' means) + a perturbation; some unlabelled rows.
 */
function randomCase(seed: number, K: number, D: number, opts: { spread?: number; unlabelled?: number; offset?: number } = {}): MlCase {
  const u = rng(seed);
  const g = gaussian(u);
  const mu = Array.from({ length: K }, () => Array.from({ length: D }, () => g() + (opts.offset ?? 0)));
  const spread = opts.spread ?? 0.3;
  const sets: number[][] = [];
  const rows: number[][] = [];
  const add = (s: number[], centre: number[], n: number) => {
    for (let i = 0; i < n; i++) {
      sets.push(s);
      rows.push(centre.map((v) => v + spread * g()));
    }
  };
  for (let k = 0; k < K; k++) add([k], mu[k], 6 + Math.floor(u() * 20));
  const nSets = 3 + Math.floor(u() * 2 * K);
  for (let j = 0; j < nSets; j++) {
    const size = 2 + Math.floor(u() * Math.min(3, K - 1));
    const s = shuffle(Array.from({ length: K }, (_, k) => k), u).slice(0, size).sort((a, b) => a - b);
    const c = 0.5 + u();
    const centre = Array.from({ length: D }, (_, t) => (c * s.reduce((a, k) => a + mu[k][t], 0)) / s.length + 0.2 * g());
    add(s, centre, 1 + Math.floor(u() * 15));
  }
  for (let i = 0; i < (opts.unlabelled ?? 0); i++) add([], mu[0], 1);
  const order = shuffle(rows.map((_, i) => i), u);
  return { K, D, features: Float64Array.from(order.flatMap((i) => rows[i])), sets: order.map((i) => sets[i]) };
}

/** Batches of the case in the given label form. */
function batches(c: MlCase, sizes: number[], form: 'uint8' | 'float' | 'bool' | 'lists' = 'uint8'): MultiLabelBatch[] {
  const out: MultiLabelBatch[] = [];
  let start = 0;
  for (let b = 0; start < c.sets.length; b++) {
    const end = Math.min(c.sets.length, start + Math.max(1, sizes[b % sizes.length]));
    const s = c.sets.slice(start, end);
    const features = c.features.subarray(start * c.D, end * c.D);
    const hot = multiHot(s, c.K);
    const labels = form === 'lists' ? s.map((x) => x.slice().reverse()) : form === 'float' ? Float64Array.from(hot) : form === 'bool' ? Array.from(hot, (v) => v === 1) : hot;
    out.push({ features, labels });
    start = end;
  }
  return out;
}

function expectMatchesReference(r: MultiLabelNcReport, c: MlCase, where: string, opts: { globalMean?: 'class' | 'sample'; minSetCount?: number } = {}): void {
  const ref = multiLabelReference({ features: c.features, D: c.D, sets: c.sets }, opts);
  const ml = r.multiLabel;
  expect([ml.singleLabelN, ml.multiLabelN, ml.unlabelledN], where).toEqual([ref.singleLabelN, ref.multiLabelN, ref.unlabelledN]);
  expectRel('ml nc1 (single-label)', r.metrics.nc1, ref.nc1, 1e-6, 0, where);
  expectRel('ml labelSetNc1', ml.labelSetNc1, ref.labelSetNc1, 1e-6, 0, where);
  expect(ml.setsMeasured, where).toBe(ref.sets.size);
  if (ref.sets.size === 0) {
    expect(ml.tagWiseAngle).toBeNull();
    return;
  }
  expectRel('ml tagWiseAngle', ml.tagWiseAngle!, ref.tagWiseAngle, 1e-6, 1e-9, where);
  expectRel('ml tagWiseAngleMax', ml.tagWiseAngleMax!, ref.tagWiseAngleMax, 1e-6, 1e-9, where);
  expect(Object.keys(ml.tagWiseScale).sort()).toEqual(Object.keys(ref.tagWiseScale).sort());
  for (const [m, v] of Object.entries(ref.tagWiseScale)) expectRel('ml tagWiseScale', ml.tagWiseScale[m], v, 1e-6, 0, `${where} m=${m}`);
  for (const s of ml.sets!) {
    const want = ref.sets.get(s.labels.join(','))!;
    expect(want, `${where}: set ${s.labels}`).toBeDefined();
    expect(s.count).toBe(want.count);
    expectRel('ml set angle', s.angle, want.angle, 1e-6, 1e-9, `${where} {${s.labels}}`);
    expectRel('ml set scale', s.scale, want.scale, 1e-6, 0, `${where} {${s.labels}}`);
    expectRel('ml set variance', s.variance, want.variance, 1e-6, 0, `${where} {${s.labels}}`);
  }
}

describe('exact theory: tag-wise averages of a simplex ETF', () => {
  for (const [K, D] of [[3, 2], [4, 6], [6, 12], [8, 7]] as const) {
    for (const offset of [0, 50]) {
      it(`K = ${K}, D = ${D}, features offset ${offset}: angle 0, scales c_m, label-set NC1 0, NC1 0`, async () => {
        const u = rng(K * 31 + D + offset);
        const etf = simplexEtf(K, D, 2, u);
        const shift = Array.from({ length: D }, () => offset * (u() - 0.5));
        const c: Record<number, number> = { 2: 0.8, 3: 0.65, 4: 0.5 };
        const sets: number[][] = [];
        const rows: number[][] = [];
        for (let k = 0; k < K; k++) for (let i = 0; i < 3 + k; i++) { sets.push([k]); rows.push(etf[k].map((v, t) => v + shift[t])); }
        for (let a = 0; a < K; a++) for (let b = a + 1; b < K; b++) {
          const S = b + 1 < K && (a + b) % 2 === 0 ? [a, b, b + 1] : [a, b];
          if (K >= 6 && a === 0 && b === 1) S.push(4, 5);
          const centre = Array.from({ length: D }, (_, t) => (c[S.length] * S.reduce((s, k) => s + etf[k][t], 0)) / S.length + shift[t]);
          for (let i = 0; i < 5; i++) { sets.push(S); rows.push(centre); }
        }
        const features = Float64Array.from(rows.flat());
        const { report } = await analyzeMultiLabel([{ features, labels: sets }], { K });
        const ml = report.multiLabel;
        expect(ml.setsMeasured).toBeGreaterThan(0);
        expect(ml.tagWiseAngle!).toBeLessThan(1e-6);
        expect(ml.tagWiseAngleMax!).toBeLessThan(1e-6);
        for (const [m, v] of Object.entries(ml.tagWiseScale)) expect(Math.abs(v - c[Number(m)]), `c_${m}`).toBeLessThan(1e-10);
        for (const s of ml.sets!) expect(Math.abs(s.scale - c[s.labels.length])).toBeLessThan(1e-10);
        expect(Math.abs(ml.labelSetNc1!)).toBeLessThan(1e-20);
        expect(Math.abs(report.metrics.nc1!)).toBeLessThan(1e-20);
        expect(report.metrics.etfErrorMeans).toBeLessThan(1e-12);
      });
    }
  }

  it('the same geometry under the sample-weighted global mean with balanced classes', async () => {
    const K = 5, D = 9;
    const etf = simplexEtf(K, D, 1.5, rng(3));
    const sets: number[][] = [];
    const rows: number[][] = [];
    for (let k = 0; k < K; k++) for (let i = 0; i < 4; i++) { sets.push([k]); rows.push(etf[k]); }
    for (const S of [[0, 1], [1, 2], [2, 4], [0, 3, 4]]) for (let i = 0; i < 6; i++) { sets.push(S); rows.push(etf[0].map((_, t) => (0.9 * S.reduce((s, k) => s + etf[k][t], 0)) / S.length)); }
    const { report } = await analyzeMultiLabel([{ features: Float64Array.from(rows.flat()), labels: multiHot(sets, K) }], { K, globalMean: 'sample' });
    expect(report.multiLabel.tagWiseAngle!).toBeLessThan(1e-6);
    expect(Math.abs(report.multiLabel.tagWiseScale['2'] - 0.9)).toBeLessThan(1e-10);
    expect(Math.abs(report.multiLabel.tagWiseScale['3'] - 0.9)).toBeLessThan(1e-10);
  });
});

describe('agreement with the plain float64 reference on random multi-hot data', () => {
  const cases: [number, number, number, 'class' | 'sample', 'uint8' | 'float' | 'bool' | 'lists', number][] = [
    [1, 4, 6, 'class', 'uint8', 0],
    [2, 5, 3, 'class', 'lists', 3],
    [3, 7, 12, 'sample', 'float', 0],
    [4, 9, 5, 'class', 'bool', 2],
    [5, 12, 8, 'sample', 'uint8', 0],
    [6, 3, 20, 'class', 'lists', 0],
    [7, 300, 16, 'class', 'uint8', 5], // many classes, D < K: features space, hundreds of sparse label sets
  ];
  for (const [seed, K, D, globalMean, form, unlabelled] of cases) {
    it(`seed ${seed}: K = ${K}, D = ${D} (${D >= K ? 'means' : 'features'} space), ${globalMean} global mean, ${form} labels${unlabelled ? `, ${unlabelled} unlabelled rows` : ''}`, async () => {
      const c = randomCase(seed, K, D, { unlabelled, offset: seed === 3 ? 100 : 0 });
      const { report } = await analyzeMultiLabel(batches(c, [17, 40, 5], form), { K, globalMean });
      expectMatchesReference(report, c, `seed ${seed}`, { globalMean });
      if (unlabelled) expect(report.warnings.join('\n')).toMatch(new RegExp(`${unlabelled} samples have no label`));
    });
  }

  it('minSetCount leaves small sets out of the tag-wise metrics but not out of label-set NC1', async () => {
    const c = randomCase(11, 6, 7);
    const { report } = await analyzeMultiLabel(batches(c, [50]), { K: 6, minSetCount: 9 });
    expectMatchesReference(report, c, 'minSetCount 9', { minSetCount: 9 });
    expect(report.multiLabel.setsMeasured).toBeLessThan(report.multiLabel.setsSeen);
    expect(report.warnings.join('\n')).toMatch(/fewer than minSetCount = 9 samples/);
  });

  it('the standard report is the single-label data\'s own report (classifier included)', async () => {
    const c = randomCase(12, 5, 8);
    const u = rng(5);
    const W = Float64Array.from({ length: 5 * 8 }, () => u() - 0.5);
    const b = Float64Array.from({ length: 5 }, () => u() - 0.5);
    const { report } = await analyzeMultiLabel(batches(c, [23]), { classifier: { weights: W, bias: b }, K: 5 });
    const single = c.sets.map((s, i) => [s, i] as const).filter(([s]) => s.length === 1);
    const features = Float64Array.from(single.flatMap(([, i]) => Array.from(c.features.subarray(i * 8, (i + 1) * 8))));
    const labels = Int32Array.from(single.map(([s]) => s[0]));
    const { report: plain } = await analyze([{ features, labels }], { classifier: { weights: W, bias: b } });
    // The same numbers up to summation order (the multi-label pass sees the single-label rows in other batches).
    expect(Object.keys(report.metrics).sort()).toEqual(Object.keys(plain.metrics).sort());
    for (const [k, v] of Object.entries(plain.metrics)) expectRel(`single-label ${k}`, report.metrics[k as keyof typeof plain.metrics], v, 1e-12, 1e-14);
    expect(report.perClass!.counts).toEqual(plain.perClass!.counts);
    expect(report.perClass!.nccRecall).toEqual(plain.perClass!.nccRecall);
  });
});

describe('golden multi-label set (test/fixtures/golden/multilabel)', () => {
  const expected = JSON.parse(readFileSync(new URL('expected.json', GOLDEN), 'utf8'));
  const f = parseNpy(readFileSync(new URL('features.npy', GOLDEN)));
  const y = parseNpy(readFileSync(new URL('labels.npy', GOLDEN)));

  it('every multi-label value matches the independent float64 computation to 1e-9', async () => {
    const { report } = await analyzeMultiLabel([{ features: f.data as Float32Array, labels: y.data as Int32Array }], { K: y.header.shape[1] });
    const ml = report.multiLabel;
    expect(ml.singleLabelN).toBe(expected.single_label_n);
    expect(ml.multiLabelN).toBe(expected.multi_label_n);
    expectRel('golden nc1', report.metrics.nc1, expected.nc1, 1e-9);
    expectRel('golden tagWiseAngle', ml.tagWiseAngle!, expected.tag_wise_angle, 1e-9);
    expectRel('golden tagWiseAngleMax', ml.tagWiseAngleMax!, expected.tag_wise_angle_max, 1e-9);
    expectRel('golden tagWiseScale 2', ml.tagWiseScale['2'], expected.tag_wise_scale_2, 1e-9);
    expectRel('golden tagWiseScale 3', ml.tagWiseScale['3'], expected.tag_wise_scale_3, 1e-9);
    expectRel('golden labelSetNc1', ml.labelSetNc1, expected.label_set_nc1, 1e-9);
  });

  it('the plain reference agrees with the golden values too (the reference is anchored)', () => {
    const K = y.header.shape[1];
    const sets = Array.from({ length: y.header.shape[0] }, (_, i) => Array.from({ length: K }, (_, k) => k).filter((k) => y.data[i * K + k] === 1));
    const ref = multiLabelReference({ features: f.data, D: f.header.shape[1], sets });
    expectRel('golden ref labelSetNc1', ref.labelSetNc1, expected.label_set_nc1, 1e-9);
    expectRel('golden ref tagWiseAngle', ref.tagWiseAngle, expected.tag_wise_angle, 1e-9);
  });
});

describe('ncMlab: the public NC_MLab script\'s angle metric', () => {
  for (const [name, features, labels] of [
    ['golden', new URL('features.npy', GOLDEN), new URL('labels.npy', GOLDEN)],
    ['pairs-subset', new URL('pairs-subset-features.npy', NCMLAB), new URL('pairs-subset-labels.npy', NCMLAB)],
  ] as const) {
    it(`${name}: equals what the script's own code returned (float32 there, so to 1e-5)`, async () => {
      const want = JSON.parse(readFileSync(new URL(`expected-${name}.json`, NCMLAB), 'utf8'));
      const f = parseNpy(readFileSync(features));
      const y = parseNpy(readFileSync(labels));
      const { report } = await analyzeMultiLabel([{ features: f.data as Float32Array, labels: y.data as Int32Array }], { K: y.header.shape[1], ncMlab: true });
      const m = report.multiLabel.ncMlab!;
      expect(m.pairSets).toBe(want.pair_sets);
      expectRel('ncMlab meanAngle', m.meanAngle!, want.mean_angle, 1e-5);
      expectRel('ncMlab angleRatio', m.angleRatio!, want.angle_ratio, 1e-5);
    });
  }

  it('is absent unless asked for, and null without pair sets', async () => {
    const c = randomCase(21, 4, 5);
    const { report } = await analyzeMultiLabel(batches(c, [100]), { K: 4 });
    expect(report.multiLabel.ncMlab).toBeUndefined();
    const onlyTriples: number[][] = [[0], [1], [2], [3], [0], [1], [2], [3], [0, 1, 2], [0, 1, 2]];
    const features = Float64Array.from({ length: onlyTriples.length * 3 }, (_, i) => Math.sin(i));
    const { report: r2 } = await analyzeMultiLabel([{ features, labels: onlyTriples }], { ncMlab: true, minSetCount: 1 });
    expect(r2.multiLabel.ncMlab).toEqual({ meanAngle: null, angleRatio: null, pairSets: 0 });
  });
});

describe('batching, sharding, merging and serialization do not change the result', () => {
  const keyNumbers = (r: MultiLabelNcReport) => ({
    nc1: r.metrics.nc1!, labelSetNc1: r.multiLabel.labelSetNc1!, angle: r.multiLabel.tagWiseAngle!, max: r.multiLabel.tagWiseAngleMax!,
    ...Object.fromEntries(Object.entries(r.multiLabel.tagWiseScale).map(([m, v]) => [`scale${m}`, v])),
  });

  it('random batchings and shard merge orders (fast-check, seeded)', async () => {
    const c = randomCase(31, 6, 9, { unlabelled: 4 });
    const { report: whole } = await analyzeMultiLabel([{ features: c.features, labels: multiHot(c.sets, 6) }], { K: 6 });
    const want = keyNumbers(whole);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 4 }), fc.integer(), async (sizes, nShards, seed) => {
        const all = batches(c, sizes, seed % 2 === 0 ? 'uint8' : 'lists');
        const shards = Array.from({ length: nShards }, (_, s) => all.filter((_, i) => i % nShards === s));
        // Phase 1 per shard, serialized and merged in a random order.
        const meansFiles = await Promise.all(shards.map(async (sh) => {
          const acc = new MultiLabelMeansAccumulator({ K: 6 });
          for (const b of sh) await acc.addAsync(b);
          return serializeMultiLabelStatistics({ means: acc.statistics });
        }));
        const merged = new MultiLabelMeansAccumulator({ K: 6 });
        for (const i of shuffle(meansFiles.map((_, i) => i), rng(seed))) merged.merge(parseMultiLabelStatistics(meansFiles[i]).means);
        const means = merged.statistics;
        // Phase 2 per shard against the merged means, merged in another order.
        const spreads = await Promise.all(shards.map(async (sh) => {
          const acc = await MultiLabelSpreadAccumulator.create(means);
          for (const b of sh) await acc.add(b);
          return parseMultiLabelStatistics(serializeMultiLabelStatistics({ means, spread: acc.statistics })).spread!;
        }));
        const total = await MultiLabelSpreadAccumulator.create(means);
        for (const i of shuffle(spreads.map((_, i) => i), rng(seed + 1))) total.merge(spreads[i]);
        const r = await computeMultiLabelReport(means, total.statistics);
        const got = keyNumbers(r);
        for (const [k, v] of Object.entries(want)) expectRel(`merge ${k}`, got[k as keyof typeof got], v, 1e-11, 1e-12);
        expect(r.multiLabel.unlabelledN).toBe(4);
      }),
      { numRuns: 12, seed: 42 },
    );
  });

  it('a statistics file round-trips exactly and says it is multi-label', async () => {
    const c = randomCase(32, 5, 4);
    const { means, spread, report } = await analyzeMultiLabel(batches(c, [30]), { K: 5 });
    const text = serializeMultiLabelStatistics({ means, spread });
    expect(JSON.parse(text).labels).toBe('multi-hot');
    const back = parseAnyStatistics(text);
    expect(back.kind).toBe('multi-label');
    const again = serializeMultiLabelStatistics((back as { stats: { means: typeof means; spread: typeof spread } }).stats);
    expect(again).toBe(text);
    const r = await computeMultiLabelReport(parseMultiLabelStatistics(text).means, parseMultiLabelStatistics(text).spread);
    expect(r.multiLabel).toEqual(report.multiLabel);
    // Means alone: everything but label-set NC1 and the per-set variances.
    const meansOnly = await computeMultiLabelReport(parseMultiLabelStatistics(serializeMultiLabelStatistics({ means })).means, undefined);
    expect(meansOnly.multiLabel.labelSetNc1).toBeUndefined();
    expect(meansOnly.multiLabel.tagWiseAngle).toBe(report.multiLabel.tagWiseAngle);
  });

  it('rotation, translation and scaling of the features keep angles and scales; relabelling permutes the sets', async () => {
    const c = randomCase(33, 4, 6);
    const { report: base } = await analyzeMultiLabel(batches(c, [40]), { K: 4 });
    const u = rng(8);
    const g = gaussian(u);
    const Q = orthonormalColumns(Array.from({ length: 6 }, () => Array.from({ length: 6 }, () => g())));
    const moved = new Float64Array(c.features.length);
    for (let i = 0; i < c.sets.length; i++) for (let t = 0; t < 6; t++) {
      let s = 7;
      for (let j = 0; j < 6; j++) s += Q[t][j] * c.features[i * 6 + j];
      moved[i * 6 + t] = 3 * s;
    }
    const perm = [2, 0, 3, 1];
    const relabelled = c.sets.map((s) => s.map((k) => perm[k]));
    const { report: r } = await analyzeMultiLabel([{ features: moved, labels: relabelled }], { K: 4 });
    expectRel('invariance angle', r.multiLabel.tagWiseAngle!, base.multiLabel.tagWiseAngle!, 1e-9);
    expectRel('invariance labelSetNc1', r.multiLabel.labelSetNc1, base.multiLabel.labelSetNc1!, 1e-9);
    for (const [m, v] of Object.entries(base.multiLabel.tagWiseScale)) expectRel('invariance scale', r.multiLabel.tagWiseScale[m], v, 1e-9);
    for (const s of base.multiLabel.sets!) {
      const key = s.labels.map((k) => perm[k]).sort((a, b) => a - b).join(',');
      const t = r.multiLabel.sets!.find((x) => x.labels.join(',') === key)!;
      expectRel('invariance set angle', t.angle, s.angle, 1e-9, 1e-9);
      expectRel('invariance set variance', t.variance, s.variance! * 9, 1e-9);
    }
  });
});

describe('bad input', () => {
  const code = async (p: Promise<unknown> | (() => unknown), want: string, message?: RegExp) => {
    let err: unknown;
    try {
      await (typeof p === 'function' ? p() : p);
    } catch (e) {
      err = e;
    }
    expect(err, 'expected an NcInputError').toBeInstanceOf(NcInputError);
    expect((err as NcInputError).code).toBe(want);
    if (message) expect((err as Error).message).toMatch(message);
  };
  const features = Float64Array.from({ length: 6 * 2 }, (_, i) => i);

  it('multi-hot values other than 0/1 name the row and column', async () => {
    const labels = Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0.5, 0, 0, 1, 0]);
    await code(analyzeMultiLabel([{ features, labels }], { K: 3 }), 'BAD_LABEL', /batch 0, row 4, column 1: multi-hot label value 0.5 is not 0 or 1/);
    const twos = Uint8Array.from([1, 0, 0, 2, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 1, 0]);
    await code(analyzeMultiLabel([{ features, labels: twos }], { K: 3 }), 'BAD_LABEL', /row 1, column 0: multi-hot label value 2/);
  });

  it('label lists: out of range, repeated, not a list', async () => {
    await code(analyzeMultiLabel([{ features, labels: [[0], [1], [2], [0, 3], [1], [2]] }], { K: 3 }), 'BAD_LABEL', /row 3: label 3 is not a class index in 0..2/);
    await code(analyzeMultiLabel([{ features, labels: [[0], [1], [2], [1, 1], [1], [2]] }]), 'BAD_LABEL', /row 3: label 1 appears twice/);
    await code(analyzeMultiLabel([{ features, labels: [[0], [1], [2], [0.5], [1], [2]] }]), 'BAD_LABEL', /row 3: label 0.5/);
  });

  it('flat multi-hot labels need K; a label width that disagrees with W is named', async () => {
    const labels = multiHot([[0], [1], [2], [0, 1], [1], [2]], 3);
    await code(analyzeMultiLabel([{ features, labels }]), 'BAD_OPTION', /need K/);
    const W = new Float64Array(4 * 2);
    await code(analyzeMultiLabel([{ features, labels }], { K: 3, classifier: { weights: W } }), 'SHAPE', /K = 3 columns .* classifier has 4 rows/);
    await code(analyzeMultiLabel([{ features, labels: labels.subarray(0, 17) }], { K: 3 }), 'SHAPE', /do not split into rows of K = 3/);
    await code(analyzeMultiLabel([{ features: features.subarray(0, 11), labels }], { K: 3 }), 'SHAPE');
  });

  it('all-zero rows are counted, warned about and excluded (the result equals the data without them)', async () => {
    const c = randomCase(41, 4, 5);
    const { report: clean } = await analyzeMultiLabel(batches(c, [30]), { K: 4 });
    const withZeros: MlCase = { ...c, sets: [[], ...c.sets, [], []], features: Float64Array.from([...Array(5).fill(1e3), ...c.features, ...Array(10).fill(-7)]) };
    const { report } = await analyzeMultiLabel(batches(withZeros, [30]), { K: 4 });
    expect(report.multiLabel.unlabelledN).toBe(3);
    expect(report.warnings).toContain('3 samples have no label (an all-zero label row): counted as unlabelledN and excluded from every quantity');
    const { sets: withSets, labelSetNc1, ...rest } = report.multiLabel;
    const { sets: cleanSets, labelSetNc1: cleanNc1, ...cleanRest } = clean.multiLabel;
    expect({ ...rest, unlabelledN: 0 }).toEqual(cleanRest);
    expect(withSets!.map((s) => [s.labels, s.count])).toEqual(cleanSets!.map((s) => [s.labels, s.count]));
    expectRel('unlabelled labelSetNc1', labelSetNc1, cleanNc1!, 1e-12);
    for (const [k, v] of Object.entries(clean.metrics)) expectRel(`unlabelled ${k}`, report.metrics[k as keyof typeof clean.metrics], v, 1e-12, 1e-14);
  });

  it('NaN features name the row of the caller\'s batch, in either phase', async () => {
    const c = randomCase(42, 3, 4);
    const bad = c.features.slice();
    const row = c.sets.findIndex((s) => s.length > 1 && c.sets.indexOf(s) > 3);
    bad[row * 4 + 2] = NaN;
    await code(analyzeMultiLabel([{ features: bad, labels: c.sets }]), 'NON_FINITE', new RegExp(`row ${row}, column 2`));
    const acc = new MultiLabelMeansAccumulator({ K: 3 });
    acc.add({ features: c.features, labels: c.sets });
    const spread = await MultiLabelSpreadAccumulator.create(acc.statistics);
    await code(spread.add({ features: bad, labels: c.sets }), 'NON_FINITE', new RegExp(`row ${row}`));
  });

  it('phases that saw different data, and no single-label samples, are refused by name', async () => {
    const acc = new MultiLabelMeansAccumulator();
    acc.add({ features, labels: [[0], [1], [2], [0, 1], [1], [2]] });
    const spread = await MultiLabelSpreadAccumulator.create(acc.statistics);
    await code(spread.add({ features, labels: [[0], [1], [2], [0, 2], [1], [2]] }), 'STATS_MISMATCH', /row 3: label set \{0,2\} had no samples in the means phase/);
    const onlyMulti = new MultiLabelMeansAccumulator();
    onlyMulti.add({ features: features.subarray(0, 4), labels: [[0, 1], [1, 2]] });
    await code(MultiLabelSpreadAccumulator.create(onlyMulti.statistics), 'NO_DATA', /no sample has exactly one label/);
    await code(computeMultiLabelReport(onlyMulti.statistics, undefined), 'NO_DATA');
  });

  it('single-label and multi-label statistics never mix', async () => {
    const ml = new MultiLabelMeansAccumulator();
    ml.add({ features, labels: [[0], [1], [2], [0, 1], [1], [2]] });
    const single = await analyze([{ features, labels: Int32Array.from([0, 1, 2, 0, 1, 2]) }]);
    const singleText = serializeStatistics({ means: single.means, spread: single.spread });
    const multiText = serializeMultiLabelStatistics({ means: ml.statistics });
    await code(() => ml.merge(parseStatistics(singleText).means as never), 'STATS_MISMATCH', /cannot merge single-label means statistics into multi-label ones/);
    await code(() => parseStatistics(multiText, 'ml.json'), 'STATS_MISMATCH', /ml.json: holds multi-label statistics/);
    await code(() => parseMultiLabelStatistics(singleText, 's.json'), 'STATS_MISMATCH', /s.json: holds single-label statistics/);
    const spread = await MultiLabelSpreadAccumulator.create(ml.statistics);
    await code(() => spread.merge(single.spread as never), 'STATS_MISMATCH', /cannot merge single-label spread statistics with multi-label ones/);
    expect(parseAnyStatistics(singleText).kind).toBe('single');
  });

  it('malformed multi-label files name what is wrong', () => {
    const ml = new MultiLabelMeansAccumulator();
    ml.add({ features, labels: [[0], [1], [2], [0, 1], [1], [2]] });
    const good = JSON.parse(serializeMultiLabelStatistics({ means: ml.statistics }));
    const broken = (edit: (j: any) => void) => {
      const j = structuredClone(good);
      edit(j);
      return JSON.stringify(j);
    };
    expect(() => parseMultiLabelStatistics(broken((j) => (j.multiLabel.sets = [[1, 0]])), 'x')).toThrow(/x: "multiLabel.sets\[0\]" must list two or more distinct labels in 0..2, ascending/);
    expect(() => parseMultiLabelStatistics(broken((j) => (j.multiLabel.counts = [-1])), 'x')).toThrow(/"counts" must hold non-negative integer counts/);
    expect(() => parseMultiLabelStatistics(broken((j) => delete j.multiLabel), 'x')).toThrow(/"multiLabel" must be an object/);
    expect(() => parseMultiLabelStatistics(broken((j) => (j.multiLabel.sums = [1])), 'x')).toThrow(/"sums" must be an array of 2 finite numbers/);
  });

  it('minSetCount must be a positive integer', async () => {
    await code(analyzeMultiLabel([{ features, labels: [[0], [1], [2], [0, 1], [1], [2]] }], { minSetCount: 0 }), 'BAD_OPTION', /minSetCount must be a positive integer/);
  });
});
