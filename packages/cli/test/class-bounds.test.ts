/**
 * What a K costs is known before anything K-sized is allocated: `--classes K` (analyze, stats means, head), K from
 * the labels and `ufm --classes` are checked against this machine's memory (or NCSCOPE_MAX_MEMORY) and — for a K
 * typed on the command line — against the samples, and refused on one line naming K and the bound. Each case runs in
 * a process of its own: before these bounds a K of 1e9 ended in V8's "Fatal JavaScript invalid size error" (exit
 * 133 after 1.6–2.3 GB), 1e8 in a RangeError stack, 1e7 in 66 s at 6.8 GB on 600 rows.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli, type CliProcess } from './helpers/cli-process.js';
import { GOLDEN, tempDir } from './helpers/run.js';

const tmp = tempDir();
let cli: CliProcess;
beforeAll(async () => {
  cli = await bundleCli();
}, 60_000);
afterAll(() => {
  cli?.cleanup();
  tmp.cleanup();
});

const features = join(GOLDEN, 'balanced', 'features.npy'); // N = 600, D = 12, K = 5
const labels = join(GOLDEN, 'balanced', 'labels.npy');

/** Runs the CLI in its own process and expects a refusal on one line matching every pattern, with nothing written. */
async function refused(args: string[], patterns: RegExp[], env?: Record<string, string>): Promise<string> {
  const started = performance.now();
  const r = await cli.run(args, env);
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^ncscope: error: /);
  for (const p of patterns) expect(r.stderr).toMatch(p);
  // Refused from the sizes alone: no pass over the data, no large allocation (a generous bound on a loaded machine).
  expect(performance.now() - started).toBeLessThan(30_000);
  return r.stderr;
}

const memoryBound = /need about [\d.]+ [kMGTPE]?B for .*, more than the [\d.]+ [kMGTPE]?B of this machine's memory; at this D the bound is K ≤ [\d,]+\. Check K/;

describe('--classes against memory', () => {
  it('analyze --classes 1000000000 and 100000000: refused by name with the bound at this D', async () => {
    for (const K of ['1000000000', '100000000']) {
      const err = await refused(['analyze', '--features', features, '--labels', labels, '--classes', K], [new RegExp(`--classes ${K}: K = ${Number(K).toLocaleString('en')} classes of D = 12 features`), memoryBound]);
      expect(err).not.toMatch(/RangeError|invalid size|at .*\(/);
    }
  });
  it('stats means and head --classes 1000000000: refused (the means tables; the head with its K × K targets)', async () => {
    await refused(['stats', 'means', '--features', features, '--labels', labels, '--classes', '1000000000', '-o', join(tmp.dir, 'm.json')], [/--classes 1000000000: .*for the class counts and sums/, memoryBound]);
    // K = 100,000 fits the sums but not the head's 2 K × K tables (160 GB).
    await refused(['head', '--features', features, '--labels', labels, '--classes', '100000', '--out-weights', join(tmp.dir, 'w.npy')], [/--classes 100000: .*for the least-squares head/, memoryBound]);
  });
  it('NCSCOPE_MAX_MEMORY sets the bound (a shared node), and a malformed value is named', async () => {
    const err = await refused(['analyze', '--features', features, '--labels', labels, '--classes', '1000', '--engine', 'js'], [/K = 1,000 classes of D = 12 features need about [\d.]+ kB .*more than the 102 kB of NCSCOPE_MAX_MEMORY=100K/], { NCSCOPE_MAX_MEMORY: '100K' });
    expect(err).toMatch(/the bound is K ≤ \d+/);
    await refused(['analyze', '--features', features, '--labels', labels, '--classes', '5'], [/NCSCOPE_MAX_MEMORY: expected a number of bytes.*got 'lots'/], { NCSCOPE_MAX_MEMORY: 'lots' });
  });
});

describe('--classes against the samples', () => {
  it('analyze, stats means and head --classes 10000000 on 600 rows: more classes than samples, refused', async () => {
    const bound = /--classes 10000000: more classes than the 600 samples of .*labels\.npy \(at least 9,999,400 classes would have no samples\); past 1,024 classes, K may not exceed the number of samples/;
    await refused(['analyze', '--features', features, '--labels', labels, '--classes', '10000000'], [bound]);
    await refused(['stats', 'means', '--features', features, '--labels', labels, '--classes', '10000000', '-o', join(tmp.dir, 'm.json')], [bound]);
  });
  it('a K up to 1,024, or up to N, is still accepted (empty classes excluded with a warning)', async () => {
    const r = await cli.run(['analyze', '--features', features, '--labels', labels, '--classes', '1000', '--engine', 'js', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.K).toBe(5);
    expect(report.warnings.join('\n')).toMatch(/excluded classes with no samples: 5, 6/);
  });
});

describe('ufm --classes', () => {
  it('--classes 100000 --dim 64 --per-class 1 and --classes 1000000000: refused with the bound, no stack', async () => {
    const err = await refused(['ufm', '--classes', '100000', '--dim', '64', '--per-class', '1'], [/K = 100,000 classes, N = 100,000 samples, D = 64: the simulation needs about [\d.]+ [GT]B \(four N × K logit tables alone are 320 GB\)/, /at D = 64 and n = 1 per class the bound is K ≤ [\d,]+/]);
    expect(err).not.toMatch(/RangeError|at .*\(/);
    await refused(['ufm', '--classes', '1000000000', '--dim', '8', '--per-class', '1'], [/K = 1,000,000,000 classes, N = 1,000,000,000 samples, D = 8/, /the bound is K ≤ [\d,]+/]);
  });
});
