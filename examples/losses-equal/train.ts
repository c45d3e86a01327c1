/**
 * One training run of the loss-comparison examples: the MNIST MLP of examples/mnist-callback trained with one of the
 * losses Zhou et al. 2022 and Guo et al. 2024 compare, with @ncscope/tfjs's ncCallback measuring Neural Collapse of
 * the penultimate features on the whole training set. Shared by examples/losses-equal and examples/label-smoothing.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { CustomCallback } from '@tensorflow/tfjs-layers';
import type { NcReport } from '@ncscope/core';
import { losses, ncCallback } from '@ncscope/tfjs';
import type { Split } from '../mnist-callback/data.js';
import { mnistMlp } from '../mnist-callback/model.js';

/** A loss by name with its parameter: CE, LS (α), FL (γ), MSE (Hui & Belkin's rescaled square loss, target M). */
export type LossName = 'ce' | 'ls' | 'fl' | 'mse';

/**
 * Learning-rate schedules: 'halves' ÷10 after 1/2 and 3/4 of the epochs (this repository's earlier runs),
 * 'sevenths' ÷10 after ⌊3/7⌋ and ⌊5/7⌋ of the epochs (Zhou et al. 2022's code), 'constant'.
 */
export type Schedule = 'halves' | 'sevenths' | 'constant';

export interface RunConfig {
  loss: LossName;
  /** Label smoothing α (ls). */
  alpha?: number;
  /** Focal γ (fl). */
  gamma?: number;
  /** Target value M of the true class for MSE (default 1; Zhou et al.'s code: 15, i.e. F.mse_loss(z, 15·e_y)). */
  mseM?: number;
  /** Batch normalisation before each hidden ReLU (PyTorch's momentum). */
  batchNorm?: boolean;
  /** Learning-rate schedule (default 'halves'). */
  schedule?: Schedule;
  /** Apply l2 to every parameter (biases, batch-norm γ and β too), as PyTorch's weight_decay = 2·l2 does. */
  decayAll?: boolean;
  /** Seed Math.random while fitting, so tfjs's batch shuffling repeats (default: unseeded, as before). */
  seedBatches?: boolean;
  /** Width of the hidden layers; the penultimate (feature) layer has `features` units. */
  width: number;
  features: number;
  epochs: number;
  /** SGD (momentum 0.9) learning rate; divided by 10 per `schedule`. */
  lr: number;
  /** L2 penalty on every kernel (loss + l2·‖W‖², i.e. weight decay 2·l2). */
  l2: number;
  batchSize: number;
  seed: number;
  /** Measure NC every this many epochs (and after the first and last). */
  every: number;
  /** Test accuracy at measured epochs that are multiples of this (and the last); NaN at the others. Default: every. */
  testEvery?: number;
  /** JSONL log for `ncscope report`, and the run's name in it. */
  logFile?: string;
  run: string;
}

/** One NC measurement of a run (training set, penultimate features). */
export interface CurvePoint {
  epoch: number;
  loss: number;
  trainAcc: number;
  /** Accuracy on the test split (computed at measured epochs). */
  testAcc: number;
  nc1: number;
  nc1Quotient: number;
  etfMeans: number;
  etfWeights: number;
  nc3: number;
  equinorm: number;
  /** Mean over classes of the class-mean norms ‖μ_k − μ_G‖ and of the within-class variances (trace, per class). */
  meanNorm?: number;
  withinVariance?: number;
  /** Learning rate used in this epoch. */
  lr?: number;
}

export interface RunResult {
  config: RunConfig;
  curve: CurvePoint[];
  final: CurvePoint;
  seconds: number;
}

export function lossFunction(config: Pick<RunConfig, 'loss' | 'alpha' | 'gamma' | 'mseM'>): losses.LossFunction {
  switch (config.loss) {
    case 'ce':
      return losses.crossEntropy;
    case 'ls':
      return losses.labelSmoothing(config.alpha ?? 0.1);
    case 'fl':
      return losses.focal(config.gamma ?? 2);
    case 'mse':
      return losses.mse(config.mseM === undefined ? {} : { M: config.mseM });
  }
}

export function lossName(config: Pick<RunConfig, 'loss' | 'alpha' | 'gamma' | 'mseM'>): string {
  if (config.loss === 'mse' && config.mseM !== undefined && config.mseM !== 1) return `MSE M=${config.mseM}`;
  return config.loss === 'ls' ? `LS α=${config.alpha ?? 0.1}` : config.loss === 'fl' ? `FL γ=${config.gamma ?? 2}` : config.loss.toUpperCase();
}

const average = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;

/** The learning rate of a (0-based) epoch under a schedule. */
export function scheduledRate(lr: number, epochs: number, schedule: Schedule, epoch: number): number {
  if (schedule === 'constant') return lr;
  if (schedule === 'sevenths') return lr * (epoch < Math.floor((3 * epochs) / 7) ? 1 : epoch < Math.floor((5 * epochs) / 7) ? 0.1 : 0.01);
  return lr * (epoch < epochs / 2 ? 1 : epoch < (3 * epochs) / 4 ? 0.1 : 0.01);
}

/** A seeded uniform [0, 1) generator (mulberry32), for reproducible batch order. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fraction of `split` the model classifies correctly (argmax of the logits). */
export function accuracy(model: tfl.LayersModel, split: Split): number {
  return tf.tidy(() => {
    const predicted = tf.argMax(model.predict(split.xs) as tf.Tensor2D, 1);
    const correct = tf.sum(tf.cast(tf.equal(predicted, tf.tensor1d(split.labels, 'int32')), 'float32'));
    return (correct.dataSync()[0] as number) / split.labels.length;
  });
}

/** Trains one model on `train` (one-hot ys) and measures NC on it; test accuracy from `test` each measured epoch. */
export async function trainRun(config: RunConfig, train: Split, test: Split): Promise<RunResult> {
  const model = mnistMlp({ hidden: config.width, D: config.features, l2: config.l2, seed: config.seed, batchNorm: config.batchNorm, decayAll: config.decayAll, bnMomentum: 0.9 });
  const optimizer = tf.train.momentum(config.lr, 0.9);
  model.compile({ optimizer, loss: lossFunction(config) });
  const learningRate = (epoch: number) => scheduledRate(config.lr, config.epochs, config.schedule ?? 'halves', epoch);
  const curve: CurvePoint[] = [];
  const started = performance.now();
  const callback = ncCallback({
    probe: { xs: train.xs, ys: train.ys },
    every: config.every,
    logFile: config.logFile,
    run: config.run,
    onReport: (report: NcReport, epoch: number, info) => {
      const m = report.metrics;
      const last = epoch + 1 === config.epochs;
      const testAcc = last || (epoch + 1) % (config.testEvery ?? config.every) === 0 ? accuracy(model, test) : NaN;
      curve.push({
        epoch: epoch + 1,
        loss: info.logs.loss,
        trainAcc: m.classifierAccuracy!,
        testAcc,
        nc1: m.nc1!,
        nc1Quotient: m.nc1Quotient!,
        etfMeans: m.etfErrorMeans,
        etfWeights: m.etfErrorWeights!,
        nc3: m.nc3Zhu!,
        equinorm: m.equinormMeans,
        ...(report.perClass ? { meanNorm: average(report.perClass.meanNorms) } : {}),
        ...(report.perClass?.variances ? { withinVariance: average(report.perClass.variances) } : {}),
        lr: learningRate(epoch),
      });
    },
  });
  const random = Math.random;
  if (config.seedBatches) Math.random = seededRandom(config.seed * 7919 + 17);
  try {
  await model.fit(train.xs, train.ys, {
    epochs: config.epochs,
    batchSize: config.batchSize,
    callbacks: [callback, new CustomCallback({ onEpochBegin: (epoch) => optimizer.setLearningRate(learningRate(epoch)) }, 'never')],
    verbose: 0,
  });
  } finally {
    Math.random = random;
  }
  model.dispose();
  optimizer.dispose();
  return { config, curve, final: curve[curve.length - 1], seconds: (performance.now() - started) / 1000 };
}
