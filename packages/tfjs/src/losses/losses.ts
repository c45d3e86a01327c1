import { NcInputError } from '@ncscope/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Losses the Neural Collapse literature compares (Zhou et al. 2022, "Are all losses created equal?"; Han, Papyan &
 * Donoho 2022 for MSE), as `(yTrue, yPred) => per-sample loss [n]` functions for `model.compile({ loss })`.
 * Weighted and averaged over the batch by tfjs-layers like its built-in losses.
 *
 * Inputs: `yPred` is n × K. By default it is read as **logits** — the outputs of a linear last layer
 * (`dense({ units: K })` with no activation), the setting of the NC papers, and numerically the stable one.
 * Pass `{ fromLogits: false }` to the cross-entropy family when the last layer has a softmax (probabilities are then
 * clipped to [1e−7, 1] before the log). `yTrue` is one-hot n × K, or integer class labels [n] / [n, 1].
 */
export type LossFunction = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/** Whether `yPred` holds logits (default) or probabilities. */
export interface FromLogitsOption {
  fromLogits?: boolean;
}

/** The floor probabilities are clipped to when `fromLogits: false`. */
export const PROBABILITY_EPSILON = 1e-7;

/** One-hot float targets n × K from one-hot or integer labels. */
export function oneHotTargets(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const K = yPred.shape[yPred.rank - 1];
    if (yPred.rank !== 2) throw new NcInputError('SHAPE', `loss: predictions must be n × K, got shape [${yPred.shape.join(', ')}]`);
    if (yTrue.rank === 2 && yTrue.shape[1] === K && K !== 1) return tf.cast(yTrue, 'float32') as tf.Tensor2D;
    if (yTrue.rank === 1 || (yTrue.rank === 2 && yTrue.shape[1] === 1)) {
      return tf.cast(tf.oneHot(tf.cast(tf.reshape(yTrue, [-1]), 'int32'), K), 'float32') as tf.Tensor2D;
    }
    throw new NcInputError('SHAPE', `loss: labels of shape [${yTrue.shape.join(', ')}] fit neither one-hot n × ${K} nor integer [n] / [n, 1]`);
  });
}

/** log p (n × K) from logits (log-softmax) or probabilities (clipped log). */
function logProbabilities(yPred: tf.Tensor, fromLogits: boolean): tf.Tensor2D {
  return (fromLogits ? tf.logSoftmax(yPred) : tf.log(tf.clipByValue(yPred, PROBABILITY_EPSILON, 1))) as tf.Tensor2D;
}

/** Cross-entropy against (possibly smoothed) targets: ℓ = −Σ_k t_k log p_k. */
function crossEntropyAgainst(targets: (y: tf.Tensor2D) => tf.Tensor2D, fromLogits: boolean): LossFunction {
  return (yTrue, yPred) => tf.tidy(() => tf.neg(tf.sum(tf.mul(targets(oneHotTargets(yTrue, yPred)), logProbabilities(yPred, fromLogits)), -1)));
}

/** A loss usable directly in `compile` (defaults) and callable with options to make a configured one. */
export interface ConfigurableLoss<O> {
  (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor;
  (options: O): LossFunction;
}

/** A {@link ConfigurableLoss} from a factory of configured losses (called once with no options for the default). */
export function configurable<O>(make: (options: O | undefined) => LossFunction): ConfigurableLoss<O> {
  const byDefault = make(undefined);
  return ((a: tf.Tensor | O, b?: tf.Tensor) => (a instanceof tf.Tensor ? byDefault(a, b!) : make(a))) as ConfigurableLoss<O>;
}

/**
 * Softmax cross-entropy, ℓ(z, y) = −Σ_k y_k log softmax(z)_k = logsumexp(z) − z_y.
 * Use as `loss: losses.crossEntropy` (logits) or `losses.crossEntropy({ fromLogits: false })` after a softmax.
 */
export const crossEntropy: ConfigurableLoss<FromLogitsOption> = configurable((o) => crossEntropyAgainst((y) => y, o?.fromLogits ?? true));

/**
 * Label smoothing (Szegedy et al. 2016; Müller, Kornblith & Hinton 2019): cross-entropy against
 * t = (1 − α) y + α / K, with α ∈ [0, 1). α = 0 is plain cross-entropy.
 */
export function labelSmoothing(alpha: number, options: FromLogitsOption = {}): LossFunction {
  if (!(typeof alpha === 'number' && alpha >= 0 && alpha < 1)) throw new NcInputError('BAD_OPTION', `labelSmoothing: alpha must be in [0, 1), got ${alpha}`);
  return crossEntropyAgainst((y) => tf.add(tf.mul(y, 1 - alpha), alpha / y.shape[1]) as tf.Tensor2D, options.fromLogits ?? true);
}

/**
 * Focal loss (Lin et al. 2017), ℓ(z, y) = −Σ_k y_k (1 − p_k)^γ log p_k with p = softmax(z) (or the given
 * probabilities with `fromLogits: false`); γ ≥ 0, and γ = 0 is cross-entropy. For one-hot y: −(1 − p_y)^γ log p_y.
 */
export function focal(gamma: number, options: FromLogitsOption = {}): LossFunction {
  if (!(typeof gamma === 'number' && gamma >= 0 && Number.isFinite(gamma))) throw new NcInputError('BAD_OPTION', `focal: gamma must be a finite number ≥ 0, got ${gamma}`);
  const fromLogits = options.fromLogits ?? true;
  return (yTrue, yPred) => tf.tidy(() => {
    const y = oneHotTargets(yTrue, yPred);
    const logp = logProbabilities(yPred, fromLogits);
    const modulating = gamma === 0 ? tf.onesLike(logp) : tf.pow(tf.sub(1, tf.exp(logp)), gamma);
    return tf.neg(tf.sum(tf.mul(tf.mul(y, modulating), logp), -1));
  });
}

/** Options of {@link mse}: Hui & Belkin's rescaling parameters. */
export interface MseOptions {
  /** k: weight of the true-class term (default 1). Hui & Belkin keep k = 1 for few classes and raise it for many (k = 15 for ImageNet). */
  scale?: number;
  /** M: target value of the true-class output (default 1); raised for many classes (M = 30 for ImageNet in their runs). */
  M?: number;
}

/**
 * The rescaled square loss of Hui & Belkin (2021, "Evaluation of neural architectures trained with square loss vs
 * cross-entropy in classification tasks"), on the linear outputs z (logits, no softmax) for true class c:
 *
 *   ℓ(z, c) = (1/K) · [ k (z_c − M)² + Σ_{j≠c} z_j² ]
 *
 * with k = `scale` and M = `M`; k = M = 1 is the plain mean squared error against one-hot targets, the MSE of
 * Han, Papyan & Donoho (2022). With soft targets y the same form is applied linearly:
 * (1/K) Σ_j (1 + (k − 1) y_j) (z_j − M y_j)².
 */
export function mse(options: MseOptions = {}): LossFunction {
  const k = options.scale ?? 1;
  const M = options.M ?? 1;
  if (!(typeof k === 'number' && k > 0 && Number.isFinite(k))) throw new NcInputError('BAD_OPTION', `mse: scale (k) must be a finite number > 0, got ${k}`);
  if (!(typeof M === 'number' && Number.isFinite(M))) throw new NcInputError('BAD_OPTION', `mse: M must be a finite number, got ${M}`);
  return (yTrue, yPred) => tf.tidy(() => {
    const y = oneHotTargets(yTrue, yPred);
    const weights = k === 1 ? undefined : tf.add(tf.mul(y, k - 1), 1);
    const sq = tf.square(tf.sub(yPred, M === 1 ? y : tf.mul(y, M)));
    return tf.mean(weights ? tf.mul(weights, sq) : sq, -1);
  });
}
