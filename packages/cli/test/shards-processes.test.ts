/**
 * The job-engine workflow with real concurrency: 8 separate `ncscope` processes compute the means shards of one
 * file at once (as the tasks of a Kubernetes Indexed Job or a Slurm array would), `stats merge` adds them, 8 more
 * processes compute the spread shards against the merged means, `stats merge` adds those, and `analyze --stats`
 * reports (the merges and the report run in-process: one step each). The report equals the single-process
 * `ncscope analyze` of the whole file to 1e-12 relative.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy, mulberry32, parseStatistics } from '@ncscope/core';
import { bundleCli, type CliProcess } from './helpers/cli-process.js';
import { runCli, tempDir } from './helpers/run.js';

const tmp = tempDir();
let cli: CliProcess;
beforeAll(async () => {
  cli = await bundleCli();
}, 60_000);
afterAll(() => {
  cli?.cleanup();
  tmp.cleanup();
});

/** N × D float32 features far from the origin, K imbalanced classes, a classifier near the means. */
function dataset(N: number, D: number, K: number, seed: number) {
  const rand = mulberry32(seed);
  const means = Float64Array.from({ length: K * D }, () => 4 * (rand() - 0.5));
  const labels = Int32Array.from({ length: N }, () => Math.min(K - 1, Math.floor(K * rand() ** 1.5)));
  const features = new Float32Array(N * D);
  for (let i = 0; i < N; i++) for (let t = 0; t < D; t++) features[i * D + t] = 7 + means[labels[i] * D + t] + (rand() - 0.5) * 1.5;
  const weights = Float32Array.from(means, (m) => m + 0.3 * (rand() - 0.5));
  const bias = Float32Array.from({ length: K }, () => 0.2 * (rand() - 0.5));
  return { features, labels, weights, bias };
}

const close = (a: number, b: number, rel: number) => Math.abs(a - b) <= rel * Math.abs(b) + 1e-15;

describe('8 concurrent processes, one file: means shards → merge → spread shards → merge → analyze --stats', () => {
  it('equals the single-process analyze to 1e-12 relative, whatever order the shards finish and merge in', async () => {
    const [N, D, K, n] = [4003, 24, 7, 8];
    const data = dataset(N, D, K, 14);
    const f = tmp.write('features.npy', encodeNpy(data.features, [N, D]));
    const y = tmp.write('labels.npy', encodeNpy(data.labels, [N]));
    const W = tmp.write('W.npy', encodeNpy(data.weights, [K, D]));
    const b = tmp.write('b.npy', encodeNpy(data.bias, [K]));
    const out = (name: string) => join(tmp.dir, name);
    const ok = (r: { code: number; stdout: string; stderr: string }) => {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return r.stdout;
    };
    const tasks = Array.from({ length: n }, (_, i) => i);
    const means = await Promise.all(tasks.map((i) => cli.run(['stats', 'means', '--features', f, '--labels', y, '--shard', `${i}/${n}`, '--batch-size', '97', '-o', out(`means-${i}.json`)])));
    expect(means.map(ok)).toEqual(tasks.map((i) => `${out(`means-${i}.json`)}: means of shard ${i}/8 (rows ${i * 500 + Math.min(i, 3)}..${(i + 1) * 500 + Math.min(i + 1, 3) - 1}) of ${f} (4003 rows), K = 7, D = 24\n`));
    // Merge in a shuffled order (seeded): the sums do not depend on it beyond rounding.
    const order = [5, 2, 7, 0, 3, 6, 1, 4];
    ok(await runCli(['stats', 'merge', ...order.map((i) => out(`means-${i}.json`)), '-o', out('means.json')]));
    const spread = await Promise.all(
      tasks.map((i) => cli.run(['stats', 'spread', '--means', out('means.json'), '--features', f, '--labels', y, '--weights', W, '--bias', b, '--engine', 'js', '--shard', `${i}/${n}`, '-o', out(`spread-${i}.json`)])),
    );
    spread.forEach(ok);
    ok(await runCli(['stats', 'merge', ...[...order].reverse().map((i) => out(`spread-${i}.json`)), '-o', out('stats.json')]));
    const sharded = JSON.parse(ok(await runCli(['analyze', '--stats', out('stats.json'), '--weights', W, '--bias', b, '--json'])));

    const single = JSON.parse(ok(await runCli(['analyze', '--features', f, '--labels', y, '--weights', W, '--bias', b, '--engine', 'js', '--json', '--save-stats', out('single.json')])));
    expect(Object.keys(sharded.metrics).sort()).toEqual(Object.keys(single.metrics).sort());
    for (const [key, value] of Object.entries<number>(single.metrics)) expect(close(sharded.metrics[key], value, 1e-12), `${key}: ${sharded.metrics[key]} vs ${value}`).toBe(true);
    expect(sharded.warnings ?? []).toEqual(single.warnings ?? []);

    // The statistics themselves: counts exact, sums to rounding, and the record names every shard of this input.
    const merged = parseStatistics(readFileSync(out('stats.json'), 'utf8'));
    const reference = parseStatistics(readFileSync(out('single.json'), 'utf8'));
    expect(Array.from(merged.means.counts)).toEqual(Array.from(reference.means.counts));
    expect(Array.from(merged.spread!.nccCorrect)).toEqual(Array.from(reference.spread!.nccCorrect));
    merged.means.sums.forEach((s, i) => expect(close(s, reference.means.sums[i], 1e-12)).toBe(true));
    merged.spread!.withinSS.forEach((s, i) => expect(close(s, reference.spread!.withinSS[i], 1e-12)).toBe(true));
    for (const phase of ['means', 'spread'] as const) {
      const [coverage] = merged.shards![phase]!;
      expect(coverage.input).toMatchObject({ name: f, rows: N });
      expect(coverage.parts.map((p) => [p.index, p.count])).toEqual(tasks.map((i) => [i, n]));
    }
  }, 120_000);
});
