import { describe, expect, it } from 'vitest';
import {
  MeansAccumulator,
  NcInputError,
  SpreadAccumulator,
  addSpreadStatistics,
  computeReport,
  parseStatistics,
  serializeStatistics,
  withSampledDecisions,
  type SpreadStatistics,
} from '../src/index.js';
import { makeCase, rng, type Dataset } from './helpers.js';

/** The rows i with keep(i), as one batch. */
function subset(ds: Dataset, keep: (i: number) => boolean) {
  const rows = Array.from({ length: ds.N }, (_, i) => i).filter(keep);
  const features = new Float64Array(rows.length * ds.D);
  rows.forEach((i, j) => features.set(ds.features.subarray(i * ds.D, (i + 1) * ds.D), j * ds.D));
  return { rows, batch: { features, labels: Int32Array.from(rows, (i) => ds.labels[i]) } };
}

/** Naive decisions of the rows: nearest class mean (present classes), argmax W h + b, argmax W h. */
function decide(ds: Dataset, mu: Float64Array, present: boolean[], i: number): { ncc: number; clf: number; clfNoBias: number } {
  const { D, K } = ds;
  let ncc = -1;
  let best = Infinity;
  let clf = 0;
  let top = -Infinity;
  let clfNoBias = 0;
  let topNoBias = -Infinity;
  for (let k = 0; k < K; k++) {
    let d2 = 0;
    let z = 0;
    for (let t = 0; t < D; t++) {
      d2 += (ds.features[i * D + t] - mu[k * D + t]) ** 2;
      z += ds.W![k * D + t] * ds.features[i * D + t];
    }
    if (present[k] && d2 < best) { best = d2; ncc = k; }
    if (z + ds.b![k] > top) { top = z + ds.b![k]; clf = k; }
    if (z > topNoBias) { topNoBias = z; clfNoBias = k; }
  }
  return { ncc, clf, clfNoBias };
}

describe('decisions counted on a sample of the rows (withSampledDecisions)', () => {
  const ds = makeCase(41, { N: 600, D: 6, K: 9, sizes: 'imbalanced' });
  const classifier = { weights: ds.W!, bias: ds.b! };

  async function phases(keep: (i: number) => boolean) {
    const means = await new MeansAccumulator({ K: ds.K }).addAsync({ features: ds.features, labels: ds.labels });
    const full = await (await SpreadAccumulator.create(means.statistics, { classifier })).add({ features: ds.features, labels: ds.labels });
    const noDecisions = await (await SpreadAccumulator.create(means.statistics, { classifier, decisions: false })).add({ features: ds.features, labels: ds.labels });
    const { rows, batch } = subset(ds, keep);
    const sample = await (await SpreadAccumulator.create(means.statistics, { classifier, perClassNc1: false })).add(batch);
    return { means: means.statistics, full: full.statistics, noDecisions: noDecisions.statistics, sample: sample.statistics, rows };
  }

  it('without decisions the spread sums are unchanged and no decision is counted', async () => {
    const p = await phases(() => true);
    for (const key of ['counts', 'withinSS', 'scatter'] as const) expect(Array.from(p.noDecisions[key])).toEqual(Array.from(p.full[key]));
    expect(Array.from(p.noDecisions.perClassNc1!.sums)).toEqual(Array.from(p.full.perClassNc1!.sums));
    expect(p.noDecisions.nccCorrect.every((v) => v === 0)).toBe(true);
    expect(p.noDecisions.classifierCorrect).toBeUndefined();
    expect(p.noDecisions.classifierFingerprint).toBeUndefined();
  });

  it('a sample of every row gives the full report', async () => {
    const p = await phases(() => true);
    const combined = withSampledDecisions(p.noDecisions, p.sample);
    expect(Array.from(combined.decisionCounts!)).toEqual(Array.from(p.full.counts));
    const a = await computeReport(p.means, p.full, { classifier });
    const b = await computeReport(p.means, combined, { classifier });
    expect(b.metrics).toEqual(a.metrics);
    expect(b.perClass?.nccRecall).toEqual(a.perClass?.nccRecall);
    expect(b.warnings).toEqual(a.warnings);
  });

  it('a sample: NC4 and the accuracies are the fractions of the sampled rows, everything else as without a sample', async () => {
    const u = rng(5);
    const pick = new Set(Array.from({ length: ds.N }, (_, i) => i).filter(() => u() < 0.3));
    const p = await phases((i) => pick.has(i));
    const combined = withSampledDecisions(p.noDecisions, p.sample);
    const full = await computeReport(p.means, p.full, { classifier });
    const r = await computeReport(p.means, combined, { classifier });
    for (const preset of ['ncscope', 'rhubarbwu'] as const) {
      const rp = await computeReport(p.means, combined, { classifier, preset });
      const mu = new Float64Array(ds.K * ds.D);
      for (let k = 0; k < ds.K; k++) for (let t = 0; t < ds.D; t++) mu[k * ds.D + t] = p.means.sums[k * ds.D + t] / p.means.counts[k];
      const present = Array.from(p.means.counts, (n) => n > 0);
      let ncc = 0, clf = 0, mismatch = 0;
      for (const i of p.rows) {
        const d = decide(ds, mu, present, i);
        if (d.ncc === ds.labels[i]) ncc++;
        if (d.clf === ds.labels[i]) clf++;
        if ((preset === 'rhubarbwu' ? d.clfNoBias : d.clf) !== d.ncc) mismatch++;
      }
      expect(rp.metrics.nccAccuracy).toBeCloseTo(ncc / p.rows.length, 14);
      expect(rp.metrics.classifierAccuracy).toBeCloseTo(clf / p.rows.length, 14);
      expect(rp.metrics.nc4NccMismatch).toBeCloseTo(mismatch / p.rows.length, 14);
    }
    for (const key of ['nc1', 'nc1Quotient', 'cdnv', 'etfErrorMeans', 'nc3SelfDuality', 'unc3'] as const) expect(r.metrics[key]).toBe(full.metrics[key]);
    expect(r.warnings).toContain(`NC4, NCC and classifier accuracy (and NCC recall) counted on a sample of ${p.rows.length} of the ${ds.N} samples`);
    const recall = r.perClass!.nccRecall!;
    r.perClass!.classes.forEach((k, j) => {
      const rowsK = p.rows.filter((i) => ds.labels[i] === k).length;
      expect(recall[j]).toBe(p.sample.nccCorrect[k] / rowsK);
    });
  });

  it('survives the statistics file; shards merge by addition; mixing sampled and full decisions is refused', async () => {
    const u = rng(9);
    const pick = new Set(Array.from({ length: ds.N }, (_, i) => i).filter(() => u() < 0.5));
    const p = await phases((i) => pick.has(i));
    const combined = withSampledDecisions(p.noDecisions, p.sample);
    const back = parseStatistics(serializeStatistics({ means: p.means, spread: combined }));
    expect(Array.from(back.spread!.decisionCounts!)).toEqual(Array.from(combined.decisionCounts!));
    const twice: SpreadStatistics = addSpreadStatistics(combined, combined);
    expect(Array.from(twice.decisionCounts!)).toEqual(Array.from(combined.decisionCounts!, (v) => 2 * v));
    expect(() => addSpreadStatistics(combined, p.full)).toThrow(NcInputError);
    expect(() => addSpreadStatistics(combined, p.full)).toThrow(/decisions were counted on a sample/);
    expect(() => withSampledDecisions(combined, p.sample)).toThrow(/already hold sampled decisions/);
  });
});
