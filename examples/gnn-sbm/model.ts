import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { GraphOperator, graphConv, graphPropagation, type NamedTensor } from '@ncscope/tfjs';

/**
 * Batch normalization over the nodes of the graph, always with the graph's own statistics: each feature is
 * standardized over the N nodes (biased variance, ε = 1e-3), then scaled by γ and shifted by β (trainable). This is
 * what BatchNorm1d computes in training mode; the paper's code also evaluates in that mode ("unfreeze the batch norm
 * values during testing", since every graph is new), so here inference and measurement use it too, instead of
 * tfjs's moving averages.
 */
class GraphBatchNorm extends tfl.layers.Layer {
  static readonly className = 'GraphBatchNorm';
  private gamma?: LayerVariable;
  private beta?: LayerVariable;
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const d = (inputShape as tfl.Shape)[1] as number;
    this.gamma = this.addWeight('gamma', [d], 'float32', tfl.initializers.ones());
    this.beta = this.addWeight('beta', [d], 'float32', tfl.initializers.zeros());
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const { mean, variance } = tf.moments(x, 0);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-3))), this.gamma!.read()), this.beta!.read());
    });
  }
}

export interface GnnConfig {
  inputDim: number;
  hidden: number;
  /** Graph-convolution layers before the output layer (each: graphConv + ReLU, then batch norm). */
  layers: number;
  classes: number;
  /** Include the node's own term W₁H (the paper's use_W1). */
  selfWeight: boolean;
  /** L2 penalty on the kernels (SGD weight decay 2·l2). */
  l2: number;
  seed: number;
}

/**
 * The paper's GraphConv model: L blocks H_l = BN(ReLU(W₁H_{l−1} + W₂H_{l−1}Â)) (BN: {@link GraphBatchNorm}) (no bias, as in its experiments), then
 * an output graph convolution to C scores. Returns the model and what to measure: each block's output H_l (a layer)
 * and H_l Â (a named tensor: a weightless propagation applied to H_l, outside the model's own path).
 */
export function buildGnn(op: GraphOperator, cfg: GnnConfig): { model: tfl.LayersModel; features: (string | NamedTensor)[]; names: string[] } {
  const input = tfl.input({ shape: [cfg.inputDim], name: 'x' });
  const features: (string | NamedTensor)[] = [];
  const names: string[] = [];
  let h = input as tfl.SymbolicTensor;
  const kernelRegularizer = cfg.l2 > 0 ? tfl.regularizers.l2({ l2: cfg.l2 }) : undefined;
  for (let l = 1; l <= cfg.layers; l++) {
    const conv = graphConv({ units: cfg.hidden, graph: op, activation: 'relu', useSelfWeight: cfg.selfWeight, seed: cfg.seed * 1000 + 10 * l, kernelRegularizer, name: `gc${l}` });
    h = new GraphBatchNorm({ name: `H${l}` }).apply(conv.apply(h)) as tfl.SymbolicTensor;
    features.push(`H${l}`, { name: `H${l}Â`, tensor: graphPropagation({ graph: op, name: `prop${l}` }).apply(h) as tfl.SymbolicTensor });
    names.push(`H${l}`, `H${l}Â`);
  }
  const out = graphConv({ units: cfg.classes, graph: op, useSelfWeight: cfg.selfWeight, seed: cfg.seed * 1000 + 999, kernelRegularizer, name: 'scores' }).apply(h) as tfl.SymbolicTensor;
  return { model: tfl.model({ inputs: input, outputs: out }), features, names };
}

/** SGD with momentum, as the paper trains. */
export function optimizer(lr: number): tf.Optimizer {
  return tf.train.momentum(lr, 0.9);
}
