/**
 * Parquet (written with hyparquet-writer) and Arrow IPC files (written with apache-arrow, file and stream formats):
 * every column shape the readers take, streaming by stored chunk, string labels, Hugging Face image structs, and
 * the refusals of bad tables.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { parquetWriteBuffer } from 'hyparquet-writer';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { NcInputError, mulberry32 } from '@ncscope/core';
import { openImageInput } from '../src/images/index.js';
import { openTable, type TableSource } from '../src/tables/index.js';

const dir = mkdtempSync(join(tmpdir(), 'ncscope-tables-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const file = (ext: string, bytes: Uint8Array | ArrayBuffer) => {
  const p = join(dir, `t${fileNo++}.${ext}`);
  writeFileSync(p, new Uint8Array(bytes as ArrayBuffer));
  return p;
};

const N = 23;
const D = 5;
const rng = mulberry32(5);
/** Features rounded to float32 so every format stores them exactly. */
const X = Array.from({ length: N }, () => Array.from({ length: D }, () => Math.fround(rng() * 4 - 2)));
const names = ['cat', 'dog', 'Zebra', 'émeu'];
const y = Array.from({ length: N }, (_, i) => (i * 7) % 4);

const listSchema = (name: string, type: 'FLOAT' | 'DOUBLE') => [
  { name, repetition_type: 'OPTIONAL' as const, num_children: 1, converted_type: 'LIST' as const },
  { name: 'list', repetition_type: 'REPEATED' as const, num_children: 1 },
  { name: 'element', type, repetition_type: 'OPTIONAL' as const },
];

function parquetFile(rowGroupSize: number, extra: { features?: number[][]; labels?: unknown[]; labelType?: 'STRING' | 'INT64' } = {}): string {
  const feats = extra.features ?? X;
  const labels = extra.labels ?? y.map((v) => BigInt(v));
  const labelType = extra.labelType ?? 'INT64';
  return file('parquet', parquetWriteBuffer({
    columnData: [{ name: 'emb', data: feats }, { name: 'label', data: labels }, ...Array.from({ length: D }, (_, j) => ({ name: `f_${j}`, data: feats.map((r) => r[j] ?? 0) }))],
    schema: [
      { name: 'root', num_children: 2 + D },
      ...listSchema('emb', 'FLOAT'),
      labelType === 'STRING' ? { name: 'label', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' } : { name: 'label', type: 'INT64', repetition_type: 'OPTIONAL' },
      ...Array.from({ length: D }, (_, j) => ({ name: `f_${j}`, type: 'DOUBLE' as const, repetition_type: 'REQUIRED' as const })),
    ],
    rowGroupSize,
  }));
}

async function collect(t: TableSource, start = 0, end = t.rows, batch = 4): Promise<{ x: number[][]; y: number[]; starts: number[] }> {
  const out = { x: [] as number[][], y: [] as number[], starts: [] as number[] };
  for await (const b of t.batches(start, end, batch)) {
    out.starts.push(b.start);
    const d = b.features!.length / b.rows;
    for (let i = 0; i < b.rows; i++) out.x.push(Array.from(b.features!.subarray(i * d, (i + 1) * d)));
    out.y.push(...b.labels!);
  }
  return out;
}

async function expectError(p: Promise<unknown>, code: string, text: RegExp): Promise<void> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e, 'expected an error').toBeInstanceOf(NcInputError);
  expect((e as NcInputError).message).toMatch(text);
  expect((e as NcInputError).code).toBe(code);
}

describe('Parquet', () => {
  it('a list<float> column, int64 labels, several row groups, any row range', async () => {
    const t = await openTable(parquetFile(7), { featuresColumn: 'emb' });
    try {
      expect(t.rows).toBe(N);
      expect(t.file.chunks).toEqual([[0, 7], [7, 14], [14, 21], [21, 23]]);
      const all = await collect(t);
      expect(all.x).toEqual(X);
      expect(all.y).toEqual(y);
      // Batches never span a row group: 0,4 | 7,11 | 14,18 | 21.
      expect(all.starts).toEqual([0, 4, 7, 11, 14, 18, 21]);
      const part = await collect(t, 5, 16, 100);
      expect(part.x).toEqual(X.slice(5, 16));
      expect(part.starts).toEqual([5, 7, 14]);
      expect(t.features).toMatchObject({ D: 5, float32: true });
    } finally {
      await t.close();
    }
  });

  it('numeric columns by prefix (in the file order), float64', async () => {
    const t = await openTable(parquetFile(10), { featuresColumn: 'f_', labelsColumn: 'label' });
    try {
      expect(t.features).toMatchObject({ columns: ['f_0', 'f_1', 'f_2', 'f_3', 'f_4'], D: 5, float32: false });
      const all = await collect(t);
      expect(all.x).toEqual(X);
      const first = await t.batches(0, 1, 1).next();
      expect(first.value!.features).toBeInstanceOf(Float64Array);
    } finally {
      await t.close();
    }
  });

  it('string labels map to classes in sorted (code point) order; a given class list fixes the order and refuses others', async () => {
    const strings = y.map((k) => names[k]);
    const p = parquetFile(6, { labels: strings, labelType: 'STRING' });
    const t = await openTable(p, { featuresColumn: 'emb' });
    try {
      const labels = await t.readLabels();
      expect(t.labels!.classes).toEqual(['Zebra', 'cat', 'dog', 'émeu']);
      expect(Array.from(labels)).toEqual(strings.map((s) => ['Zebra', 'cat', 'dog', 'émeu'].indexOf(s)));
    } finally {
      await t.close();
    }
    const given = await openTable(p, { featuresColumn: 'emb', classes: names });
    expect(Array.from(await given.readLabels())).toEqual(y);
    await given.close();
    const short = await openTable(p, { featuresColumn: 'emb', classes: ['cat', 'dog', 'Zebra'] });
    await expectError(short.readLabels(), 'BAD_LABEL', /column 'label', row 1: label 'émeu' is not one of the 3 given classes \('cat', 'dog', 'Zebra'\)/);
    await short.close();
  });

  it('refuses a missing column (listing the columns), ragged lists, null and negative labels, a non-list features column', async () => {
    const p = parquetFile(8);
    await expectError(openTable(p, { featuresColumn: 'emb', labelsColumn: 'target' }), 'UNKNOWN_COLUMN', /no column 'target' \(--labels-column\); it has 'emb', 'label', 'f_0'/);
    await expectError(openTable(p, { featuresColumn: 'nope' }), 'UNKNOWN_COLUMN', /no column 'nope'/);
    await expectError(openTable(p, { featuresColumn: 'label' }), 'SHAPE', /column 'label' holds int64; --features-column takes a list of numbers/);
    const ragged = X.map((r, i) => (i === 9 ? r.slice(0, 3) : r));
    const t = await openTable(parquetFile(20, { features: ragged }), { featuresColumn: 'emb' });
    await expectError(collect(t), 'SHAPE', /column 'emb' is ragged: row 9 has 3 values, earlier rows 5/);
    await t.close();
    const nulls = await openTable(parquetFile(20, { labels: y.map((v, i) => (i === 4 ? null : BigInt(v))) }), { featuresColumn: 'emb' });
    await expectError(nulls.readLabels(), 'BAD_LABEL', /column 'label', row 4: no label \(null\)/);
    await nulls.close();
    const neg = await openTable(parquetFile(20, { labels: y.map((v, i) => BigInt(i === 6 ? -1 : v)) }), { featuresColumn: 'emb' });
    await expectError(neg.readLabels(), 'BAD_LABEL', /row 6: label -1 is not a class index/);
    await neg.close();
  });

  it('refuses files that are not tables, and truncated ones', async () => {
    await expectError(openTable(file('parquet', new TextEncoder().encode('hello, world'))), 'BAD_FILE', /not a Parquet or Arrow IPC file/);
    const good = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'a', data: [1, 2, 3] }] }));
    await expectError(openTable(file('parquet', good.subarray(0, good.length - 9))), 'BAD_FILE', /not a readable Parquet file/);
    await expectError(openTable(join(dir, 'missing.parquet')), 'BAD_FILE', /cannot read the table \(ENOENT\)/);
    await expectError(openTable(file('feather', new TextEncoder().encode('FEA1....'))), 'BAD_FILE', /Feather version 1/);
  });
});

describe('Arrow IPC', () => {
  function arrowTable(kind: 'fixed' | 'list', labels: 'int' | 'dict'): arrow.Table {
    const F = kind === 'fixed' ? new arrow.FixedSizeList(D, new arrow.Field('item', new arrow.Float32(), true)) : new arrow.List(new arrow.Field('item', new arrow.Float32(), true));
    const feats = arrow.vectorFromArray(X.map((r) => Float32Array.from(r)), F);
    const lab = labels === 'int' ? arrow.vectorFromArray(Int32Array.from(y)) : arrow.vectorFromArray(y.map((k) => names[k]), new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()));
    // Record batches of 9, 9 and 5 rows, sharing one dictionary.
    const batches: arrow.RecordBatch[] = [];
    for (let s = 0; s < N; s += 9) batches.push(new arrow.RecordBatch({ features: feats.slice(s, s + 9).data[0], label: lab.slice(s, s + 9).data[0] }));
    return new arrow.Table(batches);
  }

  for (const [kind, labels, format] of [['fixed', 'int', 'file'], ['list', 'dict', 'file'], ['fixed', 'dict', 'stream']] as const) {
    it(`${kind}-size list features, ${labels} labels, ${format} format`, async () => {
      const p = file(format === 'file' ? 'arrow' : 'arrows', arrow.tableToIPC(arrowTable(kind, labels), format));
      const t = await openTable(p);
      try {
        expect(t.file.format).toBe(format === 'file' ? 'arrow-file' : 'arrow-stream');
        expect(t.file.chunks).toEqual([[0, 9], [9, 18], [18, 23]]);
        expect(t.features).toMatchObject({ columns: ['features'], float32: true });
        const all = await collect(t, 0, N, 5);
        expect(all.x).toEqual(X);
        if (labels === 'int') expect(all.y).toEqual(y);
        else expect(all.y).toEqual(y.map((k) => ['Zebra', 'cat', 'dog', 'émeu'].indexOf(names[k])));
      } finally {
        await t.close();
      }
    });
  }
});

describe('image columns', () => {
  it('Hugging Face {bytes, path} structs decode through the image path, with class names from the ClassLabel metadata', async () => {
    const pngs = await Promise.all(Array.from({ length: 6 }, (_, i) => sharp(Uint8Array.from({ length: 4 * 3 * 3 }, (_, j) => (i * 40 + j) % 256), { raw: { width: 4, height: 3, channels: 3 } }).png().toBuffer()));
    writeFileSync(join(dir, 'on-disk.png'), pngs[5]);
    const hf = JSON.stringify({ info: { features: { image: { _type: 'Image' }, label: { _type: 'ClassLabel', names: ['even', 'odd'] } } } });
    const p = file('parquet', parquetWriteBuffer({
      columnData: [
        { name: 'image', data: pngs.map((b, i) => (i === 5 ? { bytes: null, path: 'on-disk.png' } : { bytes: new Uint8Array(b), path: `img${i}.png` })) },
        { name: 'label', data: pngs.map((_, i) => BigInt(i % 2)) },
      ],
      schema: [
        { name: 'root', num_children: 2 },
        { name: 'image', repetition_type: 'OPTIONAL', num_children: 2 },
        { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
        { name: 'path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
        { name: 'label', type: 'INT64', repetition_type: 'OPTIONAL' },
      ],
      rowGroupSize: 4,
      kvMetadata: [{ key: 'huggingface', value: hf }],
    }));
    const t = await openTable(p);
    try {
      expect(t.image).toEqual({ column: 'image' });
      expect(t.labels).toMatchObject({ kind: 'int', classes: ['even', 'odd'] });
      const images = await openImageInput({ count: t.rows, jobs: (s, c) => t.imageJobs(s, c) }, {}, { workers: 0, source: p });
      const x = await images.read(0, 6);
      await images.close();
      expect(images.shape).toEqual([6, 3, 3, 4]);
      // Row i, channel 0, pixel 0 holds byte (i·40) mod 256.
      for (let i = 0; i < 6; i++) expect(x[i * 36]).toBeCloseTo(((i * 40) % 256) / 255, 6);
    } finally {
      await t.close();
    }
  });
});
