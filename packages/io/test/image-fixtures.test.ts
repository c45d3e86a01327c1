/**
 * Image folders against PIL + torchvision: the fixtures (scripts/image-fixtures.py, run once with Debian's
 * python3-pil 9.4 and python3-torchvision 0.14) hold images of every kind and the tensors torchvision's ImageFolder
 * makes of them under six transform sets. Lossless images must come out equal bit for bit (decoded, resized,
 * cropped, grey, normalized). JPEG and lossy WebP decode through other builds of the decoders (sharp's mozjpeg and
 * libwebp vs Debian's libjpeg-turbo and libwebp under PIL); their integer decoders agree here too, so every file,
 * lossy or not, is compared bit for bit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseNpy } from '@ncscope/core';
import { decodeImage, listImageFolder, openImageFolder, type ImageTransform } from '../src/images/index.js';

const DIR = fileURLToPath(new URL('./fixtures/images/', import.meta.url));
interface Case {
  folder: string;
  resize: number | [number, number] | null;
  crop: number | [number, number] | null;
  grey: boolean;
  mean: number[];
  std: number[];
  interpolation?: 'bilinear' | 'bicubic';
  classes: string[];
  samples: [string, number][];
  shape: number[];
}
const meta = JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8')) as { cases: Record<string, Case> };

function transformOf(c: Case): ImageTransform {
  const crop = c.crop === null ? undefined : typeof c.crop === 'number' ? ([c.crop, c.crop] as const) : ([c.crop[0], c.crop[1]] as const);
  return {
    resize: c.resize === null ? undefined : typeof c.resize === 'number' ? c.resize : [c.resize[0], c.resize[1]],
    centerCrop: crop,
    interpolation: c.interpolation ?? 'bilinear',
    channels: c.grey ? 1 : 3,
    mean: c.mean,
    std: c.std,
  };
}

describe('image folders equal PIL + torchvision', () => {
  for (const [name, c] of Object.entries(meta.cases)) {
    for (const workers of [0, 2]) {
      it(`${name} (${workers} decode workers)`, async () => {
        const expected = parseNpy(readFileSync(join(DIR, `${name}.npy`)), name).data as Float32Array;
        const images = await openImageFolder(join(DIR, c.folder), transformOf(c), { workers });
        try {
          expect(images.classes).toEqual(c.classes);
          expect(images.folder.samples.map((s) => [s.name, s.label])).toEqual(c.samples);
          expect(images.shape).toEqual(c.shape);
          const per = c.shape.slice(1).reduce((a, b) => a * b, 1);
          // Batches of 4 (the last one short), read in order: prefetching must hand back the right rows.
          const got = new Float32Array(expected.length);
          for (let s = 0; s < c.shape[0]; s += 4) got.set(await images.read(s, Math.min(4, c.shape[0] - s)), s * per);
          for (let i = 0; i < c.samples.length; i++) {
            const a = got.subarray(i * per, (i + 1) * per);
            const b = expected.subarray(i * per, (i + 1) * per);
            // Bit for bit: compare the float32 bit patterns.
            const bitsA = new Uint32Array(a.buffer, a.byteOffset, per);
            const bitsB = new Uint32Array(b.buffer, b.byteOffset, per);
            const diff = bitsA.findIndex((bits, j) => bits !== bitsB[j]);
            expect(diff, `${c.samples[i][0]}: first differing value at ${diff}: ${a[diff]} vs ${b[diff]}`).toBe(-1);
          }
        } finally {
          await images.close();
        }
      });
    }
  }

  it('decodes every file to the pixels of PIL convert("RGB")', async () => {
    for (const folder of ['same', 'mixed']) {
      const pixels = JSON.parse(readFileSync(join(DIR, `${folder}-pixels.json`), 'utf8')) as Record<string, number[][][]>;
      const listed = await listImageFolder(join(DIR, folder));
      expect(Object.keys(pixels).sort()).toEqual(listed.samples.map((s) => s.name).sort());
      for (const s of listed.samples) {
        const img = await decodeImage(readFileSync(s.path), s.name);
        const ref = pixels[s.name];
        expect([img.width, img.height]).toEqual([ref[0].length, ref.length]);
        expect(Array.from(img.data), s.name).toEqual(ref.flat(2));
      }
    }
  });
});
