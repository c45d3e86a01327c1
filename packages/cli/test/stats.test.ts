import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseStatistics } from '@ncscope/core';
import { GOLDEN, goldenArray, runCli, tempDir } from './helpers/run.js';
import { npyBytes } from '../../io/test/helpers/writers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const g = (name: string) => join(GOLDEN, 'imbalanced', `${name}.npy`);
const f = goldenArray('imbalanced', 'features');
const l = goldenArray('imbalanced', 'labels');
const [N, D] = f.header.shape;

/** Splits the golden set into shards at the given row boundaries, as separate .npy files. */
function shard(bounds: number[]): { features: string; labels: string }[] {
  const edges = [0, ...bounds, N];
  return edges.slice(0, -1).map((start, i) => {
    const end = edges[i + 1];
    return {
      features: tmp.write(`f${start}.npy`, npyBytes(f.data.slice(start * D, end * D), { descr: '<f4', shape: [end - start, D] })),
      labels: tmp.write(`l${start}.npy`, npyBytes(l.data.slice(start, end), { descr: '<i4', shape: [end - start] })),
    };
  });
}

async function ok(args: string[]) {
  const r = await runCli([...args, ...(args[0] === 'analyze' || args[1] === 'spread' ? ['--engine', 'js'] : [])]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

describe('ncscope stats: sharded two-phase workflow', () => {
  it('means per shard → merge (any order) → spread per shard → merge → analyze --stats equals one pass', async () => {
    const single = JSON.parse(await ok(['analyze', '--features', g('features'), '--labels', g('labels'), '--weights', g('weights'), '--bias', g('bias'), '--json']));
    const shards = shard([250, 611]);
    const out = (name: string) => join(tmp.dir, name);
    for (const [i, s] of shards.entries()) await ok(['stats', 'means', '--features', s.features, '--labels', s.labels, '--classes', '6', '-o', out(`m${i}.json`)]);
    const line = await ok(['stats', 'merge', out('m2.json'), out('m0.json'), out('m1.json'), '-o', out('means.json')]);
    expect(line).toBe(`${out('means.json')}: merged 3 means files, ${N} samples, K = 6, D = ${D}\n`);
    for (const [i, s] of shards.entries()) {
      await ok(['stats', 'spread', '--means', out('means.json'), '--features', s.features, '--labels', s.labels, '--weights', g('weights'), '--bias', g('bias'), '--batch-size', '100', '-o', out(`s${i}.json`)]);
    }
    await ok(['stats', 'merge', out('s1.json'), out('s2.json'), out('s0.json'), '-o', out('stats.json')]);
    const merged = JSON.parse(await ok(['analyze', '--stats', out('stats.json'), '--weights', g('weights'), '--bias', g('bias'), '--json']));
    for (const k of Object.keys(single.metrics)) {
      expect(Math.abs(merged.metrics[k] - single.metrics[k]) / Math.max(Math.abs(single.metrics[k]), 1e-12), k).toBeLessThan(1e-9);
    }
    expect(Object.keys(merged.metrics).sort()).toEqual(Object.keys(single.metrics).sort());
    expect(parseStatistics(readFileSync(out('stats.json'), 'utf8')).means.counts.reduce((a, b) => a + b, 0)).toBe(N);
  });

  it('analyze --stats on a means-only file reports NC2 of the means and says what is missing', async () => {
    const [s] = shard([]);
    const path = join(tmp.dir, 'means-only.json');
    await ok(['stats', 'means', '--features', s.features, '--labels', s.labels, '-o', path]);
    const json = JSON.parse(await ok(['analyze', '--stats', path, '--json']));
    expect(json.metrics).toHaveProperty('etfErrorMeans');
    expect(json.metrics).not.toHaveProperty('nc1');
    expect(json.warnings[0]).toMatch(/holds only the means phase/);
  });

  it('refuses files with different K (give every shard the same --classes)', async () => {
    const [a, b] = shard([450]);
    const out = (name: string) => join(tmp.dir, name);
    await ok(['stats', 'means', '--features', a.features, '--labels', a.labels, '--classes', '6', '-o', out('k6.json')]);
    await ok(['stats', 'means', '--features', b.features, '--labels', b.labels, '--classes', '8', '-o', out('k8.json')]);
    const r = await runCli(['stats', 'merge', out('k6.json'), out('k8.json'), '-o', out('k.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`ncscope: error: ${out('k8.json')}: has K = 8 classes but ${out('k6.json')} has K = 6; shards must agree on K (give every stats means task the same --classes K)\n`);
  });

  it('refuses to mix means and spread files, and spread shards against different means', async () => {
    const [a, b] = shard([450]);
    const out = (name: string) => join(tmp.dir, name);
    await ok(['stats', 'means', '--features', a.features, '--labels', a.labels, '--classes', '6', '-o', out('ma.json')]);
    await ok(['stats', 'means', '--features', b.features, '--labels', b.labels, '--classes', '6', '-o', out('mb.json')]);
    await ok(['stats', 'spread', '--means', out('ma.json'), '--features', a.features, '--labels', a.labels, '-o', out('sa.json')]);
    await ok(['stats', 'spread', '--means', out('mb.json'), '--features', b.features, '--labels', b.labels, '-o', out('sb.json')]);
    let r = await runCli(['stats', 'merge', out('sa.json'), out('mb.json'), '-o', out('x.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`ncscope: error: ${out('mb.json')}: holds only means while ${out('sa.json')} holds spread statistics; merge means shards first, then spread shards\n`);
    r = await runCli(['stats', 'merge', out('sa.json'), out('sb.json'), '-o', out('x.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sb\.json: computed against different class means than .*sa\.json/);
    // A spread pass over other data than the means saw is caught when the report compares the counts.
    await ok(['stats', 'spread', '--means', out('ma.json'), '--features', b.features, '--labels', b.labels, '-o', out('y.json')]);
    r = await runCli(['analyze', '--stats', out('y.json')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^ncscope: error: .*y\.json: class \d+: the spread phase saw \d+ samples but the means phase \d+/);
  });
});
