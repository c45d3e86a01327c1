/**
 * `ncscope analyze` on float64 feature files far from the origin or at extreme scales reports the metrics of the
 * stored values (core's working frame, src/statistics/frame.ts in core): ×1e-160 was refused as "overflowed", +1e12
 * reported DEGENERATE with every ratio null. Sizes float64 cannot hold in the features' units are named with the
 * right word.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { goldenArray, runCli, tempDir } from './helpers/run.js';
import { npyBytes } from '../../io/test/helpers/writers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const f = goldenArray('balanced', 'features');
const l = goldenArray('balanced', 'labels');
const [N, D] = f.header.shape;
const labels = tmp.write('labels.npy', npyBytes(Array.from(l.data as ArrayLike<number>), { descr: '<i4', shape: [N] }));
const featuresAt = (name: string, map: (v: number) => number) => tmp.write(`${name}.npy`, npyBytes(Array.from(f.data as ArrayLike<number>, map), { descr: '<f8', shape: [N, D] }));

async function analyzeJson(features: string) {
  const r = await runCli(['analyze', '--features', features, '--labels', labels, '--engine', 'js', '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe('float64 features at extreme offsets and scales', () => {
  const keys = ['nc1', 'nc1Quotient', 'cdnv', 'equiangularityMeans', 'etfErrorMeans'];
  it('×1e-160, ×1e-300, ×1e150 and +1e12 give the unscaled file\'s scale-free metrics to 1e-9', async () => {
    const base = await analyzeJson(featuresAt('x1', (v) => v));
    for (const [name, map] of [['x1e-160', (v: number) => v * 1e-160], ['x1e-300', (v: number) => v * 1e-300], ['x1e150', (v: number) => v * 1e150]] as const) {
      const r = await analyzeJson(featuresAt(name, map));
      expect(r.degenerate, name).toBe(false);
      for (const k of keys) expect(Math.abs(r.metrics[k] - base.metrics[k]), `${name} ${k}`).toBeLessThanOrEqual(1e-9 * Math.abs(base.metrics[k]));
    }
    // An offset: the stored rows y = x + 1e12 are rounded to ~1e-4, so the truth is the file of y − 1e12 (exact).
    const offset = await analyzeJson(featuresAt('p1e12', (v) => v + 1e12));
    const exact = await analyzeJson(featuresAt('p1e12-exact', (v) => (v + 1e12) - 1e12));
    expect(offset.degenerate).toBe(false);
    for (const k of keys) expect(Math.abs(offset.metrics[k] - exact.metrics[k]), `+1e12 ${k}`).toBeLessThanOrEqual(1e-9 * Math.abs(exact.metrics[k]));
  });
  it('×1e-300: the per-class variances (1e-600) are named as an underflow, not refused as an overflow', async () => {
    const r = await runCli(['analyze', '--features', featuresAt('tiny', (v) => v * 1e-300), '--labels', labels, '--engine', 'js']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/warning: the per-class variances v_k: about 1e-\d+ in the features' units, below float64's range \(underflow\)/);
    expect(r.stdout + r.stderr).not.toMatch(/overflow/);
  });
});
