import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { deq, deqMonitor, losses, ncCallback } from '@ncscope/tfjs';

// Four Gaussian classes in 10 dimensions.
const N = 400, K = 4;
const labels = tf.tensor1d(Array.from({ length: N }, (_, i) => i % K), 'int32');
const xs = tf.tidy(() => tf.add(tf.mul(tf.oneHot(labels, 10), 2), tf.randomNormal([N, 10], 0, 1, 'float32', 3)));
const ys = tf.oneHot(labels, K);

// z* = relu(W z* + U x + b), ‖W‖₂ ≤ 0.9; Anderson forward, implicit-differentiation backward.
const input = tfl.input({ shape: [10] });
const layer = deq({ units: 24, maxSpectralNorm: 0.9, tolerance: 1e-4, seed: 1, name: 'deq' });
const z = layer.apply(input) as tfl.SymbolicTensor;
const model = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: K, kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }), name: 'classifier' }).apply(z) as tfl.SymbolicTensor });
model.compile({ optimizer: tf.train.adam(0.01), loss: losses.crossEntropy });

const history = await model.fit(xs, ys, {
  epochs: 20,
  batchSize: 50,
  shuffle: false, // (rows already cycle through the classes) — so the printout below is reproducible
  verbose: 0,
  // deqMonitor first: it writes the solver statistics into the epoch logs; NC of z* (the classifier's input).
  callbacks: [deqMonitor(layer), ncCallback({ probe: { xs, ys }, every: 10 })],
});
const h = history.history;
console.log(`NC1 of the equilibrium features: ${(h.nc1 as number[]).map((v) => v.toFixed(3)).join(' → ')}`);
console.log(`last epoch: ${(h.deq_forward_iterations.at(-1) as number).toFixed(1)} forward and ${(h.deq_backward_iterations.at(-1) as number).toFixed(1)} backward iterations per batch, worst residual ${(h.deq_forward_residual_max.at(-1) as number).toExponential(1)}, ‖W‖₂ = ${layer.spectralNorm().toFixed(3)}`);
tf.dispose([labels, xs, ys]);
