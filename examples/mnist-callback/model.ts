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
  seed?: number;
}

/**
 * The MLP of the example: 784 → hidden → hidden → D (ReLU) → 10 (linear logits), Glorot-initialised with fixed
 * seeds, an L2 penalty on every kernel. The penultimate layer is named "features", the classifier "classifier".
 */
export function mnistMlp(options: MlpOptions): tfl.Sequential {
  const seed = options.seed ?? 1;
  const reg = () => (options.l2 > 0 ? tfl.regularizers.l2({ l2: options.l2 }) : undefined);
  const init = (s: number) => tfl.initializers.glorotUniform({ seed: seed * 10 + s });
  const model = tfl.sequential();
  const widths: [string, number][] = [['hidden1', options.hidden], ['hidden2', options.hidden], ['features', options.D]];
  widths.forEach(([name, units], i) => {
    const first = i === 0 ? { inputShape: [PIXELS] } : {};
    if (options.batchNorm) {
      model.add(tfl.layers.dense({ ...first, units, useBias: false, kernelInitializer: init(i + 1), kernelRegularizer: reg(), name: `${name}_linear` }));
      model.add(tfl.layers.batchNormalization({ name: `${name}_bn` }));
      model.add(tfl.layers.activation({ activation: 'relu', name }));
    } else {
      model.add(tfl.layers.dense({ ...first, units, activation: 'relu', kernelInitializer: init(i + 1), kernelRegularizer: reg(), name }));
    }
  });
  model.add(tfl.layers.dense({ units: CLASSES, kernelInitializer: init(4), kernelRegularizer: reg(), name: 'classifier' }));
  return model;
}
