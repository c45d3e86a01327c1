import { NcInputError } from '@ncscope/core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';
import { denseWeights, isDense, lastDense, layerInput, layerOutput, resolveLayer, type Layer, type LayerRef } from './layers.js';

/**
 * A tensor to measure that is not simply a layer of the model: any symbolic tensor computed from the model's inputs,
 * e.g. `graphPropagation({ graph }).apply(h)` (H Â of a graph layer's output H) or `tf.layers.batchNormalization()`
 * applied to a layer's output outside the model. `name` labels it in reports and log keys.
 */
export interface NamedTensor {
  name: string;
  tensor: SymbolicTensor;
}

/** What to measure: a layer (name or index; its output) or a {@link NamedTensor}. */
export type FeatureRef = LayerRef | NamedTensor;

/** Which features to measure and which classifier (if any) reads them. */
export interface LayerOptions {
  /**
   * The layer(s) whose outputs are the features: a name, an index into `model.layers` (negative counts from the
   * end), a {@link NamedTensor} `{ name, tensor }` for a tensor that is not a layer's output, or a list of these for
   * layer-wise NC. Default: the input of the classifier (the penultimate features).
   */
  featureLayer?: FeatureRef | FeatureRef[];
  /**
   * The Dense layer whose kernel (D × K in tfjs, transposed to the core's K × D) and bias are the classifier W, b:
   * a name or index; default the last Dense layer of the model; `false` to measure without a classifier (then K
   * comes from `numClasses`, one-hot labels, or the largest label + 1). Only the feature layer that feeds this layer
   * gets the classifier's metrics (NC2 on W, NC3, NC4).
   */
  classifier?: LayerRef | false;
}

/** One tapped feature tensor. */
export interface TappedLayer {
  /** Name of the layer whose output is measured (for the default, the layer feeding the classifier). */
  name: string;
  symbolic: SymbolicTensor;
  /** True when this tensor is the classifier's input, so W, b apply. */
  feedsClassifier: boolean;
  /**
   * The Dense layer that reads this tensor, when exactly one does: its kernel is the linear map of the layer's subspace
   * alignment (Rangamani et al. 2023). Undefined when no Dense layer, or several layers, consume the tensor.
   */
  consumer?: Layer;
}

/** The resolved measurement: tapped tensors, the classifier layer, and a model computing all taps in one pass. */
export interface MeasurementPlan {
  layers: TappedLayer[];
  classifier?: Layer;
  /** Outputs of the classifier, if there is one. */
  K?: number;
  /** Index into `layers` of the layer whose metrics use the bare log keys (the one feeding the classifier, else the first). */
  primary: number;
  /** Shares the model's layers and weights; outputs the tapped tensors in `layers` order. */
  tap: LayersModel;
}

export function resolvePlan(model: LayersModel, options: LayerOptions): MeasurementPlan {
  if (!model || !Array.isArray(model.layers) || !Array.isArray(model.inputs)) {
    throw new NcInputError('BAD_OPTION', 'the callback needs a built tfjs-layers model (tf.sequential or tf.model)');
  }
  let classifier: Layer | undefined;
  if (options.classifier === false) classifier = undefined;
  else if (options.classifier !== undefined) {
    classifier = resolveLayer(model, options.classifier, 'classifier');
    if (!isDense(classifier)) {
      throw new NcInputError('NO_CLASSIFIER', `classifier: layer "${classifier.name}" is a ${classifier.getClassName()}, not a Dense layer; name the Dense layer whose kernel and bias are W, b, or pass classifier: false`);
    }
  } else {
    classifier = lastDense(model);
    if (!classifier && options.featureLayer === undefined) {
      throw new NcInputError('NO_CLASSIFIER', `the model has no Dense layer to read as the classifier W, b (layers: ${model.layers.map((l) => `${l.name} (${l.getClassName()})`).join(', ')}); pass featureLayer: '<layer name or index>' for the features to measure (with classifier: false, and numClasses or one-hot labels), or classifier: '<Dense layer name>'`);
    }
  }
  const classifierInput = classifier ? layerInput(classifier) : undefined;
  const refs = options.featureLayer === undefined ? [] : Array.isArray(options.featureLayer) ? options.featureLayer : [options.featureLayer];
  if (Array.isArray(options.featureLayer) && refs.length === 0) throw new NcInputError('BAD_OPTION', 'featureLayer: the list of layers is empty');
  const layers: TappedLayer[] = [];
  if (refs.length === 0) {
    layers.push({ name: classifierInput!.sourceLayer.name, symbolic: classifierInput!, feedsClassifier: true });
  } else {
    for (const ref of refs) {
      const { name, symbolic } = isNamedTensor(ref) ? namedTensor(ref) : { name: resolveLayer(model, ref, 'featureLayer').name, symbolic: layerOutput(resolveLayer(model, ref, 'featureLayer')) };
      if (layers.some((l) => l.symbolic === symbolic)) throw new NcInputError('BAD_OPTION', `featureLayer: "${name}" is listed twice`);
      if (layers.some((l) => l.name === name)) throw new NcInputError('BAD_OPTION', `featureLayer: two entries are named "${name}"; give each tensor its own name`);
      layers.push({ name, symbolic, feedsClassifier: classifierInput !== undefined && symbolic === classifierInput });
    }
  }
  for (const layer of layers) layer.consumer = denseConsumer(model, layer.symbolic);
  const K = classifier ? denseWeights(classifier).units : undefined;
  const fed = layers.findIndex((l) => l.feedsClassifier);
  let tap: LayersModel;
  try {
    tap = tfl.model({ inputs: model.inputs, outputs: layers.map((l) => l.symbolic) });
  } catch (e) {
    const named = refs.filter(isNamedTensor).map((r) => `"${r.name}"`);
    if (named.length === 0) throw e;
    throw new NcInputError('BAD_OPTION', `featureLayer: ${named.join(', ')} must be computed from the model's inputs (${(e as Error).message})`);
  }
  return { layers, classifier, K, primary: fed >= 0 ? fed : 0, tap };
}

function isNamedTensor(ref: FeatureRef): ref is NamedTensor {
  return typeof ref === 'object' && ref !== null && 'tensor' in ref;
}

function namedTensor(ref: NamedTensor): { name: string; symbolic: SymbolicTensor } {
  if (typeof ref.name !== 'string' || ref.name.length === 0) throw new NcInputError('BAD_OPTION', 'featureLayer: a { name, tensor } entry needs a non-empty name');
  if (!(ref.tensor instanceof tfl.SymbolicTensor)) {
    throw new NcInputError('BAD_OPTION', `featureLayer "${ref.name}": tensor must be a SymbolicTensor (the result of layer.apply on the model's symbolic tensors), not a concrete tf.Tensor`);
  }
  return { name: ref.name, symbolic: ref.tensor };
}

/** The single layer of the model that takes `symbolic` as its input, if it is a Dense layer. */
function denseConsumer(model: LayersModel, symbolic: SymbolicTensor): Layer | undefined {
  const readers = model.layers.filter((l) => {
    const inputs = l.inboundNodes.flatMap((n) => n.inputTensors);
    return inputs.includes(symbolic);
  });
  return readers.length === 1 && isDense(readers[0]) ? readers[0] : undefined;
}
