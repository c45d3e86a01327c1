/**
 * Float64 features far from the origin or at extreme scales give the metrics of the stored values to 1e-9: the
 * accumulators sum float64 rows in a working frame x = (h − o)·2^−e (src/statistics/frame.ts), where the shift- and
 * scale-invariant metrics are exact, and the report converts the sizes it gives back to feature units. Before the
 * frame, +1e12 was reported DEGENERATE, ×1e-300 DEGENERATE, ×1e-150 gave NC1 NaN and ETF error Infinity, ×1e150
 * NC1 NaN and ETF error 1 (true 0.37 here), and ×1e-160 / ×1e300 were refused as "overflowed".
 *
 * The truth is computed plainly: the independent reference (test/reference.ts) on the unscaled rows for a scaling
 * (every invariant metric of x·s equals that of x up to the rounding of x·s, ~1e-16), on y − c for an offset (exact:
 * y and c are within a factor 2), and the decisions by explicit loops (NCC on the same exact rows, the classifier's
 * argmax of W h + b on the stored rows).
 */
import { describe, expect, it } from 'vitest';
import { MeansAccumulator, SpreadAccumulator, analyze, classMeans, computeReport, parseStatistics, serializeStatistics, type NcReport } from '@ncscope/core';
import { expectRel, makeCase, type Dataset } from './helpers.js';
import { REF_PRESETS, referenceMetrics, type RefResult } from './reference.js';

const INVARIANT = [
  'nc1', 'nc1Quotient', 'nc1Svd', 'cdnv', 'equinormMeans', 'equiangularityMeans', 'maxAngleMeans', 'etfErrorMeans', 'coherence',
  'gnc2LogMean', 'gnc2DistMean', 'nc3SelfDuality', 'nc3Zhu', 'unc3Cos', 'subspaceAlignmentWeights',
] as const;
const RTOL = 1e-9;

const ds = makeCase(17, { N: 240, D: 8, K: 4, sizes: 'imbalanced' });
const reference = (features: ArrayLike<number>, data: Dataset = ds): RefResult =>
  referenceMetrics({ features, labels: data.labels, D: data.D, K: data.K, W: data.W, b: data.b }, REF_PRESETS.ncscope);
const truth = reference(ds.features);

/** NCC decisions on `exact` rows (the stored rows less an offset, or unscaled), classifier argmax on `stored` rows. */
function decisions(exact: ArrayLike<number>, stored: ArrayLike<number>, bias: ArrayLike<number>): { ncc: number; clf: number; nc4: number } {
  const { N, D, K, labels } = ds;
  const W = ds.W!;
  const mu = Array.from({ length: K }, () => new Array<number>(D).fill(0));
  const n = new Array<number>(K).fill(0);
  for (let i = 0; i < N; i++) {
    n[labels[i]]++;
    for (let t = 0; t < D; t++) mu[labels[i]][t] += exact[i * D + t];
  }
  mu.forEach((m, k) => m.forEach((_, t) => (m[t] /= n[k])));
  let ncc = 0, clf = 0, nc4 = 0;
  for (let i = 0; i < N; i++) {
    let best = -1, bestD = Infinity, arg = -1, bestS = -Infinity;
    for (let k = 0; k < K; k++) {
      let d = 0, s = bias[k];
      for (let t = 0; t < D; t++) {
        d += (exact[i * D + t] - mu[k][t]) ** 2;
        s += W[k * D + t] * stored[i * D + t];
      }
      if (d < bestD) { bestD = d; best = k; }
      if (s > bestS) { bestS = s; arg = k; }
    }
    if (best === labels[i]) ncc++;
    if (arg === labels[i]) clf++;
    if (arg !== best) nc4++;
  }
  return { ncc: ncc / N, clf: clf / N, nc4: nc4 / N };
}

function expectInvariants(report: NcReport, ref: RefResult, where: string): void {
  expect(report.degenerate, `${where}: ${report.warnings.join('; ')}`).toBe(false);
  for (const key of INVARIANT) expectRel(key, report.metrics[key], ref.metrics[key], RTOL, 0, where);
}

describe('scalings of float64 features: every scale-free metric to 1e-9, sizes converted or named', () => {
  for (const s of [1e150, 1e-150, 1e-160, 1e-300, 1e300, 2 ** -1000]) {
    it(`× ${s.toExponential(0)}`, async () => {
      const features = Float64Array.from(ds.features, (v) => v * s);
      const bias = Float64Array.from(ds.b!, (v) => v * s); // W h + b s = s (W x + b): the same decisions
      const { report } = await analyze([{ features, labels: ds.labels }], { classifier: { weights: ds.W!, bias } });
      expectInvariants(report, truth, `× ${s}`);
      // The uncentred means' orthogonal-frame distance is scale-free too (and reads the frame's origin back in).
      expectRel('orthoFrameMeans', report.metrics.orthoFrameMeans, truth.metrics.orthoFrameMeans, RTOL, 0, `× ${s}`);
      const d = decisions(ds.features, features, bias);
      expectRel('nccAccuracy', report.metrics.nccAccuracy, d.ncc, 0, 0, `× ${s}`);
      expectRel('classifierAccuracy', report.metrics.classifierAccuracy, d.clf, 0, 0, `× ${s}`);
      expectRel('nc4NccMismatch', report.metrics.nc4NccMismatch, d.nc4, 0, 0, `× ${s}`);
      // Norms scale by s, variances by s² — where float64 holds them; else NaN and a warning with the right word.
      const pc = report.perClass!;
      pc.meanNorms.forEach((v, k) => expectRel('meanNorms', v, truth.perClass.meanNorms[k] * s, RTOL, 0, `× ${s} [${k}]`));
      const v2 = truth.perClass.variances[0] * s * s;
      if (Number.isFinite(v2) && Math.abs(v2) >= 2 ** -1022) {
        pc.variances!.forEach((v, k) => expectRel('variances', v, truth.perClass.variances[k] * s * s, RTOL, 0, `× ${s} [${k}]`));
      } else {
        expect(pc.variances!.every(Number.isNaN)).toBe(true);
        const word = Number.isFinite(v2) ? 'underflow' : 'overflow';
        expect(report.warnings.join('\n')).toMatch(new RegExp(`the per-class variances v_k: about 1e-?\\d+ in the features' units, (above|below) float64's range \\(${word}\\)`));
        expect(report.metrics.unc3, 'UNC3 scales with s² too').toBeNaN();
      }
    });
  }
});

describe('offsets of float64 features: the metrics of the stored rows to 1e-9', () => {
  for (const c of [1e10, 1e12, 1e15]) {
    it(`+ ${c.toExponential(0)}`, async () => {
      const features = Float64Array.from(ds.features, (v) => v + c);
      // y − c is exact (Sterbenz), so the reference sees exactly the stored rows' geometry.
      const exact = Float64Array.from(features, (v) => v - c);
      const ref = reference(exact);
      const { report, means } = await analyze([{ features, labels: ds.labels }], { classifier: { weights: ds.W!, bias: ds.b } });
      expectInvariants(report, ref, `+ ${c}`);
      // Shift-dependent: the uncentred means' orthogonal-frame distance of the stored rows (the reference on y itself;
      // dominated by the offset, so its rounding at 1e12 does not matter to 1e-9).
      expectRel('orthoFrameMeans', report.metrics.orthoFrameMeans, reference(features).metrics.orthoFrameMeans, RTOL, 0, `+ ${c}`);
      const d = decisions(exact, features, ds.b!);
      expectRel('nccAccuracy', report.metrics.nccAccuracy, d.ncc, 0, 0, `+ ${c}`);
      expectRel('classifierAccuracy', report.metrics.classifierAccuracy, d.clf, 0, 0, `+ ${c}`);
      expectRel('nc4NccMismatch', report.metrics.nc4NccMismatch, d.nc4, 0, 0, `+ ${c}`);
      report.perClass!.variances!.forEach((v, k) => expectRel('variances', v, ref.perClass.variances[k], RTOL, 0, `+ ${c} [${k}]`));
      // The statistics record the frame; classMeans gives the means in feature units.
      expect(means.frame).toBeDefined();
      const mu = classMeans(means);
      expect(Math.abs(mu[0] - c)).toBeLessThan(10);
    });
  }
  it('an offset and a tiny scale together (1e-294 + x·1e-300)', async () => {
    const features = Float64Array.from(ds.features, (v) => 1e-294 + v * 1e-300);
    const exact = Float64Array.from(features, (v) => (v - 1e-294) * 1e300);
    const { report } = await analyze([{ features, labels: ds.labels }]);
    const ref = referenceMetrics({ features: exact, labels: ds.labels, D: ds.D, K: ds.K }, REF_PRESETS.ncscope);
    for (const key of ['nc1', 'cdnv', 'etfErrorMeans', 'equiangularityMeans'] as const) expectRel(key, report.metrics[key], ref.metrics[key], 1e-6, 0, 'offset+scale');
    expect(report.degenerate).toBe(false);
  });
});

describe('the frame in statistics', () => {
  const c = 1e12;
  const features = Float64Array.from(ds.features, (v) => v + c);
  const half = (ds.N / 2) * ds.D;
  it('shards in different frames merge to the one-pass means; files keep the frame (version 3)', async () => {
    const a = new MeansAccumulator().add({ features: features.subarray(0, half), labels: ds.labels.subarray(0, ds.N / 2) });
    const b = new MeansAccumulator().add({ features: features.subarray(half), labels: ds.labels.subarray(ds.N / 2) });
    expect(a.statistics.frame!.origin[0]).not.toBe(b.statistics.frame!.origin[0]);
    const fromFile = parseStatistics(serializeStatistics({ means: a.statistics })).means;
    expect(fromFile.frame).toEqual(a.statistics.frame);
    const merged = new MeansAccumulator().merge(fromFile).merge(b.statistics).statistics;
    const one = await analyze([{ features, labels: ds.labels }]);
    expect(JSON.parse(serializeStatistics({ means: one.means })).version).toBe(3);
    // The merged shards report what one pass reports (the spread phase run against the merged means).
    const sharded = await analyze([{ features, labels: ds.labels }]);
    const acc = await SpreadAccumulator.create(merged);
    await acc.add({ features, labels: ds.labels });
    const report = await computeReport(merged, acc.statistics);
    for (const key of ['nc1', 'cdnv', 'etfErrorMeans', 'equiangularityMeans'] as const) expectRel(key, report.metrics[key], sharded.report.metrics[key], 1e-12, 0, 'merged shards');
    // A spread phase is tied to its means' frame: the one-pass spread is refused against the merged means.
    await expect(computeReport(merged, one.spread)).rejects.toThrow(/other class means/);
  });
  it('ordinary float64 rows (and any float32 rows) get no frame: their statistics are the plain sums, bit for bit', () => {
    const plain = new MeansAccumulator().add({ features: ds.features, labels: ds.labels }).statistics;
    expect(plain.frame).toBeUndefined();
    const sums = new Float64Array(ds.K * ds.D);
    for (let i = 0; i < ds.N; i++) for (let t = 0; t < ds.D; t++) sums[ds.labels[i] * ds.D + t] += ds.features[i * ds.D + t];
    expect(Array.from(plain.sums)).toEqual(Array.from(sums));
    const f32 = new MeansAccumulator().add({ features: Float32Array.from(features), labels: ds.labels }).statistics;
    expect(f32.frame).toBeUndefined();
  });
});
