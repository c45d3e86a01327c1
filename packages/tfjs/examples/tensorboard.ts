import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { ncCallback, losses } from '@ncscope/tfjs';
import { tensorBoardLogger } from '@ncscope/tfjs/node';

// Three Gaussian classes; an MLP whose 16-d penultimate layer is measured on the training data after every epoch.
const N = 300, K = 3;
const labels = Array.from({ length: N }, (_, i) => i % K);
const xs = tf.tidy(() => tf.add(tf.mul(tf.oneHot(tf.tensor1d(labels, 'int32'), 20), 3), tf.randomNormal([N, 20], 0, 1, 'float32', 7)));
const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), K);
const model = tfl.sequential({ layers: [
  tfl.layers.dense({ inputShape: [20], units: 16, activation: 'relu' }),
  tfl.layers.dense({ units: K }),
] });
model.compile({ optimizer: 'adam', loss: losses.crossEntropy, metrics: ['accuracy'] });

const logdir = join(mkdtempSync(join(tmpdir(), 'ncscope-tb-')), 'run1');
const nc = ncCallback({ probe: { xs, ys } });
const stop = tfl.callbacks.earlyStopping({ monitor: 'nc1', patience: 3, minDelta: 1e-4 });
await model.fit(xs, ys, {
  epochs: 30,
  validationSplit: 0.2,
  verbose: 0,
  // Order matters: ncCallback adds nc1, … to the epoch logs that the callbacks after it receive.
  callbacks: [nc, tensorBoardLogger(logdir), stop],
});
console.log(`trained ${nc.measuredEpochs.length} epochs; event files in ${logdir}/train and ${logdir}/val`);
console.log(`view them with: tensorboard --logdir ${logdir}`);
tf.dispose([xs, ys]);
