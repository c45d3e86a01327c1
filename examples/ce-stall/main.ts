/**
 * Why does cross-entropy stall at NC1 ≈ 0.1–0.5 in this repository's MNIST examples while the square loss reaches
 * 0.01–0.03? Controlled runs: one factor changed at a time from the setting the examples used (MLP 784 → 128 → 128 →
 * 128 → 10, SGD momentum 0.9, lr 0.1 ÷10 at 1/2 and 3/4, L2 on kernels = weight decay 5e-4, batch 64, 1,000 images,
 * 50 epochs), and a cross-entropy run that reaches NC1 ≤ 0.02.
 *
 *   node --conditions=@ncscope/source --import tsx examples/ce-stall/main.ts --list
 *   node --conditions=@ncscope/source --import tsx examples/ce-stall/main.ts --runs base,wd5e-3 --seeds 1,2
 *   node --conditions=@ncscope/source --import tsx examples/ce-stall/main.ts            # every run, seeds 1 and 2
 *
 * Each run writes results/<run>-s<seed>.json when it finishes and is skipped when that file exists;
 * `npm run tables` rebuilds the README's tables from those files.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../mnist-callback/backend.js';
import { loadMnist } from '../mnist-callback/data.js';
import { hasResult, startTimer, writeResult } from '../lib/results.js';
import { trainRun } from '../losses-equal/train.js';
import { CE_STALL_RUNS, type StallRun } from './runs.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string' },
    seeds: { type: 'string', default: '1,2' },
    backend: { type: 'string', default: 'wasm' },
    list: { type: 'boolean', default: false },
  },
});
if (args.list) {
  for (const r of CE_STALL_RUNS) console.log(`${r.name.padEnd(14)} ${r.what}`);
  process.exit(0);
}
const names = args.runs?.split(',') ?? CE_STALL_RUNS.map((r) => r.name);
const unknown = names.filter((n) => !CE_STALL_RUNS.some((r) => r.name === n));
if (unknown.length) throw new Error(`unknown run(s) ${unknown.join(', ')}: see --list`);
const seeds = args.seeds!.split(',').map(Number);
const backend = await selectBackend(args.backend!);

const data = new Map<number, ReturnType<typeof loadMnist>>();
for (const name of names) {
  const r = CE_STALL_RUNS.find((x) => x.name === name) as StallRun;
  for (const seed of seeds) {
    const id = `${r.name}-s${seed}`;
    if (hasResult(here, id)) {
      console.log(`${id}: result file exists, skipped`);
      continue;
    }
    if (!data.has(r.trainPerClass)) data.set(r.trainPerClass, loadMnist(r.trainPerClass, 300));
    const { train, test } = data.get(r.trainPerClass)!;
    const timer = startTimer(backend);
    const out = await trainRun({ ...r.config, seed, run: id, seedBatches: true, testEvery: r.config.epochs }, train, test);
    const time = timer.elapsed();
    const steps = r.config.epochs * Math.ceil((10 * r.trainPerClass) / r.config.batchSize);
    writeResult(here, {
      example: 'ce-stall', run: id, seed, machine: timer.machine, ...time,
      protocol: { name: r.name, what: r.what, trainPerClass: r.trainPerClass, testPerClass: 300, steps, ...r.config },
      result: { final: out.final, curve: out.curve },
    });
    const f = out.final;
    console.log(`${id.padEnd(18)} train ${f.trainAcc.toFixed(4)} test ${f.testAcc.toFixed(4)} NC1 ${f.nc1.toExponential(2)} ETF(M) ${f.etfMeans.toFixed(3)} NC3 ${f.nc3.toFixed(3)}  ${time.seconds} s`);
  }
}
for (const { train, test } of data.values()) tf.dispose([train.xs, train.ys, test.xs, test.ys]);
