/**
 * Issue 10 benchmark: what the geometry beyond the balanced last layer costs.
 *  1. Normalized features: `analyze` on N = 50,000 × 512 float32, K = 100, with a classifier, on the onnxruntime
 *     engine, with and without `normalize: 'features'` (each row is normalized in JS as it streams by, both passes).
 *  2. The report at K = 100, 256, 512 (D = 512, statistics computed once): `computeReport` without the subspace
 *     alignment (`alignmentLimit: 0`), and `subspaceAlignmentWeights` alone (its r × r eigenproblem runs in plain
 *     TypeScript, which is why reports skip it past `alignmentLimit`, default 256).
 * Best of a few runs each; wall times on whatever machine runs it (state the load when quoting them).
 */
import { analyze, buildContext, computeReport, subspaceAlignmentWeights } from '@ncscope/core';
import { createOnnxProductEngine } from '@ncscope/onnx';
import { syntheticFeatures } from './synthetic.js';

const onnx = await createOnnxProductEngine();
const best = async (repeats: number, run: () => Promise<unknown>): Promise<number> => {
  await run();
  let b = Infinity;
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await run();
    b = Math.min(b, (performance.now() - t) / 1000);
  }
  return b;
};

{
  const data = syntheticFeatures(50_000, 512, 100, 42);
  const source = [{ features: data.features, labels: data.labels }];
  const classifier = { weights: data.weights, bias: data.bias };
  const plain = await best(3, () => analyze(source, { classifier, engine: onnx }));
  const normalized = await best(3, () => analyze(source, { classifier, engine: onnx, normalize: 'features' }));
  console.log(`analyze 50,000 × 512, K = 100 (onnxruntime): ${plain.toFixed(3)} s; with normalize 'features' ${normalized.toFixed(3)} s (+${(normalized - plain).toFixed(3)} s)`);
}

console.log('\n|  K | report without alignment | subspaceAlignmentWeights alone |');
console.log('|---|---|---|');
for (const K of [100, 256, 512]) {
  const data = syntheticFeatures(Math.max(20_000, 40 * K), 512, K, 7);
  const classifier = { weights: data.weights, bias: data.bias };
  const { means, spread } = await analyze([{ features: data.features, labels: data.labels }], { classifier, engine: onnx });
  const report = await best(2, () => computeReport(means, spread, { classifier, engine: onnx, alignmentLimit: 0 }));
  const alignment = await best(2, async () => subspaceAlignmentWeights(await buildContext(means, spread, { classifier, engine: onnx })));
  console.log(`| ${K} | ${report.toFixed(3)} s | ${alignment.toFixed(3)} s |`);
}
await onnx.dispose?.();
