/**
 * Multi-hot labels in the CLI (Li et al. 2023): `analyze` detects an N × K label array (or `--multi-label` insists on
 * one) and adds `multiLabel` to `--json` and a section to the table; `--save-stats`/`--stats` and the sharded `stats`
 * workflow keep the result; `report` plots the tag-wise metrics; bad input is a one-line error and writes nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseNpy } from '@ncscope/core';
import { GOLDEN, runCli, tempDir } from './helpers/run.js';
import { npyBytes } from '../../io/test/helpers/writers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const ML = join(GOLDEN, 'multilabel');
const features = join(ML, 'features.npy');
const labels = join(ML, 'labels.npy');
const expected = JSON.parse(readFileSync(join(ML, 'expected.json'), 'utf8'));
const f = parseNpy(new Uint8Array(readFileSync(features)));
const y = parseNpy(new Uint8Array(readFileSync(labels)));
const [N, D] = f.header.shape;
const K = y.header.shape[1];
const out = (name: string) => join(tmp.dir, name);

/** --engine js where the command takes it (analyze, stats spread): no onnxruntime start-up in these small tests. */
const withEngine = (args: string[]) => [...args, ...(args[0] === 'analyze' || args[1] === 'spread' ? ['--engine', 'js'] : [])];

async function ok(args: string[]) {
  const r = await runCli(withEngine(args));
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

async function fails(args: string[], message: RegExp) {
  const r = await runCli(withEngine(args));
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(message);
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('ncscope analyze with multi-hot labels', () => {
  it('--json: the single-label report in `metrics` and `multiLabel` with the issue\'s keys, equal to the golden values (1e-9)', async () => {
    const json = JSON.parse(await ok(['analyze', '--features', features, '--labels', labels, '--json']));
    for (const key of ['singleLabelN', 'multiLabelN', 'unlabelledN', 'sets', 'tagWiseAngle', 'tagWiseAngleMax', 'tagWiseScale', 'labelSetNc1']) expect(json.multiLabel, key).toHaveProperty(key);
    expect(json.N).toBe(expected.single_label_n);
    expect(json.multiLabel.singleLabelN).toBe(expected.single_label_n);
    expect(json.multiLabel.multiLabelN).toBe(expected.multi_label_n);
    expect(rel(json.metrics.nc1, expected.nc1)).toBeLessThan(1e-9);
    expect(rel(json.multiLabel.tagWiseAngle, expected.tag_wise_angle)).toBeLessThan(1e-9);
    expect(rel(json.multiLabel.tagWiseAngleMax, expected.tag_wise_angle_max)).toBeLessThan(1e-9);
    expect(rel(json.multiLabel.tagWiseScale['2'], expected.tag_wise_scale_2)).toBeLessThan(1e-9);
    expect(rel(json.multiLabel.tagWiseScale['3'], expected.tag_wise_scale_3)).toBeLessThan(1e-9);
    expect(rel(json.multiLabel.labelSetNc1, expected.label_set_nc1)).toBeLessThan(1e-9);
    expect(json.multiLabel.sets).toHaveLength(10);
    expect(json.multiLabel.sets[0]).toMatchObject({ labels: [0, 1], count: 54 });
    expect(json.multiLabel.ncMlab).toBeUndefined();
  });

  it('the table gets a multi-label section; --ncmlab and --min-set-count change what it holds', async () => {
    const table = await ok(['analyze', '--features', features, '--labels', labels, '--ncmlab', '--min-set-count', '55']);
    expect(table).toMatch(/N = 658 single-label samples/);
    expect(table).toMatch(/multi-label \(Li et al\. 2023\): 658 single-label, 542 multi-label, 0 unlabelled samples; 10 label sets with two or more labels, 5 measured \(≥ 55 samples\)/);
    expect(table).toMatch(/tag-wise angle\s+\d+\.\d+°/);
    expect(table).toMatch(/label-set NC1\s+0\.0204799/);
    expect(table).toMatch(/NC_MLab angle ratio\s+0\.1881/);
    expect(table).toMatch(/\{0, 3\}\s+57\s/);
    expect(table).toMatch(/warning: 5 label sets have fewer than minSetCount = 55 samples/);
  });

  it('all-zero label rows are counted, warned about and excluded; bool labels are read as 0/1', async () => {
    const hot = Uint8Array.from(y.data as Int32Array);
    for (const row of [3, 700, 1199]) hot.fill(0, row * K, (row + 1) * K);
    const p = tmp.write('zeros.npy', npyBytes(hot, { descr: '|b1', shape: [N, K] }));
    const json = JSON.parse(await ok(['analyze', '--features', features, '--labels', p, '--json', '--batch-size', '128']));
    expect(json.multiLabel.unlabelledN).toBe(3);
    expect(json.multiLabel.singleLabelN + json.multiLabel.multiLabelN).toBe(N - 3);
    expect(json.warnings).toContain('3 samples have no label (an all-zero label row): counted as unlabelledN and excluded from every quantity');
  });

  it('--save-stats then --stats gives the same report; so do shards through stats means/merge/spread/merge', async () => {
    const whole = JSON.parse(await ok(['analyze', '--features', features, '--labels', labels, '--json', '--save-stats', out('ml-stats.json')]));
    expect(JSON.parse(readFileSync(out('ml-stats.json'), 'utf8')).labels).toBe('multi-hot');
    const fromFile = JSON.parse(await ok(['analyze', '--stats', out('ml-stats.json'), '--json']));
    expect(fromFile.multiLabel).toEqual(whole.multiLabel);
    const cut = 517;
    const shards = [[0, cut], [cut, N]].map(([a, b], i) => ({
      features: tmp.write(`mf${i}.npy`, npyBytes(f.data.slice(a * D, b * D), { descr: '<f4', shape: [b - a, D] })),
      labels: tmp.write(`ml${i}.npy`, npyBytes((y.data as Int32Array).slice(a * K, b * K), { descr: '|u1', shape: [b - a, K] })),
    }));
    for (const [i, s] of shards.entries()) {
      expect(await ok(['stats', 'means', '--features', s.features, '--labels', s.labels, '-o', out(`mm${i}.json`)])).toMatch(/multi-label means of \d+ samples \(\d+ label sets, 0 unlabelled\), K = 4, D = 12/);
    }
    await ok(['stats', 'merge', out('mm1.json'), out('mm0.json'), '-o', out('mmeans.json')]);
    for (const [i, s] of shards.entries()) await ok(['stats', 'spread', '--means', out('mmeans.json'), '--features', s.features, '--labels', s.labels, '--batch-size', '100', '-o', out(`ms${i}.json`)]);
    expect(await ok(['stats', 'merge', out('ms1.json'), out('ms0.json'), '-o', out('mstats.json')])).toMatch(/merged 2 multi-label spread files, 1200 labelled samples \(0 unlabelled\), K = 4, D = 12/);
    const merged = JSON.parse(await ok(['analyze', '--stats', out('mstats.json'), '--json']));
    expect(merged.multiLabel.singleLabelN).toBe(whole.multiLabel.singleLabelN);
    for (const key of ['tagWiseAngle', 'tagWiseAngleMax', 'labelSetNc1'] as const) expect(rel(merged.multiLabel[key], whole.multiLabel[key]), key).toBeLessThan(1e-12);
    expect(rel(merged.metrics.nc1, whole.metrics.nc1)).toBeLessThan(1e-12);
  });

  it('--shard i/n tasks on one multi-hot file: records, merge checks and the same report', async () => {
    const whole = JSON.parse(await ok(['analyze', '--features', features, '--labels', labels, '--json']));
    for (const i of [0, 1, 2]) await ok(['stats', 'means', '--features', features, '--labels', labels, '--shard', `${i}/3`, '-o', out(`sm${i}.json`)]);
    const r = await runCli(['stats', 'merge', out('sm0.json'), out('sm2.json'), '-o', out('sm-part.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing shards? 1\/3/);
    expect(existsSync(out('sm-part.json'))).toBe(false);
    await ok(['stats', 'merge', out('sm2.json'), out('sm0.json'), out('sm1.json'), '-o', out('sm.json')]);
    expect(JSON.parse(readFileSync(out('sm.json'), 'utf8')).shards.means).toBeDefined();
    for (const i of [0, 1, 2]) await ok(['stats', 'spread', '--means', out('sm.json'), '--features', features, '--labels', labels, '--shard', `${i}/3`, '-o', out(`ss${i}.json`)]);
    await ok(['stats', 'merge', out('ss1.json'), out('ss0.json'), out('ss2.json'), '-o', out('ss.json')]);
    const merged = JSON.parse(await ok(['analyze', '--stats', out('ss.json'), '--json']));
    for (const key of ['tagWiseAngle', 'labelSetNc1'] as const) expect(rel(merged.multiLabel[key], whole.multiLabel[key]), key).toBeLessThan(1e-12);
  });

  it('--html draws the multi-label block; ncscope report plots tag-wise trends of measurement logs', async () => {
    await ok(['analyze', '--features', features, '--labels', labels, '--ncmlab', '--html', out('one.html')]);
    const one = readFileSync(out('one.html'), 'utf8');
    expect(one).toContain('<h3>Multi-label (Li et al. 2023)</h3>');
    expect(one).toContain('tag-wise angle per label set');
    // Three "epochs" of a run: the golden set moved towards its tag-wise averages.
    const json = JSON.parse(await ok(['analyze', '--features', features, '--labels', labels, '--json']));
    const lines = [0, 1, 2].map((step) => JSON.stringify({
      schema: 'ncscope.measurement/1', run: 'pal', step, time: '', N: json.N, D: json.D, K: json.K, rank: json.rank, conventions: json.conventions,
      metrics: json.metrics, perClass: json.perClass, warnings: [], multiLabel: { ...json.multiLabel, tagWiseAngle: json.multiLabel.tagWiseAngle / (step + 1) },
    }));
    const log = tmp.write('ml.jsonl', lines.join('\n') + '\n');
    const r = await runCli(['report', log, '-o', out('report.html')]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(out('report.html'), 'utf8');
    expect(html).toContain('<section id="multi-label">');
    expect(html).toContain('id="trend-ml-tag-wise-angle"');
    expect(html).toContain('id="trend-ml-label-set-nc1"');
    expect(html).toContain('id="trend-ml-tag-wise-scale-3"');
    const bad = tmp.write('bad.jsonl', lines[0].replace('"setsSeen":10', '"setsSeen":-1') + '\n');
    const rb = await runCli(['report', bad, '-o', out('bad.html')]);
    expect(rb.code).toBe(2);
    expect(rb.stderr).toMatch(/bad\.jsonl:1: multiLabel\.setsSeen must be a non-negative integer/);
    expect(existsSync(out('bad.html'))).toBe(false);
  });
});

describe('bad multi-label input: one line on stderr, exit code 2, nothing written', () => {
  it('a label value that is not 0/1 names the file, row and column', async () => {
    const scores = Float32Array.from(y.data as Int32Array);
    scores[777 * K + 2] = 0.7;
    const p = tmp.write('scores.npy', npyBytes(scores, { descr: '<f4', shape: [N, K] }));
    await fails(['analyze', '--features', features, '--labels', p, '--batch-size', '100', '--save-stats', out('never.json')], /scores\.npy: row 777, column 2: multi-hot label value 0\.699999988079071 is not 0 or 1/);
    expect(existsSync(out('never.json'))).toBe(false);
  });

  it('a label width that disagrees with the classifier, --multi-label on class indices, multi-label flags on class indices', async () => {
    const w = tmp.write('w5.npy', npyBytes(new Float32Array(5 * D), { descr: '<f4', shape: [5, D] }));
    await fails(['analyze', '--features', features, '--labels', labels, '--weights', w], /labels\.npy: multi-hot labels have K = 4 columns but .*w5\.npy has 5 rows/);
    const ints = tmp.write('ints.npy', npyBytes(Int32Array.from({ length: N }, (_, i) => i % 4), { descr: '<i4', shape: [N] }));
    await fails(['analyze', '--features', features, '--labels', ints, '--multi-label'], /ints\.npy: multi-label analysis needs multi-hot labels of shape N × K .*got shape \(1200,\)/);
    await fails(['analyze', '--features', features, '--labels', ints, '--ncmlab'], /ints\.npy: --ncmlab applies to multi-hot labels \(N × K\)/);
    await fails(['analyze', '--features', features, '--labels', labels, '--min-set-count', '0'], /--min-set-count: expected a positive integer, got '0'/);
  });

  it('single-label and multi-label statistics never mix', async () => {
    const bal = (n: string) => join(GOLDEN, 'balanced', `${n}.npy`);
    await ok(['stats', 'means', '--features', bal('features'), '--labels', bal('labels'), '-o', out('single-means.json')]);
    await ok(['stats', 'means', '--features', features, '--labels', labels, '-o', out('multi-means.json')]);
    await fails(['stats', 'merge', out('multi-means.json'), out('single-means.json'), '-o', out('mixed.json')], /single-means\.json: holds single-label statistics while .*multi-means\.json holds multi-label ones/);
    expect(existsSync(out('mixed.json'))).toBe(false);
    await fails(['stats', 'spread', '--means', out('multi-means.json'), '--features', bal('features'), '--labels', bal('labels'), '-o', out('x.json')], /holds multi-label means, so the labels must be N × 4 multi-hot rows/);
    await fails(['stats', 'spread', '--means', out('single-means.json'), '--features', features, '--labels', labels, '-o', out('x.json')], /multi-hot labels \(shape \(1200, 4\)\) but .*single-means\.json holds single-label means/);
    expect(existsSync(out('x.json'))).toBe(false);
  });
});
