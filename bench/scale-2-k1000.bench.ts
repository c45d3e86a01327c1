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
const data = syntheticFeatures(N, D, K, 42);
const classifier = { weights: data.weights, bias: data.bias };
const engine = await createOnnxProductEngine();
console.log(machine());
console.log(`N = ${N}, D = ${D}, K = ${K}, float32 features + classifier; input ${(data.features.byteLength / 2 ** 20).toFixed(0)} MiB`);
// Warm-up (sessions, JIT) on a slice, then the timed runs.
await runPhases(data.features.subarray(0, 4096 * D), data.labels.subarray(0, 4096), K, D, engine, classifier, true);
for (const perClass of [true, false]) {
  const best = [];
  for (let r = 0; r < 2; r++) best.push(await runPhases(data.features, data.labels, K, D, engine, classifier, perClass));
  best.sort((a, b) => a.total - b.total);
  printRun(`per-class NC1 ${perClass ? 'on (default)' : 'off'}, best of ${best.length}`, best[0]);
}
console.log(`\npeak RSS ${peakRssMiB().toFixed(0)} MiB (input included)`);
await engine.dispose?.();
