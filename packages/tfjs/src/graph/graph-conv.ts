import { NcInputError } from '@ncscope/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { GraphOperator } from './graph-operator.js';

/** Pointwise activations the graph layer offers (σ in H' = σ(W₁H + W₂HÂ)). */
export type GraphActivation = 'linear' | 'relu' | 'tanh' | 'sigmoid';

/** Options of {@link graphConv}. */
export interface GraphConvArgs {
  /** Output features per node. */
  units: number;
  /** The graph (its propagation operator, shared by every layer of the model; swap graphs with `setGraph`). */
  graph: GraphOperator;
  /** σ (default 'linear'). */
  activation?: GraphActivation;
  /** Include the node's own term W₁H (default true; the paper's `use_W1`). */
  useSelfWeight?: boolean;
  /** Add a bias (default false, as in the paper's experiments). */
  useBias?: boolean;
  /** Seed of the Glorot-uniform kernel initializers (default: unseeded). */
  seed?: number;
  /** Penalty on both kernels, e.g. `tf.regularizers.l2({ l2: 2.5e-4 })` (weight decay 5e-4 for SGD). */
  kernelRegularizer?: ReturnType<typeof tfl.regularizers.l2>;
  name?: string;
  trainable?: boolean;
}

function activate(x: tf.Tensor, activation: GraphActivation): tf.Tensor {
  switch (activation) {
    case 'relu': return tf.relu(x);
    case 'tanh': return tf.tanh(x);
    case 'sigmoid': return tf.sigmoid(x);
    default: return x;
  }
}

function oneTensor(inputs: tf.Tensor | tf.Tensor[], layer: string): tf.Tensor2D {
  const x = Array.isArray(inputs) ? inputs : [inputs];
  if (x.length !== 1 || x[0].rank !== 2) {
    throw new NcInputError('SHAPE', `${layer}: expects one input of shape [nodes, features], got ${x.map((t) => `[${t.shape.join(', ')}]`).join(', ')}`);
  }
  return x[0] as tf.Tensor2D;
}

/**
 * The graph convolution of Kothapalli, Tirer & Bruna (2023): H' = σ(W₁H + W₂HÂ), with H ∈ R^{d×N} (nodes as
 * columns) and Â = A D⁻¹. Held as tfjs does — nodes as rows, the batch dimension — it reads
 * X' = σ(X K₁ + (P X) K₂ + b), X = Hᵀ (N × d), P = Âᵀ = D⁻¹A (the {@link GraphOperator}), with kernels K₁ = W₁ᵀ and
 * K₂ = W₂ᵀ stored d × units like a Dense kernel. This is PyTorch Geometric's `GraphConv` with mean aggregation, as
 * in the paper's code. Every call must carry all N nodes of the operator's graph in one batch.
 */
export class GraphConv extends tfl.layers.Layer {
  static readonly className = 'GraphConv';
  graph: GraphOperator;
  readonly units: number;
  readonly activation: GraphActivation;
  readonly useSelfWeight: boolean;
  readonly useBias: boolean;
  private readonly seed?: number;
  private readonly kernelRegularizer?: GraphConvArgs['kernelRegularizer'];
  private selfKernel?: LayerVariable;
  private neighbourKernel?: LayerVariable;
  private bias?: LayerVariable;

  constructor(args: GraphConvArgs) {
    super({ name: args.name, trainable: args.trainable });
    if (!(Number.isInteger(args.units) && args.units >= 1)) throw new NcInputError('BAD_OPTION', `graphConv: units must be a positive integer, got ${args.units}`);
    if (!(args.graph instanceof GraphOperator)) throw new NcInputError('BAD_OPTION', 'graphConv: graph must be a GraphOperator');
    const activation = args.activation ?? 'linear';
    if (!['linear', 'relu', 'tanh', 'sigmoid'].includes(activation)) {
      throw new NcInputError('BAD_OPTION', `graphConv: activation must be linear, relu, tanh or sigmoid, got ${String(activation)}`);
    }
    this.graph = args.graph;
    this.units = args.units;
    this.activation = activation;
    this.useSelfWeight = args.useSelfWeight ?? true;
    this.useBias = args.useBias ?? false;
    this.seed = args.seed;
    this.kernelRegularizer = args.kernelRegularizer;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const d = shape[shape.length - 1];
    if (typeof d !== 'number') throw new NcInputError('SHAPE', `${this.name}: the feature dimension must be known`);
    const init = (k: number) => tfl.initializers.glorotUniform({ seed: this.seed === undefined ? undefined : this.seed + k });
    this.neighbourKernel = this.addWeight('neighbour_kernel', [d, this.units], 'float32', init(0), this.kernelRegularizer);
    if (this.useSelfWeight) this.selfKernel = this.addWeight('self_kernel', [d, this.units], 'float32', init(1), this.kernelRegularizer);
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    return [shape[0], this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = oneTensor(inputs, this.name);
      let z = tf.matMul(this.graph.apply(x), this.neighbourKernel!.read() as tf.Tensor2D);
      if (this.selfKernel) z = tf.add(z, tf.matMul(x, this.selfKernel.read() as tf.Tensor2D));
      if (this.bias) z = tf.add(z, this.bias.read());
      return activate(z, this.activation);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, activation: this.activation, useSelfWeight: this.useSelfWeight, useBias: this.useBias };
  }
}

/** Options of {@link graphPropagation}. */
export interface GraphPropagationArgs {
  graph: GraphOperator;
  name?: string;
}

/**
 * A weightless layer computing P X (the paper's H Â, nodes as rows). Apply it to a layer's output to measure Neural
 * Collapse of H Â, or use it to build propagation-only models (SGC-style, or a spectral baseline).
 */
export class GraphPropagation extends tfl.layers.Layer {
  static readonly className = 'GraphPropagation';
  graph: GraphOperator;

  constructor(args: GraphPropagationArgs) {
    super({ name: args.name, trainable: false });
    if (!(args.graph instanceof GraphOperator)) throw new NcInputError('BAD_OPTION', 'graphPropagation: graph must be a GraphOperator');
    this.graph = args.graph;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => this.graph.apply(oneTensor(inputs, this.name)));
  }
}

/** Creates a {@link GraphConv} layer: `graphConv({ units, graph, activation: 'relu' }).apply(h)`. */
export function graphConv(args: GraphConvArgs): GraphConv {
  return new GraphConv(args);
}

/** Creates a {@link GraphPropagation} layer (P X, no weights). */
export function graphPropagation(args: GraphPropagationArgs): GraphPropagation {
  return new GraphPropagation(args);
}
