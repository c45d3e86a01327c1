/**
 * Issue 12 benchmark: (1) graph propagation P X on SBM graphs — @ncscope/tfjs's sparse `GraphOperator` (segment sums
 * plus diagonal scalings) against a dense N × N `matMul`, forward and forward + backward, on wasm and cpu; (2) a DEQ
 * training step (Anderson vs plain fixed-point iteration, implicit backward) against the explicit network of the same
 * weight shapes, on wasm: milliseconds per step and solver iterations.
 *
 *   npm run bench -- tfjs-graph-deq          (BENCH_REPEATS=20 by default)
 */
import { cpus, loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { csrToDense, normalizedAdjacency, stochasticBlockModel } from '@ncscope/core';
import { GraphOperator, deq, type DeqLayer, type FixedPointSolver } from '@ncscope/tfjs';
import { selectBackend } from '../examples/mnist-callback/backend.js';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 20);
const median = (a: number[]) => { const s = a.slice().sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

/** Median wall time (ms) of f, the result downloaded each time so the work really happens. */
function time(f: () => tf.Tensor): number {
  for (let i = 0; i < 3; i++) { const r = f(); r.dataSync(); r.dispose(); }
  const t: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    const r = f();
    r.dataSync();
    t.push(performance.now() - t0);
    r.dispose();
  }
  return median(t);
}

console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; medians of ${REPEATS}`);
console.log('\nGraph propagation P X = D⁻¹A X, SBM with C = 4, p·n = 25, q·n = 1.7 (average degree ≈ 30), d = 8 features (ms)');
console.log('backend  nodes   edges    sparse fwd   dense fwd   sparse fwd+bwd   dense fwd+bwd');
for (const backend of ['wasm', 'cpu']) {
  await selectBackend(backend);
  for (const n of [250, 1250]) {
    const graph = stochasticBlockModel({ communities: 4, nodesPerCommunity: n, p: 25 / n, q: 1.7 / n, seed: 1 });
    const N = graph.numNodes;
    const op = new GraphOperator(graph);
    const P = tf.tensor2d(Float32Array.from(csrToDense(normalizedAdjacency(graph))), [N, N]);
    const PT = tf.transpose(P);
    const x = tf.randomNormal([N, 8], 0, 1, 'float32', 1) as tf.Tensor2D;
    const c = tf.randomNormal([N, 8], 0, 1, 'float32', 2);
    // Dense: the gradient needs Pᵀ dY; an explicit transpose keeps the wasm product on its fast path.
    const denseOp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({ value: tf.matMul(P, args[0] as tf.Tensor2D), gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.matMul(PT, dy as tf.Tensor2D) }));
    const sparseFwd = time(() => op.apply(x));
    const denseFwd = time(() => denseOp(x));
    const sparseBwd = time(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(op.apply(v as tf.Tensor2D), c)))(x));
    const denseBwd = time(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(denseOp(v), c)))(x));
    console.log(`${backend.padEnd(7)} ${String(N).padStart(6)} ${String(graph.numEdges).padStart(7)}   ${sparseFwd.toFixed(2).padStart(10)}  ${denseFwd.toFixed(2).padStart(10)}  ${sparseBwd.toFixed(2).padStart(15)}  ${denseBwd.toFixed(2).padStart(14)}`);
    tf.dispose([P, PT, x, c]);
    op.dispose();
  }
}

console.log('\nDEQ training step (784 → m = 128 → 10, batch 64, MSE, SGD), wasm: ms per step and solver iterations per batch');
await selectBackend('wasm');
const x = tf.randomUniform([64, 784], 0, 1, 'float32', 3);
const y = tf.tidy(() => tf.cast(tf.oneHot(tf.randomUniform([64], 0, 10, 'int32', 4) as tf.Tensor1D, 10), 'float32'));
const stepTime = async (model: tfl.LayersModel) => {
  const t: number[] = [];
  for (let i = 0; i < REPEATS + 3; i++) {
    const t0 = performance.now();
    await model.trainOnBatch(x, y);
    if (i >= 3) t.push(performance.now() - t0);
  }
  return median(t);
};
console.log('model                          ms/step   forward it.   backward it.');
for (const solver of ['anderson', 'fixed-point'] as FixedPointSolver[]) {
  const input = tfl.input({ shape: [784] });
  const layer: DeqLayer = deq({ units: 128, solver, seed: 1 });
  const model = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 10 }).apply(layer.apply(input)) as tfl.SymbolicTensor });
  model.compile({ optimizer: tf.train.momentum(0.1, 0.9), loss: 'meanSquaredError' });
  const ms = await stepTime(model);
  const s = layer.stats;
  console.log(`DEQ, ${solver.padEnd(24)} ${ms.toFixed(1).padStart(8)}   ${s.trainForward.meanIterations.toFixed(1).padStart(11)}   ${s.backward.meanIterations.toFixed(1).padStart(12)}`);
  model.dispose();
}
{
  const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [784], units: 128, activation: 'relu' }), tfl.layers.dense({ units: 128, activation: 'relu' }), tfl.layers.dense({ units: 10 })] });
  model.compile({ optimizer: tf.train.momentum(0.1, 0.9), loss: 'meanSquaredError' });
  console.log(`explicit 784-128-128-10         ${(await stepTime(model)).toFixed(1).padStart(8)}`);
  model.dispose();
}
tf.dispose([x, y]);
