/**
 * Issue 14, benchmark 2: N = 60,000, D = 1,024, K = 1,000 float32 features with a classifier, in memory, on the
 * onnxruntime engine. Target ≤ 3.5 s and ≤ 1 GB RSS (the floor: the two N × D × K products, ~2.5·10¹¹ flop).
 * Printed: each phase's wall time and per-thread CPU, the spread pass's product rate, peak RSS; with and without the
 * per-class NC1 quadratic forms (one more N × K × K product).
 */
import { createOnnxProductEngine } from '@ncscope/onnx';
import { machine, peakRssMiB, printRun, runPhases } from './scale-phases.js';
import { syntheticFeatures } from './synthetic.js';

const [N, D, K] = [60_000, 1024, 1000];
const engine = await createOnnxProductEngine();
console.log(machine());
// Warm-up (sessions, JIT) on a small set, then timed runs, each on data of its own seed: the K-sized set-up is shared
// between a run's spread phase and its report (betweenClassCached), never across runs.
const warm = syntheticFeatures(4096, D, K, 1);
await runPhases(warm.features, warm.labels, K, D, engine, { weights: warm.weights, bias: warm.bias }, true);
let seed = 42;
for (const perClass of [true, false]) {
  const best = [];
  for (let r = 0; r < 2; r++) {
    const data = syntheticFeatures(N, D, K, seed++);
    if (best.length === 0 && perClass) console.log(`N = ${N}, D = ${D}, K = ${K}, float32 features + classifier; input ${(data.features.byteLength / 2 ** 20).toFixed(0)} MiB`);
    best.push(await runPhases(data.features, data.labels, K, D, engine, { weights: data.weights, bias: data.bias }, perClass));
  }
  best.sort((a, b) => a.total - b.total);
  printRun(`per-class NC1 ${perClass ? 'on (default)' : 'off'}, best of ${best.length}`, best[0]);
}
console.log(`\npeak RSS ${peakRssMiB().toFixed(0)} MiB (input included)`);
await engine.dispose?.();
