/**
 * Issue 10 — NC geometry beyond the balanced last layer: known answers (simplex ETF, orthogonal frame, minority
 * collapse), the subspace alignment of a consuming layer and NC1's "svd" form against the independent reference
 * (reference.ts), CDNV with a distance exponent, normalized features (Yaras et al.), degenerate geometry, and the
 * imbalance section's options. Every metric is also compared with the reference on random, imbalanced and
 * rank-deficient data in reference-agreement.test.ts, and for invariance in properties.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  MeansAccumulator,
  SpreadAccumulator,
  analyze,
  buildContext,
  computeReport,
  parseStatistics,
  serializeStatistics,
  subspaceAlignment,
  type NcMetrics,
  type NcReport,
} from '@ncscope/core';
import { batchesOf, expectRel, gaussian, makeCase, rng, shuffle, simplexEtf, type Dataset } from './helpers.js';
import { REF_PRESETS, referenceMetrics } from './reference.js';

/** Features that sit exactly on given class means (zero within-class spread), labels shuffled. */
function onMeans(means: number[][], sizes: number[], seed: number): { features: Float64Array; labels: Int32Array } {
  const D = means[0].length;
  const labels = shuffle(sizes.flatMap((n, k) => Array.from({ length: n }, () => k)), rng(seed));
  const features = new Float64Array(labels.length * D);
  labels.forEach((y, i) => features.set(means[y], i * D));
  return { features, labels: Int32Array.from(labels) };
}

const close = (a: number | undefined, b: number, tol = 1e-12) => {
  expect(a).toBeTypeOf('number');
  expect(Math.abs(a! - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));
};

describe('known answers', () => {
  it('an exact simplex ETF with W = M̃: group cosines −1/(K−1), alignment 1, coherence 0, nc0 0, GNC2 and orthogonal-frame closed forms', async () => {
    const K = 6;
    const D = 9;
    const etf = simplexEtf(K, D, 2, rng(5));
    // Three majority classes of 30 and three minority classes of 3 (a 10:1 step imbalance, Fang et al.'s setting).
    const sizes = [30, 30, 30, 3, 3, 3];
    const { features, labels } = onMeans(etf, sizes, 6);
    const weights = Float64Array.from(etf.flat());
    const { report } = await analyze([{ features, labels }], { classifier: { weights } });
    const m = report.metrics;
    const ideal = -1 / (K - 1);
    const imb = report.imbalance!;
    expect(imb.minorityBelow).toBe(15);
    expect(imb.minorityClasses).toEqual([3, 4, 5]);
    expect(imb.majorityClasses).toEqual([0, 1, 2]);
    expect(imb.imbalanceRatio).toBe(10);
    for (const key of ['minorityCosineMeans', 'majorityCosineMeans', 'minorityCosineWeights', 'majorityCosineWeights'] as const) close(imb[key], ideal);
    for (const key of ['minorityCosineMeansStd', 'majorityCosineMeansStd', 'minorityCosineWeightsStd', 'majorityCosineWeightsStd'] as const) close(imb[key], 0);
    close(imb.normRatioMeans, 1);
    close(imb.normRatioWeights, 1);
    close(imb.nc1Minority, 0);
    close(imb.nc1Majority, 0);
    close(m.subspaceAlignmentWeights, 1);
    close(m.coherence, 0);
    close(m.nc0, 0);
    close(m.nc1Svd, 0);
    close(m.unc3, 0);
    close(m.unc3Cos, 0);
    // Every pair of normalized ETF vectors is √(2K/(K−1)) apart.
    const d = Math.sqrt((2 * K) / (K - 1));
    close(m.gnc2DistMean, d);
    close(m.gnc2LogMean, -Math.log(d));
    close(m.gnc2RieszMean, d ** -(D - 2));
    for (const key of ['gnc2DistVar', 'gnc2LogVar', 'gnc2RieszVar'] as const) close(m[key], 0);
    // The ETF (centred at the origin here) against an orthogonal frame: ‖E − I/√K‖² = 2 − 2√((K−1)/K).
    close(m.orthoFrameMeans, Math.sqrt(2 - 2 * Math.sqrt((K - 1) / K)));
    close(m.orthoFrameWeights, Math.sqrt(2 - 2 * Math.sqrt((K - 1) / K)));
    expect(report.degenerate).toBe(false);
  });

  it('an orthogonal frame (the bias-free MSE geometry) has orthogonal-frame distance 0 and is not an ETF', async () => {
    const K = 4;
    const D = 6;
    const means = Array.from({ length: K }, (_, k) => Array.from({ length: D }, (_, t) => (t === k ? 3 : 0)));
    const { features, labels } = onMeans(means, [5, 5, 5, 5], 7);
    const weights = Float64Array.from(means.flat(), (x) => x / 3);
    const { report } = await analyze([{ features, labels }], { classifier: { weights } });
    close(report.metrics.orthoFrameMeans, 0);
    close(report.metrics.orthoFrameWeights, 0);
    expect(report.metrics.etfErrorWeights!).toBeGreaterThan(0.1);
    // Its centred means are an ETF, so the centred metrics call it collapsed.
    close(report.metrics.etfErrorMeans, 0);
  });

  it('minority collapse: identical minority classifier rows give minority cosine 1, the majority keeps its ETF angles', async () => {
    const K = 5;
    const D = 8;
    const etf = simplexEtf(K, D, 1, rng(11));
    const { features, labels } = onMeans(etf, [40, 40, 40, 4, 4], 12);
    const collapsed = etf[3].map((x, t) => (x + etf[4][t]) / 2);
    const weights = Float64Array.from([...etf.slice(0, 3), collapsed, collapsed].flat());
    const { report } = await analyze([{ features, labels }], { classifier: { weights } });
    close(report.imbalance!.minorityCosineWeights, 1);
    close(report.imbalance!.minorityCosineWeightsStd, 0);
    close(report.imbalance!.majorityCosineWeights, -1 / (K - 1));
    expect(report.imbalance!.normRatioWeights!).toBeLessThan(1);
  });
});

describe('subspace alignment of a consuming layer', () => {
  const cases: { name: string; N: number; D: number; K: number; out: number; rankDeficient?: boolean; sizes?: 'imbalanced' }[] = [
    { name: 'out < D', N: 300, D: 12, K: 5, out: 7 },
    { name: 'out > D', N: 300, D: 12, K: 5, out: 20, sizes: 'imbalanced' },
    { name: 'out ≫ K (Lanczos)', N: 300, D: 40, K: 4, out: 30 },
    { name: "D < K ('features' space)", N: 320, D: 3, K: 8, out: 4 },
    { name: 'rank-deficient means', N: 300, D: 10, K: 5, out: 6, rankDeficient: true },
  ];
  for (const c of cases) {
    it(`${c.name}: equals the SVD reference, with the classifier's alignment too`, async () => {
      const ds = makeCase(21 + c.D + c.out, { N: c.N, D: c.D, K: c.K, sizes: c.sizes });
      if (c.rankDeficient) {
        // Class means in a 2-dimensional subspace: project every feature onto span(e_0, e_1) plus noise along e_2.
        for (let i = 0; i < ds.N; i++) for (let t = 3; t < c.D; t++) ds.features[i * c.D + t] = 0;
      }
      const g = gaussian(rng(c.out));
      const A = Float64Array.from({ length: c.out * c.D }, () => g());
      const ref = referenceMetrics({ features: ds.features, labels: ds.labels, D: c.D, K: c.K, W: ds.W, b: ds.b, consumer: { weights: A, outputs: c.out } }, REF_PRESETS.ncscope);
      for (const spectralRoute of ['auto', 'eigen'] as const) {
        const { report } = await analyze(batchesOf(ds, 64), { classifier: { weights: ds.W!, bias: ds.b! }, consumer: { weights: A, outputs: c.out, name: 'next' }, spectralRoute });
        expect(report.rank).toBe(ref.rank);
        expectRel('alignment consumer', report.metrics.subspaceAlignment, ref.metrics.subspaceAlignment, 1e-7, 0, `${c.name} ${spectralRoute}`);
        expectRel('alignment classifier', report.metrics.subspaceAlignmentWeights, ref.metrics.subspaceAlignmentWeights, 1e-7, 0, `${c.name} ${spectralRoute}`);
        expect(report.consumer).toEqual({ name: 'next', outputs: c.out });
      }
    });
  }

  it('is 1 for A = M̃ and 0 for a map whose input subspace is orthogonal to the means', async () => {
    const K = 4;
    const D = 10;
    const means = simplexEtf(K, D, 1, rng(3));
    const { features, labels } = onMeans(means, [6, 6, 6, 6], 4);
    // Add spread so the geometry is not a single point per class.
    const g = gaussian(rng(8));
    for (let i = 0; i < features.length; i++) features[i] += 0.05 * g();
    const { means: ms, spread } = await analyze([{ features, labels }]);
    const ctx = await buildContext(ms, spread);
    close(await subspaceAlignment(ctx, Float64Array.from(ctx.centredMeans), K), 1, 1e-10);
    // Rows in the orthogonal complement of the mean span.
    const P = Array.from({ length: D }, (_, a) => Array.from({ length: D }, (_, b) => (a === b ? 1 : 0)));
    const M = ctx.centredMeans;
    const G: number[][] = Array.from({ length: K }, (_, k) => Array.from({ length: K }, (_, l) => { let s = 0; for (let t = 0; t < D; t++) s += M[k * D + t] * M[l * D + t]; return s; }));
    // Π_M = M̃ᵀ G⁺ M̃ via the basis of the first K − 1 means (rank K − 1): project random rows off it by Gram–Schmidt.
    const basis: number[][] = [];
    for (let k = 0; k < K - 1; k++) {
      const v = Array.from({ length: D }, (_, t) => M[k * D + t]);
      for (const q of basis) { const d = v.reduce((s, x, t) => s + x * q[t], 0); for (let t = 0; t < D; t++) v[t] -= d * q[t]; }
      const n = Math.hypot(...v);
      basis.push(v.map((x) => x / n));
    }
    expect(G.length).toBe(K);
    const rows: number[][] = Array.from({ length: 5 }, () => {
      const v = Array.from({ length: D }, () => g());
      for (const q of basis) { const d = v.reduce((s, x, t) => s + x * q[t], 0); for (let t = 0; t < D; t++) v[t] -= d * q[t]; }
      return v;
    });
    expect(P.length).toBe(D);
    close(await subspaceAlignment(ctx, Float64Array.from(rows.flat()), 5), 0, 1e-10);
  });

  it('refuses a map of the wrong shape by name, and the report leaves the alignment out past alignmentLimit', async () => {
    const ds = makeCase(2, { N: 120, D: 6, K: 4 });
    const { means, spread } = await analyze([{ features: ds.features, labels: ds.labels }]);
    const ctx = await buildContext(means, spread);
    await expect(subspaceAlignment(ctx, new Float64Array(7), 2)).rejects.toMatchObject({ code: 'SHAPE' });
    const report = await computeReport(means, spread, { classifier: { weights: ds.W! }, alignmentLimit: 3 });
    expect(report.metrics.subspaceAlignmentWeights).toBeUndefined();
    expect(report.warnings.join(' ')).toMatch(/subspace alignment is left out/);
  });
});

describe("NC1's svd form (Han et al.; rhubarbwu's covariance_ratio(…, 'svd'))", () => {
  it('keeps the eigenvalues the pseudo-inverse cutoff drops, as the reference computes it', async () => {
    // Five classes whose fifth mean direction is weak: Σ_B's smallest nonzero eigenvalue ≈ 1e-6 of the largest.
    const K = 5;
    const D = 8;
    const u = rng(31);
    const g = gaussian(u);
    const centres = Array.from({ length: K }, (_, k) => Array.from({ length: D }, (_, t) => (t < K - 2 ? (t === k ? 3 : 0) : t === K - 2 ? (k === K - 1 ? 3e-3 : 0) : 0)));
    const sizes = [40, 40, 40, 40, 40];
    const labels = shuffle(sizes.flatMap((n, k) => Array.from({ length: n }, () => k)), u);
    // Noise with zero mean inside every class, so the class means are exactly the centres.
    const noise = Float64Array.from({ length: labels.length * D }, () => 0.1 * g());
    for (let k = 0; k < K; k++) {
      const rows = labels.map((y, i) => (y === k ? i : -1)).filter((i) => i >= 0);
      for (let t = 0; t < D; t++) {
        const m = rows.reduce((acc, i) => acc + noise[i * D + t], 0) / rows.length;
        for (const i of rows) noise[i * D + t] -= m;
      }
    }
    const features = Float64Array.from({ length: labels.length * D }, (_, i) => centres[labels[Math.floor(i / D)]][i % D] + noise[i]);
    const ds: Dataset = { N: labels.length, D, K, features, labels: Int32Array.from(labels) };
    const pinvRtol = 1e-4;
    const { report } = await analyze([{ features: ds.features, labels: ds.labels }], { pinvRtol });
    const ref = referenceMetrics({ features: ds.features, labels: ds.labels, D, K }, REF_PRESETS.ncscope);
    expect(report.rank).toBe(K - 2); // the weak direction fell below pinvRtol · λ_max
    expectRel('nc1Svd ill-conditioned', report.metrics.nc1Svd, ref.metrics.nc1Svd, 1e-6);
    expect(report.metrics.nc1Svd!).toBeGreaterThan(10 * report.metrics.nc1!);
  });

  it('blows up on affinely dependent means, where NC1 with the pseudo-inverse stays finite', async () => {
    const ds = makeCase(41, { N: 250, D: 10, K: 5 });
    // Classes 3 and 4 share their mean exactly (same rows): Σ_B has rank 3 < K − 1.
    const perClass = Array.from({ length: 5 }, (_, k) => Array.from(ds.labels).map((y, i) => [y, i]).filter(([y]) => y === k).map(([, i]) => i));
    const n = Math.min(perClass[3].length, perClass[4].length);
    const rows = [...perClass[0], ...perClass[1], ...perClass[2], ...perClass[3].slice(0, n)];
    const features = new Float64Array((rows.length + n) * ds.D);
    const labels = new Int32Array(rows.length + n);
    rows.forEach((i, r) => { features.set(ds.features.subarray(i * ds.D, (i + 1) * ds.D), r * ds.D); labels[r] = ds.labels[i]; });
    perClass[3].slice(0, n).forEach((i, j) => { features.set(ds.features.subarray(i * ds.D, (i + 1) * ds.D), (rows.length + j) * ds.D); labels[rows.length + j] = 4; });
    const { report } = await analyze([{ features, labels }]);
    expect(report.rank).toBe(3);
    expect(Number.isFinite(report.metrics.nc1!)).toBe(true);
    const svd = report.metrics.nc1Svd!;
    expect(!Number.isFinite(svd) || Math.abs(svd) > 1e6 * report.metrics.nc1!).toBe(true);
  });
});

describe('CDNV with a distance exponent (rhubarbwu dist_exp)', () => {
  it('equals the plain sum over pairs of (v_k + v_l)/(2 (‖μ_k − μ_l‖²)^p)', async () => {
    const ds = makeCase(51, { N: 240, D: 7, K: 5, sizes: 'imbalanced' });
    const { means, spread } = await analyze([{ features: ds.features, labels: ds.labels }]);
    const { K, D } = ds;
    const mu = Array.from({ length: K }, (_, k) => Array.from({ length: D }, (_, t) => means.sums[k * D + t] / means.counts[k]));
    const v = Array.from({ length: K }, (_, k) => {
      let s = 0;
      for (let i = 0; i < ds.N; i++) if (ds.labels[i] === k) for (let t = 0; t < D; t++) s += (ds.features[i * D + t] - mu[k][t]) ** 2;
      return s / means.counts[k];
    });
    for (const p of [0.5, 1, 2]) {
      let total = 0;
      let pairs = 0;
      for (let k = 0; k < K; k++) for (let l = k + 1; l < K; l++) {
        const d2 = mu[k].reduce((s, x, t) => s + (x - mu[l][t]) ** 2, 0);
        total += (v[k] + v[l]) / (2 * d2 ** p);
        pairs++;
      }
      const report = await computeReport(means, spread, { cdnvExponent: p });
      expect(report.conventions.cdnvExponent).toBe(p);
      expectRel(`cdnv p=${p}`, report.metrics.cdnv, total / pairs, 1e-10);
    }
    await expect(computeReport(means, spread, { cdnvExponent: 0 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
  });
});

/** Rows τ·h/‖h‖ (zero rows stay zero), written plainly. */
function normalizePlain(x: ArrayLike<number>, rows: number, D: number, tau = 1): Float64Array {
  const out = new Float64Array(rows * D);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let t = 0; t < D; t++) s += x[i * D + t] ** 2;
    const n = Math.sqrt(s);
    if (n > 0) for (let t = 0; t < D; t++) out[i * D + t] = (tau * x[i * D + t]) / n;
  }
  return out;
}

function expectSameMetrics(a: NcReport, b: NcReport, rtol: number, where: string): void {
  expect(Object.keys(a.metrics).sort(), where).toEqual(Object.keys(b.metrics).sort());
  for (const [key, value] of Object.entries(b.metrics)) {
    expectRel(`normalized ${key}`, (a.metrics as Record<string, number>)[key], value as number, rtol, 1e-9, where);
  }
  for (const key of ['meanNorms', 'variances', 'weightNorms', 'nc1PerClass'] as const) {
    if (b.perClass![key]) b.perClass![key]!.forEach((v, i) => expectRel(`normalized perClass.${key}`, a.perClass![key]![i], v, rtol, 1e-12, where));
  }
}

describe('normalized features (Yaras et al. 2022)', () => {
  const ds = makeCase(61, { N: 300, D: 9, K: 5, sizes: 'imbalanced', offset: 3 });
  const classifier = { weights: ds.W!, bias: ds.b! };

  it("'features' and a temperature give the report of τ·h/‖h‖ computed beforehand, in the same two passes", async () => {
    for (const temperature of [undefined, 10]) {
      const { report } = await analyze(batchesOf(ds, 37), { classifier, normalize: 'features', temperature });
      const pre = normalizePlain(ds.features, ds.N, ds.D, temperature ?? 1);
      const { report: want } = await analyze(batchesOf({ ...ds, features: pre }, 37), { classifier });
      expectSameMetrics(report, want, 1e-10, `τ = ${temperature}`);
      expect(report.conventions.normalize).toBe('features');
      expect(report.conventions.temperature).toBe(temperature ?? 1);
      expect(want.conventions.normalize).toBe('none');
      expect(want.conventions.temperature).toBeUndefined();
    }
  });

  it("'features-and-classifier' also reads the classifier rows w_k/‖w_k‖ (the bias as given)", async () => {
    const { report } = await analyze(batchesOf(ds, 50), { classifier, normalize: 'features-and-classifier' });
    const pre = normalizePlain(ds.features, ds.N, ds.D);
    const W = normalizePlain(ds.W!, ds.K, ds.D);
    const { report: want } = await analyze(batchesOf({ ...ds, features: pre }, 50), { classifier: { weights: W, bias: ds.b! } });
    expectSameMetrics(report, want, 1e-10, 'features-and-classifier');
    close(report.perClass!.weightNorms![0], 1);
  });

  it('statistics record the normalization; shards merge with their own kind only; the spread phase inherits it from the means', async () => {
    const half = Math.floor(ds.N / 2) * ds.D;
    const a = new MeansAccumulator({ normalize: 'features', temperature: 2 }).add({ features: ds.features.subarray(0, half), labels: ds.labels.subarray(0, half / ds.D) });
    const b = new MeansAccumulator({ normalize: 'features', temperature: 2 }).add({ features: ds.features.subarray(half), labels: ds.labels.subarray(half / ds.D) });
    const file = serializeStatistics({ means: b.statistics });
    expect(JSON.parse(file).means.normalization).toEqual({ mode: 'features', temperature: 2, zeroRows: 0 });
    // An accumulator without options takes the normalization of the first shard merged into it.
    const merged = new MeansAccumulator().merge(a.statistics).merge(parseStatistics(file).means);
    expect(merged.statistics.normalization).toEqual({ mode: 'features', temperature: 2, zeroRows: 0 });
    const raw = new MeansAccumulator().add({ features: ds.features, labels: ds.labels });
    expect(() => raw.merge(a.statistics)).toThrowError(expect.objectContaining({ code: 'STATS_MISMATCH', message: expect.stringMatching(/normalized as features \(τ = 2\) into statistics normalized as none/) }));
    expect(() => new MeansAccumulator({ normalize: 'features' }).merge(a.statistics)).toThrowError(expect.objectContaining({ code: 'STATS_MISMATCH' }));
    // Phase 2 from the parsed, merged means: raw batches in, normalized inside.
    const means = parseStatistics(serializeStatistics({ means: merged.statistics })).means;
    const spread = await SpreadAccumulator.create(means, { classifier });
    for (const batch of batchesOf(ds, 23)) await spread.add(batch);
    const report = await computeReport(means, spread.statistics, { classifier });
    const { report: onePass } = await analyze([{ features: ds.features, labels: ds.labels }], { classifier, normalize: 'features', temperature: 2 });
    expectSameMetrics(report, onePass, 1e-10, 'sharded normalized');
  });

  it('chunks of 7 rows, float32 input and plain-array labels normalize the same (one reused scratch chunk per accumulator)', async () => {
    const f32 = Float32Array.from(ds.features);
    const labels = Array.from(ds.labels);
    const { report } = await analyze(batchesOf({ ...ds, features: f32 }, 64).map((b) => ({ features: b.features, labels: Array.from(b.labels) })), { classifier, normalize: 'features', chunkRows: 7 });
    const pre = Float32Array.from(normalizePlain(f32, ds.N, ds.D));
    const { report: want } = await analyze([{ features: pre, labels }], { classifier });
    expectSameMetrics(report, want, 1e-6, 'chunks of 7, float32');
  });

  it('rows of zero norm stay at zero, are counted and reported', async () => {
    const features = Float64Array.from(ds.features);
    for (const i of [0, 5, 9]) features.fill(0, i * ds.D, (i + 1) * ds.D);
    const { report, means } = await analyze([{ features, labels: ds.labels }], { normalize: 'features' });
    expect(means.normalization!.zeroRows).toBe(3);
    expect(report.warnings.join(' ')).toMatch(/3 feature rows had zero norm/);
  });

  it('refuses bad options by name before reading anything', async () => {
    let read = 0;
    const source = () => { read++; return [{ features: ds.features, labels: ds.labels }]; };
    await expect(analyze(source, { temperature: 2 })).rejects.toMatchObject({ code: 'BAD_OPTION', message: expect.stringMatching(/temperature scales normalized features/) });
    await expect(analyze(source, { normalize: 'sphere' as never })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    await expect(analyze(source, { normalize: 'features', temperature: -1 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    expect(read).toBe(0);
  });
});

describe('degenerate geometry is not collapse', () => {
  const K = 3;
  const D = 5;
  const labels = Int32Array.from({ length: 30 }, (_, i) => i % K);
  const W = Float64Array.from({ length: K * D }, (_, i) => Math.sin(i + 1));
  const ratios: (keyof NcMetrics)[] = ['nc1', 'nc1Quotient', 'nc1Svd', 'cdnv', 'equinormMeans', 'equiangularityMeans', 'etfErrorMeans', 'nc3Zhu', 'gnc2LogMean', 'subspaceAlignmentWeights'];
  const degenerateCases: [string, Float32Array | Float64Array][] = [
    ['all-zero features', new Float64Array(30 * D)],
    ['one distinct feature vector (float64)', Float64Array.from({ length: 30 * D }, (_, i) => 0.1 + Math.cos(i % D) / 3)],
    ['one distinct feature vector (float32)', Float32Array.from({ length: 30 * D }, (_, i) => 0.1 + Math.cos(i % D) / 3)],
    // Every class holds the same three rows: their means coincide exactly.
    ['coinciding class means', Float64Array.from({ length: 30 * D }, (_, i) => Math.floor(i / D / K) % 3 + (i % D) * 0.25)],
  ];
  for (const [name, features] of degenerateCases) {
    it(`${name}: degenerate, NaN ratios (null in JSON), a warning`, async () => {
      const { report } = await analyze([{ features, labels }], { classifier: { weights: W } });
      expect(report.degenerate).toBe(true);
      for (const key of ratios) expect(report.metrics[key], key).toBeNaN();
      expect(report.warnings.join(' ')).toMatch(/degenerate geometry: .*not neural collapse/);
      const json = JSON.parse(JSON.stringify(report));
      expect(json.degenerate).toBe(true);
      expect(json.metrics.nc1).toBeNull();
      // W-only metrics still mean something.
      expect(Number.isFinite(report.metrics.etfErrorWeights!)).toBe(true);
    });
  }

  it('an exact ETF with zero spread, or a separation of 1e-6 at offset 1e3, is not degenerate', async () => {
    const etf = simplexEtf(K, D, 1, rng(2));
    const exact = onMeans(etf, [10, 10, 10], 3);
    expect((await analyze([exact])).report.degenerate).toBe(false);
    const tiny = onMeans(etf.map((m) => m.map((x) => 1e3 + 1e-6 * x)), [10, 10, 10], 3);
    const { report } = await analyze([tiny]);
    expect(report.degenerate).toBe(false);
    expect(report.metrics.nc1).toBeCloseTo(0, 6);
  });
});

describe('imbalance section options', () => {
  it('minorityBelow sets the threshold (and adds the section for balanced data); none without it when counts are equal', async () => {
    const ds = makeCase(71, { N: 200, D: 6, K: 4 });
    const balanced = await analyze([{ features: ds.features, labels: ds.labels }], { classifier: { weights: ds.W! } });
    expect(balanced.report.imbalance).toBeUndefined();
    const withThreshold = await computeReport(balanced.means, balanced.spread, { classifier: { weights: ds.W! }, minorityBelow: 1000 });
    expect(withThreshold.imbalance!.minorityRule).toBe('given');
    expect(withThreshold.imbalance!.minorityCount).toBe(4);
    expect(withThreshold.imbalance!.majorityCount).toBe(0);
    expect(withThreshold.imbalance!.majorityCosineMeans).toBeNaN();
    await expect(computeReport(balanced.means, balanced.spread, { minorityBelow: -1 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
  });

  it('past perClassLimit the class lists are left out, the counts stay', async () => {
    const ds = makeCase(72, { N: 300, D: 6, K: 10, sizes: 'imbalanced' });
    const { report } = await analyze([{ features: ds.features, labels: ds.labels }], { perClassLimit: 5 });
    expect(report.imbalance!.minorityClasses).toBeUndefined();
    expect(report.imbalance!.minorityCount + report.imbalance!.majorityCount).toBe(10);
  });
});
