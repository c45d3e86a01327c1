/**
 * Issue 2 benchmark: the full NC suite (both phases, every metric) on N × 512 float32 features, K = 100,
 * with a classifier, for N = 50,000 and 200,000 (fixed seed). Prints wall time, peak memory and the
 * product rate the engine reached. Target: ≤ 0.3 s for N = 50,000 on a 2-core machine.
 */
import { cpus } from 'node:os';
import { analyze, jsEngine, type ProductEngine } from '@ncscope/core';
import { createOnnxProductEngine } from '@ncscope/onnx';
import { syntheticFeatures } from './synthetic.js';

/** Wraps an engine (and its fused kernels) to count the FLOPs of its products and the time spent inside it. */
function metered(engine: ProductEngine) {
  const m = { flops: 0, seconds: 0 };
  const time = async <T>(flops: number, run: () => T | Promise<T>): Promise<T> => {
    const t = performance.now();
    const out = await run();
    m.seconds += (performance.now() - t) / 1000;
    m.flops += flops;
    return out;
  };
  const wrapped: ProductEngine = {
    name: engine.name,
    matmul: (a, b, rows, k, n) => time(2 * rows * k * n, () => engine.matmul(a, b, rows, k, n)),
  };
  if (engine.classSums) wrapped.classSums = (c) => time(2 * c.K * c.rows * c.D, () => engine.classSums!(c));
  if (engine.spreadChunk) {
    wrapped.spreadChunk = (c, ref, w) => time(2 * c.rows * c.D * c.K * (w ? 2 : 1) + 2 * c.K * c.rows * c.K, () => engine.spreadChunk!(c, ref, w));
  }
  return { wrapped, m };
}

const D = 512;
const K = 100;
const onnx = await createOnnxProductEngine();
const rows: string[][] = [];
const cases: [number, ProductEngine, number][] = [
  [50_000, onnx, 5],
  [200_000, onnx, 3],
  [50_000, jsEngine, 1],
];
for (const [N, engine, repeats] of cases) {
  const data = syntheticFeatures(N, D, K, 42);
  const source = [{ features: data.features, labels: data.labels }];
  const classifier = { weights: data.weights, bias: data.bias };
  (globalThis as { gc?: () => void }).gc?.();
  const rssBefore = process.memoryUsage().rss;
  // Warm-up (session creation, JIT), then the best and median of `repeats` timed runs.
  await analyze(source, { classifier, engine });
  const times: number[] = [];
  let last = { flops: 0, seconds: 0 };
  for (let r = 0; r < repeats; r++) {
    const { wrapped, m } = metered(engine);
    const t = performance.now();
    const { report } = await analyze(source, { classifier, engine: wrapped });
    times.push((performance.now() - t) / 1000);
    last = m;
    if (!(report.metrics.nc1! > 0)) throw new Error('benchmark produced no NC1');
  }
  times.sort((a, b) => a - b);
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  rows.push([
    N.toLocaleString('en'), engine.name, times[0].toFixed(3), times[Math.floor(times.length / 2)].toFixed(3),
    (last.flops / 1e9).toFixed(1), (last.flops / last.seconds / 1e9).toFixed(1),
    ((rssBefore) / 2 ** 20).toFixed(0), peakMiB.toFixed(0),
  ]);
}
await onnx.dispose?.();
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; D = ${D}, K = ${K}, float32 features + classifier`);
const head = ['N', 'engine', 'best s', 'median s', 'GFLOP', 'GFLOP/s in engine', 'RSS before MiB', 'peak RSS MiB'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => r.map((c, i) => c.padStart(widths[i])).join('  ');
console.log(line(head));
for (const r of rows) console.log(line(r));
