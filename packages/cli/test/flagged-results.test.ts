/**
 * Results a data set does not define are said in words: the imbalance block when no class is a minority (it
 * printed "NaN ± NaN" and "norms NaN"), a degenerate classifier's headline, and a head given multi-hot labels (it
 * said "rows have D = 2 features, earlier batches had D = 8").
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseNpy } from '@ncscope/core';
import { GOLDEN, runCli, tempDir } from './helpers/run.js';
import { npyBytes } from '../../io/test/helpers/writers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const file = (set: string, name: string) => join(GOLDEN, set, `${name}.npy`);

describe('imbalance block without a minority', () => {
  it('the table says there is no minority group instead of NaN ± NaN (golden balanced set: sizes 110..127)', async () => {
    const r = await runCli(['analyze', '--features', file('balanced', 'features'), '--labels', file('balanced', 'labels'), '--weights', file('balanced', 'weights'), '--engine', 'js', '--html', join(tmp.dir, 'r.html')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/no class has fewer than 63\.5 samples: no minority group to compare/);
    expect(r.stdout).not.toMatch(/NaN/);
    const html = readFileSync(join(tmp.dir, 'r.html'), 'utf8');
    expect(html).toMatch(/no class has fewer than 63\.5 samples: no minority group to compare/);
    expect(html).not.toMatch(/n\/a ± n\/a/);
  });
  it('with a minority of one class: "one class (no pairs)" for its cosines, numbers for the rest', async () => {
    // Class sizes 276, 218, 160, 120, 66, 60: below 61 only class 5.
    const r = await runCli(['analyze', '--features', file('imbalanced', 'features'), '--labels', file('imbalanced', 'labels'), '--engine', 'js', '--minority-below', '61']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/minority = n_k < 61 \(given\): \[5\]/);
    expect(r.stdout).toMatch(/cos\(μ̃_k, μ̃_l\)\s+one class \(no pairs\)\s+-?[\d.]+ ± [\d.]+\s+norms [\d.]+/);
    expect(r.stdout).not.toMatch(/NaN/);
  });
});

describe('degenerate classifier', () => {
  it('an all-zero classifier: a headline, its metrics NaN, and --strict fails naming the classifier', async () => {
    const zero = tmp.write('zero.npy', npyBytes(new Array(5 * 12).fill(0), { descr: '<f4', shape: [5, 12] }));
    const args = ['analyze', '--features', file('balanced', 'features'), '--labels', file('balanced', 'labels'), '--weights', zero, '--engine', 'js'];
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/DEGENERATE CLASSIFIER: its rows are zero or identical/);
    expect(r.stdout).not.toMatch(/DEGENERATE GEOMETRY: the class means coincide/);
    expect(r.stdout).toMatch(/warning: degenerate classifier: every classifier row is zero/);
    expect(r.stdout).toMatch(/UNC3\s+NaN/);
    const json = JSON.parse((await runCli([...args, '--json'])).stdout);
    expect([json.degenerate, json.degenerateParts, json.metrics.unc3, json.metrics.nc0]).toEqual([true, ['classifier'], null, null]);
    const strict = await runCli([...args, '--strict']);
    expect(strict.code).toBe(3);
    expect(strict.stderr).toMatch(/--strict: degenerate geometry \(the classifier rows are zero or identical; this is not collapse\)/);
  });
});

describe('head with multi-hot labels', () => {
  it('is refused naming the labels file, their shape and what a head needs', async () => {
    const r = await runCli(['head', '--features', join(GOLDEN, 'multilabel', 'features.npy'), '--labels', join(GOLDEN, 'multilabel', 'labels.npy'), '--out-weights', join(tmp.dir, 'w.npy')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ncscope: error: \S*labels\.npy: labels have shape \(1200, 4\) \(multi-hot rows, K = 4 columns\); the least-squares head needs one class index per sample/);
    expect(r.stderr).not.toMatch(/earlier batches/);
  });
});

describe('head errors name their file', () => {
  it('a NaN feature and a singular solve (--lambda 0 on constant features) start with the features file', async () => {
    const N = 20;
    const D = 4;
    const withNaN = Array.from({ length: N * D }, (_, i) => (i === 13 ? NaN : Math.sin(i)));
    const nan = tmp.write('nan.npy', npyBytes(withNaN, { descr: '<f4', shape: [N, D] }));
    const constant = tmp.write('const.npy', npyBytes(new Array(N * D).fill(1), { descr: '<f4', shape: [N, D] }));
    const y = tmp.write('y.npy', npyBytes(Array.from({ length: N }, (_, i) => i % 3), { descr: '<i4', shape: [N] }));
    const a = await runCli(['head', '--features', nan, '--labels', y, '--out-weights', join(tmp.dir, 'w1.npy')]);
    expect([a.code, a.stderr]).toEqual([2, `ncscope: error: ${nan}: row 3, column 1: value NaN is not finite\n`]);
    const b = await runCli(['head', '--features', constant, '--labels', y, '--out-weights', join(tmp.dir, 'w2.npy'), '--lambda', '0']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(new RegExp(`^ncscope: error: ${constant.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: least-squares classifier: with lambda = 0 `));
  });
});

describe('onnx: a reshape to another rank is said', () => {
  const fx = (name: string) => join(GOLDEN, '..', '..', '..', 'packages', 'onnx', 'test', 'fixtures', name);
  it('an N × 5 × 2 input for a [batch, 10] model: a warning names the reshape and the NHWC/NCHW risk; the same rank: none', async () => {
    const x = goldenArrayOf(fx('mlp-inputs.npy'));
    const threeD = tmp.write('x3d.npy', npyBytes(Array.from(x.data as ArrayLike<number>), { descr: '<f4', shape: [x.header.shape[0], 5, 2] }));
    const run = async (inputs: string) => JSON.parse((await runCli(['onnx', fx('mlp-epoch01.onnx'), '--inputs', inputs, '--labels', fx('mlp-labels.npy'), '--json', '--engine', 'js'])).stdout);
    const reshaped = await run(threeD);
    expect(reshaped.checkpoints[0].warnings.join('\n')).toMatch(/inputs \S*x3d\.npy of shape \[120, 5, 2\] were reshaped to \[N, 10\] for model input "\w+" \(row-major, as NumPy's reshape\); if they are laid out otherwise \(channels last for a channels-first model\), transpose them first/);
    const plain = await run(fx('mlp-inputs.npy'));
    expect(plain.checkpoints[0].warnings.join('\n')).not.toMatch(/reshaped/);
    expect(reshaped.checkpoints[0].metrics).toEqual(plain.checkpoints[0].metrics);
  });
});

function goldenArrayOf(path: string) {
  return parseNpy(new Uint8Array(readFileSync(path)), path);
}
