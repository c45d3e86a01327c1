import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { stochasticBlockModel } from '@ncscope/core';
import { GraphOperator, graphConv, graphPropagation, ncCallback } from '@ncscope/tfjs';

// A 3-community SBM graph (core); its nodes are the batch. Node features: the community plus noise.
const graph = stochasticBlockModel({ communities: 3, nodesPerCommunity: 100, p: 0.08, q: 0.01, seed: 1 });
const N = graph.numNodes;
const labels = tf.tensor1d(graph.labels, 'int32');
const xs = tf.tidy(() => tf.add(tf.oneHot(labels, 3), tf.randomNormal([N, 3], 0, 1.5, 'float32', 2)));
const ys = tf.oneHot(labels, 3);

// H' = σ(W₁H + W₂HÂ) with Â = AD⁻¹, held by a GraphOperator shared by the layers (sparse propagation).
const op = new GraphOperator(graph, 'mean');
const input = tfl.input({ shape: [3] });
const h1 = graphConv({ units: 16, graph: op, activation: 'relu', seed: 1, name: 'gc1' }).apply(input) as tfl.SymbolicTensor;
const h2 = graphConv({ units: 16, graph: op, activation: 'relu', seed: 2, name: 'gc2' }).apply(h1) as tfl.SymbolicTensor;
const h2A = graphPropagation({ graph: op }).apply(h2) as tfl.SymbolicTensor; // H Â: measured, not part of the model's path
const model = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 3, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }), name: 'classifier' }).apply(h2) as tfl.SymbolicTensor });
model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });

// Full batch (all N nodes at once, in order); NC of H1, H2 and H2 Â after every 20th epoch.
const cb = ncCallback({ probe: { xs, ys }, batchSize: N, every: 20, featureLayer: ['gc1', 'gc2', { name: 'gc2·Â', tensor: h2A }] });
await model.fit(xs, ys, { epochs: 60, batchSize: N, shuffle: false, callbacks: [cb], verbose: 0 });
for (const m of cb.last!) console.log(`${m.layer.padEnd(6)} NC1 = ${m.report.metrics.nc1!.toFixed(3)}   NCC accuracy = ${m.report.metrics.nccAccuracy!.toFixed(3)}`);
tf.dispose([labels, xs, ys]);
op.dispose();
