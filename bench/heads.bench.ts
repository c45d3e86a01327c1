/**
 * Issue 5 benchmark: the cost of a least-squares head from features — the single-pass scatter S_W (rows·D²/2
 * multiply-adds per batch; plain JS vs the onnxruntime product engine) and the D × D Cholesky solve — for
 * N = 20,000 rows, K = 100 classes, D ∈ {128, 512} (scatter) and D ∈ {512, 1024, 2048} (solve). Fixed seed.
 */
import { cpus } from 'node:os';
import { ScatterAccumulator, centralPath, jsEngine, leastSquaresClassifier, type ProductEngine, type ScatterStatistics } from '@ncscope/core';
import { createOnnxProductEngine } from '@ncscope/onnx';
import { mulberry32 as rng } from '@ncscope/core';


function features(N: number, D: number, K: number, seed: number): { features: Float32Array; labels: Int32Array } {
  const u = rng(seed);
  const means = Float32Array.from({ length: K * D }, () => 2 * u() - 1);
  const labels = Int32Array.from({ length: N }, (_, i) => i % K);
  const f = new Float32Array(N * D);
  for (let i = 0; i < N; i++) for (let t = 0; t < D; t++) f[i * D + t] = means[labels[i] * D + t] + (u() - 0.5);
  return { features: f, labels };
}

async function scatter(N: number, D: number, K: number, engine: ProductEngine | undefined): Promise<{ seconds: number; stats: ScatterStatistics }> {
  const data = features(N, D, K, 7);
  const acc = new ScatterAccumulator({ K, engine });
  const t = performance.now();
  const batch = 4096;
  for (let s = 0; s < N; s += batch) {
    const e = Math.min(N, s + batch);
    await acc.add({ features: data.features.subarray(s * D, e * D), labels: data.labels.subarray(s, e) });
  }
  return { seconds: (performance.now() - t) / 1000, stats: acc.statistics };
}

const onnx = await createOnnxProductEngine();
const N = 20_000;
const K = 100;
const rows: string[][] = [['step', 'D', 'engine', 'seconds', 'GFLOP/s']];
for (const D of [128, 512]) {
  for (const [name, engine] of [['js', undefined], ['onnxruntime', onnx]] as const) {
    const { seconds } = await scatter(N, D, K, engine ?? (name === 'js' ? jsEngine : undefined));
    const flops = name === 'js' ? N * D * D : 2 * N * D * D; // the JS loop computes one triangle
    rows.push([`scatter S_W, N = ${N}`, String(D), name, seconds.toFixed(3), (flops / seconds / 1e9).toFixed(2)]);
  }
}
for (const D of [512, 1024, 2048]) {
  // Statistics with a full-rank S_W without streaming N·D² data: a random SPD scatter of N samples' scale.
  const u = rng(D);
  const stats = await scatter(4 * D, D, K, onnx).then((r) => r.stats);
  const t = performance.now();
  const ls = leastSquaresClassifier(stats, { lambda: 1e-3 });
  const solve = (performance.now() - t) / 1000;
  rows.push([`LS solve (Cholesky + ${K} solves)`, String(D), 'js', solve.toFixed(3), ((D ** 3 / 3 + 2 * K * D * D) / solve / 1e9).toFixed(2)]);
  const t2 = performance.now();
  centralPath(stats, { weights: ls.weights.map((w) => w + 1e-3 * (u() - 0.5)), bias: ls.bias }, { lambda: 1e-3 });
  rows.push([`central path (incl. its LS solve)`, String(D), 'js', ((performance.now() - t2) / 1000).toFixed(3), '']);
}
await onnx.dispose?.();
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`);
for (const r of rows) console.log(r.map((x, c) => x.padEnd(widths[c])).join('  '));
