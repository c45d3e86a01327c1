/**
 * Neural Collapse in a graph neural network on stochastic block model graphs (Kothapalli, Tirer & Bruna, NeurIPS 2023),
 * measured with @ncscope/tfjs and @ncscope/core.
 *
 * A GNN of the paper's graph convolutions H' = σ(W₁H + W₂HÂ) (Â = AD⁻¹) learns community detection on SBM graphs
 * whose node features are pure noise, trained full-batch, one graph per step, on many generated graphs (the paper's
 * protocol, with its permutation-invariant MSE loss). NC1, its quotient, the CDNV and NC2 of every layer's features H
 * and of H Â are measured over training; then the same metrics along projected power iterations of Â (the spectral
 * method), and everything once more on regular SBM graphs, which meet the structural condition for exact collapse.
 *
 *   node --conditions=@ncscope/source --import tsx examples/gnn-sbm/main.ts --quick     # a few minutes
 *   node --conditions=@ncscope/source --import tsx examples/gnn-sbm/main.ts             # full
 *   … --seeds 3 --graphs 64 --epochs 20 --layers 6 --hidden 8 --lr 0.01 --backend cpu --out runs/x.jsonl
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { mulberry32, toMeasurement, type NcMetrics } from '@ncscope/core';
import { GraphOperator, measureNc } from '@ncscope/tfjs';
import { selectBackend } from '../mnist-callback/backend.js';
import { disposeGraphs, makeGraphs, type Condition, type GraphSample, type SbmSetting } from './data.js';
import { overlap, permutationMse } from './loss.js';
import { buildGnn, optimizer } from './model.js';
import { ncOf, projectedPowerIterations } from './spectral.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'wasm' },
    seeds: { type: 'string' },
    graphs: { type: 'string' },
    'test-graphs': { type: 'string', default: '8' },
    'nc-graphs': { type: 'string', default: '4' },
    epochs: { type: 'string' },
    every: { type: 'string' },
    layers: { type: 'string' },
    hidden: { type: 'string', default: '8' },
    'input-dim': { type: 'string', default: '8' },
    lr: { type: 'string', default: '0.05' },
    l2: { type: 'string', default: '2.5e-4' },
    communities: { type: 'string', default: '4' },
    n: { type: 'string', default: '250' },
    p: { type: 'string', default: '0.1' },
    q: { type: 'string', default: '0.0068' },
    'spectral-steps': { type: 'string', default: '32' },
    'no-self-weight': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});

const quick = args.quick!;
const cfg = {
  mode: quick ? 'quick' : 'full',
  seeds: Number(args.seeds ?? (quick ? 1 : 3)),
  graphs: Number(args.graphs ?? (quick ? 32 : 96)),
  testGraphs: Number(args['test-graphs']),
  ncGraphs: Number(args['nc-graphs']),
  epochs: Number(args.epochs ?? (quick ? 16 : 20)),
  every: Number(args.every ?? (quick ? 2 : 5)),
  layers: Number(args.layers ?? (quick ? 4 : 6)),
  hidden: Number(args.hidden),
  lr: Number(args.lr),
  l2: Number(args.l2),
  spectralSteps: Number(args['spectral-steps']),
  selfWeight: !args['no-self-weight'],
};
const setting: SbmSetting = { communities: Number(args.communities), nodesPerCommunity: Number(args.n), p: Number(args.p), q: Number(args.q), inputDim: Number(args['input-dim']) };
const C = setting.communities;
const N = C * setting.nodesPerCommunity;
const out = args.out ?? `runs/gnn-sbm-${cfg.mode}.jsonl`;
/** The last epochs at the full learning rate and at a tenth of it. */
const decayAt = [Math.ceil(cfg.epochs / 2), Math.ceil((3 * cfg.epochs) / 4)];
if (cfg.ncGraphs > cfg.graphs) throw new Error('--nc-graphs cannot exceed --graphs (NC is measured on training graphs)');

const backend = await selectBackend(args.backend!);
const started = performance.now();
const KEYS = ['nc1', 'nc1Quotient', 'cdnv', 'etfErrorMeans', 'nccAccuracy'] as const;
type Key = (typeof KEYS)[number];
type Metrics = Record<Key, number>;
const pick = (m: NcMetrics): Metrics => Object.fromEntries(KEYS.map((k) => [k, m[k] as number])) as Metrics;
/** Geometric mean over graphs (NC1 spans orders of magnitude from graph to graph; the paper averages log10 values). */
const average = (ms: Metrics[]): Metrics => Object.fromEntries(KEYS.map((k) => [k, Math.exp(ms.reduce((s, m) => s + Math.log(m[k]), 0) / ms.length)])) as Metrics;
const fmt = (v: number) => (!Number.isFinite(v) ? '–' : v !== 0 && (Math.abs(v) < 1e-2 || Math.abs(v) >= 1e3) ? v.toExponential(2) : v.toFixed(3));
const pm = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2) return fmt(mean);
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
  return `${fmt(mean)} ± ${fmt(sd)}`;
};
const row = (cells: string[], widths: number[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
const rule = (widths: number[]) => row(widths.map((w) => '─'.repeat(w)), widths);

console.log(`SBM: C = ${C} communities × ${setting.nodesPerCommunity} nodes (N = ${N}), p = ${setting.p}, q = ${setting.q}; node features: ${setting.inputDim} standard normal values (no label information)`);
console.log(`GNN: ${cfg.layers} × [graphConv(${cfg.hidden}, ReLU${cfg.selfWeight ? ', W₁ and W₂' : ', W₂ only'}, no bias) → batch norm] → graphConv(${C}); Â = AD⁻¹ (mean over neighbours), sparse`);
console.log(`training: permutation-invariant MSE, SGD momentum 0.9, lr ${cfg.lr} (÷10 after epochs ${decayAt[0]} and ${decayAt[1]}), L2 ${cfg.l2}, ${cfg.graphs} training graphs, one full-batch step per graph, ${cfg.epochs} epochs; seeds ${cfg.seeds}; tfjs ${backend}, ${cpus().length} cores`);
console.log(`NC measured on the first ${cfg.ncGraphs} training graphs (geometric mean over graphs) every ${cfg.every} epochs; overlap (0 = chance, 1 = exact recovery) on those and on ${cfg.testGraphs} fresh test graphs`);
console.log(`spectral method: ${Math.max(cfg.layers, cfg.spectralSteps)} projected power iterations of Â from ${C - 1} input columns, on the same graphs\n`);

interface RunResult {
  condition: Condition;
  seed: number;
  gap: number;
  /** Final per-layer metrics (mean over the NC graphs), in feature order H1, H1Â, H2, … */
  final: Metrics[];
  trainOverlap: number;
  testOverlap: number;
  /** Per-step spectral metrics (geometric mean over the NC graphs): step 0 = the input columns, then t = 1, 2, …. */
  spectral: Metrics[];
  spectralOverlap: number;
  seconds: number;
}

const results: RunResult[] = [];
const lines: string[] = [];
let names: string[] = [];

async function evaluate(model: ReturnType<typeof buildGnn>['model'], op: GraphOperator, graphs: GraphSample[]): Promise<number> {
  let total = 0;
  for (const g of graphs) {
    op.setGraph(g.graph);
    const scores = model.predict(g.xs, { batchSize: N }) as tf.Tensor;
    total += overlap((await scores.data()) as Float32Array, g.graph.labels, C);
    scores.dispose();
  }
  return total / graphs.length;
}

for (const condition of ['ordinary', 'regular'] as const) {
  for (let seed = 0; seed < cfg.seeds; seed++) {
    const t0 = performance.now();
    const graphSeed = 1 + seed * 100_000 + (condition === 'regular' ? 50_000 : 0);
    const train = makeGraphs(setting, condition, cfg.graphs, graphSeed);
    const test = makeGraphs(setting, condition, cfg.testGraphs, graphSeed + 20_000);
    const ncGraphs = train.slice(0, cfg.ncGraphs);
    const op = new GraphOperator();
    const gnn = buildGnn(op, { inputDim: setting.inputDim, hidden: cfg.hidden, layers: cfg.layers, classes: C, selfWeight: cfg.selfWeight, l2: cfg.l2, seed: seed + 1 });
    names = gnn.names;
    gnn.model.compile({ optimizer: optimizer(cfg.lr), loss: permutationMse(C) });
    const last = `H${cfg.layers}`;
    const widths = [5, 8, 7, 7, 9, 9, 9, 9, 8, 8, 5];
    const gap = train.reduce((s, g) => s + g.gap, 0) / train.length;
    console.log(`── ${condition} SBM (condition gap ${fmt(gap)}), seed ${seed}: last block ${last}`);
    console.log(row(['epoch', 'loss', 'ovl tr', 'ovl te', `NC1 ${last}`, `NC1 ${last}Â`, 'NC1 quot', 'CDNV', 'NC2', 'NCC acc', 's'], widths));
    console.log(rule(widths));
    const order = train.map((_, i) => i);
    const shuffle = mulberry32(seed + 7);
    let final: Metrics[] = [];
    let trainOverlap = NaN;
    let testOverlap = NaN;
    for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
      // Step decay: the learning rate drops tenfold after half of the epochs and again after three quarters.
      (gnn.model.optimizer as tf.MomentumOptimizer).setLearningRate(cfg.lr * (epoch <= decayAt[0] ? 1 : epoch <= decayAt[1] ? 0.1 : 0.01));
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(shuffle() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      let loss = 0;
      for (const i of order) {
        op.setGraph(train[i].graph);
        loss += Number(await gnn.model.trainOnBatch(train[i].xs, train[i].ys));
      }
      loss /= order.length;
      if (epoch !== 1 && epoch % cfg.every !== 0 && epoch !== cfg.epochs) continue;
      // NC of every measured tensor on each NC graph (all N nodes in one batch), averaged over the graphs.
      const perGraph: Metrics[][] = [];
      for (const [gi, g] of ncGraphs.entries()) {
        op.setGraph(g.graph);
        const ms = await measureNc(gnn.model, { xs: g.xs, ys: g.ints }, { featureLayer: gnn.features, classifier: false, numClasses: C, batchSize: N });
        perGraph.push(ms.map((m) => pick(m.report.metrics)));
        if (gi === 0 && seed === 0) {
          for (const m of ms) {
            if (m.layer.endsWith('Â') && m.layer !== `${last}Â`) continue; // JSONL: every H_l, and H Â of the last block
            lines.push(JSON.stringify(toMeasurement(m.report, { step: epoch, epoch, layer: m.layer, run: `gnn-${condition}`, seconds: (performance.now() - t0) / 1000, logs: { loss } })));
          }
        }
      }
      final = gnn.names.map((_, li) => average(perGraph.map((g) => g[li])));
      trainOverlap = await evaluate(gnn.model, op, ncGraphs);
      testOverlap = await evaluate(gnn.model, op, test);
      const L = final[final.length - 2];
      const LA = final[final.length - 1];
      console.log(row([String(epoch), fmt(loss), fmt(trainOverlap), fmt(testOverlap), fmt(L.nc1), fmt(LA.nc1), fmt(L.nc1Quotient), fmt(L.cdnv), fmt(L.etfErrorMeans), fmt(L.nccAccuracy), ((performance.now() - t0) / 1000).toFixed(0)], widths));
    }
    // The spectral method on the same NC graphs: power iterations of Â from C − 1 input columns.
    const d = C - 1;
    const spectralPerGraph: Metrics[][] = [];
    let spectralOverlap = 0;
    for (const g of ncGraphs) {
      const start = new Float64Array(N * d);
      for (let i = 0; i < N; i++) for (let c = 0; c < d; c++) start[i * d + c] = g.features[i * setting.inputDim + c];
      const steps = projectedPowerIterations(g.graph, start, d, Math.max(cfg.layers, cfg.spectralSteps));
      spectralPerGraph.push(await Promise.all([start, ...steps].map(async (f) => pick(await ncOf(f, g.graph.labels)))));
      spectralOverlap += spectralClusterOverlap(steps[steps.length - 1], g.graph.labels, d);
    }
    const spectral = spectralPerGraph[0].map((_, t) => average(spectralPerGraph.map((g) => g[t])));
    const seconds = (performance.now() - t0) / 1000;
    results.push({ condition, seed, gap, final, trainOverlap, testOverlap, spectral, spectralOverlap: spectralOverlap / ncGraphs.length, seconds });
    console.log(`   ${seconds.toFixed(0)} s\n`);
    disposeGraphs(train);
    disposeGraphs(test);
    gnn.model.dispose();
    op.dispose();
  }
}

/**
 * Overlap of the spectral embedding's nearest-class-centre assignment with the communities — an upper bound on what
 * k-means on the embedding could reach (it uses the true class means), for a like-for-like "accuracy" column.
 */
function spectralClusterOverlap(features: Float64Array, labels: Int32Array, d: number): number {
  const means = new Float64Array(C * d);
  const counts = new Float64Array(C);
  labels.forEach((y, i) => {
    counts[y]++;
    for (let c = 0; c < d; c++) means[y * d + c] += features[i * d + c];
  });
  for (let k = 0; k < C; k++) for (let c = 0; c < d; c++) means[k * d + c] /= counts[k];
  const scores = new Float32Array(labels.length * C);
  labels.forEach((_, i) => {
    for (let k = 0; k < C; k++) {
      let dist = 0;
      for (let c = 0; c < d; c++) dist += (features[i * d + c] - means[k * d + c]) ** 2;
      scores[i * C + k] = -dist;
    }
  });
  return overlap(scores, labels, C);
}

// ── Tables ────────────────────────────────────────────────────────────────────────────────────────────────────────
const of = (condition: Condition) => results.filter((r) => r.condition === condition);
const seedsNote = `mean ± sd over ${cfg.seeds} seed${cfg.seeds > 1 ? 's' : ''} (each value a geometric mean over ${cfg.ncGraphs} training graphs)`;

for (const condition of ['ordinary', 'regular'] as const) {
  console.log(`Every measured tensor after ${cfg.epochs} epochs, ${condition} SBM; ${seedsNote}`);
  const w1 = [8, 19, 19, 19, 19, 19];
  console.log(row(['tensor', 'NC1', 'NC1 quotient', 'CDNV', 'NC2 ETF error', 'NCC accuracy'], w1));
  console.log(rule(w1));
  names.forEach((name, i) => {
    const rs = of(condition);
    console.log(row([name, pm(rs.map((r) => r.final[i].nc1)), pm(rs.map((r) => r.final[i].nc1Quotient)), pm(rs.map((r) => r.final[i].cdnv)), pm(rs.map((r) => r.final[i].etfErrorMeans)), pm(rs.map((r) => r.final[i].nccAccuracy))], w1));
  });
  console.log('');
}

const spectralSteps = Math.max(cfg.layers, cfg.spectralSteps);
const depths = [...new Set([0, ...Array.from({ length: cfg.layers }, (_, i) => i + 1), ...[8, 16, 32, 64, 128].filter((t) => t <= spectralSteps), spectralSteps])].sort((a, b) => a - b);
console.log(`NC1 across depth: GNN block l (after training) vs projected power iteration t of Â (spectral method, d = C − 1 = ${C - 1} columns); ${seedsNote}`);
const w2 = [10, 21, 21, 21, 21];
console.log(row(['depth', 'GNN, ordinary', 'GNN, regular', 'spectral, ordinary', 'spectral, regular'], w2));
console.log(rule(w2));
for (const t of depths) {
  const gnn = (cond: Condition) => (t >= 1 && t <= cfg.layers ? pm(of(cond).map((r) => r.final[2 * (t - 1)].nc1)) : '');
  const spec = (cond: Condition) => pm(of(cond).map((r) => r.spectral[t].nc1));
  console.log(row([t === 0 ? '0 (input)' : String(t), gnn('ordinary'), gnn('regular'), spec('ordinary'), spec('regular')], w2));
}

console.log(`\nCondition met (regular SBM) vs not (ordinary SBM): last block H${cfg.layers} after training, and the spectral method; ${seedsNote}`);
const w3 = [26, 21, 21];
console.log(row(['', 'ordinary SBM', 'regular SBM'], w3));
console.log(rule(w3));
const both = (label: string, get: (r: RunResult) => number) => console.log(row([label, pm(of('ordinary').map(get)), pm(of('regular').map(get))], w3));
both('condition gap', (r) => r.gap);
both(`GNN NC1 H${cfg.layers}`, (r) => r.final[r.final.length - 2].nc1);
both(`GNN NC1 H${cfg.layers}Â`, (r) => r.final[r.final.length - 1].nc1);
both('GNN NC1 quotient', (r) => r.final[r.final.length - 2].nc1Quotient);
both('GNN CDNV', (r) => r.final[r.final.length - 2].cdnv);
both('GNN NC2 (ETF error, means)', (r) => r.final[r.final.length - 2].etfErrorMeans);
both('GNN NCC accuracy', (r) => r.final[r.final.length - 2].nccAccuracy);
both('GNN overlap, train graphs', (r) => r.trainOverlap);
both('GNN overlap, test graphs', (r) => r.testOverlap);
both(`spectral NC1 (t = ${cfg.layers})`, (r) => r.spectral[cfg.layers].nc1);
both(`spectral NC1 (t = ${spectralSteps})`, (r) => r.spectral[spectralSteps].nc1);
both(`spectral NCC overlap (t = ${spectralSteps})`, (r) => r.spectralOverlap);

const seconds = (performance.now() - started) / 1000;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(`${out}.tmp`, lines.join('\n') + '\n');
renameSync(`${out}.tmp`, out);
console.log(`\n${results.length} trainings in ${seconds.toFixed(0)} s (tfjs ${tf.getBackend()}); NC over epochs of seed 0, graph 0 (every H_l and H${cfg.layers}Â) in ${out} — \`ncscope report ${out}\``);
