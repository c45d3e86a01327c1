import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseStatistics } from '@ncscope/core';
import { GOLDEN, goldenArray, runCli, tempDir } from './helpers/run.js';
import { encodeElements, npyBytes, npzBytes, safetensorsBytes } from '../../io/test/helpers/writers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const golden = (set: 'balanced' | 'imbalanced', name: string) => join(GOLDEN, set, `${name}.npy`);
const goldenArgs = (set: 'balanced' | 'imbalanced') => ['--features', golden(set, 'features'), '--labels', golden(set, 'labels'), '--weights', golden(set, 'weights'), '--bias', golden(set, 'bias')];

async function json(args: string[]) {
  const r = await runCli(['analyze', ...args, '--json', '--engine', 'js']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

function expectSameMetrics(a: any, b: any, rtol: number) {
  expect(Object.keys(a.metrics).sort()).toEqual(Object.keys(b.metrics).sort());
  for (const k of Object.keys(a.metrics)) {
    const x = a.metrics[k];
    const y = b.metrics[k];
    expect(Math.abs(x - y) / Math.max(Math.abs(y), 1e-12), `${k}: ${x} vs ${y}`).toBeLessThanOrEqual(rtol);
  }
  expect(a.N).toBe(b.N);
  expect(a.rank).toBe(b.rank);
}

describe('batch size and file format do not change the numbers', () => {
  for (const set of ['balanced', 'imbalanced'] as const) {
    it(`${set}: --batch-size 1, 7, 64, 599 and the default agree to 1e-9`, async () => {
      const ref = await json(goldenArgs(set));
      for (const bs of ['1', '7', '64', '599']) {
        const other = await json([...goldenArgs(set), '--batch-size', bs]);
        expectSameMetrics(other, ref, 1e-9);
        expect(other.inputs.batchSize).toBe(Number(bs));
      }
    });
  }

  it('the same data as .npz (stored, deflated), .safetensors, big-endian Fortran float64 .npy and mixed formats agree', async () => {
    const f = goldenArray('imbalanced', 'features');
    const l = goldenArray('imbalanced', 'labels');
    const w = goldenArray('imbalanced', 'weights');
    const b = goldenArray('imbalanced', 'bias');
    const [N, D] = f.header.shape;
    const K = w.header.shape[0];
    const ref = await json(goldenArgs('imbalanced'));
    const members = {
      features: npyBytes(f.data, { descr: '<f4', shape: [N, D] }),
      labels: npyBytes(Array.from(l.data, BigInt), { descr: '<i8', shape: [N] }),
      weights: npyBytes(w.data, { descr: '<f4', shape: [K, D] }),
      bias: npyBytes(b.data, { descr: '<f4', shape: [K] }),
    };
    for (const level of [0, 6] as const) {
      const p = tmp.write(`all${level}.npz`, npzBytes(members, level));
      const out = await json(['--features', p, '--labels', p, '--weights', p, '--bias', p, '--batch-size', '100']);
      expectSameMetrics(out, ref, 1e-12);
      expect(out.inputs).toMatchObject({ featuresKey: 'features', labelsKey: 'labels', weightsKey: 'weights', biasKey: 'bias' });
    }
    const st = tmp.write('model.safetensors', safetensorsBytes({
      embeddings: { dtype: 'F32', shape: [N, D], data: encodeElements(f.data, 'f4', true) },
      targets: { dtype: 'U8', shape: [N], data: encodeElements(l.data, 'u1', true) },
      'head.weight': { dtype: 'F32', shape: [K, D], data: encodeElements(w.data, 'f4', true) },
      'head.bias': { dtype: 'F32', shape: [K], data: encodeElements(b.data, 'f4', true) },
    }));
    expectSameMetrics(await json(['--features', st, '--labels', st, '--weights', st, '--bias', st]), ref, 1e-12);
    // float64, big-endian, Fortran order, 2-D; labels as big-endian int32 in a .npz, classifier from the safetensors.
    const f64 = tmp.write('f64.npy', npyBytes(f.data, { descr: '>f8', shape: [N, D], fortran: true, version: 2 }));
    const lz = tmp.write('labels.npz', npzBytes({ y: npyBytes(l.data, { descr: '>i4', shape: [N] }) }));
    const mixed = await json(['--features', f64, '--labels', lz, '--weights', st, '--weights-key', 'head.weight', '--bias', st, '--bias-key', 'head.bias', '--batch-size', '37']);
    expectSameMetrics(mixed, ref, 1e-6);
    expect(mixed.inputs.featureType).toBe('float64 (900, 10)');
  });

  it('flattens trailing feature axes (N × C × 1 × 1) and says so', async () => {
    const f = goldenArray('balanced', 'features');
    const [N, D] = f.header.shape;
    const p = tmp.write('nchw.npy', npyBytes(f.data, { descr: '<f4', shape: [N, D, 1, 1] }));
    const out = await json(['--features', p, '--labels', golden('balanced', 'labels')]);
    const ref = await json(['--features', golden('balanced', 'features'), '--labels', golden('balanced', 'labels')]);
    expectSameMetrics(out, ref, 1e-12);
    expect(out.warnings).toContain(`features of shape (${N}, ${D}, 1, 1) were flattened to ${N} × ${D}`);
  });
});

describe('--save-stats and --stats', () => {
  it('writes the statistics file whole (no temp files left) and --stats reproduces the report', async () => {
    const dir = tempDir();
    try {
      const path = join(dir.dir, 'stats.json');
      const direct = await json([...goldenArgs('balanced'), '--save-stats', path]);
      expect(readdirSync(dir.dir)).toEqual(['stats.json']);
      const stats = parseStatistics(readFileSync(path, 'utf8'));
      expect(stats.means.K).toBe(5);
      expect(stats.spread?.classifierCorrect).toBeDefined();
      expect(stats.spread?.perClassNc1?.sums).toHaveLength(5);
      const fromStats = await json(['--stats', path, '--weights', golden('balanced', 'weights'), '--bias', golden('balanced', 'bias')]);
      expectSameMetrics(fromStats, direct, 1e-12);
      expect(fromStats.inputs.stats).toBe(path);
    } finally {
      dir.cleanup();
    }
  });

  it('creates missing parent folders for the outputs', async () => {
    const stats = join(tmp.dir, 'new', 'deeper', 'stats.json');
    const html = join(tmp.dir, 'other', 'page.html');
    const r = await runCli(['analyze', ...goldenArgs('balanced'), '--engine', 'js', '--save-stats', stats, '--html', html]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(parseStatistics(readFileSync(stats, 'utf8')).means.K).toBe(5);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/i);
  });

  it('a failed write leaves nothing behind (no output, no folder it created) and prints nothing on stdout', async () => {
    // A name so long that the temporary file beside it cannot be created (ENAMETOOLONG) once the work is done.
    const dir = join(tmp.dir, 'fresh', 'sub');
    const target = join(dir, 's'.repeat(245) + '.json');
    const html = join(tmp.dir, 'page-with-stats.html');
    const r = await runCli(['analyze', ...goldenArgs('balanced'), '--engine', 'js', '--html', html, '--save-stats', target]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^ncscope: error: .*s{245}\\.json: cannot write \\(.*\\)\\n$`));
    expect(existsSync(html)).toBe(false);
    expect(existsSync(join(tmp.dir, 'fresh'))).toBe(false);
  });
});

describe('empty classes', () => {
  // A 6-row classifier for the 5-class balanced data: class 5 has no samples.
  const w = goldenArray('balanced', 'weights');
  const D = w.header.shape[1];
  const w6 = Float64Array.from([...w.data, ...Array.from({ length: D }, (_, i) => (i === 0 ? 1 : 0))]);
  it('are excluded with a warning by default, refused with --empty-classes error (naming the labels file)', async () => {
    const p = tmp.write('w6.npy', npyBytes(w6, { descr: '<f8', shape: [6, D] }));
    const args = ['--features', golden('balanced', 'features'), '--labels', golden('balanced', 'labels'), '--weights', p];
    const out = await json(args);
    expect(out.K).toBe(5);
    expect(out.warnings.join('\n')).toMatch(/excluded class with no samples: 5/);
    const r = await runCli(['analyze', ...args, '--empty-classes', 'error', '--engine', 'js']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^ncscope: error: ${golden('balanced', 'labels').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: class 5 .*--empty-classes exclude.*\\n$`));
  });
});

describe('--html', () => {
  it('writes a self-contained HTML page of the report next to the normal output', async () => {
    const path = join(tmp.dir, 'report.html');
    const out = await json([...goldenArgs('balanced'), '--html', path]);
    const html = readFileSync(path, 'utf8');
    expect(html.slice(0, 100).toLowerCase()).toContain('<!doctype html>');
    expect(html).toContain('<svg');
    expect(html).toContain('features.npy');
    expect(out.metrics.nc1).toBeGreaterThan(0);
  });
});
