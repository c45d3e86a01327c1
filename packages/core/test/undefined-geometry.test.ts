/**
 * Quantities a data set does not define are flagged, never reported as a number that reads as collapse: one sample
 * per class (no within-class variability: NC1 = CDNV = 0 said "collapsed"), and a classifier without geometry
 * (all-zero or identical rows: UNC3 = 0 said "aligned alike", with no warning).
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '@ncscope/core';
import { makeCase } from './helpers.js';

describe('one sample per class (N = K)', () => {
  const K = 6;
  const D = 9;
  const ds = makeCase(3, { N: K, D, K });
  it('within-class metrics are NaN with a warning, not 0 = collapsed', async () => {
    const { report } = await analyze([{ features: ds.features, labels: ds.labels }], { classifier: { weights: ds.W!, bias: ds.b } });
    expect(Array.from(ds.labels).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    for (const key of ['nc1', 'nc1Quotient', 'nc1Svd', 'cdnv', 'nccAccuracy'] as const) expect(report.metrics[key], key).toBeNaN();
    expect(report.warnings.join('\n')).toMatch(/every class has one sample \(N = K = 6\): .*within-class variability is undefined/);
    expect(report.perClass!.variances!.every(Number.isNaN)).toBe(true);
    expect(report.perClass!.nc1PerClass!.every(Number.isNaN)).toBe(true);
    // The means' geometry is still measured: the class means are the samples.
    expect(report.metrics.equiangularityMeans).toBeGreaterThan(0);
    expect(report.degenerate).toBe(false);
    expect(JSON.parse(JSON.stringify(report)).metrics.nc1).toBeNull();
  });
  it('some singleton classes among others: the pooled metrics stay defined (the other classes carry the variability)', async () => {
    const labels = Int32Array.from([0, 0, 1, 1, 2, 3, 3]);
    const features = Float64Array.from({ length: labels.length * 3 }, (_, i) => Math.sin(i * 1.7) + (i % 3 === 0 ? labels[Math.floor(i / 3)] : 0));
    const { report } = await analyze([{ features, labels }]);
    expect(report.metrics.nc1).toBeGreaterThan(0);
    expect(report.warnings.join('\n')).not.toMatch(/one sample/);
  });
});

describe('degenerate classifier', () => {
  const ds = makeCase(5, { N: 120, D: 8, K: 4 });
  const batches = [{ features: ds.features, labels: ds.labels }];
  for (const [name, weights, reason] of [
    ['all-zero W', new Float64Array(4 * 8), /every classifier row is zero/],
    ['identical rows', Float64Array.from({ length: 32 }, (_, i) => (i % 8) - 3.5), /all 4 classifier rows are identical/],
  ] as const) {
    it(`${name}: flagged degenerate (the classifier), its geometry metrics NaN, UNC3 and NC0 no longer 0`, async () => {
      const { report } = await analyze(batches, { classifier: { weights } });
      expect(report.degenerate).toBe(true);
      expect(report.degenerateParts).toEqual(['classifier']);
      expect(report.warnings.join('\n')).toMatch(new RegExp(`degenerate classifier: ${reason.source}`));
      for (const key of ['equinormWeights', 'equiangularityWeights', 'maxAngleWeights', 'etfErrorWeights', 'nc3SelfDuality', 'nc3Zhu', 'unc3', 'unc3Cos', 'nc0', 'orthoFrameWeights'] as const) {
        expect(report.metrics[key], key).toBeNaN();
      }
      // The means are fine, and the classifier's decisions are reported as what it does.
      expect(report.metrics.nc1).toBeGreaterThan(0);
      expect(report.metrics.classifierAccuracy).toBeGreaterThanOrEqual(0);
      expect(report.perClass!.cosineWeights!.flat().every(Number.isNaN)).toBe(true);
    });
  }
  it('a proper classifier is not flagged', async () => {
    const { report } = await analyze(batches, { classifier: { weights: ds.W!, bias: ds.b } });
    expect(report.degenerate).toBe(false);
    expect(report.degenerateParts).toBeUndefined();
    expect(report.metrics.unc3).toBeGreaterThan(0);
  });
});
