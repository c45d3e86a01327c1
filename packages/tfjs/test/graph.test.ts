/**
 * Graph layers: the propagation operator and the graph convolution σ(W₁H + W₂HÂ) against plain float64 loops over
 * a dense adjacency written here (no core graph code), their gradients, measuring H Â as a named tensor, named
 * errors, and no tensor leaks across full-batch training with the NC callback measuring layer-wise.
 */
import { analyze, mulberry32, stochasticBlockModel, type GraphPattern } from '@ncscope/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { GraphOperator, graphConv, graphPropagation, measureNc, ncCallback } from '../src/index.js';
import { BACKENDS, useBackend } from './backends.js';
import { relDiff } from './fixtures.js';

/** Dense 0/1 adjacency (row i = out-neighbours of i) from neighbour lists. */
function denseAdjacency(g: GraphPattern): number[][] {
  const A = Array.from({ length: g.numNodes }, () => new Array<number>(g.numNodes).fill(0));
  for (let i = 0; i < g.numNodes; i++) for (let e = g.rowPtr[i]; e < g.rowPtr[i + 1]; e++) A[i][g.colIdx[e]] = 1;
  return A;
}

/** P = diag(ℓ) A diag(r) as a dense float64 matrix, written out from the definitions. */
function denseOperator(g: GraphPattern, normalization: 'mean' | 'symmetric' | 'none'): number[][] {
  const A = denseAdjacency(g);
  const deg = A.map((row) => row.reduce((a, b) => a + b, 0));
  return A.map((row, i) => row.map((a, j) => {
    if (!a) return 0;
    if (normalization === 'mean') return 1 / deg[i];
    if (normalization === 'symmetric') return 1 / Math.sqrt(deg[i] * deg[j]);
    return 1;
  }));
}

const matmul = (a: number[][], b: number[][]) => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const transpose = (a: number[][]) => a[0].map((_, j) => a.map((row) => row[j]));
const randomMatrix = (rows: number, cols: number, seed: number) => {
  const u = mulberry32(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => 2 * u() - 1));
};

function expectMatrixClose(got: number[][], want: number[][], rel = 1e-5, floor = 1e-2): void {
  let worst = 0;
  got.forEach((row, i) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - want[i][j]) / Math.max(Math.abs(want[i][j]), floor)))));
  expect(worst).toBeLessThanOrEqual(rel);
}

/** A directed graph pattern (not symmetric), with an isolated last node: checks the transposed backward pattern. */
const directed: GraphPattern = (() => {
  const edges = [[0, 1], [0, 2], [1, 2], [2, 0], [3, 1], [3, 4], [4, 0]];
  const N = 6;
  const rows = Array.from({ length: N }, () => [] as number[]);
  for (const [a, b] of edges) rows[a].push(b);
  const rowPtr = new Int32Array(N + 1);
  rows.forEach((r, i) => (rowPtr[i + 1] = rowPtr[i] + r.length));
  const colIdx = Int32Array.from(rows.flat());
  return { numNodes: N, rowPtr, colIdx, degrees: Int32Array.from(rows, (r) => r.length) };
})();

for (const backend of BACKENDS) {
  describe(`graph layers (${backend})`, () => {
    const sbm = stochasticBlockModel({ communities: 3, nodesPerCommunity: 10, p: 0.4, q: 0.05, seed: 4 });

    it('P X and its gradient Pᵀ dY equal dense float64 products (SBM and directed graphs, every normalization)', async () => {
      await useBackend(backend);
      for (const graph of [sbm, directed]) {
        for (const normalization of ['mean', 'symmetric', 'none'] as const) {
          const op = new GraphOperator(graph, normalization);
          const P = denseOperator(graph, normalization);
          const X = randomMatrix(graph.numNodes, 3, 11);
          const C = randomMatrix(graph.numNodes, 3, 12);
          const x = tf.tensor2d(X);
          const c = tf.tensor2d(C);
          const y = op.apply(x);
          expectMatrixClose((await y.array()) as number[][], matmul(P, X));
          const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(op.apply(v as tf.Tensor2D), c)))(x);
          expectMatrixClose((await grad.array()) as number[][], matmul(transpose(P), C));
          tf.dispose([x, c, y, grad]);
          op.dispose();
        }
      }
    });

    it('graphConv computes σ(X K₁ + (D⁻¹A X) K₂ + b) = (σ(W₁H + W₂HÂ))ᵀ like a plain float64 loop, with its gradients', async () => {
      await useBackend(backend);
      const op = new GraphOperator(sbm); // mean: the paper's Â = A D⁻¹
      const N = sbm.numNodes;
      for (const [activation, useSelfWeight, useBias] of [['relu', true, true], ['linear', false, false], ['tanh', true, false]] as const) {
        const input = tfl.input({ shape: [4] });
        const layer = graphConv({ units: 5, graph: op, activation, useSelfWeight, useBias, seed: 3 });
        const model = tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor });
        if (useBias) layer.setWeights(layer.getWeights().map((w, i) => (i === 2 ? tf.tensor1d([0.1, -0.2, 0.3, 0, 0.05]) : w)));
        const weights = await Promise.all(layer.getWeights().map((w) => w.array()));
        const K2 = weights[0] as number[][];
        const K1 = useSelfWeight ? (weights[1] as number[][]) : undefined;
        const b = useBias ? (weights[2] as number[]) : undefined;
        const X = randomMatrix(N, 4, 21);
        // Plain float64: pre = X K₁ + (D⁻¹ A X) K₂ + b, written with the paper's column convention and transposed back.
        const H = transpose(X); // d × N
        const Ahat = transpose(denseOperator(sbm, 'mean')); // Â = A D⁻¹ (column j scaled by 1/deg j)
        let pre = transpose(matmul(transpose(K2), matmul(H, Ahat))); // (W₂ H Â)ᵀ, W₂ = K₂ᵀ
        if (K1) pre = pre.map((row, i) => row.map((v, j) => v + matmul([X[i]], K1)[0][j]));
        if (b) pre = pre.map((row) => row.map((v, j) => v + b[j]));
        const sigma = (v: number) => (activation === 'relu' ? Math.max(0, v) : activation === 'tanh' ? Math.tanh(v) : v);
        const want = pre.map((row) => row.map(sigma));
        const x = tf.tensor2d(X);
        const out = model.predict(x, { batchSize: N }) as tf.Tensor2D;
        expectMatrixClose((await out.array()) as number[][], want, 1e-5, 1e-5);
        // Gradient of Σ C ⊙ out with respect to K₂: (P X)ᵀ (C ⊙ σ′(pre)).
        const C = randomMatrix(N, 5, 22);
        const c = tf.tensor2d(C);
        const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, c)) as tf.Scalar, [layer.trainableWeights[0].read() as tf.Variable]);
        const dsig = pre.map((row, i) => row.map((v, j) => C[i][j] * (activation === 'relu' ? (v > 0 ? 1 : 0) : activation === 'tanh' ? 1 - Math.tanh(v) ** 2 : 1)));
        const gradK2 = matmul(transpose(matmul(denseOperator(sbm, 'mean'), X)), dsig);
        expectMatrixClose((await Object.values(grads)[0].array()) as number[][], gradK2, 1e-4, 1e-5);
        tf.dispose([x, out, c, ...Object.values(grads)]);
        model.dispose();
      }
      op.dispose();
    });

    it('refuses a batch that is not the whole graph, by name', async () => {
      await useBackend(backend);
      const op = new GraphOperator(sbm);
      const x = tf.zeros([7, 2]) as tf.Tensor2D;
      expect(() => op.apply(x)).toThrow(/got 7 rows but the graph has 30 nodes.*batchSize ≥ N/);
      expect(() => new GraphOperator().apply(x)).toThrow(/no graph set/);
      expect(() => new GraphOperator(sbm, 'row' as never)).toThrow(/normalization/);
      expect(() => graphConv({ units: 0, graph: op })).toThrow(/units/);
      x.dispose();
      op.dispose();
    });

    it('measureNc measures H Â (a named tensor, not a layer output) exactly like core on a float64 D⁻¹A H', async () => {
      await useBackend(backend);
      const op = new GraphOperator(sbm);
      const input = tfl.input({ shape: [4] });
      const conv = graphConv({ units: 6, graph: op, activation: 'relu', seed: 5, name: 'conv' });
      const h = conv.apply(input) as tfl.SymbolicTensor;
      const ha = graphPropagation({ graph: op }).apply(h) as tfl.SymbolicTensor;
      const out = graphConv({ units: 3, graph: op, seed: 6 }).apply(h) as tfl.SymbolicTensor;
      const model = tfl.model({ inputs: input, outputs: out });
      const x = tf.tensor2d(randomMatrix(sbm.numNodes, 4, 31));
      const ys = tf.tensor1d(sbm.labels, 'int32');
      const before = tf.memory().numTensors;
      const [mh, mha] = await measureNc(model, { xs: x, ys }, { featureLayer: ['conv', { name: 'conv·Â', tensor: ha }], classifier: false, numClasses: 3 });
      expect(tf.memory().numTensors).toBe(before);
      expect(mha.layer).toBe('conv·Â');
      // Independent: H from a plain sub-model, Â H with the dense float64 operator, core's analyze.
      const H = (await (tfl.model({ inputs: input, outputs: h }).predict(x, { batchSize: 64 }) as tf.Tensor2D).array()) as number[][];
      const HA = matmul(denseOperator(sbm, 'mean'), H);
      for (const [m, feats] of [[mh, H], [mha, HA]] as const) {
        const { report } = await analyze([{ features: Float64Array.from(feats.flat()), labels: sbm.labels }]);
        for (const key of ['nc1', 'nc1Quotient', 'cdnv', 'etfErrorMeans'] as const) {
          expect(relDiff(m.report.metrics[key]!, report.metrics[key]!, 1e-9)).toBeLessThan(2e-4);
        }
      }
      await expect(measureNc(model, { xs: x, ys }, { featureLayer: [{ name: 'bad', tensor: x as never }], classifier: false, numClasses: 3 })).rejects.toThrow(/SymbolicTensor/);
      await expect(measureNc(model, { xs: x, ys }, { featureLayer: ['conv', { name: 'conv', tensor: ha }], classifier: false, numClasses: 3 })).rejects.toThrow(/two entries are named "conv"/);
      tf.dispose([x, ys]);
      model.dispose();
      op.dispose();
    });

    it('full-batch training with the NC callback (layer-wise H and H Â) leaks no tensors', async () => {
      await useBackend(backend);
      const g = stochasticBlockModel({ communities: 2, nodesPerCommunity: 30, p: 0.3, q: 0.03, seed: 8 });
      const N = g.numNodes;
      const op = new GraphOperator(g);
      const input = tfl.input({ shape: [4] });
      const h1 = tfl.layers.batchNormalization({ name: 'bn1' }).apply(graphConv({ units: 8, graph: op, activation: 'relu', seed: 1, name: 'gc1' }).apply(input)) as tfl.SymbolicTensor;
      const ha = graphPropagation({ graph: op }).apply(h1) as tfl.SymbolicTensor;
      const out = graphConv({ units: 2, graph: op, seed: 2, name: 'gc_out' }).apply(h1) as tfl.SymbolicTensor;
      const model = tfl.model({ inputs: input, outputs: out });
      model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
      const x = tf.randomNormal([N, 4], 0, 1, 'float32', 3);
      const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(g.labels, 'int32'), 2), 'float32'));
      const cb = ncCallback({ probe: { xs: x, ys: y }, batchSize: N, classifier: false, featureLayer: ['bn1', { name: 'bn1·Â', tensor: ha }] });
      const fit = (epochs: number) => model.fit(x, y, { epochs, batchSize: N, shuffle: false, callbacks: [cb], verbose: 0 });
      await fit(2); // warm-up: Adam's slots
      const before = tf.memory().numTensors;
      const history = await fit(15);
      expect(tf.memory().numTensors).toBe(before);
      expect(history.history.nc1).toHaveLength(15);
      expect(history.history['bn1·Â/nc1']).toHaveLength(15);
      expect(Number(history.history.loss[14])).toBeLessThan(Number(history.history.loss[0]));
      tf.dispose([x, y]);
      model.dispose();
      op.dispose();
    });
  });
}
