import * as tfl from '@tensorflow/tfjs-layers';
import { CLASSES, PIXELS } from './data.js';

/** Options of {@link mnistMlp}. */
export interface MlpOptions {
  hidden: number;
  /** Width of the penultimate layer (the features NC is measured on). */
  D: number;
  /** L2 penalty λ on every kernel (the loss gains λ‖W‖²; gradient 2λW, i.e. weight decay 2λ). */
  l2: number;
  /** Batch normalisation before each hidden ReLU (as in the networks of Papyan, Han & Donoho 2020). */
  batchNorm?: boolean;
  /**
   * Apply the L2 penalty to every parameter — biases and batch-norm scales and shifts too — as PyTorch's SGD
   * `weight_decay` does (with l2 = weight_decay / 2). Default false: kernels only.
   */
  decayAll?: boolean;
  /** Batch-norm moving-average momentum in Keras's convention (default 0.99, tfjs's; PyTorch's default momentum 0.1 is 0.9 here). */
  bnMomentum?: number;
  seed?: number;
}

/**
 * The MLP of the example: 784 → hidden → hidden → D (ReLU) → 10 (linear logits), Glorot-initialised with fixed
 * seeds, an L2 penalty on every kernel. The penultimate layer is named "features", the classifier "classifier".
 */
export function mnistMlp(options: MlpOptions): tfl.Sequential {
  const seed = options.seed ?? 1;
  const reg = () => (options.l2 > 0 ? tfl.regularizers.l2({ l2: options.l2 }) : undefined);
  const all = options.decayAll ? reg : () => undefined;
  const init = (s: number) => tfl.initializers.glorotUniform({ seed: seed * 10 + s });
  const model = tfl.sequential();
  const widths: [string, number][] = [['hidden1', options.hidden], ['hidden2', options.hidden], ['features', options.D]];
  widths.forEach(([name, units], i) => {
    const first = i === 0 ? { inputShape: [PIXELS] } : {};
    if (options.batchNorm) {
      model.add(tfl.layers.dense({ ...first, units, useBias: false, kernelInitializer: init(i + 1), kernelRegularizer: reg(), name: `${name}_linear` }));
      model.add(tfl.layers.batchNormalization({ name: `${name}_bn`, momentum: options.bnMomentum ?? 0.99, gammaRegularizer: all(), betaRegularizer: all() }));
      model.add(tfl.layers.activation({ activation: 'relu', name }));
    } else {
      model.add(tfl.layers.dense({ ...first, units, activation: 'relu', kernelInitializer: init(i + 1), kernelRegularizer: reg(), biasRegularizer: all(), name }));
    }
  });
  model.add(tfl.layers.dense({ units: CLASSES, kernelInitializer: init(4), kernelRegularizer: reg(), biasRegularizer: all(), name: 'classifier' }));
  return model;
}
