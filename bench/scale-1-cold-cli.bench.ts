/**
 * Issue 14, benchmark 1: a cold `ncscope analyze --json` (a fresh process each run) on N = 50,000, D = 512,
 * K = 100 float32 features with a classifier, read from .npy files. Targets: computeSeconds ≤ 0.25 s and the whole
 * process ≤ 0.5 s wall. Needs the built CLI (`npm run build`). For comparison, the same analysis warm in this process.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze, encodeNpy } from '@ncscope/core';
import { createOnnxProductEngine } from '@ncscope/onnx';
import { machine } from './scale-phases.js';
import { syntheticFeatures } from './synthetic.js';

const [N, D, K] = [50_000, 512, 100];
const runs = Number(process.env.NCSCOPE_BENCH_RUNS ?? 7);
const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '../packages/cli/bin/ncscope.js');
const dir = mkdtempSync(join(tmpdir(), 'ncscope-bench-'));
try {
  const d = syntheticFeatures(N, D, K, 42);
  writeFileSync(join(dir, 'features.npy'), encodeNpy(d.features, [N, D]));
  writeFileSync(join(dir, 'labels.npy'), encodeNpy(d.labels, [N]));
  writeFileSync(join(dir, 'weights.npy'), encodeNpy(d.weights, [K, D]));
  writeFileSync(join(dir, 'bias.npy'), encodeNpy(d.bias, [K]));
  console.log(machine());
  const args = ['analyze', '--features', join(dir, 'features.npy'), '--labels', join(dir, 'labels.npy'), '--weights', join(dir, 'weights.npy'), '--bias', join(dir, 'bias.npy'), '--json'];
  const wall: number[] = [];
  const compute: number[] = [];
  const read: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    const out = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
    wall.push((performance.now() - t) / 1000);
    if (out.status !== 0) throw new Error(`ncscope exited with ${out.status}: ${out.stderr}`);
    const j = JSON.parse(out.stdout);
    compute.push(j.timing.computeSeconds);
    read.push(j.timing.readSeconds);
    if (r === 0) console.log(`engine ${j.engine}, NC1 ${j.metrics.nc1}`);
  }
  const stat = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return `best ${s[0].toFixed(3)} s, median ${s[s.length >> 1].toFixed(3)} s`; };
  console.log(`cold CLI, ${runs} fresh processes: whole process ${stat(wall)}; computeSeconds ${stat(compute)}; readSeconds ${stat(read)}`);
  // The same work warm, in this process.
  const engine = await createOnnxProductEngine();
  const source = [{ features: d.features, labels: d.labels }];
  await analyze(source, { classifier: { weights: d.weights, bias: d.bias }, engine });
  const warm: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    await analyze(source, { classifier: { weights: d.weights, bias: d.bias }, engine });
    warm.push((performance.now() - t) / 1000);
  }
  console.log(`warm, in memory: ${stat(warm)}`);
  await engine.dispose?.();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
