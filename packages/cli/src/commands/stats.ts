import { Option, type Command } from 'commander';
import {
  MeansAccumulator,
  NcInputError,
  SpreadAccumulator,
  addSpreadStatistics,
  serializeStatistics,
  type MeansStatistics,
  type ShardRecord,
  type SpreadStatistics,
  type StatisticsFile,
} from '@ncscope/core';
import { CliError } from '../errors.js';
import { batchSource, openAnalyzeInputs, readClassifier, type AnalyzeInputs } from '../io/inputs.js';
import { ReadClock } from '../io/read-clock.js';
import { writeFileAtomic } from '../output/atomic-write.js';
import { createProgress } from '../output/progress.js';
import { DEFAULT_BATCH_SIZE, MAX_K_WITHOUT_WEIGHTS, disposeEngine, locateError, maxLabel, parsePositiveInteger, productWork, readStatisticsFile, selectEngine, type EngineChoice } from './analyze.js';
import { checkMeansHoldShard, describeTask, mergeRecords, parseShard, taskRows, type ShardSpec } from './shards.js';
import { addNormalizeOptions, checkNormalizeFlags, type NormalizeFlags } from './geometry-options.js';

/**
 * `ncscope stats` — the two phases as separate, mergeable steps, for data split into shards (files, machines):
 *
 *   ncscope stats means  --features a.npy --labels ya.npy --classes K -o means-a.json     (per shard; --normalize too)
 *   ncscope stats merge  means-a.json means-b.json -o means.json                          (sum the shards)
 *   ncscope stats spread --means means.json --features a.npy --labels ya.npy [--weights W --bias b] -o spread-a.json
 *   ncscope stats merge  spread-a.json spread-b.json -o stats.json
 *   ncscope analyze --stats stats.json [--weights W --bias b]
 *
 * With `--shard i/n` every task reads only rows shardRows(i, n, N) of one large file (the same command for every task
 * of a Kubernetes Indexed Job, a Slurm array or a Ray task list, with its index), and its file records the shard and
 * the input's fingerprint; `stats merge` refuses duplicate or overlapping shards and names missing ones.
 *
 * Every file is `ncscope.statistics/1` JSON (core's serializeStatistics); means shards merge by addition, spread
 * shards only when computed against the same merged means (and classifier). Results equal one pass, to rounding.
 */
export function registerStats(program: Command): void {
  const stats = program.command('stats').description('two-phase statistics of sharded data: means, merge, spread (then analyze --stats)');
  const inputOptions = (c: Command) =>
    c
      .requiredOption('--features <file>', 'features, N × D (.npy, .npz, .safetensors): a shard, or the whole file with --shard')
      .requiredOption('--labels <file>', 'labels, N integers')
      .option('--features-key <name>', 'array to read as features in an .npz/.safetensors file')
      .option('--labels-key <name>', 'array to read as labels in an .npz/.safetensors file')
      .option('--shard <i/n>', 'read only shard i of n of the rows (0-based i, 0 ≤ i < n; contiguous balanced ranges, as numpy.array_split) — e.g. --shard $JOB_COMPLETION_INDEX/8 (Kubernetes Indexed Job) or --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT (Slurm --array=0-7)', parseShard)
      .option('--batch-size <rows>', 'rows read from disk per batch', parsePositiveInteger, DEFAULT_BATCH_SIZE)
      .requiredOption('-o, --output <file>', 'statistics file to write (JSON, ncscope.statistics/1)');

  addNormalizeOptions(
    inputOptions(stats.command('means').description('phase 1 of a shard: per-class counts and feature sums (normalized rows with --normalize; phase 2 inherits it)'))
      .option('--classes <K>', 'number of classes (fix it so every shard has the same K; with --shard, default: largest label in the whole labels file + 1)', (v) => parsePositiveIntegerFlag(v, '--classes')),
  ).action(async (o: MeansOptions) => {
    process.stdout.write(await statsMeans(o));
  });

  stats
    .command('merge')
    .description('add statistics shards: all means-only, or all spread files computed against the same means; refuses a shard given twice or overlapping ones, and names missing ones')
    .argument('<files...>', 'statistics files to merge')
    .requiredOption('-o, --output <file>', 'merged statistics file to write')
    .option('--allow-partial', 'write the merge even when shards are missing (the file records which rows it holds; merge it with the rest later)')
    .action(async (files: string[], o: { output: string; allowPartial?: boolean }) => {
      process.stdout.write(await statsMerge(files, o.output, { allowPartial: o.allowPartial === true }));
    });

  inputOptions(stats.command('spread').description('phase 2 of a shard against the merged means: within-class and NCC/classifier sums'))
    .requiredOption('--means <file>', 'merged means statistics (from stats means + stats merge)')
    .option('--weights <file>', 'classifier weights W, K × D')
    .option('--bias <file>', 'classifier bias b, K entries')
    .option('--weights-key <name>', 'array to read as weights in an .npz/.safetensors file')
    .option('--bias-key <name>', 'array to read as bias in an .npz/.safetensors file')
    .addOption(new Option('--engine <name>', 'product engine').choices(['auto', 'js', 'onnxruntime']).default('auto'))
    .action(async (o: SpreadOptions) => {
      process.stdout.write(await statsSpread(o));
    });
}

function parsePositiveIntegerFlag(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new CliError(`${flag}: expected a positive integer, got '${value}'`);
  return n;
}

interface ShardOptions {
  features: string;
  labels: string;
  featuresKey?: string;
  labelsKey?: string;
  shard?: ShardSpec;
  batchSize: number;
  output: string;
}

interface MeansOptions extends ShardOptions, NormalizeFlags {
  classes?: number;
}

interface SpreadOptions extends ShardOptions {
  means: string;
  weights?: string;
  bias?: string;
  weightsKey?: string;
  biasKey?: string;
  engine: EngineChoice;
}

async function openShard(o: ShardOptions & { weights?: string; bias?: string; weightsKey?: string; biasKey?: string }): Promise<AnalyzeInputs> {
  return openAnalyzeInputs({
    features: o.features,
    labels: o.labels,
    featuresKey: o.featuresKey,
    labelsKey: o.labelsKey,
    weights: o.weights,
    bias: o.bias,
    weightsKey: o.weightsKey,
    biasKey: o.biasKey,
  });
}

/**
 * K for a shard's means without --classes: the largest label of the whole labels file + 1 (labels are a small
 * fraction of the features' bytes), so every task of the split agrees on K.
 */
async function classesOfWholeFile(inputs: AnalyzeInputs): Promise<number> {
  const { max, row } = await maxLabel(inputs.labels.tensor);
  const K = Math.floor(max) + 1;
  if (K > inputs.N && K > MAX_K_WITHOUT_WEIGHTS) {
    throw new CliError(`${inputs.labels.tensor.where}: row ${row}: label ${max} implies ${K} classes for ${inputs.N} samples; check the labels, or pass --classes K`);
  }
  return K;
}

/** `stats means`: phase 1 over one shard. Returns the summary line. */
export async function statsMeans(o: MeansOptions): Promise<string> {
  checkNormalizeFlags(o);
  const inputs = await openShard(o);
  const clock = new ReadClock();
  let progress = createProgress(false, 0);
  try {
    const task = await taskRows(o.shard, o.features, inputs);
    const K = o.classes ?? (task.coverage ? await classesOfWholeFile(inputs) : undefined);
    progress = createProgress(process.stderr.isTTY === true, task.end - task.start);
    const acc = new MeansAccumulator({ K, D: inputs.D, normalize: o.normalize, temperature: o.temperature });
    let rows = 0;
    try {
      for await (const batch of batchSource(inputs.features.tensor, inputs.labels.tensor, o.batchSize, clock, task)()) {
        await acc.addAsync(batch);
        rows += batch.labels.length;
        progress.update('means', rows);
      }
    } catch (e) {
      throw locateError(e, inputs, o.batchSize, task);
    }
    const means = acc.statistics;
    const shards: ShardRecord | undefined = task.coverage ? { means: [task.coverage] } : undefined;
    await writeFileAtomic(o.output, serializeStatistics({ means, shards }));
    const n = means.normalization;
    return `${o.output}: means ${describeTask(task, inputs.N)}, K = ${means.K}, D = ${means.D}${n ? `, normalized (${n.mode}, τ = ${n.temperature})` : ''}\n`;
  } finally {
    progress.stop();
    await inputs.close();
  }
}

/** `stats spread`: phase 2 over one shard against merged means. Returns the summary line. */
export async function statsSpread(o: SpreadOptions): Promise<string> {
  const file = await readStatisticsFile(o.means);
  const means = file.means;
  const inputs = await openShard(o);
  const clock = new ReadClock();
  let progress = createProgress(false, 0);
  let engine;
  try {
    if (inputs.D !== means.D) throw new CliError(`${inputs.features.tensor.where}: features have D = ${inputs.D} but ${o.means} has D = ${means.D}`);
    if (inputs.K !== undefined && inputs.K !== means.K) throw new CliError(`${inputs.weights!.tensor.where}: the classifier has ${inputs.K} rows but ${o.means} has K = ${means.K}`);
    const task = await taskRows(o.shard, o.features, inputs);
    if (task.coverage && file.shards?.means) checkMeansHoldShard(o.means, file.shards.means, task.coverage);
    const classifier = await readClassifier(inputs, clock);
    progress = createProgress(process.stderr.isTTY === true, task.end - task.start);
    engine = (await selectEngine(o.engine, productWork(task.end - task.start, inputs.D, means.K, classifier !== undefined))).engine;
    const acc = await SpreadAccumulator.create(means, { classifier, engine });
    let rows = 0;
    try {
      for await (const batch of batchSource(inputs.features.tensor, inputs.labels.tensor, o.batchSize, clock, task)()) {
        await acc.add(batch);
        rows += batch.labels.length;
        progress.update('spread', rows);
      }
    } catch (e) {
      throw locateError(e, inputs, o.batchSize, task);
    }
    const meansRecord = file.shards?.means ? { means: file.shards.means } : {};
    const shards: ShardRecord | undefined = task.coverage ? { ...meansRecord, spread: [task.coverage] } : file.shards?.means ? meansRecord : undefined;
    await writeFileAtomic(o.output, serializeStatistics({ means, spread: acc.statistics, shards }));
    return `${o.output}: spread ${describeTask(task, inputs.N)} against ${o.means}, K = ${means.K}, D = ${means.D}${classifier ? ', with classifier' : ''}\n`;
  } finally {
    progress.stop();
    await inputs.close();
    if (engine) await disposeEngine(engine);
  }
}

/** Options of {@link statsMerge}. */
export interface MergeOptions {
  /** Write the merge even when shards are missing (it records which rows it holds). */
  allowPartial?: boolean;
}

/**
 * `stats merge`: means-only files add their counts and sums; spread files must share the same means (fingerprint)
 * and classifier, and add their spread sums. Mixing the two kinds, or files with different K, is refused. Files
 * made with --shard are checked against each other (mergeShardCoverage): a shard given twice or overlapping rows
 * are refused, missing shards are named (a spread merge must cover the rows its means summed) unless allowPartial.
 */
export async function statsMerge(files: string[], output: string, options: MergeOptions = {}): Promise<string> {
  const shards: { path: string; stats: StatisticsFile }[] = [];
  for (const path of files) shards.push({ path, stats: await readStatisticsFile(path) });
  const withSpread = shards.filter((s) => s.stats.spread);
  if (withSpread.length > 0 && withSpread.length < shards.length) {
    const odd = shards.find((s) => !s.stats.spread)!;
    throw new CliError(`${odd.path}: holds only means while ${withSpread[0].path} holds spread statistics; merge means shards first, then spread shards`);
  }
  const sized = shards.filter((s) => s.stats.means.K > 0);
  const otherK = sized.find((s) => s.stats.means.K !== sized[0].stats.means.K);
  if (otherK) {
    throw new CliError(`${otherK.path}: has K = ${otherK.stats.means.K} classes but ${sized[0].path} has K = ${sized[0].stats.means.K}; shards must agree on K (give every stats means task the same --classes K)`);
  }
  const phase = withSpread.length === 0 ? 'means' : 'spread';
  let merged: StatisticsFile;
  if (phase === 'means') {
    const acc = new MeansAccumulator();
    for (const s of shards) {
      try {
        acc.merge(s.stats.means);
      } catch (e) {
        if (e instanceof NcInputError) throw new CliError(`${s.path}: ${e.message}`);
        throw e;
      }
    }
    merged = { means: acc.statistics };
  } else {
    merged = { means: shards[0].stats.means, spread: mergeSpread(shards.map((s) => ({ path: s.path, spread: s.stats.spread!, means: s.stats.means }))) };
  }
  const coverage = mergeRecords(shards, phase, options.allowPartial === true);
  if (coverage) merged.shards = coverage.record;
  await writeFileAtomic(output, serializeStatistics(merged));
  const N = merged.means.counts.reduce((a, b) => a + b, 0);
  const partial = coverage?.gaps ? `; partial: ${coverage.gaps}` : '';
  return `${output}: merged ${files.length} ${phase} file${files.length > 1 ? 's' : ''}, ${N} samples, K = ${merged.means.K}, D = ${merged.means.D}${partial}\n`;
}

/** Adds spread shards that share means, classifier, space and per-class conventions (core's merge rule). */
function mergeSpread(shards: { path: string; spread: SpreadStatistics; means: MeansStatistics }[]): SpreadStatistics {
  const first = shards[0];
  let out = first.spread;
  for (const s of shards.slice(1)) {
    try {
      out = addSpreadStatistics(out, s.spread);
    } catch (e) {
      if (!(e instanceof NcInputError)) throw e;
      const why = /different class means/.test(e.message)
        ? `computed against different class means than ${first.path}; run every spread shard against the same merged means`
        : /classifier/.test(e.message)
          ? `computed with a different classifier (or none) than ${first.path}`
          : `${e.message.replace(/^cannot merge /, 'cannot be merged with ' + first.path + ': ')}`;
      throw new CliError(`${s.path}: ${why}`);
    }
  }
  return out;
}
