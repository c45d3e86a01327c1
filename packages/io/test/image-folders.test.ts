/**
 * Image folders built by the tests themselves (sharp writes them): the ImageFolder layout rules, every PNG kind
 * against values computed plainly from the pixels the test wrote, layouts, and the refusals of bad input.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { NcInputError } from '@ncscope/core';
import { compareCodePoints, listImageFolder, openImageFolder } from '../src/images/index.js';

const root = mkdtempSync(join(tmpdir(), 'ncscope-images-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const d = join(root, `set${n++}`);
  mkdirSync(d);
  return d;
};
const put = (dir: string, rel: string, bytes: Uint8Array | string) => {
  const p = join(dir, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, bytes);
  return p;
};
/** Deterministic pixel values: (i · 37 + c · 101 + seed) mod 256. */
const pixels = (w: number, h: number, c: number, seed: number) => Uint8Array.from({ length: w * h * c }, (_, i) => (i * 37 + (i % c) * 101 + seed) % 256);
const png = (data: Uint8Array | Uint16Array, w: number, h: number, c: 1 | 2 | 3 | 4, o: sharp.PngOptions = {}) =>
  sharp(data, { raw: { width: w, height: h, channels: c } }).png(o).toBuffer();

/** ToTensor + Normalize of one 8-bit value, in float64 (the reference). */
const ref = (v: number, mean: number, std: number) => (v / 255 - mean) / std;

async function expectError(p: Promise<unknown>, code: string, text: RegExp): Promise<void> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e, 'expected an error').toBeInstanceOf(NcInputError);
  expect((e as NcInputError).code).toBe(code);
  expect((e as Error).message).toMatch(text);
}

describe('ImageFolder layout', () => {
  it('sorts classes by code point (uppercase first, accents after ASCII, astral characters by code point), walks class folders recursively in sorted order, skips hidden entries and other extensions', async () => {
    const d = fresh();
    const img = await png(pixels(2, 2, 3, 0), 2, 2, 3);
    for (const cls of ['b', 'B', 'a', 'é', '😀', 'ｚ']) put(d, `${cls}/x.png`, img);
    put(d, 'a/sub/z.png', img);
    put(d, 'a/sub-2/y.PNG', img);
    put(d, 'a/sub/deeper/w.png', img);
    put(d, 'a/a.jpeg', img);
    put(d, 'a/.hidden.png', img);
    put(d, 'a/readme.txt', 'no');
    put(d, '.ipynb_checkpoints/x.png', img);
    put(d, 'loose.png', img);
    const f = await listImageFolder(d);
    expect(f.classes).toEqual(['B', 'a', 'b', 'é', 'ｚ', '😀']);
    // Python sorts os.walk's folders by path: 'a/sub' < 'a/sub-2' (a prefix first), but 'a/sub-2' < 'a/sub/deeper'
    // ('-' is 0x2d, '/' is 0x2f).
    expect(f.samples.filter((s) => s.label === 1).map((s) => s.name)).toEqual(['a/a.jpeg', 'a/x.png', 'a/sub/z.png', 'a/sub-2/y.PNG', 'a/sub/deeper/w.png']);
    expect(Array.from(f.labels)).toEqual([0, 1, 1, 1, 1, 1, 2, 3, 4, 5]);
    expect(compareCodePoints('\u{1F600}', '\uFF5A')).toBeGreaterThan(0); // UTF-16 order would put the emoji first
  });

  it('follows symbolic links to folders once', async () => {
    const d = fresh();
    const img = await png(pixels(2, 2, 3, 0), 2, 2, 3);
    put(d, 'real/a.png', img);
    mkdirSync(join(d, 'data'));
    symlinkSync(join(d, 'real'), join(d, 'data', 'cls'));
    symlinkSync(join(d, 'data', 'cls'), join(d, 'real', 'loop'));
    const f = await listImageFolder(join(d, 'data'));
    expect(f.classes).toEqual(['cls']);
    expect(f.samples.map((s) => s.name)).toEqual(['cls/a.png']);
  });

  it('--classes-file fixes the label order; a folder it misses, a name listed twice and an unlisted empty class are refused', async () => {
    const d = fresh();
    const img = await png(pixels(2, 2, 3, 0), 2, 2, 3);
    for (const c of ['cat', 'dog']) put(d, `${c}/1.png`, img);
    const cf = put(d, '../classes-a.txt', 'dog\ncat\n\n');
    const f = await listImageFolder(d, { classesFile: cf });
    expect(f.classes).toEqual(['dog', 'cat']);
    // torchvision lists samples by class name, labelled from the map: cat (label 1) first.
    expect(Array.from(f.labels)).toEqual([1, 0]);
    await expectError(listImageFolder(d, { classesFile: put(d, '../classes-b.txt', 'dog\n') }), 'BAD_LABEL', /does not list the class folder 'cat'/);
    await expectError(listImageFolder(d, { classesFile: put(d, '../classes-c.txt', 'dog\ncat\ndog\n') }), 'BAD_OPTION', /'dog' is listed twice \(lines 1 and 3\)/);
    const cd = put(d, '../classes-d.txt', 'cat\nbird\ndog\n');
    await expectError(listImageFolder(d, { classesFile: cd }), 'EMPTY_CLASS', /'bird' \(label 1, no folder\).*--empty-classes exclude/);
    const kept = await listImageFolder(d, { classesFile: cd, emptyClasses: 'exclude' });
    expect(kept.emptyClasses).toEqual([1]);
    expect(Array.from(kept.labels)).toEqual([0, 2]);
    expect(kept.samples.map((s) => s.name)).toEqual(['cat/1.png', 'dog/1.png']);
  });

  it('refuses a folder without class folders, an empty class folder, a file, a missing path', async () => {
    const d = fresh();
    put(d, 'a.png', await png(pixels(2, 2, 3, 0), 2, 2, 3));
    await expectError(listImageFolder(d), 'NO_DATA', /no class folders; expected .*<class>\/<image>.*holds 1 image directly/);
    const e = fresh();
    put(e, 'cat/1.png', await png(pixels(2, 2, 3, 0), 2, 2, 3));
    put(e, 'dog/notes.txt', 'x');
    await expectError(listImageFolder(e), 'EMPTY_CLASS', /class 'dog' \(label 1\) has no images/);
    expect((await listImageFolder(e, { emptyClasses: 'exclude' })).emptyClasses).toEqual([1]);
    await expectError(listImageFolder(join(e, 'cat/1.png')), 'BAD_FILE', /not a folder/);
    await expectError(listImageFolder(join(e, 'nope')), 'BAD_FILE', /cannot read the image folder \(ENOENT\)/);
  });

  it('unlabelled folders take every image under them', async () => {
    const d = fresh();
    const img = await png(pixels(2, 2, 3, 0), 2, 2, 3);
    put(d, 'z.png', img);
    put(d, 'k/a.png', img);
    const f = await listImageFolder(d, { labelled: false });
    expect(f.samples.map((s) => s.name)).toEqual(['z.png', 'k/a.png']);
    expect(Array.from(f.labels)).toEqual([-1, -1]);
  });
});

describe('pixels to tensors', () => {
  const W = 5;
  const H = 3;
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];

  /** Reads a one-image folder with NCHW, mean/std above. */
  async function readOne(bytes: Uint8Array, options: Parameters<typeof openImageFolder>[1] = {}): Promise<{ x: Float32Array; shape: readonly number[] }> {
    const d = fresh();
    put(d, 'c/img.png', bytes);
    const images = await openImageFolder(d, { mean, std, ...options }, { workers: 0 });
    try {
      return { x: await images.read(0, 1), shape: images.shape };
    } finally {
      await images.close();
    }
  }
  function expectClose(x: Float32Array, want: number[]): void {
    expect(x.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(Math.abs(x[i] - want[i]), `value ${i}`).toBeLessThanOrEqual(5e-7 * Math.max(1, Math.abs(want[i])));
  }
  /** NCHW reference from interleaved RGB bytes. */
  const nchw = (rgb: (p: number, c: number) => number) => [0, 1, 2].flatMap((c) => Array.from({ length: W * H }, (_, p) => ref(rgb(p, c), mean[c], std[c])));

  it('RGB, grey (replicated), grey + alpha, RGBA (alpha dropped, not composited)', async () => {
    const rgb = pixels(W, H, 3, 1);
    expectClose((await readOne(await png(rgb, W, H, 3))).x, nchw((p, c) => rgb[p * 3 + c]));
    const g = pixels(W, H, 1, 2);
    expectClose((await readOne(await png(g, W, H, 1))).x, nchw((p) => g[p]));
    const ga = pixels(W, H, 2, 3);
    expectClose((await readOne(await png(ga, W, H, 2))).x, nchw((p) => ga[p * 2]));
    const rgba = pixels(W, H, 4, 4);
    expectClose((await readOne(await png(rgba, W, H, 4))).x, nchw((p, c) => rgba[p * 4 + c]));
  });

  it('palette PNGs expand to their colours', async () => {
    // Four colours only, so the palette holds them exactly.
    const cols = [[10, 200, 30], [250, 0, 128], [0, 0, 0], [77, 77, 200]];
    const rgb = Uint8Array.from({ length: W * H * 3 }, (_, i) => cols[Math.floor(i / 3) % 4][i % 3]);
    const bytes = await png(rgb, W, H, 3, { palette: true, colours: 4, dither: 0 });
    expect((await sharp(bytes).metadata()).isPalette).toBe(true);
    expectClose((await readOne(bytes)).x, nchw((p, c) => rgb[p * 3 + c]));
  });

  it('16-bit PNGs use the high byte of each sample', async () => {
    const v16 = Uint16Array.from({ length: W * H * 3 }, (_, i) => (i * 4099 + 17) % 65536);
    const bytes = await sharp(v16, { raw: { width: W, height: H, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(bytes).metadata()).depth).toBe('ushort');
    expectClose((await readOne(bytes)).x, nchw((p, c) => v16[p * 3 + c] >> 8));
  });

  it("channels 1 is PIL's 'L' luma, and NHWC interleaves the channels", async () => {
    const rgb = pixels(W, H, 3, 5);
    const L = (p: number) => Math.floor((rgb[p * 3] * 19595 + rgb[p * 3 + 1] * 38470 + rgb[p * 3 + 2] * 7471 + 0x8000) / 65536);
    const grey = await readOne(await png(rgb, W, H, 3), { channels: 1, mean: [0.5], std: [0.25] });
    expect(grey.shape).toEqual([1, 1, H, W]);
    expectClose(grey.x, Array.from({ length: W * H }, (_, p) => ref(L(p), 0.5, 0.25)));
    const nhwc = await readOne(await png(rgb, W, H, 3), { layout: 'nhwc' });
    expect(nhwc.shape).toEqual([1, H, W, 3]);
    expectClose(nhwc.x, Array.from({ length: W * H * 3 }, (_, i) => ref(rgb[i], mean[i % 3], std[i % 3])));
  });

  it('prefetching reads the rows asked for, in any order, with workers', async () => {
    const d = fresh();
    for (let i = 0; i < 7; i++) put(d, `c${i % 2}/${i}.png`, await png(Uint8Array.from({ length: 12 }, () => i * 30), 2, 2, 3));
    const images = await openImageFolder(d, {}, { workers: 2, ahead: 2 });
    try {
      const value = (row: number) => Number(images.folder.samples[row].name.match(/(\d)\.png/)![1]) * 30 / 255;
      for (const [s, c] of [[0, 3], [3, 3], [6, 1], [1, 2], [0, 7]] as const) {
        const x = await images.read(s, c);
        for (let r = 0; r < c; r++) expect(x[r * 12], `row ${s + r}`).toBeCloseTo(value(s + r), 6);
      }
    } finally {
      await images.close();
    }
  });
});

describe('bad images are refused by name', () => {
  async function readAll(d: string, transform: Parameters<typeof openImageFolder>[1] = {}, workers = 0): Promise<void> {
    const images = await openImageFolder(d, transform, { workers });
    try {
      await images.read(0, images.shape[0]);
    } finally {
      await images.close();
    }
  }

  it('a corrupt file, a truncated PNG, a truncated JPEG, a CMYK JPEG — with and without workers', async () => {
    const good = await png(pixels(8, 8, 3, 0), 8, 8, 3);
    const jpeg = await sharp(pixels(64, 64, 3, 1), { raw: { width: 64, height: 64, channels: 3 } }).jpeg().toBuffer();
    const cmyk = await sharp(pixels(8, 8, 3, 2), { raw: { width: 8, height: 8, channels: 3 } }).toColourspace('cmyk').jpeg().toBuffer();
    const cases: [string, Uint8Array, RegExp][] = [
      ['bad.png', Buffer.from('this is not an image at all'), /bad\.png: cannot decode the image/],
      ['cut.png', good.subarray(0, good.length - 30), /cut\.png: cannot decode the image/],
      ['cut.jpg', jpeg.subarray(0, Math.floor(jpeg.length / 2)), /cut\.jpg: cannot decode the image/],
      ['ink.jpg', cmyk, /ink\.jpg: a CMYK image; convert it to RGB first/],
      ['cut.bmp', Buffer.from([0x42, 0x4d, 1, 2, 3]), /cut\.bmp: cannot (decode the BMP image|read the BMP header)/],
    ];
    for (const workers of [0, 1]) {
      for (const [name, bytes, text] of cases) {
        const d = fresh();
        put(d, 'a/0-good.png', good);
        put(d, `a/${name}`, bytes);
        await expectError(readAll(d, { centerCrop: [8, 8] }, workers), 'BAD_FILE', text);
      }
    }
  });

  it('mixed sizes without --resize/--center-crop, naming both images', async () => {
    const d = fresh();
    put(d, 'a/1.png', await png(pixels(4, 3, 3, 0), 4, 3, 3));
    put(d, 'a/2.png', await png(pixels(5, 3, 3, 0), 5, 3, 3));
    await expectError(readAll(d), 'SHAPE', /2\.png: comes out 5 × 3 but the samples are 4 × 3 \(set by .*1\.png \(4 × 3\)\); pass --resize and\/or --center-crop/);
    // Resizing the shorter side keeps aspect ratios: still mixed; a crop fixes it.
    await expectError(readAll(d, { resize: 6 }), 'SHAPE', /pass --center-crop/);
    await readAll(d, { resize: 6, centerCrop: [6, 6] });
  });

  it('bad transform values', async () => {
    const d = fresh();
    put(d, 'a/1.png', await png(pixels(4, 3, 3, 0), 4, 3, 3));
    await expect(openImageFolder(d, { std: [1, 0, 1] })).rejects.toThrow(/std must not contain 0/);
    await expect(openImageFolder(d, { channels: 1, mean: [0.1, 0.2, 0.3] })).rejects.toThrow(/mean needs 1 or 1 values for 1 channel, got 3/);
    await expect(openImageFolder(d, { resize: 0 })).rejects.toThrow(/resize must be a positive integer/);
  });
});

describe('reading the fixtures twice gives the same bytes', () => {
  it('is deterministic across worker counts', async () => {
    const dir = new URL('./fixtures/images/mixed/', import.meta.url).pathname;
    const t = { resize: 15, centerCrop: [12, 12] as const };
    const a = await openImageFolder(dir, t, { workers: 0 });
    const b = await openImageFolder(dir, t, { workers: 2 });
    try {
      expect(Buffer.from((await a.read(0, a.shape[0])).buffer).equals(Buffer.from((await b.read(0, b.shape[0])).buffer))).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
    expect(readFileSync(join(dir, 'Zebra', 'rgb.png')).length).toBeGreaterThan(0);
  });
});
