import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { ncCallback, losses } from '@ncscope/tfjs';

// Three Gaussian classes in 20 dimensions; an MLP with a 16-d penultimate layer and a linear classifier.
const N = 300, K = 3;
const labels = Array.from({ length: N }, (_, i) => i % K);
const xs = tf.tidy(() => tf.add(tf.mul(tf.oneHot(tf.tensor1d(labels, 'int32'), 20), 3), tf.randomNormal([N, 20], 0, 1, 'float32', 7)));
const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), K);

// Seeded initializers and `shuffle: false` below make every run print the same numbers.
const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
const model = tfl.sequential({ layers: [
  tfl.layers.dense({ inputShape: [20], units: 32, activation: 'relu', kernelInitializer: init(1) }),
  tfl.layers.dense({ units: 16, activation: 'relu', kernelInitializer: init(2) }), // the penultimate features
  tfl.layers.dense({ units: K, kernelInitializer: init(3) }),                      // the classifier W, b (logits)
] });
model.compile({ optimizer: 'adam', loss: losses.crossEntropy, metrics: ['accuracy'] });

const history = await model.fit(xs, ys, {
  epochs: 30,
  shuffle: false,
  verbose: 0,
  callbacks: [ncCallback({ probe: { xs, ys }, every: 10 })],
});
console.log('NC1 per measured epoch:', (history.history.nc1 as number[]).map((v) => v.toFixed(4)).join(', '));
console.log('training accuracy at the end:', (history.history.acc as number[]).at(-1)!.toFixed(3));
tf.dispose([xs, ys]);
