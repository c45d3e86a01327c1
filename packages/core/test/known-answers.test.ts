/**
 * Known answers: (1) an exact simplex ETF with zero within-class spread and a self-dual classifier, where every
 * collapse metric is 0 and NCC accuracy 1; (2) the golden files in test/fixtures/golden, whose values an
 * independent float64 implementation and the rhubarbwu/neural-collapse library computed. The test reference
 * (reference.ts) is checked against the golden files too, so the reference itself is anchored.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze, parseNpy, type NcMetrics } from '@ncscope/core';
/** float32 rounding of O(1) kernel values summed over the library's float32 grid. */
const FLOAT32_GRID_FLOOR = 1e-6;
import { absoluteFloors, expectRel, floorOf, gaussian, reportTolerances, rng, shuffle, simplexEtf } from './helpers.js';
import { REF_PRESETS, referenceMetrics } from './reference.js';

interface EtfCase { K: number; D: number; sizes: number[]; globalMean: 'class' | 'sample' }

describe('exact simplex ETF with zero within-class spread', () => {
  const cases: EtfCase[] = [];
  for (const K of [2, 3, 5, 10]) {
    for (const D of [K - 1, K, K + 6]) {
      if (D < 1) continue;
      const balanced = Array.from({ length: K }, () => 4);
      // Imbalanced classes keep the ETF only under the class-uniform global mean.
      const imbalanced = Array.from({ length: K }, (_, k) => 1 + 3 * k);
      cases.push({ K, D, sizes: balanced, globalMean: 'sample' }, { K, D, sizes: balanced, globalMean: 'class' }, { K, D, sizes: imbalanced, globalMean: 'class' });
    }
  }
  for (const c of cases) {
    it(`K=${c.K} D=${c.D} sizes ${c.sizes.join(',')} globalMean ${c.globalMean}: every collapse metric is 0`, async () => {
      const u = rng(c.K * 1000 + c.D * 10 + c.sizes[c.K - 1]);
      const etf = simplexEtf(c.K, c.D, 3, u);
      const offset = Array.from({ length: c.D }, () => 5 * (u() - 0.5));
      const labels = shuffle(c.sizes.flatMap((n, k) => Array.from({ length: n }, () => k)), u);
      const N = labels.length;
      const features = new Float64Array(N * c.D);
      labels.forEach((y, i) => { for (let t = 0; t < c.D; t++) features[i * c.D + t] = etf[y][t] + offset[t]; });
      // W = the centred means; b cancels the offset so the logits are W μ̃_y (largest at y).
      const weights = Float64Array.from(etf.flat());
      const bias = Float64Array.from(etf, (w) => -w.reduce((s, x, t) => s + x * offset[t], 0));
      const { report } = await analyze([{ features, labels: Int32Array.from(labels) }], { classifier: { weights, bias }, globalMean: c.globalMean });
      const m = report.metrics;
      const zeros: (keyof NcMetrics)[] = [
        'nc1', 'nc1Quotient', 'cdnv', 'equinormMeans', 'equiangularityMeans', 'maxAngleMeans', 'etfErrorMeans',
        'equinormWeights', 'equiangularityWeights', 'maxAngleWeights', 'etfErrorWeights', 'nc3SelfDuality', 'nc3Zhu', 'nc4NccMismatch',
      ];
      for (const key of zeros) {
        expect(m[key], key).toBeTypeOf('number');
        expect(Math.abs(m[key]!), key).toBeLessThan(1e-12);
      }
      expect(m.nccAccuracy).toBe(1);
      expect(m.classifierAccuracy).toBe(1);
      expect(report.rank).toBe(c.K - 1);
      // Every off-diagonal cosine is −1/(K − 1), every centred-mean norm equal.
      for (let a = 0; a < c.K; a++) for (let b = 0; b < c.K; b++) {
        expect(report.perClass.cosineMeans[a][b]).toBeCloseTo(a === b ? 1 : -1 / (c.K - 1), 12);
      }
      for (const n of report.perClass.meanNorms) expect(n).toBeCloseTo(report.perClass.meanNorms[0], 12);
      expect(report.warnings).toEqual([]);
    });
  }

  it('the same ETF with an imbalanced sample-weighted global mean is not an ETF (the check can fail)', async () => {
    const K = 4;
    const D = 5;
    const etf = simplexEtf(K, D, 1, rng(99));
    const sizes = [1, 2, 5, 12];
    const labels = sizes.flatMap((n, k) => Array.from({ length: n }, () => k));
    const features = Float64Array.from(labels.flatMap((y) => etf[y]));
    const { report } = await analyze([{ features, labels: Int32Array.from(labels) }], { globalMean: 'sample' });
    expect(report.metrics.equinormMeans).toBeGreaterThan(0.1);
    expect(report.metrics.etfErrorMeans).toBeGreaterThan(0.1);
    expect(Math.abs(report.metrics.nc1!)).toBeLessThan(1e-12);
  });
});

// ---------------------------------------------------------------------------------------------------------------

const GOLDEN = new URL('../../../test/fixtures/golden/', import.meta.url);
const npy = (set: string, name: string) => parseNpy(new Uint8Array(readFileSync(new URL(`${set}/${name}.npy`, GOLDEN))), `${set}/${name}.npy`);
const json = (set: string, name: string): Record<string, number> => JSON.parse(readFileSync(new URL(`${set}/${name}.json`, GOLDEN), 'utf8'));
const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

describe.each(['balanced', 'imbalanced'])('golden set %s', (set) => {
  const features = npy(set, 'features');
  const labels = npy(set, 'labels');
  const weights = npy(set, 'weights').data as Float32Array;
  const bias = npy(set, 'bias').data as Float32Array;
  const [N, D] = features.header.shape;
  const batches = [{ features: features.data as Float32Array, labels: labels.data as Int32Array }];
  const classifier = { weights, bias };

  it('reads the fixtures as float32 features, integer labels, K × D weights', () => {
    expect(features.data).toBeInstanceOf(Float32Array);
    expect(labels.header.dtype).toBe('i8');
    expect(labels.data.length).toBe(N);
    expect(weights.length % D).toBe(0);
  });

  const batches64 = [{ features: Float64Array.from(features.data), labels: labels.data as Int32Array }];
  for (const [file, globalMean] of [['expected-class-mean', 'class'], ['expected-sample-mean', 'sample']] as const) {
    it(`${file}.json: every key, default preset with globalMean ${globalMean}, features widened to float64`, async () => {
      const expected = json(set, file);
      const { report } = await analyze(batches64, { classifier, globalMean });
      const floors = absoluteFloors(features.data, D, report.perClass.meanNorms);
      expect(report.rank).toBe(expected.rank);
      for (const [key, value] of Object.entries(expected)) {
        if (['N', 'D', 'K', 'rank'].includes(key)) continue;
        expectRel(`golden f64 ${camel(key)}`, report.metrics[camel(key) as keyof NcMetrics], value, 1e-9, floorOf(camel(key), floors), `${set} ${file}`);
      }
    });

    it(`${file}.json: every key, default preset with globalMean ${globalMean}`, async () => {
      const expected = json(set, file);
      const { report } = await analyze(batches, { classifier, globalMean });
      const floors = absoluteFloors(features.data, D, report.perClass.meanNorms);
      for (const [key, value] of Object.entries(expected)) {
        if (key === 'N' || key === 'D' || key === 'K' || key === 'rank') {
          expect(report[key], key).toBe(value);
          continue;
        }
        const got = report.metrics[camel(key) as keyof NcMetrics];
        expect(got, `metric ${camel(key)} for ${key}`).toBeTypeOf('number');
        // float32 features: the spread products run on float32 residuals, so NC1 carries ~1e-8 relative rounding.
        expectRel(`golden ${camel(key)}`, got, value, 1e-6, floorOf(camel(key), floors), `${set} ${file}`);
      }
    });

    it(`${file}.json: the test reference agrees too`, () => {
      const expected = json(set, file);
      const ref = referenceMetrics({ features: features.data, labels: labels.data, D, K: weights.length / D, W: weights, b: bias }, { ...REF_PRESETS.ncscope, globalMean });
      expect(ref.rank).toBe(expected.rank);
      const floors = absoluteFloors(features.data, D, ref.perClass.meanNorms);
      for (const [key, value] of Object.entries(expected)) {
        if (['N', 'D', 'K', 'rank'].includes(key)) continue;
        expectRel(`golden (reference.ts) ${camel(key)}`, ref.metrics[camel(key)], value, 1e-8, floorOf(camel(key), floors), `${set} ${file}`);
      }
    });
  }

  it('expected-rhubarbwu.json: the rhubarbwu preset reproduces that library, GNC2 kernels and UNC3 included (nc4 = 1 − ncc_agreement_nobias)', async () => {
    const expected = json(set, 'expected-rhubarbwu');
    const { report } = await analyze(batches, { classifier, preset: 'rhubarbwu' });
    const floors = absoluteFloors(features.data, D, report.perClass.meanNorms);
    expect(report.conventions.nc4Bias).toBe(false);
    expect(report.conventions.kernelPrecision).toBe('float32');
    const keys = Object.keys(expected);
    expect(keys.sort()).toEqual([
      'cdnv', 'etf_error_means', 'gnc2_dist_mean', 'gnc2_dist_var', 'gnc2_log_mean', 'gnc2_log_var', 'gnc2_riesz_mean', 'gnc2_riesz_var',
      'nc1', 'nc1_quotient', 'nc1_svd', 'nc3_zhu', 'ncc_agreement_nobias', 'unc3', 'unc3_cos',
    ]);
    for (const key of keys) {
      const [name, value] = key === 'ncc_agreement_nobias' ? ['nc4NccMismatch', 1 - expected[key]] : [camel(key), expected[key]];
      // rhubarbwu accumulates its CDNV variances differently (≈ 7e-8 relative) and keeps its kernel grid in float32
      // (the preset rounds each kernel value the same way; its float32 sums differ in the last bits): 1e-6 relative,
      // and for the kernels an absolute floor at float32 resolution (FLOAT32_GRID_FLOOR).
      expectRel(`golden rhubarbwu ${name}`, report.metrics[name as keyof NcMetrics], value, 1e-6, name.startsWith('gnc2') ? FLOAT32_GRID_FLOOR : floorOf(name, floors), set);
    }
  });

  it('GNC2 in float64 (the default preset) stays within float32 rounding of the library\'s float32 grid', async () => {
    const expected = json(set, 'expected-rhubarbwu');
    const { report } = await analyze(batches, { classifier, preset: 'rhubarbwu', kernelPrecision: 'float64' });
    for (const key of Object.keys(expected).filter((k) => k.startsWith('gnc2'))) {
      expectRel(`golden rhubarbwu f64 ${camel(key)}`, report.metrics[camel(key) as keyof NcMetrics], expected[key], 1e-5, 0, set);
    }
  });
});

afterAll(() => reportTolerances('golden files'));
