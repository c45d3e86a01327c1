/**
 * Benchmark 4: N = 100,000, D = 1,024, K = 32,768 (a small language-model vocabulary) with a classifier.
 * Targets: total ≤ 100 s, the report phase no longer than the spread phase, peak RSS ≤ 4 GB beyond the input. Prints
 * the time of each phase, the memory beyond the input, and the product rate the spread pass achieved next to the
 * engine's plain MatMul rate on the same chunk shape. `NCSCOPE_BENCH_N` / `NCSCOPE_BENCH_K` shrink it for a quick look.
 */
import { createOnnxProductEngine } from '@ncscope/onnx';
import { defaultChunkRows } from '@ncscope/core';
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
const report = run.phases.find((p) => p.name === 'report')!;
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
console.log(`targets: total ${run.total.toFixed(1)} s ≤ 100 s: ${met(run.total <= 100)}; report ${report.wall.toFixed(1)} s ≤ spread ${spread.wall.toFixed(1)} s: ${met(report.wall <= spread.wall)}`);
const peak = peakRssMiB();
const beyond = peak - rss0 / 2 ** 20 - inputMiB;
console.log(`peak RSS ${peak.toFixed(0)} MiB; beyond the input and the process at start: ${beyond.toFixed(0)} MiB (≤ 4 GB: ${met(beyond * 2 ** 20 <= 4e9)})`);
await engine.dispose?.();
