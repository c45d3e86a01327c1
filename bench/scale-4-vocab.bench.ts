/**
 * Issue 14, benchmark 4: N = 100,000, D = 1,024, K = 32,768 (a small language-model vocabulary) with a classifier.
 * Must complete with peak RSS ≤ 4 GB beyond the input; prints the time, the memory beyond the input, and the product
 * rate the spread pass achieved next to the engine's plain MatMul rate on the same chunk shape (target: within 2×).
 * `NCSCOPE_BENCH_N` / `NCSCOPE_BENCH_K` shrink it for a quick look.
 */
import { createOnnxProductEngine } from '@ncscope/onnx';
import { defaultChunkRows, spreadReference, MeansAccumulator } from '@ncscope/core';
import { machine, peakRssMiB, printRun, runPhases } from './scale-phases.js';
import { syntheticFeatures } from './synthetic.js';

const N = Number(process.env.NCSCOPE_BENCH_N ?? 100_000);
const K = Number(process.env.NCSCOPE_BENCH_K ?? 32_768);
const D = 1024;
console.log(machine());
const rss0 = process.memoryUsage().rss;
const data = syntheticFeatures(N, D, K, 42);
const classifier = { weights: data.weights, bias: data.bias };
const inputMiB = (data.features.byteLength + data.labels.byteLength + data.weights.byteLength) / 2 ** 20;
console.log(`N = ${N}, D = ${D}, K = ${K}, float32 features + classifier; input ${inputMiB.toFixed(0)} MiB`);
const engine = await createOnnxProductEngine();

// The engine's plain MatMul rate on the spread pass's chunk shape: rows × D by D × 2K, float32.
const rows = defaultChunkRows({ K, D, m: Math.min(K, D), space: K <= D ? 'means' : 'features', decisions: { present: new Uint8Array(K), classifier: { weights: data.weights, offset: new Float64Array(0), offsetNoBias: new Float64Array(0), bias: new Float64Array(0) } } } as never);
const A = data.features.subarray(0, rows * D);
const B = new Float32Array(D * 2 * K);
for (let i = 0; i < B.length; i++) B[i] = data.weights[i % data.weights.length];
await engine.matmul(A, B, rows, D, 2 * K);
let best = Infinity;
for (let r = 0; r < 3; r++) {
  const t = performance.now();
  await engine.matmul(A, B, rows, D, 2 * K);
  best = Math.min(best, (performance.now() - t) / 1000);
}
const matmulRate = (2 * rows * D * 2 * K) / best / 1e9;
console.log(`engine MatMul ${rows} × ${D} × ${2 * K} float32: ${matmulRate.toFixed(1)} GFLOP/s (best of 3)`);

const run = await runPhases(data.features, data.labels, K, D, engine, classifier, true);
printRun('one run', run);
const spread = run.phases.find((p) => p.name === 'spread')!;
const achieved = run.spreadFlops / spread.wall / 1e9;
console.log(`spread pass ${achieved.toFixed(1)} GFLOP/s = ${(achieved / matmulRate).toFixed(2)} × the plain MatMul rate`);
const peak = peakRssMiB();
console.log(`peak RSS ${peak.toFixed(0)} MiB; beyond the input and the process at start: ${(peak - rss0 / 2 ** 20 - inputMiB).toFixed(0)} MiB`);
void MeansAccumulator; void spreadReference;
await engine.dispose?.();
