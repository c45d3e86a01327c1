import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mulberry32 } from '@ncscope/core';

/**
 * Gaussian clusters: K classes in dIn dimensions, centres (drawn from `centreSeed`, the same for training and probe
 * sets) of norm ≈ 2·spread, unit noise drawn from `seed`; rows cycle through the classes.
 */
export function clusters(n: number, K: number, dIn: number, seed = 1, spread = 3, centreSeed = 1000): { xs: tf.Tensor2D; labels: Int32Array; oneHot: tf.Tensor2D; ints: tf.Tensor1D } {
  const gaussian = (random: () => number) => () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const normal = gaussian(mulberry32(seed));
  const centreNormal = gaussian(mulberry32(centreSeed));
  const centres = Array.from({ length: K }, () => Array.from({ length: dIn }, () => (centreNormal() * spread * 2) / Math.sqrt(dIn)));
  const x = new Float32Array(n * dIn);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = i % K;
    labels[i] = y;
    for (let t = 0; t < dIn; t++) x[i * dIn + t] = centres[y][t] + normal();
  }
  return {
    xs: tf.tensor2d(x, [n, dIn]),
    labels,
    ints: tf.tensor1d(labels, 'int32'),
    oneHot: tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), K), 'float32') as tf.Tensor2D),
  };
}

const init = (seed: number) => tfl.initializers.glorotUniform({ seed });

/** A small Sequential MLP dIn → hidden → D → K with seeded initializers; `last` is the classifier's activation. */
export function sequentialMlp(dIn: number, hidden: number, D: number, K: number, last: 'softmax' | 'linear' = 'linear', seed = 7): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [dIn], units: hidden, activation: 'relu', kernelInitializer: init(seed), name: 'hidden1' }),
      tfl.layers.dense({ units: D, activation: 'relu', kernelInitializer: init(seed + 1), name: 'features' }),
      tfl.layers.dense({ units: K, activation: last, kernelInitializer: init(seed + 2), name: 'classifier' }),
    ],
  });
}

/** The same network as a functional model, with a separate softmax Activation layer when `last` is softmax. */
export function functionalMlp(dIn: number, hidden: number, D: number, K: number, last: 'softmax' | 'linear' = 'linear', seed = 7): tfl.LayersModel {
  const input = tfl.input({ shape: [dIn], name: 'x' });
  const h1 = tfl.layers.dense({ units: hidden, activation: 'relu', kernelInitializer: init(seed), name: 'f_hidden1' }).apply(input) as tfl.SymbolicTensor;
  const h2 = tfl.layers.dense({ units: D, activation: 'tanh', kernelInitializer: init(seed + 1), name: 'f_features' }).apply(h1) as tfl.SymbolicTensor;
  let out = tfl.layers.dense({ units: K, kernelInitializer: init(seed + 2), name: 'f_classifier' }).apply(h2) as tfl.SymbolicTensor;
  if (last === 'softmax') out = tfl.layers.activation({ activation: 'softmax', name: 'f_softmax' }).apply(out) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

/** Relative difference with a floor, |a − b| / max(|b|, floor). */
export function relDiff(a: number, b: number, floor = 1e-12): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), floor);
}

/**
 * Softmax cross-entropy on logits, for the linear heads of these fixtures. (Keras's 'categoricalCrossentropy' expects
 * probabilities: on raw logits it divides by their sum, which can pass through 0 and make the weights NaN.)
 */
export const softmaxCrossEntropy = (y: tf.Tensor, z: tf.Tensor): tf.Scalar => tf.losses.softmaxCrossEntropy(y, z) as tf.Scalar;
