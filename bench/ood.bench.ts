/**
 * OOD benchmark: fit on 50,000 × 512 float32 features with K = 100 and a classifier, then score three test sets of
 * 10,000 rows with all seven scores and compute every detection metric and NC5 (core's evaluateOod, in process, on
 * the onnxruntime product engine). Target: ≤ 1.0 s on the 2-core machine. Prints the phases (fit pass, set-up of
 * each score, ViM's fit pass, scoring, metrics) and the cost of each score alone, best and median of the runs.
 *
 *   npm run bench -- ood
 */
import { cpus, loadavg } from 'node:os';
import { OodDetector, OodSetScorer, detectionMetrics, evaluateOod, fitStatistics, rankScores, type OodScoreName, type ProductEngine } from '@ncscope/core';
import { createOnnxProductEngine } from '@ncscope/onnx';
import { syntheticFeatures } from './synthetic.js';

const N = 50_000;
const D = 512;
const K = 100;
const TEST = 10_000;
const SCORES: OodScoreName[] = ['msp', 'maxlogit', 'energy', 'mahalanobis', 'vim', 'neco', 'nci'];

const fit = syntheticFeatures(N, D, K, 42);
const classifier = { weights: fit.weights, bias: fit.bias };
const idSet = syntheticFeatures(TEST, D, K, 43);
// Two OOD sets from other class centres, one of uniform noise.
const oodA = syntheticFeatures(TEST, D, K, 44).features;
const oodB = syntheticFeatures(TEST, D, K, 45, 2).features;
const oodC = Float32Array.from({ length: TEST * D }, (_, i) => ((Math.imul(i + 1, 2654435761) >>> 0) / 2 ** 32) * 0.5);

const batches = (x: Float32Array, rows = 1024) => Array.from({ length: Math.ceil(x.length / D / rows) }, (_, b) => ({ features: x.subarray(b * rows * D, Math.min(x.length, (b + 1) * rows * D)) }));
const fitBatches = batches(fit.features).map((b, i) => ({ ...b, labels: fit.labels.subarray(i * 1024, i * 1024 + b.features.length / D) }));
const idBatches = batches(idSet.features);
const oodSets = { near: batches(oodA), wide: batches(oodB), noise: batches(oodC) };

const engine = await createOnnxProductEngine();
const median = (t: number[]) => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)];
const best = (t: number[]) => Math.min(...t);

async function whole(e: ProductEngine, scores = SCORES) {
  const t = performance.now();
  const r = await evaluateOod(fitBatches, idBatches, oodSets, { classifier, engine: e, scores });
  return { seconds: (performance.now() - t) / 1000, r };
}

/** Phase times of one run, done step by step. */
async function phases(e: ProductEngine) {
  const out: Record<string, number> = {};
  let t = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    out[name] = (now - t) / 1000;
    t = now;
  };
  const stats = await fitStatistics(fitBatches, { classifier, engine: e });
  lap('fit pass (scatter)');
  const det = await OodDetector.create(stats, { classifier, engine: e });
  lap('set-up (eigen, products)');
  const acc = det.vimFitPass();
  for (const b of fitBatches) await acc.add(b.features);
  det.setVimSums(acc.sums);
  lap('ViM fit pass');
  const sets = [];
  for (const [name, bs] of [['id', idBatches], ...Object.entries(oodSets)] as const) {
    const s = new OodSetScorer(det, name);
    for (const b of bs) await s.add(b);
    sets.push(s.result());
  }
  lap('scoring 4 × 10,000 rows');
  for (const s of SCORES) {
    const id = rankScores(sets[0].scores[s]!);
    for (const o of sets.slice(1)) detectionMetrics(id, o.scores[s]!);
  }
  lap('detection metrics');
  return out;
}

console.log(`OOD: fit ${N.toLocaleString()} × ${D} × K = ${K}, ID + 3 OOD sets of ${TEST.toLocaleString()} rows; ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
await whole(engine); // warm-up: sessions, JIT
const runs: number[] = [];
for (let i = 0; i < 5; i++) runs.push((await whole(engine)).seconds);
console.log(`all seven scores, onnxruntime engine: best ${best(runs).toFixed(3)} s, median ${median(runs).toFixed(3)} s (target ≤ 1.0 s)`);
const ph: Record<string, number[]> = {};
for (let i = 0; i < 3; i++) for (const [k, v] of Object.entries(await phases(engine))) (ph[k] ??= []).push(v);
for (const [k, v] of Object.entries(ph)) console.log(`  ${k.padEnd(28)} ${best(v).toFixed(3)} s`);
console.log('each score alone (fit + set-up + scoring + metrics), best of 3:');
for (const s of SCORES) {
  const t: number[] = [];
  for (let i = 0; i < 3; i++) t.push((await whole(engine, [s])).seconds);
  console.log(`  ${s.padEnd(12)} ${best(t).toFixed(3)} s`);
}
const { r } = await whole(engine);
console.log('AUROC (near / wide / noise):', SCORES.map((s) => `${s} ${Object.values(r.scores[s]!).map((m) => m.auroc.toFixed(3)).join('/')}`).join(', '));
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB, load after ${loadavg()[0].toFixed(2)}`);
await engine.dispose?.();
