/**
 * `ncscope stats means|spread --shard i/n` and the checks of `stats merge` on shard records (in-process; the
 * 8-process workflow is in shards-processes.test.ts).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy, mulberry32, parseStatistics } from '@ncscope/core';
import { runCli, tempDir } from './helpers/run.js';
import { npzBytes } from '../../io/test/helpers/writers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const out = (name: string) => join(tmp.dir, name);

const [N, D, K] = [203, 5, 4];
const rand = mulberry32(3);
const labels = Int32Array.from({ length: N }, (_, i) => (i * 7 + Math.floor(4 * rand())) % K);
const features = Float32Array.from({ length: N * D }, (_, j) => labels[Math.floor(j / D)] * ((j % D) + 1) + rand());
const f = tmp.write('f.npy', encodeNpy(features, [N, D]));
const y = tmp.write('y.npy', encodeNpy(labels, [N]));

async function ok(args: string[]): Promise<string> {
  const r = await runCli(args);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

async function fails(args: string[], output?: string): Promise<string> {
  const r = await runCli(args);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  if (output) expect(existsSync(output), `${output} must not be written`).toBe(false);
  return r.stderr;
}

const means = (i: number, n: number, name = `m${i}-${n}.json`, extra: string[] = []) => ok(['stats', 'means', '--features', f, '--labels', y, '--shard', `${i}/${n}`, ...extra, '-o', out(name)]).then(() => out(name));
const spread = (meansFile: string, i: number, n: number, name = `s${i}-${n}.json`) =>
  ok(['stats', 'spread', '--means', meansFile, '--features', f, '--labels', y, '--shard', `${i}/${n}`, '--engine', 'js', '-o', out(name)]).then(() => out(name));

describe('--shard i/n', () => {
  it('reads only shard i’s rows (a balanced split, first N mod n shards one row longer) and records them', async () => {
    const line = await ok(['stats', 'means', '--features', f, '--labels', y, '--shard', ' 3/8 ', '-o', out('m3.json')]);
    // 203 = 8 · 25 + 3: shards 0..2 have 26 rows, the rest 25; shard 3 is rows 78..102.
    expect(line).toBe(`${out('m3.json')}: means of shard 3/8 (rows 78..102) of ${f} (203 rows), K = 4, D = 5\n`);
    const file = parseStatistics(readFileSync(out('m3.json'), 'utf8'));
    expect(file.shards).toEqual({ means: [{ input: { name: f, rows: N, fingerprint: expect.stringMatching(/^[0-9a-f]{32}$/) }, parts: [{ index: 3, count: 8, start: 78, end: 103 }] }] });
    const counts = new Float64Array(K);
    for (let i = 78; i < 103; i++) counts[labels[i]]++;
    expect(Array.from(file.means.counts)).toEqual(Array.from(counts));
  });

  it('never reads the other rows: NaN outside the shard does not matter to it', async () => {
    const poisoned = Float32Array.from(features, (v, j) => (Math.floor(j / D) < 78 || Math.floor(j / D) >= 103 ? NaN : v));
    const p = tmp.write('poisoned.npy', encodeNpy(poisoned, [N, D]));
    await ok(['stats', 'means', '--features', p, '--labels', y, '--shard', '3/8', '-o', out('p3.json')]);
    expect(await fails(['stats', 'means', '--features', p, '--labels', y, '--shard', '2/8', '-o', out('p2.json')], out('p2.json'))).toMatch(/^ncscope: error: .*poisoned\.npy: row 52, column 0: /);
  });

  it('K defaults to the largest label of the whole file, so every shard agrees (even one that lacks the last class)', async () => {
    const sorted = Int32Array.from(labels).sort();
    const ys = tmp.write('sorted.npy', encodeNpy(sorted, [N]));
    await ok(['stats', 'means', '--features', f, '--labels', ys, '--shard', '0/4', '-o', out('k0.json')]);
    expect(parseStatistics(readFileSync(out('k0.json'), 'utf8')).means.K).toBe(K);
    await ok(['stats', 'means', '--features', f, '--labels', ys, '--shard', '0/4', '--classes', '9', '-o', out('k9.json')]);
    expect(parseStatistics(readFileSync(out('k9.json'), 'utf8')).means.K).toBe(9);
  });

  it('reads the same rows from an .npz archive (features and labels in one file), named with its key', async () => {
    const npz = tmp.write('run.npz', npzBytes({ embeddings: encodeNpy(features, [N, D]), labels: encodeNpy(labels, [N]) }));
    await ok(['stats', 'means', '--features', npz, '--labels', npz, '--features-key', 'embeddings', '--shard', '3/8', '-o', out('npz3.json')]);
    const fromNpz = parseStatistics(readFileSync(out('npz3.json'), 'utf8'));
    const fromNpy = parseStatistics(readFileSync(await means(3, 8), 'utf8'));
    expect(fromNpz.shards!.means![0].input.name).toBe(`${npz}:embeddings`);
    expect(fromNpz.shards!.means![0].input.fingerprint).not.toBe(fromNpy.shards!.means![0].input.fingerprint);
    expect(fromNpz.means).toEqual(fromNpy.means);
  });

  it('names bad values and writes nothing', async () => {
    const cases: [string, string][] = [
      ['8/8', "--shard '8/8': index 8 is out of range for 8 shards: indices are 0-based, 0..7 (for a Slurm array use --array=0-7)"],
      ['/8', "--shard '/8': the shard index is empty — is the task's index variable set (JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID)?"],
      ['3/', "--shard '3/': the number of shards is empty — is the variable that holds it set (e.g. SLURM_ARRAY_TASK_COUNT)?"],
      ['3', "--shard: expected i/n (shard i of n, 0-based, e.g. --shard 3/8), got '3'"],
      ['1/2/3', "--shard: expected i/n (shard i of n, 0-based, e.g. --shard 3/8), got '1/2/3'"],
      ['0/0', "--shard '0/0': the number of shards must be a positive integer, got '0'"],
      ['1.5/4', "--shard '1.5/4': the shard index must be a non-negative integer, got '1.5'"],
      ['-1/4', "--shard '-1/4': the shard index must be a non-negative integer, got '-1'"],
      ['0/2.0', "--shard '0/2.0': the number of shards must be a positive integer, got '2.0'"],
    ];
    for (const [value, message] of cases) {
      expect(await fails(['stats', 'means', '--features', f, '--labels', y, '--shard', value, '-o', out('bad.json')], out('bad.json'))).toBe(`ncscope: error: ${message}\n`);
    }
  });

  it('more shards than rows: the extra tasks write empty shards that merge as no-ops', async () => {
    const tiny = { f: tmp.write('tiny-f.npy', encodeNpy(features.slice(0, 3 * D), [3, D])), y: tmp.write('tiny-y.npy', encodeNpy(Int32Array.from([0, 1, 1]), [3])) };
    const files: string[] = [];
    for (let i = 0; i < 5; i++) {
      const line = await ok(['stats', 'means', '--features', tiny.f, '--labels', tiny.y, '--shard', `${i}/5`, '-o', out(`t${i}.json`)]);
      if (i >= 3) expect(line).toMatch(/means of shard \d\/5 \(no rows\) of .*tiny-f\.npy \(3 rows\), K = 2, D = 5/);
      files.push(out(`t${i}.json`));
    }
    expect(await ok(['stats', 'merge', ...files, '-o', out('tiny.json')])).toBe(`${out('tiny.json')}: merged 5 means files, 3 samples, K = 2, D = 5\n`);
  });

  it('a label error names the row in the file, not in the shard', async () => {
    const bad = Int32Array.from(labels);
    bad[150] = -1;
    const yb = tmp.write('bad-y.npy', encodeNpy(bad, [N]));
    expect(await fails(['stats', 'means', '--features', f, '--labels', yb, '--shard', '5/8', '--classes', '4', '--batch-size', '7', '-o', out('bad.json')], out('bad.json'))).toMatch(/^ncscope: error: .*bad-y\.npy: row 150: /);
  });
});

describe('stats merge of shard records', () => {
  it('refuses a shard given twice (the same file, or a rerun) and overlapping shards of different splits', async () => {
    const a = await means(3, 8);
    const rerun = await means(3, 8, 'm3-8-rerun.json');
    const others = await Promise.all([0, 1, 2, 4, 5, 6, 7].map((i) => means(i, 8)));
    expect(await fails(['stats', 'merge', a, ...others, a, '-o', out('x.json')], out('x.json'))).toBe(`ncscope: error: ${a}: given twice; its shard 3/8 (rows 78..102) of ${f} would be counted twice\n`);
    expect(await fails(['stats', 'merge', a, rerun, '-o', out('x.json')], out('x.json'))).toBe(`ncscope: error: ${rerun}: shard 3/8 (rows 78..102) of ${f} is in both ${a} and ${rerun}; merging it twice would count its rows twice\n`);
    const quarter = await means(1, 4);
    expect(await fails(['stats', 'merge', quarter, a, '-o', out('x.json')], out('x.json'))).toBe(
      `ncscope: error: ${a}: shard 3/8 (rows 78..102) of ${f} overlaps shard 1/4 (rows 51..101) in ${quarter} (rows 78..101 in both); each row must be summed once — merge shards of one split (the same n)\n`,
    );
    // A merged file still knows its shards: adding one of them again is refused too.
    await ok(['stats', 'merge', a, ...others, '-o', out('all8.json')]);
    expect(await fails(['stats', 'merge', out('all8.json'), others[2], '-o', out('x.json')], out('x.json'))).toMatch(/shard 2\/8 \(rows 52\.\.77\) of .*f\.npy is in both .*all8\.json and .*m2-8\.json/);
  });

  it('names missing shards and writes nothing; --allow-partial writes a partial merge that later merges with the rest', async () => {
    const parts = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => means(i, 8)));
    const some = [parts[0], parts[1], parts[3], parts[4], parts[6]];
    expect(await fails(['stats', 'merge', ...some, '-o', out('x.json')], out('x.json'))).toBe(
      `ncscope: error: ${f}: missing shards 2/8, 5/8, 7/8 (rows 52..77, 128..152, 178..202 of 203); nothing written — merge every shard, or pass --allow-partial to write a partial merge (it records which rows it holds)\n`,
    );
    expect(await ok(['stats', 'merge', ...some, '--allow-partial', '-o', out('partial.json')])).toBe(
      `${out('partial.json')}: merged 5 means files, 127 samples, K = 4, D = 5; partial: ${f}: missing shards 2/8, 5/8, 7/8 (rows 52..77, 128..152, 178..202 of 203)\n`,
    );
    const report = JSON.parse(await ok(['analyze', '--stats', out('partial.json'), '--json']));
    expect(report.warnings).toContain(`${out('partial.json')} is a partial merge (stats merge --allow-partial): ${f}: missing shards 2/8, 5/8, 7/8 (rows 52..77, 128..152, 178..202 of 203)`);
    // The rest merged onto the partial file gives exactly the one-level merge.
    await ok(['stats', 'merge', out('partial.json'), parts[2], parts[5], parts[7], '-o', out('tree.json')]);
    await ok(['stats', 'merge', ...parts, '-o', out('flat.json')]);
    const tree = parseStatistics(readFileSync(out('tree.json'), 'utf8'));
    const flat = parseStatistics(readFileSync(out('flat.json'), 'utf8'));
    expect(tree.shards).toEqual(flat.shards);
    expect(Array.from(tree.means.counts)).toEqual(Array.from(flat.means.counts));
    tree.means.sums.forEach((s, i) => expect(Math.abs(s - flat.means.sums[i])).toBeLessThanOrEqual(1e-12 * Math.abs(s) + 1e-15));
    expect(JSON.parse(await ok(['analyze', '--stats', out('flat.json'), '--json'])).warnings.join('\n')).not.toMatch(/partial/);
  });

  it('refuses shards of a changed input (same path, other contents), different K, and files with and without records', async () => {
    const m0 = await means(0, 2);
    // The file is rewritten between two tasks of one split: the second task's fingerprint differs.
    const g = tmp.write('g.npy', encodeNpy(features, [N, D]));
    await ok(['stats', 'means', '--features', g, '--labels', y, '--shard', '0/2', '-o', out('g0.json')]);
    tmp.write('g.npy', encodeNpy(Float32Array.from(features, (v) => v + 1), [N, D]));
    await ok(['stats', 'means', '--features', g, '--labels', y, '--shard', '1/2', '-o', out('g1.json')]);
    expect(await fails(['stats', 'merge', out('g0.json'), out('g1.json'), '-o', out('x.json')], out('x.json'))).toMatch(
      new RegExp(`^ncscope: error: ${out('g1.json')}: was computed from a different ${g} than ${out('g0.json')} \\(203 rows, fingerprint [0-9a-f]{32} vs 203 rows, fingerprint [0-9a-f]{32}\\): the file changed between tasks, or the tasks read different copies; rerun the shards of one version\\n$`),
    );
    // An identical copy at another path is the same input (same fingerprint): tasks may read different copies.
    mkdirSync(out('v2'), { recursive: true });
    const copy = tmp.write('v2/f.npy', encodeNpy(features, [N, D]));
    await ok(['stats', 'means', '--features', copy, '--labels', y, '--shard', '1/2', '-o', out('copy-m1.json')]);
    await ok(['stats', 'merge', m0, out('copy-m1.json'), '-o', out('copies.json')]);
    // Another file is another input: each is incomplete, and the merge names what each lacks.
    const other = tmp.write('v2/other.npy', encodeNpy(Float32Array.from(features, (v) => v + 1), [N, D]));
    await ok(['stats', 'means', '--features', other, '--labels', y, '--shard', '1/2', '-o', out('other-m1.json')]);
    expect(await fails(['stats', 'merge', m0, out('other-m1.json'), '-o', out('x.json')], out('x.json'))).toBe(
      `ncscope: error: ${f}: missing shard 1/2 (rows 102..202 of 203); ${other}: missing shard 0/2 (rows 0..101 of 203); nothing written — merge every shard, or pass --allow-partial to write a partial merge (it records which rows it holds)\n`,
    );
    const k9 = await means(1, 2, 'k9-1.json', ['--classes', '9']);
    expect(await fails(['stats', 'merge', m0, k9, '-o', out('x.json')], out('x.json'))).toBe(`ncscope: error: ${k9}: has K = 9 classes but ${m0} has K = 4; shards must agree on K (give every stats means task the same --classes K)\n`);
    await ok(['stats', 'means', '--features', f, '--labels', y, '-o', out('whole.json')]);
    expect(await fails(['stats', 'merge', m0, out('whole.json'), '-o', out('x.json')], out('x.json'))).toBe(
      `ncscope: error: ${out('whole.json')}: records no shard (it was made without --shard) while ${m0} holds shard 0/2 (rows 0..101) of ${f}; merge the shards of one --shard split together\n`,
    );
  });
});

describe('spread shards', () => {
  it('against means of the whole file made in one process (no record), the spread shards must cover every row', async () => {
    await ok(['stats', 'means', '--features', f, '--labels', y, '-o', out('means-whole.json')]);
    const s = await Promise.all([0, 1, 2].map((i) => spread(out('means-whole.json'), i, 3, `sw${i}.json`)));
    expect(await fails(['stats', 'merge', s[0], s[2], '-o', out('x.json')], out('x.json'))).toMatch(/^ncscope: error: .*f\.npy: missing shard 1\/3 \(rows 68\.\.135 of 203\)/);
    await ok(['stats', 'merge', ...s, '-o', out('sw.json')]);
    const merged = parseStatistics(readFileSync(out('sw.json'), 'utf8'));
    expect(merged.shards).toEqual({ spread: [expect.objectContaining({ parts: [0, 1, 2].map((i) => expect.objectContaining({ index: i, count: 3 })) })] });
    expect(JSON.parse(await ok(['analyze', '--stats', out('sw.json'), '--json'])).metrics.nc1).toBeGreaterThan(0);
  });

  it('must read rows the means summed, from the same file; their merge must cover the means’ rows', async () => {
    const m = await Promise.all([0, 1, 2].map((i) => means(i, 3)));
    await ok(['stats', 'merge', ...m, '-o', out('means3.json')]);
    // Spread with another split (4 shards) against means of a 3-way split: fine, the rows are what matters.
    const s = await Promise.all([0, 1, 2, 3].map((i) => spread(out('means3.json'), i, 4)));
    expect(await fails(['stats', 'merge', s[0], s[1], s[3], '-o', out('x.json')], out('x.json'))).toBe(
      `ncscope: error: ${f}: missing shard 2/4 (rows 102..152 of 203); nothing written — merge every shard, or pass --allow-partial to write a partial merge (it records which rows it holds)\n`,
    );
    await ok(['stats', 'merge', ...s, '-o', out('stats4.json')]);
    const merged = parseStatistics(readFileSync(out('stats4.json'), 'utf8'));
    expect(merged.shards!.means![0].parts.map((p) => p.index)).toEqual([0, 1, 2]);
    expect(merged.shards!.spread![0].parts.map((p) => p.index)).toEqual([0, 1, 2, 3]);
    // Against partial means (shards 0 and 1 of 3), a shard in rows the means never summed is refused before reading.
    await ok(['stats', 'merge', m[0], m[1], '--allow-partial', '-o', out('means01.json')]);
    const r = await fails(['stats', 'spread', '--means', out('means01.json'), '--features', f, '--labels', y, '--shard', '3/4', '-o', out('x.json')], out('x.json'));
    expect(r).toBe(`ncscope: error: ${out('means01.json')}: holds the means of other rows of ${f}, not of shard 3/4 (rows 153..202); run the spread phase against means of the same data\n`);
    // A features file that changed since the means phase.
    const h = tmp.write('h.npy', encodeNpy(features, [N, D]));
    await ok(['stats', 'means', '--features', h, '--labels', y, '--shard', '0/1', '-o', out('means-h.json')]);
    tmp.write('h.npy', encodeNpy(Float32Array.from(features, (v) => v * 2), [N, D]));
    const changed = await fails(['stats', 'spread', '--means', out('means-h.json'), '--features', h, '--labels', y, '--shard', '0/4', '-o', out('x.json')], out('x.json'));
    expect(changed).toMatch(/^ncscope: error: .*h\.npy: differs from the .*h\.npy whose means .*means-h\.json holds \(fingerprint [0-9a-f]{32} vs [0-9a-f]{32}\): the file changed since the means phase, or this task reads another copy\n$/);
  });
});
