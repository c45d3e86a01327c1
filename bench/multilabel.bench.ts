/**
 * Issue 9 benchmark: multi-label analysis (both phases, every metric, the tag-wise geometry and label-set NC1) on
 * N × 512 float32 features, K = 100, a third of the rows with two labels (J distinct label pairs), with a classifier,
 * against the single-label analysis of the same rows (first label only) — the overhead of sorting rows by label set,
 * gathering them, and the extra residual pass around the J set means. Multi-hot uint8 labels, fixed seed.
 */
import { cpus } from 'node:os';
import { analyze, analyzeMultiLabel, jsEngine, type ProductEngine } from '@ncscope/core';
import { createOnnxProductEngine } from '@ncscope/onnx';
import { prng, syntheticFeatures } from './synthetic.js';

const D = 512;
const K = 100;
const onnx = await createOnnxProductEngine();
const rows: string[][] = [];
const best = async (repeats: number, run: () => Promise<unknown>) => {
  await run(); // warm-up
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    await run();
    times.push((performance.now() - t) / 1000);
  }
  return Math.min(...times);
};
for (const [N, engine, J, repeats] of [[50_000, onnx, 500, 5], [50_000, onnx, 4950, 3], [20_000, jsEngine, 500, 1]] as [number, ProductEngine, number, number][]) {
  const data = syntheticFeatures(N, D, K, 42);
  const random = prng(7);
  const pairs: [number, number][] = [];
  for (let a = 0; a < K && pairs.length < J; a++) for (let b = a + 1; b < K && pairs.length < J; b++) pairs.push([a, b]);
  const hot = new Uint8Array(N * K);
  for (let i = 0; i < N; i++) {
    hot[i * K + data.labels[i]] = 1;
    if (i % 3 === 2) {
      const [a, b] = pairs[Math.floor(random() * pairs.length)];
      hot.fill(0, i * K, (i + 1) * K);
      hot[i * K + a] = hot[i * K + b] = 1;
    }
  }
  const classifier = { weights: data.weights, bias: data.bias };
  const single = await best(repeats, () => analyze([{ features: data.features, labels: data.labels }], { classifier, engine }));
  let report;
  const multi = await best(repeats, async () => (report = (await analyzeMultiLabel([{ features: data.features, labels: hot }], { K, classifier, engine })).report));
  const ml = report!.multiLabel;
  rows.push([N.toLocaleString('en'), engine.name, String(ml.setsSeen), single.toFixed(3), multi.toFixed(3), (multi / single).toFixed(2), ml.tagWiseAngle!.toFixed(2)]);
}
await onnx.dispose?.();
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; D = ${D}, K = ${K}, float32 features + classifier, 1/3 of rows with 2 labels`);
const head = ['N', 'engine', 'label sets', 'single-label s', 'multi-label s', 'ratio', 'tag-wise angle°'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => r.map((c, i) => c.padStart(widths[i])).join('  ');
console.log(line(head));
for (const r of rows) console.log(line(r));
console.log('(best of the timed runs after a warm-up; the single-label run is the same rows with their first label)');
