/**
 * Every metric of `analyze` / `computeReport` against the independent float64 reference (reference.ts), on
 * synthetic data sets chosen to stress the implementation: balanced and imbalanced classes, D < K − 1
 * (rank-deficient Σ_B), D ≫ K, K = 2, features far from the origin, near-collapsed features with tiny spread,
 * classes with no samples — with and without a classifier, for every preset and both global-mean conventions.
 * float64 input must agree to 1e-6 relative, float32 input to 1e-5, each above an absolute floor scaled to the data
 * (helpers.ts, absoluteFloors): a metric whose exact value is 0 cannot be compared relatively.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { analyze, computeReport, type GlobalMeanConvention, type PresetName } from '@ncscope/core';
import { compareWithReference } from './compare.js';
import { batchesOf, makeCase, randomBatchSizes, reportTolerances, rng, type CaseSpec, type Dataset } from './helpers.js';
import { REF_PRESETS, referenceMetrics, type RefConventions, type RefResult } from './reference.js';

const PRESET_NAMES: PresetName[] = ['ncscope', 'papyan', 'rhubarbwu', 'zhu', 'zhou'];
const GLOBAL_MEANS: (GlobalMeanConvention | undefined)[] = [undefined, 'class', 'sample'];

/** The reference conventions for a preset with an optional global-mean override. */
function refConventions(preset: PresetName, globalMean?: GlobalMeanConvention): RefConventions {
  const base = REF_PRESETS[preset as keyof typeof REF_PRESETS];
  return globalMean ? { ...base, globalMean } : base;
}

/** Keys of the reference that exist only with a classifier. */
const CLASSIFIER_KEYS = [
  'equinormWeights', 'equiangularityWeights', 'maxAngleWeights', 'etfErrorWeights', 'nc3SelfDuality', 'nc3Zhu', 'nc4NccMismatch', 'classifierAccuracy',
  'unc3', 'unc3Cos', 'nc0', 'orthoFrameWeights', 'subspaceAlignmentWeights',
];

/**
 * Reference results memoised per data set and conventions (the D × D reference is the slow part). The reference
 * without a classifier is the one with it minus the classifier's quantities (nothing else reads W or b).
 */
function referenceFor(ds: Dataset) {
  const memo = new Map<string, RefResult>();
  return (conv: RefConventions, withClassifier: boolean): RefResult => {
    const key = JSON.stringify(conv);
    let r = memo.get(key);
    if (!r) {
      r = referenceMetrics({ features: ds.features, labels: ds.labels, D: ds.D, K: ds.K, W: ds.W, b: ds.b }, conv);
      memo.set(key, r);
    }
    if (withClassifier) return r;
    const metrics = Object.fromEntries(Object.entries(r.metrics).filter(([k]) => !CLASSIFIER_KEYS.includes(k)));
    const { weightNorms: _w, cosineWeights: _c, ...perClass } = r.perClass;
    const values = Object.fromEntries(Object.entries(r.imbalance.values).filter(([k]) => !k.includes('Weights')));
    return { ...r, metrics, perClass, imbalance: { ...r.imbalance, values } };
  };
}

/**
 * For every preset × global-mean convention: `analyze` with the classifier and those options, and `computeReport`
 * on the statistics of one convention-free pass, with and without the classifier (`analyze` without the
 * classifier once per preset). Each report is compared with the reference.
 */
async function checkAllConventions(ds: Dataset, name: string, rtol: number, tag: string, batchSeed: number): Promise<void> {
  const batches = batchesOf(ds, randomBatchSizes(ds.N, rng(batchSeed)));
  const ref = referenceFor(ds);
  const classifier = { weights: ds.W!, bias: ds.b! };
  // One pass of statistics serves every convention: computeReport re-reads them.
  const withW = await analyze(batches, { classifier, K: ds.K });
  const withoutW = await analyze(batches, { K: ds.K });
  for (const preset of PRESET_NAMES) {
    for (const globalMean of GLOBAL_MEANS) {
      const where = `${name}, preset ${preset}, globalMean ${globalMean ?? '(preset)'}`;
      const conv = refConventions(preset, globalMean);
      const { report } = await analyze(batches, { classifier, K: ds.K, preset, globalMean });
      expect(report.conventions.preset).toBe(preset);
      expect(report.conventions.globalMean).toBe(conv.globalMean);
      expect(report.conventions.nc4Bias).toBe(conv.nc4Bias);
      expect(report.conventions.centreWeights).toBe(conv.centreWeights);
      expect(report.conventions.nc1Normalization).toBe(conv.nc1DivideByK ? 'K' : 'none');
      compareWithReference(report, ref(conv, true), { rtol, where: `${where}, analyze with classifier`, tag, perClassNc1: true, data: ds });
      // The spread pass of `withW` accumulated per-class NC1 for the default (class-uniform) global mean only.
      const samePerClass = conv.globalMean === 'class';
      const again = await computeReport(withW.means, withW.spread, { classifier, preset, globalMean });
      compareWithReference(again, ref(conv, true), { rtol, where: `${where}, computeReport with classifier`, tag, perClassNc1: samePerClass, data: ds });
      if (!samePerClass) expect(again.perClass!.nc1PerClass).toBeUndefined();
      const plain = await computeReport(withoutW.means, withoutW.spread, { preset, globalMean });
      compareWithReference(plain, ref(conv, false), { rtol, where: `${where}, computeReport without classifier`, tag, perClassNc1: samePerClass, data: ds });
      if (globalMean === undefined) {
        const { report: r0 } = await analyze(batches, { K: ds.K, preset });
        compareWithReference(r0, ref(conv, false), { rtol, where: `${where}, analyze without classifier`, tag, perClassNc1: true, data: ds });
      }
    }
  }
  // The same data with the scatter forced into the other space (D × D when K ≤ D, K × K when D < K), with Σ_B⁺
  // forced through the eigendecomposition, and with pair products streamed in tiles of 2 rows: same numbers.
  for (const preset of ['ncscope', 'zhou'] as const) {
    const conv = refConventions(preset);
    const other = ds.K <= ds.D ? 'features' : 'means';
    const variants = [
      { space: other, label: `scatter in '${other}' space` },
      { spectralRoute: 'eigen' as const, label: 'eigen route' },
      { space: other, spectralRoute: 'eigen' as const, label: `'${other}' space, eigen route` },
      { pairTile: 2, label: 'pair tiles of 2 rows' },
    ];
    for (const { label, ...v } of variants) {
      const { report } = await analyze(batches, { classifier, K: ds.K, preset, ...v });
      compareWithReference(report, ref(conv, true), { rtol, where: `${name}, preset ${preset}, ${label}`, tag, perClassNc1: true, data: ds });
    }
  }
}

interface NamedCase extends CaseSpec { name: string; seeds: number[] }

const CASES: NamedCase[] = [
  { name: 'balanced N=300 D=12 K=5', N: 300, D: 12, K: 5, seeds: [1, 2, 3] },
  { name: 'imbalanced N=400 D=10 K=6', N: 400, D: 10, K: 6, sizes: 'imbalanced', seeds: [4, 5, 6] },
  { name: 'D < K−1: N=240 D=3 K=8', N: 240, D: 3, K: 8, seeds: [7, 8] },
  { name: 'D = K−1: N=150 D=4 K=5', N: 150, D: 4, K: 5, sizes: 'imbalanced', seeds: [9] },
  { name: 'D ≫ K: N=80 D=64 K=3', N: 80, D: 64, K: 3, seeds: [10, 11] },
  { name: 'K = 2: N=60 D=6', N: 60, D: 6, K: 2, seeds: [12, 13] },
  { name: 'K = 2, D = 1: N=40', N: 40, D: 1, K: 2, sizes: 'imbalanced', seeds: [14] },
  { name: 'offset 1e4: N=200 D=8 K=4', N: 200, D: 8, K: 4, offset: 1e4, seeds: [15, 16] },
  { name: 'near-collapsed (spread 1e-7): N=150 D=8 K=5', N: 150, D: 8, K: 5, spread: 1e-7, seeds: [17] },
    // Spread 1e-12 of the offset: E‖h‖² − ‖μ‖² would lose every digit here; a centred computation keeps ~1e-8.
  { name: 'near-collapsed far out (spread 1e-8, offset 1e4): N=150 D=8 K=5', N: 150, D: 8, K: 5, spread: 1e-8, offset: 1e4, seeds: [18, 19] },
  { name: 'empty classes 1, 4: N=200 D=9 K=6', N: 200, D: 9, K: 6, emptyClasses: [1, 4], seeds: [20] },
  { name: 'large scale 1e6: N=120 D=7 K=4', N: 120, D: 7, K: 4, meanScale: 1e6, spread: 3e5, seeds: [21] },
];

// Generous timeouts: the machine is shared; these are not timing tests.
describe('float64 input matches the reference to 1e-6 relative', { timeout: 60_000 }, () => {
  for (const c of CASES) {
    for (const seed of c.seeds) {
      it(`${c.name} (seed ${seed})`, async () => {
        await checkAllConventions(makeCase(seed, c), `${c.name} seed ${seed}`, 1e-6, 'f64', seed + 1000);
      });
    }
  }

  it('random shapes (fast-check, ncscope and zhou presets)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          K: fc.integer({ min: 2, max: 7 }),
          D: fc.integer({ min: 1, max: 14 }),
          perClass: fc.integer({ min: 2, max: 25 }),
          imbalanced: fc.boolean(),
          offset: fc.constantFrom(0, 5, -300),
        }),
        async ({ seed, K, D, perClass, imbalanced, offset }) => {
          const ds = makeCase(seed, { N: K * perClass, D, K, sizes: imbalanced ? 'imbalanced' : 'balanced', offset });
          const batches = batchesOf(ds, randomBatchSizes(ds.N, rng(seed ^ 0x5bd1)));
          for (const preset of ['ncscope', 'zhou'] as const) {
            const { report } = await analyze(batches, { classifier: { weights: ds.W!, bias: ds.b! }, preset });
            const ref = referenceMetrics({ features: ds.features, labels: ds.labels, D, K, W: ds.W, b: ds.b }, REF_PRESETS[preset]);
            compareWithReference(report, ref, { rtol: 1e-6, where: `random K=${K} D=${D} seed=${seed} ${preset}`, tag: 'f64', data: ds });
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('rank Σ_B never exceeds D: K = 3, D = 2 far from the origin under a sample-weighted μ_G (found by the property above: NC1 was −7e11)', async () => {
    // The K × K Gram of the centred means has a third eigenvalue of rounding noise that sat just above the relative
    // cutoff; dividing by it gave NC1 ≈ −7·10¹¹. Σ_B = M̃ᵀM̃/K has rank ≤ D, so at most D eigenvalues are kept.
    const seed = 2;
    const ds = makeCase(seed, { N: 6, D: 2, K: 3, sizes: 'imbalanced', offset: -300 });
    const batches = batchesOf(ds, randomBatchSizes(ds.N, rng(seed ^ 0x5bd1)));
    for (const preset of ['ncscope', 'zhu', 'zhou'] as const) {
      const { report } = await analyze(batches, { classifier: { weights: ds.W!, bias: ds.b! }, preset });
      expect(report.rank, preset).toBeLessThanOrEqual(2);
      expect(report.metrics.nc1!, preset).toBeGreaterThan(0);
      const ref = referenceMetrics({ features: ds.features, labels: ds.labels, D: 2, K: 3, W: ds.W, b: ds.b }, REF_PRESETS[preset]);
      compareWithReference(report, ref, { rtol: 1e-6, where: `K=3 D=2 offset −300 ${preset}`, tag: 'f64', data: ds });
    }
  });

  afterAll(() => reportTolerances('float64 input vs reference'));
});

describe('float32 input matches the reference to 1e-5 relative', { timeout: 60_000 }, () => {
  const F32: NamedCase[] = [
    { name: 'balanced N=300 D=12 K=5', N: 300, D: 12, K: 5, seeds: [31, 32] },
    { name: 'imbalanced N=400 D=10 K=6', N: 400, D: 10, K: 6, sizes: 'imbalanced', seeds: [33] },
    { name: 'D < K−1: N=240 D=3 K=8', N: 240, D: 3, K: 8, seeds: [34] },
    { name: 'D ≫ K: N=80 D=64 K=3', N: 80, D: 64, K: 3, seeds: [35] },
    { name: 'K = 2: N=60 D=6', N: 60, D: 6, K: 2, seeds: [36] },
    { name: 'offset 1e4: N=200 D=8 K=4', N: 200, D: 8, K: 4, offset: 1e4, seeds: [37] },
    { name: 'near-collapsed (spread 1e-4): N=150 D=8 K=5', N: 150, D: 8, K: 5, spread: 1e-4, seeds: [38] },
  ];
  for (const c of F32) {
    for (const seed of c.seeds) {
      it(`${c.name} (seed ${seed})`, async () => {
        const ds = makeCase(seed, { ...c, f32: true });
        expect(ds.features).toBeInstanceOf(Float32Array);
        await checkAllConventions(ds, `f32 ${c.name} seed ${seed}`, 1e-5, 'f32', seed + 2000);
      });
    }
  }
  afterAll(() => reportTolerances('float32 input vs reference'));
});
