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

/** A loss by name with its parameter: CE, LS (α), FL (γ), MSE (Hui & Belkin with k = M = 1). */
export type LossName = 'ce' | 'ls' | 'fl' | 'mse';

export interface RunConfig {
  loss: LossName;
  /** Label smoothing α (ls). */
  alpha?: number;
  /** Focal γ (fl). */
  gamma?: number;
  /** Width of the hidden layers; the penultimate (feature) layer has `features` units. */
  width: number;
  features: number;
  epochs: number;
  /** SGD (momentum 0.9) learning rate; divided by 10 after 1/2 and 3/4 of the epochs. */
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
}

export interface RunResult {
  config: RunConfig;
  curve: CurvePoint[];
  final: CurvePoint;
  seconds: number;
}

export function lossFunction(config: Pick<RunConfig, 'loss' | 'alpha' | 'gamma'>): losses.LossFunction {
  switch (config.loss) {
    case 'ce':
      return losses.crossEntropy;
    case 'ls':
      return losses.labelSmoothing(config.alpha ?? 0.1);
    case 'fl':
      return losses.focal(config.gamma ?? 2);
    case 'mse':
      return losses.mse();
  }
}

export function lossName(config: Pick<RunConfig, 'loss' | 'alpha' | 'gamma'>): string {
  return config.loss === 'ls' ? `LS α=${config.alpha ?? 0.1}` : config.loss === 'fl' ? `FL γ=${config.gamma ?? 2}` : config.loss.toUpperCase();
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
  const model = mnistMlp({ hidden: config.width, D: config.features, l2: config.l2, seed: config.seed });
  const optimizer = tf.train.momentum(config.lr, 0.9);
  model.compile({ optimizer, loss: lossFunction(config) });
  const learningRate = (epoch: number) => config.lr * (epoch < config.epochs / 2 ? 1 : epoch < (3 * config.epochs) / 4 ? 0.1 : 0.01);
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
      });
    },
  });
  await model.fit(train.xs, train.ys, {
    epochs: config.epochs,
    batchSize: config.batchSize,
    callbacks: [callback, new CustomCallback({ onEpochBegin: (epoch) => optimizer.setLearningRate(learningRate(epoch)) }, 'never')],
    verbose: 0,
  });
  model.dispose();
  optimizer.dispose();
  return { config, curve, final: curve[curve.length - 1], seconds: (performance.now() - started) / 1000 };
}
