/**
 * One label rule and one K rule for every command that reads labels (core's countLabels and decideClassCount):
 * integer-valued floats are class indices everywhere (analyze, onnx, head, stats), other floats are refused by row;
 * `--classes K` states K; without it (and without a classifier) a gap between present labels — the mark of a
 * stray label — is refused unless `--empty-classes exclude`; a head needs two classes with samples.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseNpy, parseStatistics } from '@ncscope/core';
import { GOLDEN, goldenArray, runCli, tempDir } from './helpers/run.js';
import { npyBytes } from '../../io/test/helpers/writers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const golden = (name: string) => join(GOLDEN, 'balanced', `${name}.npy`);
const features = golden('features');
const l = goldenArray('balanced', 'labels');
const N = l.data.length;
/** The golden labels (0..4) written as `descr`, with optional changes at some rows. */
function labelsFile(name: string, descr: string, changes: Record<number, number> = {}): string {
  const values = Array.from(l.data as ArrayLike<number>);
  for (const [row, y] of Object.entries(changes)) values[Number(row)] = y;
  return tmp.write(name, npyBytes(descr === '<i8' ? values.map(BigInt) : values, { descr, shape: [N] }));
}

async function refused(args: string[], pattern: RegExp): Promise<string> {
  const r = await runCli(args);
  expect(r.stdout, args.join(' ')).toBe('');
  expect(r.code, args.join(' ')).toBe(2);
  expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
  expect(r.stderr, args.join(' ')).toMatch(pattern);
  return r.stderr;
}

async function analyzeJson(args: string[]) {
  const r = await runCli(['analyze', ...args, '--engine', 'js', '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

// Labels 0..2 only (classes 3, 4 of the golden set folded onto 0..2) plus one stray 7 at row 41.
const three = Array.from(l.data as ArrayLike<number>, (y) => y % 3);
const strayRow = 41;
const stray = tmp.write('stray.npy', npyBytes([...three.slice(0, strayRow), 7, ...three.slice(strayRow + 1)], { descr: '<i4', shape: [N] }));
const clean = tmp.write('three.npy', npyBytes(three, { descr: '<i4', shape: [N] }));

describe('the K rule: a stray label does not silently change K', () => {
  it('analyze: a gap between labels (K from the largest label) is refused, naming the empty classes and the label', async () => {
    const err = await refused(['analyze', '--features', features, '--labels', stray, '--engine', 'js'], /stray\.npy: classes 3, 4, 5, 6 have no samples, but label 7 \(row 41\) makes K = 8 \(the largest label \+ 1\)/);
    expect(err).toMatch(/pass --classes K to state K; pass --empty-classes exclude to measure only the classes present\n$/);
  });

  it('analyze --classes 3 names the stray label as out of range', async () => {
    await refused(['analyze', '--features', features, '--labels', stray, '--classes', '3', '--engine', 'js'], /stray\.npy: row 41: label 7 is not a class index in 0\.\.2 \(K = 3 from --classes 3\)\n$/);
  });

  it('analyze --empty-classes exclude measures the classes present (with the warning); --classes 8 states K = 8', async () => {
    const excluded = await analyzeJson(['--features', features, '--labels', stray, '--empty-classes', 'exclude']);
    expect(excluded.K).toBe(4);
    expect(excluded.perClass.classes).toEqual([0, 1, 2, 7]);
    expect(excluded.warnings.join('\n')).toMatch(/excluded classes with no samples: 3, 4, 5, 6/);
    const stated = await analyzeJson(['--features', features, '--labels', stray, '--classes', '8']);
    expect(stated.metrics).toEqual(excluded.metrics);
    await refused(['analyze', '--features', features, '--labels', stray, '--classes', '8', '--empty-classes', 'error', '--engine', 'js'], /stray\.npy: classes 3, 4, 5, 6 of K = 8 \(--classes 8\) have no samples; pass --empty-classes exclude/);
  });

  it('analyze --classes agrees with --weights or is refused; labels without gaps need no flag', async () => {
    const plain = await analyzeJson(['--features', features, '--labels', clean]);
    expect(plain.K).toBe(3);
    expect((await analyzeJson(['--features', features, '--labels', clean, '--classes', '3'])).metrics).toEqual(plain.metrics);
    const withW = ['--features', features, '--labels', golden('labels'), '--weights', golden('weights')];
    expect((await analyzeJson([...withW, '--classes', '5'])).K).toBe(5);
    await refused(['analyze', ...withW, '--classes', '6', '--engine', 'js'], /--classes 6 disagrees with the classifier .*weights\.npy \(5 rows\)/);
  });

  it('stats means: a gap is refused without --classes; --classes or --empty-classes exclude accept it', async () => {
    const out = join(tmp.dir, 'means.json');
    await refused(['stats', 'means', '--features', features, '--labels', stray, '-o', out], /stray\.npy: classes 3, 4, 5, 6 have no samples, but label 7/);
    for (const extra of [['--classes', '8'], ['--empty-classes', 'exclude']]) {
      const r = await runCli(['stats', 'means', '--features', features, '--labels', stray, '-o', out, ...extra]);
      expect(r.stderr, extra.join(' ')).toBe('');
      expect(parseStatistics(readFileSync(out, 'utf8')).means.K).toBe(8);
    }
    // A shard may lack classes when K is stated: --classes 5 on the three-class shard.
    expect((await runCli(['stats', 'means', '--features', features, '--labels', clean, '--classes', '5', '-o', out])).code).toBe(0);
    expect(parseStatistics(readFileSync(out, 'utf8')).means.K).toBe(5);
  });

  it('stats spread: labels beyond the merged means K are refused before any feature is read', async () => {
    const means = join(tmp.dir, 'means3.json');
    expect((await runCli(['stats', 'means', '--features', features, '--labels', clean, '-o', means])).code).toBe(0);
    await refused(['stats', 'spread', '--features', features, '--labels', stray, '--means', means, '-o', join(tmp.dir, 's.json'), '--engine', 'js'], /stray\.npy: row 41: label 7 is not a class index in 0\.\.2 \(K = 3 from .*means3\.json \(K = 3\)\)/);
  });

  it('head: a gap needs --classes; one class is refused (a one-row head analyze would refuse)', async () => {
    const W = join(tmp.dir, 'W.npy');
    await refused(['head', '--features', features, '--labels', stray, '--out-weights', W], /stray\.npy: classes 3, 4, 5, 6 have no samples, .*pass --classes K to keep the empty classes \(their rows are then 0\)/);
    const r = await runCli(['head', '--features', features, '--labels', stray, '--classes', '8', '--out-weights', W, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ K: 8, emptyClasses: [3, 4, 5, 6] });
    const ones = tmp.write('ones.npy', npyBytes(new Int32Array(N).fill(1), { descr: '<i4', shape: [N] }));
    await refused(['head', '--features', features, '--labels', ones, '--out-weights', join(tmp.dir, 'W1.npy')], /ones\.npy: every label is 1; .*needs at least 2 classes with samples/);
    await refused(['head', '--features', features, '--labels', ones, '--classes', '3', '--out-weights', join(tmp.dir, 'W1.npy')], /needs at least 2 classes with samples/);
  });
});

describe('the label rule: integer-valued floats are class indices in every command, other values are refused by row', () => {
  const asFloat32 = labelsFile('labels-f4.npy', '<f4');
  const asFloat64 = labelsFile('labels-f8.npy', '<f8');
  const asInt64 = labelsFile('labels-i8.npy', '<i8');
  const half = labelsFile('labels-half.npy', '<f4', { 9: 2.5 });
  const nan = labelsFile('labels-nan.npy', '<f8', { 12: NaN });

  it('analyze, stats means and head give the same results for int64, float32 and float64 labels', async () => {
    const ref = await analyzeJson(['--features', features, '--labels', asInt64]);
    for (const file of [asFloat32, asFloat64]) expect((await analyzeJson(['--features', features, '--labels', file])).metrics).toEqual(ref.metrics);
    const means = (file: string) => {
      const out = join(tmp.dir, `means-${file.slice(-6)}.json`);
      return runCli(['stats', 'means', '--features', features, '--labels', file, '-o', out]).then((r) => (expect(r.code).toBe(0), parseStatistics(readFileSync(out, 'utf8')).means));
    };
    expect(await means(asFloat32)).toEqual(await means(asInt64));
    const head = async (file: string) => {
      const W = join(tmp.dir, `W-${file.slice(-6)}`);
      expect((await runCli(['head', '--features', features, '--labels', file, '--out-weights', W])).code).toBe(0);
      return Array.from(parseNpy(new Uint8Array(readFileSync(W))).data);
    };
    expect(await head(asFloat64)).toEqual(await head(asInt64));
  });

  it('analyze, stats, head and onnx refuse 2.5 and NaN with the file and row', async () => {
    for (const [file, row, value] of [[half, 9, '2.5'], [nan, 12, 'NaN']] as const) {
      const what = new RegExp(`labels-(half|nan)\\.npy: row ${row}: label ${value} is not a class index \\(a non-negative integer\\)\\n$`);
      await refused(['analyze', '--features', features, '--labels', file, '--engine', 'js'], what);
      await refused(['stats', 'means', '--features', features, '--labels', file, '-o', join(tmp.dir, 'x.json')], what);
      await refused(['head', '--features', features, '--labels', file, '--out-weights', join(tmp.dir, 'x.npy')], what);
    }
  });

  describe('onnx', () => {
    const FX = fileURLToPath(new URL('../../onnx/test/fixtures/', import.meta.url));
    const fx = (name: string) => join(FX, name);
    const y = parseNpy(new Uint8Array(readFileSync(fx('mlp-labels.npy')))).data as ArrayLike<number>;
    const n = y.length;
    const yFloat = tmp.write('mlp-labels-f4.npy', npyBytes(Array.from(y), { descr: '<f4', shape: [n] }));
    const base = ['onnx', '--inputs', fx('mlp-inputs.npy'), '--engine', 'js', '--json'];

    it('accepts integer-valued float labels (the same report as int64 labels)', async () => {
      const a = await runCli([...base.slice(0, 1), fx('mlp-epoch01.onnx'), ...base.slice(1), '--labels', fx('mlp-labels.npy')]);
      const b = await runCli([...base.slice(0, 1), fx('mlp-epoch01.onnx'), ...base.slice(1), '--labels', yFloat]);
      expect(b.stderr).toBe('');
      expect(b.code).toBe(0);
      expect(JSON.parse(b.stdout).checkpoints[0].metrics).toEqual(JSON.parse(a.stdout).checkpoints[0].metrics);
    });

    it('refuses a label beyond the graph classifier (K stated by it), and a gap when no classifier states K', async () => {
      const beyond = tmp.write('mlp-beyond.npy', npyBytes(Array.from(y, (v, i) => (i === 5 ? 9 : v)), { descr: '<f8', shape: [n] }));
      await refused(['onnx', fx('mlp-epoch01.onnx'), '--inputs', fx('mlp-inputs.npy'), '--labels', beyond], /mlp-beyond\.npy: row 5: label 9 is not a class index in 0\.\.3 \(K = 4 from the classifier of .*mlp-epoch01\.onnx \(4 rows of head\.weight\)\)/);
      const gap = ['onnx', fx('mlp-no-classifier.onnx'), '--tensor', '/act2/Relu_output_0', '--inputs', fx('mlp-inputs.npy'), '--labels', beyond, '--engine', 'js'];
      await refused(gap, /mlp-beyond\.npy: classes 4, 5, 6, 7, 8 have no samples, but label 9 \(row 5\) makes K = 10/);
      const r = await runCli([...gap, '--empty-classes', 'exclude', '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).checkpoints[0].K).toBe(5);
      await refused([...gap, '--classes', '4'], /row 5: label 9 is not a class index in 0\.\.3 \(K = 4 from --classes 4\)/);
    });
  });
});
