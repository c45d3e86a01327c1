/**
 * Issue 3 benchmark: the cost of the Neural Collapse callback per epoch. The MNIST MLP of examples/mnist-callback's
 * full run (784 → 128 → 128 → 64 → 10, MSE loss, SGD with momentum, batch 64) trains on 5,000 real digits on the
 * tfjs wasm backend; blocks of epochs without and with `ncCallback` measuring a 2,000-image probe after every epoch
 * alternate (so drift in machine load hits both alike). Prints the median epoch time of each, the overhead, and the time a measurement
 * itself takes (forward pass of the probe, both statistics phases on device, the core report). Target: ≤ 5 %.
 */
import { cpus, loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { CustomCallback } from '@tensorflow/tfjs-layers';
import { losses, ncCallback } from '@ncscope/tfjs';
import { selectBackend } from '../examples/mnist-callback/backend.js';
import { loadMnist } from '../examples/mnist-callback/data.js';
import { mnistMlp } from '../examples/mnist-callback/model.js';

const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 3);
const EPOCHS_PER_BLOCK = Number(process.env.BENCH_EPOCHS ?? 3);
const backend = await selectBackend(process.env.BENCH_BACKEND ?? 'wasm');
const { train } = loadMnist(500, 1);
const probe = loadMnist(200, 1).train; // the first 200 images of each digit: 2,000 images, all in the training set
const model = mnistMlp({ hidden: 128, D: 64, l2: 2.5e-4 });
model.compile({ optimizer: tf.train.momentum(0.1, 0.9), loss: losses.mse(), metrics: ['accuracy'] });

/** Records each epoch's wall time; listed last, so the NC measurement (in an earlier callback) falls inside it. */
class EpochTimer extends CustomCallback {
  times: number[] = [];
  private t0 = 0;
  constructor() {
    const self: { t?: EpochTimer } = {};
    super({ onEpochBegin: () => { self.t!.t0 = performance.now(); }, onEpochEnd: () => { self.t!.times.push((performance.now() - self.t!.t0) / 1000); } }, 'never');
    self.t = this;
  }
}

const nc = ncCallback({ probe: { xs: probe.xs, ys: probe.ys }, every: 1 });
const measurementSeconds: number[] = [];
const withNc: number[] = [];
const without: number[] = [];
await model.fit(train.xs, train.ys, { epochs: 1, batchSize: 64, verbose: 0, callbacks: [nc] }); // warm-up
for (let b = 0; b < BLOCKS; b++) {
  const plain = new EpochTimer();
  await model.fit(train.xs, train.ys, { epochs: EPOCHS_PER_BLOCK, batchSize: 64, verbose: 0, callbacks: [plain] });
  without.push(...plain.times);
  const timed = new EpochTimer();
  const cb = ncCallback({ probe: { xs: probe.xs, ys: probe.ys }, every: 1, onReport: () => { measurementSeconds.push(cb.lastSeconds); } });
  await model.fit(train.xs, train.ys, { epochs: EPOCHS_PER_BLOCK, batchSize: 64, verbose: 0, callbacks: [cb, timed] });
  withNc.push(...timed.times);
}

const median = (a: number[]) => { const s = a.slice().sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const eWithout = median(without);
const eWith = median(withNc);
const measure = median(measurementSeconds);
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; tfjs backend ${backend}`);
console.log(`MNIST MLP 784-128-128-64-10, 5,000 training images, batch 64; NC probe 2,000 images measured after every epoch; ${BLOCKS} × ${EPOCHS_PER_BLOCK} epochs each way`);
console.log('');
console.log('                              median      all (s)');
console.log(`epoch without callback     ${eWithout.toFixed(3).padStart(8)} s   ${without.map((t) => t.toFixed(2)).join(' ')}`);
console.log(`epoch with callback        ${eWith.toFixed(3).padStart(8)} s   ${withNc.map((t) => t.toFixed(2)).join(' ')}`);
console.log(`one NC measurement         ${measure.toFixed(3).padStart(8)} s   ${measurementSeconds.map((t) => t.toFixed(3)).join(' ')}`);
console.log('');
console.log(`overhead (epoch medians):              ${(((eWith - eWithout) / eWithout) * 100).toFixed(1)} %`);
console.log(`overhead (measurement / epoch without): ${((measure / eWithout) * 100).toFixed(1)} %   (target ≤ 5 %)`);
tf.dispose([train.xs, train.ys, probe.xs, probe.ys]);
model.dispose();
