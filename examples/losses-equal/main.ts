/**
 * Are all losses created equal? (Zhou et al. 2022, NeurIPS) — their protocol, scaled to an MLP on MNIST.
 *
 * Zhou et al.'s code trains a WideResNet50 (width factors 0.25–2) on CIFAR-10/100 with cross-entropy, label smoothing
 * α = 0.05, focal loss γ = 3 and the square loss against 15·e_y (F.mse_loss, mean over the n × K outputs), all at one
 * learning rate: SGD momentum 0.9, lr 0.1 ÷10 after ⌊3/7⌋ and ⌊5/7⌋ of the epochs, weight decay 5e-4 on every
 * parameter, batch 100, 100–800 epochs, seeds 1, 123, 321. Here the same losses, optimiser, schedule shape, weight
 * decay and batch size train a batch-normalised MLP 784 → w → w → w → 10 on MNIST digits, over a width × epochs grid.
 * The claim: with large enough networks trained long enough, all four losses reach the same collapsed features and
 * the same test accuracy.
 *
 *   node --conditions=@ncscope/source --import tsx examples/losses-equal/main.ts --quick      # a minute: w 32, 10 epochs, into runs/
 *   node --conditions=@ncscope/source --import tsx examples/losses-equal/main.ts --widths 64 --epochs 100,200
 *   node --conditions=@ncscope/source --import tsx examples/losses-equal/main.ts            # the whole grid (hours)
 *
 * Each run writes results/grid/w<width>-e<epochs>-<loss>-s<seed>.json when it finishes and is skipped when that file
 * exists, so the grid can be split over processes and sessions; `npm run tables` rebuilds the README from the files.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../mnist-callback/backend.js';
import { loadMnist } from '../mnist-callback/data.js';
import { hasResult, startTimer, writeResult } from '../lib/results.js';
import { lossName, trainRun, type LossName, type RunConfig } from './train.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'wasm' },
    widths: { type: 'string', default: '64,256' },
    epochs: { type: 'string', default: '50,100,200' },
    seeds: { type: 'string', default: '1' },
    losses: { type: 'string', default: 'ce,ls,fl,mse' },
    'train-per-class': { type: 'string', default: '100' },
    'test-per-class': { type: 'string', default: '300' },
  },
});

/** The paper's settings (Zhou et al.'s train.py defaults), shared by every loss. */
export const PAPER = { lr: 0.1, momentum: 0.9, weightDecay: 5e-4, batchSize: 100, schedule: 'sevenths', alpha: 0.05, gamma: 3, mseM: 15 } as const;

const quick = args.quick;
const widths = (quick ? '32' : args.widths!).split(',').map(Number);
const epochList = (quick ? '10' : args.epochs!).split(',').map(Number);
const seeds = (quick ? '1' : args.seeds!).split(',').map(Number);
const lossList = args.losses!.split(',') as LossName[];
const trainPerClass = Number(args['train-per-class']);
const testPerClass = Number(args['test-per-class']);
const resultsRoot = quick ? join('runs', 'losses-equal-quick') : here;

const backend = await selectBackend(args.backend!);
const { train, test } = loadMnist(trainPerClass, testPerClass);
console.log(`MNIST: ${train.labels.length} training images, ${test.labels.length} test images; BN MLP widths ${widths.join(', ')}; epochs ${epochList.join(', ')}; seeds ${seeds.join(', ')}; ${backend}`);
for (const epochs of epochList) {
  for (const width of widths) {
    for (const seed of seeds) {
      for (const loss of lossList) {
        const run = `grid/w${width}-e${epochs}-${loss}-s${seed}`;
        if (hasResult(resultsRoot, run)) {
          console.log(`${run}: result file exists, skipped`);
          continue;
        }
        const config: RunConfig = {
          loss, alpha: PAPER.alpha, gamma: PAPER.gamma, mseM: PAPER.mseM, width, features: width, batchNorm: true, decayAll: true,
          epochs, lr: PAPER.lr, l2: PAPER.weightDecay / 2, batchSize: PAPER.batchSize, schedule: PAPER.schedule, seed, seedBatches: true,
          every: Math.max(1, Math.round(epochs / 10)), testEvery: epochs, run,
        };
        const timer = startTimer(backend);
        const out = await trainRun(config, train, test);
        const time = timer.elapsed();
        const { run: _run, seed: _seed, logFile: _log, ...protocol } = config;
        writeResult(resultsRoot, {
          example: 'losses-equal', run, seed, machine: timer.machine, ...time,
          protocol: { ...protocol, lossName: lossName(config), momentum: PAPER.momentum, weightDecay: PAPER.weightDecay, trainPerClass, testPerClass, steps: epochs * Math.ceil(train.labels.length / PAPER.batchSize) },
          result: { final: out.final, curve: out.curve },
        });
        const f = out.final;
        console.log(`${run.padEnd(26)} train ${f.trainAcc.toFixed(4)}  test ${f.testAcc.toFixed(4)}  NC1 ${f.nc1.toExponential(2)}  ETF(M) ${f.etfMeans.toFixed(3)}  NC3 ${f.nc3.toFixed(3)}  ${time.seconds} s`);
      }
    }
  }
}
tf.dispose([train.xs, train.ys, test.xs, test.ys]);
