import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOLDEN, camel, goldenExpected, runCli } from './helpers/run.js';

const files = (set: string) => ['--features', join(GOLDEN, set, 'features.npy'), '--labels', join(GOLDEN, set, 'labels.npy'), '--weights', join(GOLDEN, set, 'weights.npy'), '--bias', join(GOLDEN, set, 'bias.npy')];

async function analyzeJson(args: string[]) {
  const r = await runCli(['analyze', ...args, '--json', '--engine', 'js']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

function expectClose(actual: number, expected: number, what: string) {
  const scale = Math.max(Math.abs(expected), 1e-12);
  expect(Math.abs(actual - expected) / scale, `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-6);
}

/** Compares every expected key (snake_case) with the CLI's JSON (N, D, K, rank at the top, the rest in metrics). */
function compare(json: any, expected: Record<string, number>) {
  let compared = 0;
  for (const [key, value] of Object.entries(expected)) {
    if (['N', 'D', 'K', 'rank'].includes(key)) {
      expect(json[key], key).toBe(value);
    } else {
      expect(json.metrics, key).toHaveProperty(camel(key));
      expectClose(json.metrics[camel(key)], value, key);
    }
    compared++;
  }
  expect(compared).toBeGreaterThan(10);
}

describe('ncscope analyze --json on the golden feature sets', () => {
  for (const set of ['balanced', 'imbalanced'] as const) {
    it(`${set}: default conventions equal expected-class-mean.json`, async () => {
      const json = await analyzeJson(files(set));
      compare(json, goldenExpected(set, 'class-mean'));
      expect(json.conventions.globalMean).toBe('class');
      expect(json.engine).toBe('js');
    });

    it(`${set}: --global-mean sample equals expected-sample-mean.json`, async () => {
      const json = await analyzeJson([...files(set), '--global-mean', 'sample']);
      compare(json, goldenExpected(set, 'sample-mean'));
      expect(json.conventions.globalMean).toBe('sample');
    });

    it(`${set}: --preset rhubarbwu equals what rhubarbwu/neural-collapse returned (shared keys)`, async () => {
      const json = await analyzeJson([...files(set), '--preset', 'rhubarbwu']);
      const r = goldenExpected(set, 'rhubarbwu');
      for (const key of ['nc1', 'nc1_quotient', 'cdnv', 'etf_error_means', 'nc3_zhu']) expectClose(json.metrics[camel(key)], r[key], key);
      // The library's GNC2 kernels (float32 grid), UNC3 and NC1 "svd" form.
      for (const key of Object.keys(r).filter((k) => /^(gnc2_|unc3|nc1_svd)/.test(k))) expectClose(json.metrics[camel(key)], r[key], key);
      // rhubarbwu's NCC/classifier agreement ignores the bias; the preset's NC4 does the same.
      expectClose(1 - json.metrics.nc4NccMismatch, r.ncc_agreement_nobias, 'ncc_agreement_nobias');
      expect(json.conventions.preset).toBe('rhubarbwu');
      expect(json.conventions.nc4Bias).toBe(false);
    });
  }

  it('prints exactly the documented top-level keys, and the metric keys the issue lists', async () => {
    const json = await analyzeJson(files('balanced'));
    // The balanced set's class sizes come from a random draw (not exactly equal): it has an imbalance section.
    expect(Object.keys(json).sort()).toEqual(['D', 'K', 'N', 'conventions', 'degenerate', 'engine', 'imbalance', 'inputs', 'metrics', 'perClass', 'rank', 'schema', 'timing', 'warnings'].sort());
    expect(json.degenerate).toBe(false);
    const required = ['nc1', 'nc1Quotient', 'cdnv', 'equinormMeans', 'equiangularityMeans', 'maxAngleMeans', 'etfErrorMeans', 'equinormWeights', 'equiangularityWeights', 'maxAngleWeights', 'etfErrorWeights', 'nc3SelfDuality', 'nc3Zhu', 'nc4NccMismatch', 'nccAccuracy'];
    for (const k of required) expect(typeof json.metrics[k], k).toBe('number');
    expect(Object.keys(json.timing).sort()).toEqual(['computeSeconds', 'means', 'read', 'readSeconds', 'report', 'seconds', 'setup', 'spread']);
    for (const phase of ['read', 'means', 'setup', 'spread', 'report', 'seconds'] as const) expect(json.timing[phase]).toBeGreaterThanOrEqual(0);
    expect(json.timing.readSeconds).toBe(json.timing.read);
    expect(json.timing.readSeconds).toBeGreaterThanOrEqual(0);
    expect(json.timing.computeSeconds).toBeGreaterThanOrEqual(0);
    expect(json.perClass.counts.reduce((a: number, b: number) => a + b, 0)).toBe(600);
    expect(json.schema).toBe('ncscope.report/1');
  });

  it('without weights: only the feature metrics (no W, NC3 or NC4 keys), nccAccuracy still there', async () => {
    const json = await analyzeJson(['--features', join(GOLDEN, 'balanced', 'features.npy'), '--labels', join(GOLDEN, 'balanced', 'labels.npy')]);
    for (const k of ['equinormWeights', 'nc3SelfDuality', 'nc3Zhu', 'nc4NccMismatch']) expect(json.metrics).not.toHaveProperty(k);
    expectClose(json.metrics.nc1, goldenExpected('balanced', 'class-mean').nc1, 'nc1');
    expect(json.metrics.nccAccuracy).toBe(1);
  });

  it('the table names every metric with its value', async () => {
    const r = await runCli(['analyze', ...files('balanced'), '--engine', 'js']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const nc1 = goldenExpected('balanced', 'class-mean').nc1;
    expect(r.stdout).toMatch(new RegExp(`NC1 +${nc1.toPrecision(6).replace('.', '\\.')}`));
    for (const label of ['NC1 quotient', 'CDNV', 'NC2 equinorm', 'NC2 ETF error W', 'NC3 self-duality', 'NC3 (Zhu)', 'NC4', 'NCC accuracy']) expect(r.stdout).toContain(label);
    expect(r.stdout).toContain('N = 600 samples, D = 12 features, K = 5 classes, rank Σ_B = 4');
    expect(r.stdout).toMatch(/engine js · read [\d.]+ s · compute [\d.]+ s/);
  });

  it('--engine onnxruntime gives the same numbers (float32 products), and auto picks js for small inputs', async () => {
    const r = await runCli(['analyze', ...files('imbalanced'), '--json', '--engine', 'onnxruntime']);
    expect(r.stderr).toBe('');
    const onnx = JSON.parse(r.stdout);
    expect(onnx.engine).toBe('onnxruntime');
    compare(onnx, goldenExpected('imbalanced', 'class-mean'));
    const auto = await runCli(['analyze', ...files('imbalanced')]);
    expect(auto.stdout).toMatch(/engine js \(auto: small input, [\d.e+]+ multiply-adds\)/);
  });
});
