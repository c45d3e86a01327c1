/**
 * Image folders and tables on the command line: `onnx --images/--table`, `analyze --table`, `head --table`,
 * `stats … --table` and `stats … --model` with `--shard`, each against the same data given as arrays (the numbers
 * must be the same), and the refusals of bad input (named, nothing written).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetWriteBuffer } from 'hyparquet-writer';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy, parseNpy } from '@ncscope/core';
import { goldenArray, runCli, tempDir } from './helpers/run.js';

const FX = fileURLToPath(new URL('../../onnx/test/fixtures/', import.meta.url));
const tmp = tempDir();
afterAll(() => tmp.cleanup());

const json = async (args: string[]) => {
  const r = await runCli([...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, any>;
};

/** The CNN fixture's probe set (90 × 1 × 8 × 8 floats) quantised to 8-bit grey images in class folders. */
async function cnnImages(): Promise<{ dir: string; x: Float32Array; y: Int32Array; names: string[] }> {
  const src = parseNpy(new Uint8Array(readFileSync(join(FX, 'cnn-inputs.npy')))).data as Float32Array;
  const labels = parseNpy(new Uint8Array(readFileSync(join(FX, 'cnn-labels.npy')))).data as Int32Array;
  const names = ['bar', 'column', 'diagonal'];
  const dir = join(tmp.dir, 'cnn-images');
  const order: { k: number; px: Uint8Array; name: string }[] = [];
  for (let i = 0; i < labels.length; i++) {
    const px = Uint8Array.from(src.subarray(i * 64, (i + 1) * 64), (v) => Math.max(0, Math.min(255, Math.round(v * 100 + 60))));
    const name = `${String(i).padStart(3, '0')}.png`;
    mkdirSync(join(dir, names[labels[i]]), { recursive: true });
    await sharp(px, { raw: { width: 8, height: 8, channels: 1 } }).png().toFile(join(dir, names[labels[i]], name));
    order.push({ k: labels[i], px, name });
  }
  // torchvision's order: classes by name, files by name; ToTensor = byte / 255 in float32.
  order.sort((a, b) => a.k - b.k || (a.name < b.name ? -1 : 1));
  const x = new Float32Array(order.length * 64);
  order.forEach((o, i) => o.px.forEach((v, j) => (x[i * 64 + j] = v / 255)));
  return { dir, x, y: Int32Array.from(order, (o) => o.k), names };
}

describe('onnx --images and --table equal the same tensors given as arrays', () => {
  it('an image folder, a Parquet table of the same images, and .npy arrays give the same report', async () => {
    const { dir, x, y, names } = await cnnImages();
    const model = join(FX, 'cnn-flatten.onnx');
    const xs = tmp.write('cnn-x.npy', encodeNpy(x, [y.length, 1, 8, 8]));
    const ys = tmp.write('cnn-y.npy', encodeNpy(y, [y.length]));
    const arrays = await json(['onnx', model, '--inputs', xs, '--labels', ys, '--engine', 'js']);
    const images = await json(['onnx', model, '--images', dir, '--channels', '1', '--engine', 'js', '--decode-workers', '0']);
    expect(images.checkpoints[0].metrics).toEqual(arrays.checkpoints[0].metrics);
    expect(images.inputs.classes).toEqual(names);
    expect(images.inputs.description).toMatch(/ImageFolder .*cnn-images \(3 classes, 90 images\) → Grayscale → ToTensor → 1 × 8 × 8/);
    // The text output prints the class map.
    const text = await runCli(['onnx', model, '--images', dir, '--channels', '1', '--engine', 'js', '--decode-workers', '1']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('classes (label: name): 0 bar, 1 column, 2 diagonal');
    // A Hugging Face-style table: {bytes, path} image structs and string labels.
    const files = names.flatMap((n) => (readdirNames(join(dir, n))).map((f) => ({ n, f })));
    const table = tmp.write('cnn.parquet', new Uint8Array(parquetWriteBuffer({
      columnData: [
        { name: 'image', data: files.map(({ n, f }) => ({ bytes: new Uint8Array(readFileSync(join(dir, n, f))), path: f })) },
        { name: 'label', data: files.map(({ n }) => n) },
      ],
      schema: [
        { name: 'root', num_children: 2 },
        { name: 'image', repetition_type: 'OPTIONAL', num_children: 2 },
        { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
        { name: 'path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
        { name: 'label', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      ],
      rowGroupSize: 32,
    })));
    const fromTable = await json(['onnx', model, '--table', table, '--channels', '1', '--engine', 'js']);
    expect(fromTable.checkpoints[0].metrics).toEqual(arrays.checkpoints[0].metrics);
    expect(fromTable.inputs.classes).toEqual(names);
  });
});

function readdirNames(d: string): string[] {
  return readdirSync(d).sort();
}

describe('analyze, head and stats --table equal the array forms', () => {
  const F = goldenArray('balanced', 'features').data as Float32Array;
  const Y = goldenArray('balanced', 'labels').data as Int32Array;
  const N = Y.length;
  const D = F.length / N;
  const names = ['ant', 'Bee', 'cat', 'dog', 'émeu']; // sorted: Bee, ant, cat, dog, émeu
  const sorted = [...names].sort();
  const table = tmp.write('golden.parquet', new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: 'embedding', data: Array.from({ length: N }, (_, i) => Array.from(F.subarray(i * D, (i + 1) * D))) },
      { name: 'species', data: Array.from(Y, (k) => names[k]) },
      { name: 'y', data: Array.from(Y, (k) => BigInt(k)) },
    ],
    schema: [
      { name: 'root', num_children: 3 },
      { name: 'embedding', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', type: 'FLOAT', repetition_type: 'OPTIONAL' },
      { name: 'species', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'y', type: 'INT64', repetition_type: 'REQUIRED' },
    ],
    rowGroupSize: 128,
  })));
  // The same rows with the string labels' sorted-class indices, as arrays.
  const relabelled = Int32Array.from(Y, (k) => sorted.indexOf(names[k]));
  const fx = tmp.write('golden-x.npy', encodeNpy(F, [N, D]));
  const fy = tmp.write('golden-y.npy', encodeNpy(relabelled, [N]));

  it('analyze --table: string labels in sorted order, the map in the JSON and the table', async () => {
    const a = await json(['analyze', '--features', fx, '--labels', fy, '--engine', 'js']);
    const t = await json(['analyze', '--table', table, '--features-column', 'embedding', '--labels-column', 'species', '--engine', 'js', '--batch-size', '100']);
    expect(t.metrics).toEqual(a.metrics);
    expect(t.inputs.classes).toEqual(sorted);
    const text = await runCli(['analyze', '--table', table, '--features-column', 'embedding', '--labels-column', 'species', '--engine', 'js']);
    expect(text.stdout).toContain(`classes (label: name): 0 Bee, 1 ant, 2 cat, 3 dog, 4 émeu`);
    // Integer labels: the original indices.
    const ints = await json(['analyze', '--table', table, '--features-column', 'embedding', '--labels-column', 'y', '--engine', 'js']);
    const orig = await json(['analyze', '--features', fx, '--labels', tmp.write('golden-y0.npy', encodeNpy(Y, [N])), '--engine', 'js']);
    expect(ints.metrics).toEqual(orig.metrics);
  });

  it('--classes-file fixes the order of string labels; a label outside it is refused by name, nothing written', async () => {
    const cf = tmp.write('species.txt', `${names.join('\n')}\n`);
    const t = await json(['analyze', '--table', table, '--features-column', 'embedding', '--labels-column', 'species', '--classes-file', cf, '--engine', 'js']);
    const orig = await json(['analyze', '--features', fx, '--labels', tmp.write('golden-y1.npy', encodeNpy(Y, [N])), '--engine', 'js']);
    expect(t.inputs.classes).toEqual(names);
    expect(t.metrics).toEqual(orig.metrics);
    const short = tmp.write('species-short.txt', 'ant\nBee\ncat\ndog\n');
    const out = join(tmp.dir, 'never.json');
    const r = await runCli(['stats', 'means', '--table', table, '--features-column', 'embedding', '--labels-column', 'species', '--classes-file', short, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/golden\.parquet: column 'species', row \d+: label 'émeu' is not one of the 4 given classes/);
    expect(existsSync(out)).toBe(false);
  });

  it('head --table writes the same W and b', async () => {
    await json(['head', '--features', fx, '--labels', fy, '--out-weights', join(tmp.dir, 'W1.npy'), '--out-bias', join(tmp.dir, 'b1.npy')]);
    const h = await json(['head', '--table', table, '--features-column', 'embedding', '--labels-column', 'species', '--out-weights', join(tmp.dir, 'W2.npy'), '--out-bias', join(tmp.dir, 'b2.npy')]);
    expect(h.classes).toEqual(sorted);
    expect(readFileSync(join(tmp.dir, 'W2.npy'))).toEqual(readFileSync(join(tmp.dir, 'W1.npy')));
    expect(readFileSync(join(tmp.dir, 'b2.npy'))).toEqual(readFileSync(join(tmp.dir, 'b1.npy')));
  });

  it('stats means/spread --table --shard i/n merge to analyze --table', async () => {
    const out = (n: string) => join(tmp.dir, 'tshards', n);
    const common = ['--table', table, '--features-column', 'embedding', '--labels-column', 'species'];
    for (let i = 0; i < 3; i++) expect((await runCli(['stats', 'means', ...common, '--shard', `${i}/3`, '-o', out(`m${i}.json`)])).code).toBe(0);
    expect((await runCli(['stats', 'merge', out('m0.json'), out('m1.json'), out('m2.json'), '-o', out('means.json')])).code).toBe(0);
    for (let i = 0; i < 3; i++) {
      const r = await runCli(['stats', 'spread', ...common, '--means', out('means.json'), '--shard', `${i}/3`, '-o', out(`s${i}.json`), '--engine', 'js']);
      expect(r.code, r.stderr).toBe(0);
    }
    expect((await runCli(['stats', 'merge', out('s0.json'), out('s1.json'), out('s2.json'), '-o', out('stats.json')])).code).toBe(0);
    const merged = await json(['analyze', '--stats', out('stats.json')]);
    const one = await json(['analyze', ...common, '--engine', 'js']);
    for (const [k, v] of Object.entries(one.metrics)) {
      if (typeof v === 'number') expect(Math.abs((merged.metrics[k] as number) - v), k).toBeLessThanOrEqual(1e-9 * Math.abs(v) + 1e-12);
    }
  });
});

describe('stats --model on an image folder, sharded', () => {
  it('4 shards of means and spread, merged, equal one onnx --images run', async () => {
    const { dir } = await cnnImages();
    const model = join(FX, 'cnn-flatten.onnx');
    const out = (n: string) => join(tmp.dir, 'mshards', n);
    const common = ['--model', model, '--images', dir, '--channels', '1', '--decode-workers', '0'];
    for (let i = 0; i < 4; i++) {
      const r = await runCli(['stats', 'means', ...common, '--shard', `${i}/4`, '-o', out(`m${i}.json`)]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`shard ${i}/4 .* of .*cnn-flatten\\.onnx @ .*cnn-images`));
    }
    expect((await runCli(['stats', 'merge', ...[0, 1, 2, 3].map((i) => out(`m${i}.json`)), '-o', out('means.json')])).code).toBe(0);
    for (let i = 0; i < 4; i++) expect((await runCli(['stats', 'spread', ...common, '--means', out('means.json'), '--shard', `${i}/4`, '-o', out(`s${i}.json`), '--engine', 'js'])).code).toBe(0);
    expect((await runCli(['stats', 'merge', ...[0, 1, 2, 3].map((i) => out(`s${i}.json`)), '-o', out('stats.json')])).code).toBe(0);
    const merged = await json(['analyze', '--stats', out('stats.json'), '--model', model]);
    const one = await json(['onnx', model, '--images', dir, '--channels', '1', '--engine', 'js']);
    const m = one.checkpoints[0].metrics as Record<string, unknown>;
    expect(Object.keys(merged.metrics).sort()).toEqual(Object.keys(m).sort());
    for (const [k, v] of Object.entries(m)) {
      if (typeof v === 'number') expect(Math.abs((merged.metrics[k] as number) - v), k).toBeLessThanOrEqual(1e-9 * Math.abs(v) + 1e-12);
      else expect(merged.metrics[k], k).toEqual(v);
    }
  });
});

describe('bad input is refused by name, nothing written', () => {
  const model = join(FX, 'cnn-flatten.onnx');
  const refused = async (args: string[], text: RegExp, output?: string) => {
    const r = await runCli(args);
    expect(r.code, r.stdout).toBe(2);
    expect(r.stderr).toMatch(text);
    if (output) expect(existsSync(output), `${output} was written`).toBe(false);
  };

  it('two input kinds, image flags without images, table columns without a table, a shard out of range', async () => {
    const { dir } = await cnnImages();
    const o = join(tmp.dir, 'bad', 'out.json');
    await refused(['onnx', model, '--images', dir, '--inputs', join(FX, 'cnn-inputs.npy')], /give one of --inputs, --images/);
    await refused(['onnx', model, '--inputs', join(FX, 'cnn-inputs.npy'), '--labels', join(FX, 'cnn-labels.npy'), '--resize', '8'], /--resize applies to images/);
    await refused(['analyze', '--features', join(FX, 'cnn-features.npy'), '--labels', join(FX, 'cnn-labels.npy'), '--labels-column', 'y'], /--features-column and --labels-column go with --table/);
    await refused(['stats', 'means', '--model', model, '--images', dir, '--channels', '1', '--shard', '4/4', '-o', o], /index 4 is out of range for 4 shards/, o);
    await refused(['stats', 'means', '--model', model, '--images', dir, '--resize', 'x', '-o', o], /--resize: expected a size in pixels/, o);
  });

  it('a table without the named column names the file and lists its columns; a folder of mixed sizes names both images', async () => {
    const o = join(tmp.dir, 'bad', 'out2.json');
    const t = tmp.write('small.parquet', new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'a', data: [1, 2] }, { name: 'label', data: [0, 1] }] })));
    await refused(['stats', 'means', '--table', t, '--features-column', 'emb', '-o', o], /small\.parquet: no column 'emb' \(--features-column.*\); it has 'a', 'label'/, o);
    const d = join(tmp.dir, 'mixed');
    mkdirSync(join(d, 'a'), { recursive: true });
    await sharp(new Uint8Array(64), { raw: { width: 8, height: 8, channels: 1 } }).png().toFile(join(d, 'a', '1.png'));
    await sharp(new Uint8Array(81), { raw: { width: 9, height: 9, channels: 1 } }).png().toFile(join(d, 'a', '2.png'));
    await refused(['stats', 'means', '--model', model, '--images', d, '--channels', '1', '-o', o], /2\.png: comes out 9 × 9 but the samples are 8 × 8 \(set by .*1\.png/, o);
  });
});
