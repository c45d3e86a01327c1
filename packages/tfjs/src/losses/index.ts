export {
  PROBABILITY_EPSILON,
  crossEntropy,
  focal,
  labelSmoothing,
  mse,
  oneHotTargets,
  type ConfigurableLoss,
  type FromLogitsOption,
  type LossFunction,
  type MseOptions,
} from './losses.js';
export { binaryCrossEntropy, pickAllLabels, type BinaryCrossEntropyOptions, type PickAllLabelsOptions } from './multi-label.js';
