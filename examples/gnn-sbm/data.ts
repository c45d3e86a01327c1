import { collapseConditionGap, mulberry32, stochasticBlockModel, type SbmGraph } from '@ncscope/core';
import * as tf from '@tensorflow/tfjs-core';

/** The graph family: ordinary SBM, or the regular SBM that meets Kothapalli et al.'s condition for exact collapse. */
export type Condition = 'ordinary' | 'regular';

export interface SbmSetting {
  communities: number;
  nodesPerCommunity: number;
  p: number;
  q: number;
  /** Input features per node (standard normal, carrying no label information, as in the paper). */
  inputDim: number;
}

/** One graph with its node features and labels, on the device. */
export interface GraphSample {
  graph: SbmGraph;
  /** Node features, N × inputDim, float32 (also kept on the device as `xs`). */
  features: Float32Array;
  xs: tf.Tensor2D;
  /** One-hot labels N × C. */
  ys: tf.Tensor2D;
  /** Integer labels [N]. */
  ints: tf.Tensor1D;
  /** Collapse-condition gap of the graph (0 when the condition holds). */
  gap: number;
}

/** Standard normal draws from a seeded uniform generator (Box–Muller). */
export function normal(seed: number): () => number {
  const u = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** `count` seeded graphs of one family; graph i uses seed `seed + i` (features: seed + 10⁶ + i). */
export function makeGraphs(setting: SbmSetting, condition: Condition, count: number, seed: number): GraphSample[] {
  return Array.from({ length: count }, (_, i) => {
    const graph = stochasticBlockModel({ ...setting, seed: seed + i, regular: condition === 'regular' });
    const N = graph.numNodes;
    const g = normal(seed + 1_000_000 + i);
    const features = Float32Array.from({ length: N * setting.inputDim }, () => g());
    return {
      graph,
      features,
      xs: tf.tensor2d(features, [N, setting.inputDim]),
      ys: tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(graph.labels, 'int32'), setting.communities), 'float32') as tf.Tensor2D),
      ints: tf.tensor1d(graph.labels, 'int32'),
      gap: collapseConditionGap(graph),
    };
  });
}

export function disposeGraphs(graphs: GraphSample[]): void {
  for (const g of graphs) tf.dispose([g.xs, g.ys, g.ints]);
}
