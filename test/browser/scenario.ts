/**
 * The small training run the browser test repeats on every backend, shared by the page (bundled from the packages'
 * built entries) and the Node side of the test: seeded data and initial weights, the model, the fit options.
 * Small on purpose: WebGL in headless Chromium runs on SwiftShader, a CPU rasterizer.
 */
import { mulberry32 } from '@ncscope/core';
import { losses } from '@ncscope/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export const SCENARIO = { N: 240, INPUT: 10, HIDDEN: 12, K: 4, EPOCHS: 6, EVERY: 2, BATCH: 60, LEARNING_RATE: 0.1 } as const;

/** Plain arrays that cross the page boundary as JSON. */
export interface ScenarioData {
  x: number[];
  labels: number[];
}

export interface WeightArray {
  shape: number[];
  values: number[];
}

/** K Gaussian blobs in INPUT dimensions (class centres 3 apart, unit noise), classes interleaved. */
export function scenarioData(seed = 11): ScenarioData {
  const rand = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const { N, INPUT, K } = SCENARIO;
  const centres = Array.from({ length: K }, () => Array.from({ length: INPUT }, () => 1.5 * gauss()));
  const labels = Array.from({ length: N }, (_, i) => i % K);
  const x = labels.flatMap((k) => centres[k].map((c) => c + gauss()));
  return { x, labels };
}

/** Glorot-uniform kernels and zero biases, from a seeded generator (the same numbers in Node and the page). */
export function scenarioWeights(seed = 5): WeightArray[] {
  const rand = mulberry32(seed);
  const { INPUT, HIDDEN, K } = SCENARIO;
  const kernel = (fanIn: number, fanOut: number): WeightArray => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return { shape: [fanIn, fanOut], values: Array.from({ length: fanIn * fanOut }, () => (2 * rand() - 1) * limit) };
  };
  return [kernel(INPUT, HIDDEN), { shape: [HIDDEN], values: new Array(HIDDEN).fill(0) }, kernel(HIDDEN, K), { shape: [K], values: new Array(K).fill(0) }];
}

/** The MLP: INPUT → HIDDEN (ReLU; the measured features) → K logits, SGD with softmax cross-entropy on the logits. */
export function scenarioModel(weights: readonly WeightArray[]): tfl.Sequential {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [SCENARIO.INPUT], units: SCENARIO.HIDDEN, activation: 'relu', name: 'features' }),
      tfl.layers.dense({ units: SCENARIO.K, name: 'classifier' }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(SCENARIO.LEARNING_RATE), loss: losses.crossEntropy, metrics: ['accuracy'] });
  setWeights(model, weights);
  return model;
}

/** Loads plain weight arrays into the model (the temporary tensors are disposed). */
export function setWeights(model: tfl.LayersModel, weights: readonly WeightArray[]): void {
  const tensors = weights.map((w) => tf.tensor(w.values, w.shape, 'float32'));
  model.setWeights(tensors);
  tf.dispose(tensors);
}

/** The model's weights as plain arrays. */
export function getWeights(model: tfl.LayersModel): WeightArray[] {
  return model.getWeights().map((w) => ({ shape: w.shape.slice(), values: Array.from(w.dataSync()) }));
}

/** The data as tensors: xs [N, INPUT], ys one-hot [N, K]. */
export function scenarioTensors(data: ScenarioData): { xs: tf.Tensor2D; ys: tf.Tensor2D } {
  return tf.tidy(() => ({
    xs: tf.tensor2d(data.x, [SCENARIO.N, SCENARIO.INPUT]),
    ys: tf.cast(tf.oneHot(tf.tensor1d(data.labels, 'int32'), SCENARIO.K), 'float32') as tf.Tensor2D,
  }));
}
