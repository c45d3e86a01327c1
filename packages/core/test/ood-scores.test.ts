/**
 * The seven OOD scores and NC5 (ood/): against values NumPy / scikit-learn computed once by the reference
 * implementations' own formulas (test/fixtures/ood/scores.json at the repository root: a fit set with very unequal classes, a dead feature and
 * a constant nonzero one, a one-row OOD set), against the plain float64 reference of ood-reference.ts on random
 * sets, and by properties (shards and batching of the fit set, row order of a test set). Then the named errors.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NcInputError,
  OodDetector,
  OodSetScorer,
  ScatterAccumulator,
  evaluateOod,
  fitMoments,
  fitStatistics,
  SpreadAccumulator,
  MeansAccumulator,
  standardScale,
  type OodDetectorOptions,
  type OodScoreName,
  type ScatterStatistics,
} from '../src/index.js';
import { gaussian, rng, shuffle } from './helpers.js';
import { referenceScores } from './ood-reference.js';

interface ScoresFixture {
  D: number;
  K: number;
  vimDim: number;
  necoDim: number;
  fit: { features: number[]; labels: number[] };
  W: number[];
  b: number[];
  sets: Record<'id' | 'oodA' | 'oodOne', number[]>;
  expected: Record<'id' | 'oodA' | 'oodOne', Record<string, number[]>>;
  vim: { u: number[]; alpha: number };
  neco: { scale: number[]; explainedVarianceRatio: number[]; defaultDim: number };
  mahalanobisRank: number;
  nc5: Record<'oodA' | 'oodOne', { centred: number; raw: number }>;
  metrics: Record<string, Record<'oodA' | 'oodOne', Record<string, number>>>;
}
const fx = JSON.parse(readFileSync(new URL('../../../test/fixtures/ood/scores.json', import.meta.url), 'utf8')) as ScoresFixture;
const SCORES: OodScoreName[] = ['msp', 'maxlogit', 'energy', 'mahalanobis', 'vim', 'neco', 'nci'];

/** |got − want| ≤ rtol·|want| + floor, entry by entry. */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, rtol = 1e-9, floor = 1e-12): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    expect(Math.abs(got[i] - want[i]), `${what}[${i}]: got ${got[i]}, want ${want[i]}`).toBeLessThanOrEqual(rtol * Math.abs(want[i]) + floor);
  }
}

async function scatterOf(features: ArrayLike<number>, labels: ArrayLike<number>, D: number, K?: number, split: number[] = []): Promise<ScatterStatistics> {
  const acc = new ScatterAccumulator({ K });
  let start = 0;
  const N = labels.length;
  for (const end of [...split, N]) {
    if (end > start) await acc.add({ features: Float64Array.from(Array.from(features).slice(start * D, end * D)), labels: Int32Array.from(Array.from(labels).slice(start, end)) });
    start = end;
  }
  return acc.statistics;
}

async function detectorFor(stats: ScatterStatistics, fit: ArrayLike<number>, D: number, options: OodDetectorOptions): Promise<OodDetector> {
  const det = await OodDetector.create(stats, options);
  if (det.needsVimPass) {
    const acc = det.vimFitPass();
    await acc.add(Float64Array.from(fit));
    det.setVimSums(acc.sums);
  }
  return det;
}

async function scoreRows(det: OodDetector, rows: ArrayLike<number>, name = 'test', batch?: number) {
  const s = new OodSetScorer(det, name);
  const x = Float64Array.from(rows);
  const n = x.length / det.D;
  const step = batch ?? n;
  for (let i = 0; i < n; i += step) await s.add({ features: x.subarray(i * det.D, Math.min(n, i + step) * det.D) });
  return s.result();
}

describe('OOD scores: values from the reference implementations (NumPy / scikit-learn)', () => {
  const classifier = { weights: Float64Array.from(fx.W), bias: Float64Array.from(fx.b) };

  it('all seven scores of the ID, OOD and one-row OOD sets', async () => {
    const stats = await scatterOf(fx.fit.features, fx.fit.labels, fx.D);
    const det = await detectorFor(stats, fx.fit.features, fx.D, { classifier, vimDim: fx.vimDim, necoDim: fx.necoDim });
    expect(det.params.scores).toEqual(SCORES);
    expect(det.params.vimAlpha!).toBeCloseTo(fx.vim.alpha, 10);
    expect(det.params.mahalanobisRank).toBe(fx.mahalanobisRank);
    expect(det.params.necoConstantFeatures).toBe(2);
    for (const set of ['id', 'oodA', 'oodOne'] as const) {
      const r = await scoreRows(det, fx.sets[set], set);
      for (const s of SCORES) expectClose(r.scores[s]!, fx.expected[set][s], `${set} ${s}`);
    }
  });

  it('NECO without the max logit, energy at T = 2, NCI with α = 0.1', async () => {
    const stats = await scatterOf(fx.fit.features, fx.fit.labels, fx.D);
    const det = await detectorFor(stats, fx.fit.features, fx.D, { classifier, scores: ['neco', 'energy', 'nci'], necoDim: fx.necoDim, necoMaxLogit: false, temperature: 2, nciAlpha: 0.1 });
    for (const set of ['id', 'oodA', 'oodOne'] as const) {
      const r = await scoreRows(det, fx.sets[set], set);
      expectClose(r.scores.neco!, fx.expected[set].necoNoMaxLogit, `${set} neco without max logit`);
      expectClose(r.scores.energy!, fx.expected[set].energyT2, `${set} energy T=2`);
      expectClose(r.scores.nci!, fx.expected[set].nciAlpha01, `${set} nci α=0.1`);
    }
  });

  it("NECO's default dimension explains 90 % of the standardized variance; StandardScaler's scales", async () => {
    const stats = await scatterOf(fx.fit.features, fx.fit.labels, fx.D);
    const det = await detectorFor(stats, fx.fit.features, fx.D, { classifier, scores: ['neco'] });
    expect(det.params.necoDim).toBe(fx.neco.defaultDim);
    const share = fx.neco.explainedVarianceRatio.slice(0, fx.neco.defaultDim).reduce((a, b) => a + b, 0);
    expect(det.params.necoVarianceShare!).toBeCloseTo(share, 12);
    expectClose(standardScale(fitMoments(stats)), fx.neco.scale, 'StandardScaler scale_', 1e-12, 1e-15);
  });

  it('detection metrics and NC5 per OOD set (evaluateOod)', async () => {
    const rows = (x: number[]) => [{ features: Float64Array.from(x) }];
    const result = await evaluateOod(
      [{ features: Float64Array.from(fx.fit.features), labels: Int32Array.from(fx.fit.labels) }],
      rows(fx.sets.id),
      { oodA: rows(fx.sets.oodA), oodOne: rows(fx.sets.oodOne) },
      { classifier, vimDim: fx.vimDim, necoDim: fx.necoDim },
    );
    for (const s of SCORES) {
      for (const set of ['oodA', 'oodOne'] as const) {
        for (const key of ['auroc', 'fpr95', 'fpr95IdPositive', 'auprIn', 'auprOut'] as const) {
          expectClose([result.scores[s]![set][key]], [fx.metrics[s][set][key]], `${s} ${set} ${key}`, 1e-12, 1e-15);
        }
      }
    }
    for (const set of ['oodA', 'oodOne'] as const) {
      expectClose([result.nc5[set].centred, result.nc5[set].raw], [fx.nc5[set].centred, fx.nc5[set].raw], `nc5 ${set}`, 1e-12, 1e-15);
    }
    expect(result.fit).toMatchObject({ N: 60, D: fx.D, K: fx.K });
    expect(result.params.vimAlpha).toBeCloseTo(fx.vim.alpha, 10);
    expect(result.sets.ood.map((s) => s.rows)).toEqual([11, 1]);
  });
});

/** A random labelled set with unequal classes and a dead feature, its classifier, and an OOD set. */
function randomCase(seed: number, D: number, K: number) {
  const u = rng(seed);
  const g = gaussian(u);
  const counts = Array.from({ length: K }, (_, k) => 3 + Math.floor(u() * 12) + (k === 0 ? 20 : 0));
  const N = counts.reduce((a, b) => a + b, 0);
  const centres = Array.from({ length: K * D }, () => 3 * g());
  const fit = new Float64Array(N * D);
  const labels = new Int32Array(N);
  let i = 0;
  for (let k = 0; k < K; k++) {
    for (let c = 0; c < counts[k]; c++, i++) {
      labels[i] = k;
      for (let t = 0; t < D; t++) fit[i * D + t] = t === 1 ? 0 : centres[k * D + t] + g() + 4;
    }
  }
  const rows = (n: number, shift: number) => Float64Array.from({ length: n * D }, (_, j) => (j % D === 1 ? 0 : 2 * g() + shift));
  const W = Float64Array.from({ length: K * D }, () => g());
  const b = Float64Array.from({ length: K }, () => g());
  return { D, K, N, fit, labels, W, b, test: rows(9, 4), ood: rows(7, 1) };
}

describe('OOD scores: the plain float64 reference', () => {
  it('random sets (unequal classes, a dead feature), every score and NC5', async () => {
    for (const [seed, D, K] of [[1, 5, 2], [2, 8, 3], [3, 11, 4], [4, 6, 5]] as const) {
      const c = randomCase(seed, D, K);
      const params = { vimDim: Math.max(1, D - 3), necoDim: Math.min(D, 3), necoMaxLogit: seed % 2 === 0, nciAlpha: 1e-3, temperature: 1.5 };
      const stats = await scatterOf(c.fit, c.labels, D, K);
      const det = await detectorFor(stats, c.fit, D, { classifier: { weights: c.W, bias: c.b }, ...params });
      const ref = referenceScores(c.fit, c.labels, c.test, D, c.W, c.b, params);
      const got = await scoreRows(det, c.test);
      for (const s of SCORES) expectClose(got.scores[s]!, ref.scores[s], `seed ${seed} ${s}`, 1e-8, 1e-10);
      expect(det.params.vimAlpha!).toBeCloseTo(ref.alpha, 9);
      const result = await evaluateOod([{ features: c.fit, labels: c.labels }], [{ features: c.ood }], { test: [{ features: c.test }] }, { classifier: { weights: c.W, bias: c.b }, ...params });
      expectClose([result.nc5.test.centred, result.nc5.test.raw], [ref.nc5.centred, ref.nc5.raw], `seed ${seed} nc5`, 1e-10, 1e-14);
    }
  });
});

describe('OOD scores: properties', () => {
  it('the fit set in any batching, or sharded and merged, gives the same scores; test rows in any order and batching', async () => {
    const c = randomCase(7, 9, 4);
    const classifier = { weights: c.W, bias: c.b };
    const one = await detectorFor(await scatterOf(c.fit, c.labels, c.D, c.K), c.fit, c.D, { classifier, vimDim: 4, necoDim: 3 });
    const base = await scoreRows(one, c.test);
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (seed) => {
      const u = rng(seed);
      // Fit statistics as shards (contiguous row ranges) merged in a random order.
      const cuts = [...new Set(Array.from({ length: 3 }, () => 1 + Math.floor(u() * (c.N - 1))))].sort((a, b) => a - b);
      const bounds = [0, ...cuts, c.N];
      const shards: ScatterStatistics[] = [];
      for (let s = 0; s + 1 < bounds.length; s++) {
        shards.push(await scatterOf(c.fit.subarray(bounds[s] * c.D, bounds[s + 1] * c.D), c.labels.subarray(bounds[s], bounds[s + 1]), c.D, c.K));
      }
      const merged = new ScatterAccumulator({ K: c.K });
      for (const s of shuffle(shards, u)) merged.merge(s);
      const det = await detectorFor(merged.statistics, c.fit, c.D, { classifier, vimDim: 4, necoDim: 3 });
      // Test rows permuted, scored in batches of 2.
      const order = shuffle(Array.from({ length: 9 }, (_, i) => i), u);
      const permuted = new Float64Array(c.test.length);
      order.forEach((src, dst) => permuted.set(c.test.subarray(src * c.D, (src + 1) * c.D), dst * c.D));
      const r = await scoreRows(det, permuted, 'test', 2);
      for (const s of SCORES) {
        const back = order.map((src) => base.scores[s]![src]);
        for (let i = 0; i < 9; i++) if (Math.abs(r.scores[s]![i] - back[i]) > 1e-9 * Math.abs(back[i]) + 1e-11) return false;
      }
      return true;
    }), { numRuns: 15 });
  });

  it('two-phase statistics (spread in features space) equal single-pass scatter statistics; a means-space spread is refused', async () => {
    const c = randomCase(9, 7, 3);
    const classifier = { weights: c.W, bias: c.b };
    const two = await fitStatistics([{ features: c.fit, labels: c.labels }], { classifier });
    const a = await detectorFor(two, c.fit, c.D, { classifier, vimDim: 3, necoDim: 2 });
    const b = await detectorFor(await scatterOf(c.fit, c.labels, c.D, c.K), c.fit, c.D, { classifier, vimDim: 3, necoDim: 2 });
    const ra = await scoreRows(a, c.test);
    const rb = await scoreRows(b, c.test);
    for (const s of SCORES) expectClose(ra.scores[s]!, rb.scores[s]!, s, 1e-10, 1e-12);
    const means = new MeansAccumulator({ K: c.K });
    means.add({ features: c.fit, labels: c.labels });
    const spread = await SpreadAccumulator.create(means.statistics, { space: 'means' });
    await spread.add({ features: c.fit, labels: c.labels });
    await expect(OodDetector.create({ means: means.statistics, spread: spread.statistics })).rejects.toMatchObject({ code: 'STATS_MISMATCH', message: expect.stringMatching(/--space features/) });
  });

  it('mahalanobis: the Cholesky route (dead features left out) equals the eigen route', async () => {
    for (const seed of [21, 22, 23]) {
      const c = randomCase(seed, 9, 4);
      const stats = await scatterOf(c.fit, c.labels, c.D, c.K);
      const chol = await OodDetector.create(stats, { scores: ['mahalanobis'], mahalanobisRoute: 'cholesky' });
      const eig = await OodDetector.create(stats, { scores: ['mahalanobis'], mahalanobisRoute: 'eigen' });
      expect(chol.params.mahalanobisRank).toBe(8); // one dead feature
      expect(eig.params.mahalanobisRank).toBe(8);
      expect((await OodDetector.create(stats, { scores: ['mahalanobis'] })).params.mahalanobisRoute).toBe('cholesky');
      expectClose((await scoreRows(chol, c.ood)).scores.mahalanobis!, (await scoreRows(eig, c.ood)).scores.mahalanobis!, `seed ${seed}`, 1e-10, 1e-10);
    }
    // A rank-deficient Σ_W (fewer rows than features) takes the eigen route.
    const c = randomCase(24, 40, 2);
    const few = await scatterOf(c.fit.subarray(0, 30 * 40), c.labels.subarray(0, 30), 40, 2);
    const det = await OodDetector.create(few, { scores: ['mahalanobis'] });
    expect(det.params.mahalanobisRoute).toBe('eigen');
    expect(det.params.mahalanobisRank).toBeLessThan(39);
  });

  it('logits given with the rows give the same logit scores as the classifier', async () => {
    const c = randomCase(11, 6, 3);
    const stats = await scatterOf(c.fit, c.labels, c.D, c.K);
    const withW = await detectorFor(stats, c.fit, c.D, { classifier: { weights: c.W, bias: c.b }, scores: ['msp', 'maxlogit', 'energy', 'neco', 'mahalanobis'], necoDim: 2 });
    const given = await OodDetector.create(stats, { logitsWithRows: true, scores: ['msp', 'maxlogit', 'energy', 'neco', 'mahalanobis'], necoDim: 2 });
    const n = c.test.length / c.D;
    const logits = new Float64Array(n * c.K);
    for (let i = 0; i < n; i++) for (let k = 0; k < c.K; k++) {
      let v = c.b[k];
      for (let t = 0; t < c.D; t++) v += c.W[k * c.D + t] * c.test[i * c.D + t];
      logits[i * c.K + k] = v;
    }
    const a = await scoreRows(withW, c.test);
    const s = new OodSetScorer(given, 'test');
    await s.add({ features: c.test, logits });
    const b = s.result();
    for (const k of ['msp', 'maxlogit', 'energy', 'neco', 'mahalanobis'] as const) expectClose(b.scores[k]!, a.scores[k]!, k, 1e-12, 1e-13);
  });
});

describe('OOD: named errors before any output', () => {
  const c = randomCase(5, 6, 3);
  const classifier = { weights: c.W, bias: c.b };
  const fitSource = [{ features: c.fit, labels: c.labels }];
  const code = async (p: Promise<unknown> | (() => unknown), want: string, text?: RegExp) => {
    try {
      await (typeof p === 'function' ? p() : p);
    } catch (e) {
      expect(e).toBeInstanceOf(NcInputError);
      expect((e as NcInputError).code).toBe(want);
      if (text) expect((e as Error).message).toMatch(text);
      return;
    }
    expect.unreachable(`expected ${want}`);
  };

  it('a test set whose D differs, an empty set, NaN/Inf rows', async () => {
    const det = await detectorFor(await scatterOf(c.fit, c.labels, c.D, c.K), c.fit, c.D, { classifier });
    await code(new OodSetScorer(det, 'svhn').add({ features: new Float64Array(14) }), 'SHAPE', /svhn.*D = 6/);
    await code(async () => new OodSetScorer(det, 'svhn').result(), 'NO_DATA', /svhn/);
    const bad = Float64Array.from(c.test);
    bad[8] = NaN;
    await code(new OodSetScorer(det, 'svhn').add({ features: bad }), 'NON_FINITE', /row 1, column 2/);
    bad[8] = Infinity;
    await code(new OodSetScorer(det, 'svhn').add({ features: bad }), 'NON_FINITE');
    await code(evaluateOod(fitSource, [], { a: [{ features: c.ood }] }, { classifier }), 'NO_DATA', /in-distribution/);
  });

  it('a one-class fit set, an empty fit set, NaN in the fit set', async () => {
    await code(OodDetector.create(await scatterOf(c.fit.subarray(0, 10 * c.D), new Int32Array(10), c.D)), 'TOO_FEW_CLASSES', /1 class/);
    await code(fitStatistics([]), 'NO_DATA');
    const bad = Float64Array.from(c.fit);
    bad[3] = NaN;
    await code(fitStatistics([{ features: bad, labels: c.labels }]), 'NON_FINITE');
  });

  it('vimDim < 1 or ≥ D, necoDim < 1 or > D', async () => {
    const stats = await scatterOf(c.fit, c.labels, c.D, c.K);
    await code(OodDetector.create(stats, { classifier, vimDim: 0 }), 'BAD_OPTION', /vimDim/);
    await code(OodDetector.create(stats, { classifier, vimDim: 6 }), 'BAD_OPTION', /vimDim = 6 must be below .* D = 6/);
    await code(OodDetector.create(stats, { classifier, necoDim: 0 }), 'BAD_OPTION', /necoDim/);
    await code(OodDetector.create(stats, { classifier, necoDim: 7 }), 'BAD_OPTION', /necoDim = 7 must be at most .* D = 6/);
    await code(OodDetector.create(stats, { classifier, temperature: 0 }), 'BAD_OPTION', /temperature/);
    await code(OodDetector.create(stats, { classifier, scores: ['msp', 'msp'] }), 'BAD_OPTION', /twice/);
    await code(OodDetector.create(stats, { classifier, scores: ['odin' as OodScoreName] }), 'BAD_OPTION', /unknown score "odin"/);
  });

  it('an OOD name repeated or empty', async () => {
    await code(evaluateOod(fitSource, [{ features: c.test }], [['a', [{ features: c.ood }]], ['a', [{ features: c.ood }]]], { classifier }), 'BAD_OPTION', /"a" is given twice/);
    await code(evaluateOod(fitSource, [{ features: c.test }], [['', [{ features: c.ood }]]], { classifier }), 'BAD_OPTION', /non-empty name/);
  });

  it('logit scores without a classifier: refused by name; by default only mahalanobis and neco (no max logit) run, with a warning', async () => {
    const stats = await scatterOf(c.fit, c.labels, c.D, c.K);
    await code(OodDetector.create(stats, { scores: ['energy'] }), 'NO_CLASSIFIER', /energy/);
    await code(OodDetector.create(stats, { scores: ['vim'] }), 'NO_CLASSIFIER', /vim/);
    await code(OodDetector.create(stats, { scores: ['neco'], necoMaxLogit: true }), 'NO_CLASSIFIER', /neco/);
    const det = await OodDetector.create(stats, {});
    expect(det.params.scores).toEqual(['mahalanobis', 'neco']);
    expect(det.params.necoMaxLogit).toBe(false);
    expect(det.warnings.join(' ')).toMatch(/msp, maxlogit, energy, vim, nci do not run/);
    expect(det.warnings.join(' ')).toMatch(/neco runs without the max-logit factor/);
    const r = await scoreRows(det, c.test);
    expect(Object.keys(r.scores)).toEqual(['mahalanobis', 'neco']);
  });

  it('a classifier that does not fit the fit set', async () => {
    const stats = await scatterOf(c.fit, c.labels, c.D, c.K);
    await code(OodDetector.create(stats, { classifier: { weights: new Float64Array(7) } }), 'SHAPE', /multiple of the fit set's D = 6/);
    await code(OodDetector.create(stats, { classifier: { weights: c.W.subarray(0, 12) } }), 'SHAPE', /2 rows .* labels up to 2/);
    await code(OodDetector.create(stats, { classifier: { weights: c.W, bias: new Float64Array(2) } }), 'SHAPE', /bias/);
    const w = Float64Array.from(c.W);
    w[4] = NaN;
    await code(OodDetector.create(stats, { classifier: { weights: w } }), 'NON_FINITE');
  });
});
