import { NcInputError } from '@ncscope/core';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';

/** A layer of a tfjs-layers model (the type tfjs-layers does not export by name). */
export type Layer = LayersModel['layers'][number];

/** Names or indexes a layer of the model: its `name`, or its position in `model.layers` (negative counts from the end). */
export type LayerRef = string | number;

/** Finds a layer by name or index; a named error lists what exists otherwise. */
export function resolveLayer(model: LayersModel, ref: LayerRef, what: string): Layer {
  const layers = model.layers;
  if (typeof ref === 'number') {
    if (!Number.isInteger(ref) || ref >= layers.length || ref < -layers.length) {
      throw new NcInputError('BAD_OPTION', `${what}: layer index ${ref} is outside 0..${layers.length - 1} (or −${layers.length}..−1 from the end); the model's layers are ${layerList(model)}`);
    }
    return layers[ref < 0 ? layers.length + ref : ref];
  }
  if (typeof ref !== 'string') throw new NcInputError('BAD_OPTION', `${what} must be a layer name or index, got ${String(ref)}`);
  const found = layers.find((l) => l.name === ref);
  if (!found) throw new NcInputError('BAD_OPTION', `${what}: the model has no layer named "${ref}"; its layers are ${layerList(model)}`);
  return found;
}

function layerList(model: LayersModel): string {
  return model.layers.map((l, i) => `${i}: ${l.name} (${l.getClassName()})`).join(', ');
}

/** True for a tfjs Dense layer. */
export function isDense(layer: Layer): boolean {
  return layer.getClassName() === 'Dense';
}

/** The last Dense layer in `model.layers` order, or undefined. */
export function lastDense(model: LayersModel): Layer | undefined {
  for (let i = model.layers.length - 1; i >= 0; i--) if (isDense(model.layers[i])) return model.layers[i];
  return undefined;
}

/** The single symbolic tensor a layer takes in (its first call in this model); a named error for multi-input layers. */
export function layerInput(layer: Layer): SymbolicTensor {
  const input = layer.inboundNodes.length > 1 ? layer.getInputAt(0) : layer.input;
  if (Array.isArray(input)) throw new NcInputError('BAD_OPTION', `layer "${layer.name}" takes ${input.length} inputs; a classifier layer must take one`);
  return input;
}

/** The single symbolic tensor a layer produces; a named error for layers with several outputs. */
export function layerOutput(layer: Layer): SymbolicTensor {
  const output = layer.inboundNodes.length > 1 ? layer.getOutputAt(0) : layer.output;
  if (Array.isArray(output)) throw new NcInputError('BAD_OPTION', `layer "${layer.name}" has ${output.length} outputs; name a layer with one output as featureLayer`);
  return output;
}

/** A Dense layer's weights as tfjs holds them: kernel D × K (the live variable, never disposed here) and bias K. */
export function denseWeights(layer: Layer): { kernel: Tensor; bias?: Tensor; units: number; inputDim: number } {
  const config = layer.getConfig() as { units?: number; useBias?: boolean };
  const weights = layer.getWeights();
  const kernel = weights[0];
  if (!kernel || kernel.rank !== 2) {
    throw new NcInputError('NO_CLASSIFIER', `layer "${layer.name}" has no 2-D kernel; the classifier must be a built Dense layer`);
  }
  const [inputDim, units] = kernel.shape as [number, number];
  if (config.units !== undefined && config.units !== units) {
    throw new NcInputError('NO_CLASSIFIER', `layer "${layer.name}": kernel has ${units} columns but units = ${config.units}`);
  }
  const bias = config.useBias === false ? undefined : weights[1];
  return { kernel, bias, units, inputDim };
}
