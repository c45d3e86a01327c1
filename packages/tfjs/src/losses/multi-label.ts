import { NcInputError } from '@ncscope/core';
import * as tf from '@tensorflow/tfjs-core';
import { PROBABILITY_EPSILON, configurable, oneHotTargets, type ConfigurableLoss, type FromLogitsOption, type LossFunction } from './losses.js';

/**
 * Losses for multi-label classification, `(yTrue, yPred) => per-sample loss [n]` like the others. `yTrue` is
 * multi-hot n × K (0/1 floats; integer labels [n] / [n, 1] are read as one label each), `yPred` n × K logits by
 * default. Targets are not inspected on the device (that would cost a download per batch): pass 0/1 values.
 */

/** Options of {@link pickAllLabels}. */
export interface PickAllLabelsOptions extends FromLogitsOption {
  /** Divide by the number of labels |S| (the "normalised" PAL-N variant); default false, as in Li et al. */
  normalize?: boolean;
}

/**
 * Pick-all-label cross-entropy (Li et al. 2023, "Neural collapse in multi-label learning with pick-all-label loss";
 * the pick-all-labels reduction of Menon et al. 2019 / Reddi et al. 2019): the sum over the sample's labels of the
 * softmax cross-entropy with that label,
 *
 *   ℓ(z, S) = Σ_{k∈S} −log softmax(z)_k = |S| · logsumexp(z) − Σ_{k∈S} z_k,
 *
 * which is what PyTorch's `CrossEntropyLoss` computes for a multi-hot float target (the paper's code trains with it).
 * Its gradient is |S|·softmax(z) − y. With `normalize: true`, ℓ / |S| (rows without a label give 0 either way).
 * Use as `loss: losses.pickAllLabels`, or `losses.pickAllLabels({ normalize: true })`.
 */
export const pickAllLabels: ConfigurableLoss<PickAllLabelsOptions> = configurable((o) => makePickAllLabels(o ?? {}));

function makePickAllLabels(options: PickAllLabelsOptions): LossFunction {
  const fromLogits = options.fromLogits ?? true;
  const normalize = options.normalize ?? false;
  return (yTrue, yPred) => tf.tidy(() => {
    const y = oneHotTargets(yTrue, yPred);
    const logp = fromLogits ? tf.logSoftmax(yPred) : tf.log(tf.clipByValue(yPred, PROBABILITY_EPSILON, 1));
    const loss = tf.neg(tf.sum(tf.mul(y, logp), -1));
    return normalize ? tf.div(loss, tf.maximum(tf.sum(y, -1), 1)) : loss;
  });
}

/** Options of {@link binaryCrossEntropy}. */
export interface BinaryCrossEntropyOptions extends FromLogitsOption {
  /** Over the K outputs: 'mean' (default; Keras' binaryCrossentropy, PyTorch's BCEWithLogitsLoss) or 'sum'. */
  reduction?: 'mean' | 'sum';
}

/**
 * Binary cross-entropy with a sigmoid per output — one independent yes/no per label, the usual multi-label baseline:
 *
 *   ℓ(z, y) = (1/K) Σ_k [ −y_k log σ(z_k) − (1 − y_k) log(1 − σ(z_k)) ] = (1/K) Σ_k [ softplus(z_k) − y_k z_k ],
 *
 * computed as max(z, 0) − y z + log(1 + e^{−|z|}) (stable for large |z|); its gradient is (σ(z) − y)/K. `reduction:
 * 'sum'` drops the 1/K. With `fromLogits: false`, yPred holds probabilities, clipped to [1e−7, 1 − 1e−7].
 */
export const binaryCrossEntropy: ConfigurableLoss<BinaryCrossEntropyOptions> = configurable((o) => makeBinaryCrossEntropy(o ?? {}));

function makeBinaryCrossEntropy(options: BinaryCrossEntropyOptions): LossFunction {
  const fromLogits = options.fromLogits ?? true;
  const reduction = options.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum') throw new NcInputError('BAD_OPTION', `binaryCrossEntropy: reduction must be 'mean' or 'sum', got ${String(reduction)}`);
  return (yTrue, yPred) => tf.tidy(() => {
    const y = oneHotTargets(yTrue, yPred);
    let perOutput: tf.Tensor;
    if (fromLogits) {
      perOutput = tf.add(tf.sub(tf.relu(yPred), tf.mul(y, yPred)), tf.log1p(tf.exp(tf.neg(tf.abs(yPred)))));
    } else {
      const p = tf.clipByValue(yPred, PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON);
      perOutput = tf.neg(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p)))));
    }
    return reduction === 'mean' ? tf.mean(perOutput, -1) : tf.sum(perOutput, -1);
  });
}
