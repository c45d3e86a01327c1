/**
 * Issue 14, benchmark 3: N = 40,000, D = 256, K = 4,096 (fewer dimensions than classes, as in language models),
 * float32 with a classifier, on the onnxruntime engine. Target ≤ 20 s and ≤ 2 GB RSS (floor ~1.7·10¹¹ flop). The
 * scatter lives in the 256-dimensional feature space: nothing K × K is built.
 */
import { createOnnxProductEngine } from '@ncscope/onnx';
import { machine, peakRssMiB, printRun, runPhases } from './scale-phases.js';
import { syntheticFeatures } from './synthetic.js';

const [N, D, K] = [40_000, 256, 4096];
const data = syntheticFeatures(N, D, K, 42);
const classifier = { weights: data.weights, bias: data.bias };
const engine = await createOnnxProductEngine();
console.log(machine());
console.log(`N = ${N}, D = ${D}, K = ${K}, float32 features + classifier; input ${(data.features.byteLength / 2 ** 20).toFixed(0)} MiB`);
await runPhases(data.features.subarray(0, 2048 * D), data.labels.subarray(0, 2048), K, D, engine, classifier, true);
const run = await runPhases(data.features, data.labels, K, D, engine, classifier, true);
printRun('one run', run);
console.log(`\npeak RSS ${peakRssMiB().toFixed(0)} MiB (input included)`);
await engine.dispose?.();
