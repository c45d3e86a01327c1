/**
 * Issue 14: "metrics identical to today's on the golden sets and reference tests (≤ 1e-9 relative change), whichever
 * space or engine is chosen". fixtures/before-issue-14.json holds the reports the code before issue 14 (commit
 * dac431a, K × K statistics and the K × K eigendecomposition) gave on the golden sets and two synthetic sets (D < K and
 * K < D); here every space × spectral route × tile size must reproduce them. fixtures/statistics-v1-imbalanced.json is
 * a version-1 statistics file that code wrote (with report-v1-imbalanced.json, the report it printed): it must still
 * parse and give the same report.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyze, computeReport, mulberry32, parseNpy, parseStatistics, serializeStatistics, type NcReport, type PresetName } from '@ncscope/core';

const here = dirname(fileURLToPath(import.meta.url));
const before = JSON.parse(readFileSync(join(here, 'fixtures/before-issue-14.json'), 'utf8')) as Record<string, {
  N: number; D: number; K: number; rank: number; pinvCutoff: number; metrics: Record<string, number>; perClass: Record<string, number[]>;
}>;
const golden = join(here, '../../../test/fixtures/golden');

/** Verbatim copy of the generator in the script that wrote the fixture (mulberry32, Box–Muller). */
function synthetic(seed: number, N: number, D: number, K: number) {
  const u = mulberry32(seed);
  const g = () => { let x = 0; while (x === 0) x = u(); return Math.sqrt(-2 * Math.log(x)) * Math.cos(2 * Math.PI * u()); };
  const means = Float64Array.from({ length: K * D }, () => g());
  const features = new Float64Array(N * D);
  const labels = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const y = (i * 7) % K;
    labels[i] = y;
    for (let t = 0; t < D; t++) features[i * D + t] = 2 + means[y * D + t] + 0.6 * g();
  }
  const weights = Float64Array.from({ length: K * D }, (_, i) => means[i] + 0.3 * g());
  const bias = Float64Array.from({ length: K }, () => 0.1 * g());
  return { features, labels, classifier: { weights, bias } };
}

function inputs(name: string) {
  if (name === 'balanced' || name === 'imbalanced') {
    const npy = (f: string) => parseNpy(new Uint8Array(readFileSync(join(golden, name, f)))).data;
    // The fixture was computed from float64 copies of the golden features (the old portable path projected float32
    // features on float32-rounded means, a 1e-8 relative error the current all-float64 portable kernel no longer has).
    return { features: Float64Array.from(npy('features.npy') as Float32Array), labels: npy('labels.npy') as Int32Array, classifier: { weights: npy('weights.npy') as Float32Array, bias: npy('bias.npy') as Float32Array } };
  }
  return name === 'D<K' ? synthetic(3, 1200, 20, 60) : synthetic(4, 900, 48, 30);
}

/** ≤ 1e-9 relative; quantities whose value is ~0 (a mismatch rate of 0, cosines of an ETF) get a 1e-13 floor. */
function expectSame(got: NcReport, want: (typeof before)[string], where: string): void {
  expect([got.N, got.D, got.K, got.rank], where).toEqual([want.N, want.D, want.K, want.rank]);
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-13);
  expect(rel(got.conventions.pinvCutoff, want.pinvCutoff), `${where}: pinvCutoff`).toBeLessThanOrEqual(1e-9);
  // Every metric the pre-issue-14 code reported is still there (later issues added more, compared elsewhere).
  expect(Object.keys(got.metrics), where).toEqual(expect.arrayContaining(Object.keys(want.metrics)));
  for (const [k, v] of Object.entries(want.metrics)) {
    expect(rel((got.metrics as Record<string, number>)[k], v), `${where}: ${k} ${(got.metrics as Record<string, number>)[k]} vs ${v}`).toBeLessThanOrEqual(1e-9);
  }
  for (const [k, v] of Object.entries(want.perClass)) {
    const g = (got.perClass as unknown as Record<string, number[]>)[k];
    v.forEach((x, i) => expect(rel(g[i], x), `${where}: perClass.${k}[${i}]`).toBeLessThanOrEqual(1e-9));
  }
}

describe('metrics equal the pre-issue-14 reports to 1e-9', { timeout: 120_000 }, () => {
  const variants = [
    { label: 'defaults' },
    { label: "scatter in 'means' space", space: 'means' as const },
    { label: "scatter in 'features' space", space: 'features' as const },
    { label: 'eigen route', spectralRoute: 'eigen' as const },
    { label: 'pair tiles of 7 rows', pairTile: 7 },
  ];
  for (const key of Object.keys(before)) {
    const [set, preset] = key.split('/');
    it(`${set}, preset ${preset}`, async () => {
      const { features, labels, classifier } = inputs(set);
      for (const { label, ...v } of variants) {
        const { report } = await analyze([{ features, labels }], { classifier, preset: preset as PresetName, ...v });
        expectSame(report, before[key], `${key}, ${label}`);
      }
    });
  }
});

describe('float32 input', () => {
  it('gives the float64 statistics of its values on the portable path: the same report as a float64 copy', async () => {
    for (const set of ['balanced', 'imbalanced']) {
      const npy = (f: string) => parseNpy(new Uint8Array(readFileSync(join(golden, set, f)))).data;
      const f32 = npy('features.npy') as Float32Array;
      const labels = npy('labels.npy') as Int32Array;
      for (const space of ['means', 'features'] as const) {
        const a = (await analyze([{ features: f32, labels }], { space })).report;
        const b = (await analyze([{ features: Float64Array.from(f32), labels }], { space })).report;
        for (const [k, v] of Object.entries(b.metrics)) expect(Math.abs((a.metrics as Record<string, number>)[k] - v), `${set} ${space} ${k}`).toBeLessThanOrEqual(1e-12 * Math.abs(v) + 1e-15);
      }
    }
  });
});

describe('version-1 statistics files', () => {
  it('parse into the same structure and give the report the code that wrote them gave', async () => {
    const text = readFileSync(join(here, 'fixtures/statistics-v1-imbalanced.json'), 'utf8');
    expect(JSON.parse(text).version).toBe(1);
    const v1 = parseStatistics(text, 'v1.json');
    expect(v1.spread!.space).toBe('means');
    expect(v1.spread!.perClassNc1).toBeUndefined();
    const { classifier } = inputs('imbalanced');
    const report = await computeReport(v1.means, v1.spread, { classifier });
    const printed = JSON.parse(readFileSync(join(here, 'fixtures/report-v1-imbalanced.json'), 'utf8'));
    expectSame(report, { ...printed, pinvCutoff: report.conventions.pinvCutoff, perClass: {} }, 'v1 file');
    expect(report.perClass!.nc1PerClass).toBeUndefined();
    // The same data through the current code: identical statistics where the layouts overlap.
    const { means, spread } = await analyze([{ features: inputs('imbalanced').features, labels: inputs('imbalanced').labels }], { classifier });
    expect(Array.from(v1.means.sums)).toEqual(Array.from(means.sums));
    expect(Array.from(v1.spread!.nccCorrect)).toEqual(Array.from(spread.nccCorrect));
    expect(Array.from(v1.spread!.classifierCorrect!)).toEqual(Array.from(spread.classifierCorrect!));
    // Written back, it is a version-2 file.
    expect(JSON.parse(serializeStatistics(v1)).version).toBe(2);
  });
});
