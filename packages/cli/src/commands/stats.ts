import { Argument, Option, type Command } from 'commander';
import {
  MeansAccumulator,
  NcInputError,
  SpreadAccumulator,
  addSpreadStatistics,
  decideClassCount,
  runPasses,
  spreadWork,
  serializeMultiLabelStatistics,
  serializeStatistics,
  type AnyStatisticsFile,
  type Classifier,
  type MeansStatistics,
  type ShardRecord,
  type SpreadStatistics,
  type StatisticsFile,
} from '@ncscope/core';
import { batchSource, countLabelTensor, openArrayInputs, openInput, readClassifier, toFloat, writeFileAtomic, type ArrayInputs } from '@ncscope/io';
import { CliError } from '../errors.js';
import { ENGINE_CHOICES, chooseEngine, releaseEngine, type EngineChoice } from '../run/engine.js';
import { fileLocator } from '../run/locate.js';
import { inputFile, outputFile } from '../output/file-options.js';
import { createProgress } from '../output/progress.js';
import { DEFAULT_BATCH_SIZE, classesStated, readAnyStatisticsFile } from './analyze.js';
import { batchSizeOption, classesOption, emptyClassesOption } from './options.js';
import { checkMeansHoldShard, describeTask, mergeRecords, mergeRefusal, parseShard, taskRows, type ShardSpec } from './shards.js';
import { mergeMultiLabel, multiLabelMeans, multiLabelSpread } from './stats-multilabel.js';
import { addNormalizeOptions, checkNormalizeFlags, type NormalizeFlags } from './geometry-options.js';
import { addModelOptions, type ModelStatsFlags } from './model-options.js';

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
 * Every file is `ncscope.statistics` JSON, version 2 (core's serializeStatistics; version-1 files still read); means shards merge by addition, spread
 * shards only when computed against the same merged means (and classifier). Results equal one pass, to rounding.
 * Multi-hot labels (N × K, or `--multi-label`) give multi-label files (stats-multilabel.ts); kinds never mix.
 */
export function registerStats(program: Command): void {
  const stats = program.command('stats').description('two-phase statistics of sharded data: means, merge, spread (then analyze --stats)');
  const inputOptions = (c: Command) =>
    c
      .addOption(inputFile(new Option('--features <file>', 'features, N × D (.npy, .npz, .safetensors): a shard, or the whole file with --shard (or --table, or --model)')))
      .addOption(inputFile(new Option('--labels <file>', 'labels, N integers or N × K multi-hot rows (with --features, or --model --inputs)')))
      .option('--multi-label', 'labels are multi-hot N × K rows (detected from the shape; this refuses anything else)')
      .option('--features-key <name>', 'array to read as features in an .npz/.safetensors file')
      .option('--labels-key <name>', 'array to read as labels in an .npz/.safetensors file')
      .option('--shard <i/n>', 'read only shard i of n of the rows (0-based i, 0 ≤ i < n; contiguous balanced ranges, as numpy.array_split) — e.g. --shard $JOB_COMPLETION_INDEX/8 (Kubernetes Indexed Job) or --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT (Slurm --array=0-7) (default: every row)', parseShard)
      .addOption(batchSizeOption(DEFAULT_BATCH_SIZE))
      .addOption(outputFile(new Option('-o, --output <file>', 'statistics file to write (ncscope.statistics JSON)').makeOptionMandatory()));
  // --model (features from an ONNX model on --inputs, --images or --table) and --table (a features column).
  const withModel = (c: Command) => addModelOptions(c);

  addNormalizeOptions(
    withModel(inputOptions(stats.command('means').description('phase 1 of a shard: per-class counts and feature sums (normalized rows with --normalize; phase 2 inherits it)'))
      .addOption(classesOption('the largest label in the whole labels file + 1', 'number of classes (give it so every shard file has the same K)'))
      .addOption(emptyClassesOption())),
  ).action(async (o: MeansOptions) => {
    process.stdout.write(await statsMeans(o));
  });

  stats
    .command('merge')
    .description('add statistics shards: all means-only, or all spread files computed against the same means; refuses a shard given twice or overlapping ones, and names missing ones')
    .addArgument(inputFile(new Argument('<files...>', 'statistics files to merge')))
    .addOption(outputFile(new Option('-o, --output <file>', 'merged statistics file to write').makeOptionMandatory()))
    .option('--allow-partial', 'write the merge even when shards are missing (the file records which rows it holds; merge it with the rest later)')
    .action(async (files: string[], o: { output: string; allowPartial?: boolean }) => {
      process.stdout.write(await statsMerge(files, o.output, { allowPartial: o.allowPartial === true }));
    });

  withModel(inputOptions(stats.command('spread').description('phase 2 of a shard against the merged means: within-class and NCC/classifier sums')))
    .addOption(inputFile(new Option('--means <file>', 'merged means statistics (from stats means + stats merge)').makeOptionMandatory()))
    .addOption(inputFile(new Option('--weights <file>', 'classifier weights W, K × D')))
    .addOption(inputFile(new Option('--bias <file>', 'classifier bias b, K entries')))
    .option('--weights-key <name>', 'array to read as weights in an .npz/.safetensors file')
    .option('--bias-key <name>', 'array to read as bias in an .npz/.safetensors file')
    .addOption(new Option('--engine <name>', 'product engine').choices(ENGINE_CHOICES).default('auto'))
    .action(async (o: SpreadOptions) => {
      process.stdout.write(await statsSpread(o));
    });
}

interface ShardOptions extends ModelStatsFlags {
  features?: string;
  labels?: string;
  featuresKey?: string;
  labelsKey?: string;
  shard?: ShardSpec;
  batchSize: number;
  output: string;
  multiLabel?: boolean;
}

interface MeansOptions extends ShardOptions, NormalizeFlags {
  classes?: number;
  /** As given; undefined: the K rule's default (core's decideClassCount). */
  emptyClasses?: 'exclude' | 'error';
}

interface SpreadOptions extends ShardOptions {
  means: string;
  weights?: string;
  bias?: string;
  weightsKey?: string;
  biasKey?: string;
  engine: EngineChoice;
}

async function openShard(o: ShardOptions & { weights?: string; bias?: string; weightsKey?: string; biasKey?: string }): Promise<ArrayInputs> {
  if (o.bias !== undefined && o.weights === undefined) throw new CliError(`${o.bias}: --bias needs --weights (the classifier's K × D rows)`);
  return openArrayInputs({
    features: o.features!,
    labels: o.labels!,
    featuresKey: o.featuresKey,
    labelsKey: o.labelsKey,
    weights: o.weights,
    bias: o.bias,
    weightsKey: o.weightsKey,
    biasKey: o.biasKey,
    multiLabel: o.multiLabel,
  });
}

/** `stats means`: phase 1 over one shard. Returns the summary line. */
export async function statsMeans(o: MeansOptions): Promise<string> {
  checkNormalizeFlags(o);
  if (usesRowSource(o, 'means')) return (await import('./stats-model.js')).statsMeansModel(o);
  const inputs = await openShard(o);
  let progress = createProgress(false, 0);
  try {
    const task = await taskRows(o.shard, o.features!, inputs);
    if (inputs.multiLabel) {
      if (o.classes !== undefined && o.classes !== inputs.K) throw new CliError(`${inputs.labels.tensor.where}: --classes ${o.classes} but the multi-hot labels have K = ${inputs.K} columns`);
      if ((o.normalize !== undefined && o.normalize !== 'none') || o.temperature !== undefined) throw new CliError(`${inputs.labels.tensor.where}: --normalize and --temperature are not supported with multi-hot labels (the multi-label statistics sum raw rows)`);
      progress = createProgress(process.stderr.isTTY === true, task.end - task.start);
      const means = await multiLabelMeans(inputs, o.batchSize, task, (rows) => progress.update('means', rows));
      await writeFileAtomic(o.output, serializeMultiLabelStatistics({ means, shards: task.coverage ? { means: [task.coverage] } : undefined }));
      return `${o.output}: multi-label means ${describeTask(task, inputs.N)} (${means.sets.counts.length} label sets, ${means.unlabelled} unlabelled), K = ${means.K}, D = ${means.D}\n`;
    }
    // Core's K rule on the whole labels file — with --shard every task reads all labels (a small fraction of the
    // features' bytes), so all agree on K: --classes states it (classes absent from a shard file are fine); without
    // it, K is the largest label + 1 and a gap between labels is refused unless --empty-classes exclude.
    const { K } = decideClassCount(await countLabelTensor(inputs.labels.tensor), { stated: [classesStated(o.classes)], emptyClasses: o.emptyClasses, needTwoClasses: false });
    progress = createProgress(process.stderr.isTTY === true, task.end - task.start);
    const acc = new MeansAccumulator({ K, D: inputs.D, normalize: o.normalize, temperature: o.temperature });
    // Pass 1 only, through the driver (progress, timing, errors located in the files).
    await runPasses(batchSource(inputs.features.tensor, inputs.labels.tensor, o.batchSize, task), { means: (batch) => acc.addAsync(batch).then(() => undefined) }, {
      onProgress: (_pass, rows) => progress.update('means', rows),
      locate: fileLocator(inputs, task),
    });
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
  const file = await readAnyStatisticsFile(o.means);
  if (usesRowSource(o, 'spread')) {
    if (file.kind === 'multi-label') throw new CliError(`${o.means}: holds multi-label means; --model and --table compute single-label statistics`);
    return (await import('./stats-model.js')).statsSpreadModel(o, file, { classifier: await readGivenClassifier(o), engine: o.engine });
  }
  const means = file.stats.means;
  const inputs = await openShard(o);
  let progress = createProgress(false, 0);
  let selected;
  try {
    if (inputs.D !== means.D) throw new CliError(`${inputs.features.tensor.where}: features have D = ${inputs.D} but ${o.means} has D = ${means.D}`);
    if ((file.kind === 'multi-label') !== inputs.multiLabel) {
      throw new CliError(file.kind === 'multi-label'
        ? `${inputs.labels.tensor.where}: ${o.means} holds multi-label means, so the labels must be N × ${means.K} multi-hot rows; got shape ${inputs.labels.tensor.shapeText}`
        : `${inputs.labels.tensor.where}: multi-hot labels (shape ${inputs.labels.tensor.shapeText}) but ${o.means} holds single-label means; compute the means from the same kind of labels`);
    }
    if (inputs.K !== undefined && inputs.K !== means.K) {
      throw new CliError(inputs.weights ? `${inputs.weights.tensor.where}: the classifier has ${inputs.K} rows but ${o.means} has K = ${means.K}` : `${inputs.labels.tensor.where}: the multi-hot labels have ${inputs.K} columns but ${o.means} has K = ${means.K}`);
    }
    if (!inputs.multiLabel) {
      // Labels against the merged K (core's label rule), before any feature is read.
      decideClassCount(await countLabelTensor(inputs.labels.tensor), { stated: [{ K: means.K, by: `${o.means} (K = ${means.K})` }], emptyClasses: 'exclude', needTwoClasses: false });
    }
    const task = await taskRows(o.shard, o.features!, inputs);
    const meansShards = file.stats.shards?.means;
    if (task.coverage && meansShards) checkMeansHoldShard(o.means, meansShards, task.coverage);
    const classifier = await readClassifier(inputs);
    progress = createProgress(process.stderr.isTTY === true, task.end - task.start);
    selected = await chooseEngine(o.engine, spreadWork(task.end - task.start, inputs.D, means.K, classifier !== undefined));
    const engine = selected.engine;
    const meansRecord = meansShards ? { means: meansShards } : {};
    const shards: ShardRecord | undefined = task.coverage ? { ...meansRecord, spread: [task.coverage] } : meansShards ? meansRecord : undefined;
    if (file.kind === 'multi-label') {
      const spread = await multiLabelSpread(inputs, file.stats.means, o.batchSize, task, { classifier, engine }, (rows) => progress.update('spread', rows));
      await writeFileAtomic(o.output, serializeMultiLabelStatistics({ means: file.stats.means, spread, shards }));
      return `${o.output}: multi-label spread ${describeTask(task, inputs.N)} against ${o.means}, K = ${means.K}, D = ${means.D}${classifier ? ', with classifier' : ''}\n`;
    }
    const acc = await SpreadAccumulator.create(file.stats.means, { classifier, engine });
    // Pass 2 only, against the merged means, through the driver.
    await runPasses(batchSource(inputs.features.tensor, inputs.labels.tensor, o.batchSize, task), { spread: (batch) => acc.add(batch).then(() => undefined) }, {
      onProgress: (_pass, rows) => progress.update('spread', rows),
      locate: fileLocator(inputs, task),
    });
    await writeFileAtomic(o.output, serializeStatistics({ means: file.stats.means, spread: acc.statistics, shards }));
    return `${o.output}: spread ${describeTask(task, inputs.N)} against ${o.means}, K = ${means.K}, D = ${means.D}${classifier ? ', with classifier' : ''}\n`;
  } finally {
    progress.stop();
    await inputs.close();
    await releaseEngine(selected);
  }
}

/**
 * Whether the task reads a model's features (`--model`) or a table (`--table`) instead of `--features/--labels`;
 * refuses a mix, and neither.
 */
function usesRowSource(o: ShardOptions, phase: 'means' | 'spread'): boolean {
  const rowSource = o.model !== undefined || o.table !== undefined;
  if (rowSource && o.features !== undefined) throw new CliError(`stats ${phase}: --features goes without --model and --table (they are other sources of the features)`);
  if (rowSource && o.multiLabel) throw new CliError(`stats ${phase}: --multi-label goes with --features; --model and --table compute single-label statistics`);
  if (!rowSource && (o.features === undefined || o.labels === undefined)) {
    throw new CliError(`stats ${phase}: give --features FILE --labels FILE, --table FILE (a features column), or --model FILE with --inputs, --images or --table`);
  }
  if (o.model === undefined && (o.inputs !== undefined || o.images !== undefined || o.tensor !== undefined)) throw new CliError(`stats ${phase}: --inputs, --images and --tensor go with --model`);
  return rowSource;
}

/** The --weights/--bias of `stats spread --model|--table` (replacing the graph's classifier), read whole. */
async function readGivenClassifier(o: SpreadOptions): Promise<Classifier | undefined> {
  if (o.weights === undefined) {
    if (o.bias !== undefined) throw new CliError(`${o.bias}: --bias needs --weights`);
    return undefined;
  }
  const read = async (path: string, role: 'weights' | 'bias', key?: string) => {
    const f = await openInput(path, role, key);
    try {
      return toFloat(await f.tensor.readAll());
    } finally {
      await f.close();
    }
  };
  return { weights: await read(o.weights, 'weights', o.weightsKey), bias: o.bias !== undefined ? await read(o.bias, 'bias', o.biasKey) : undefined };
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
  const read: { path: string; file: AnyStatisticsFile }[] = [];
  for (const path of files) read.push({ path, file: await readAnyStatisticsFile(path) });
  const odd = read.find((r) => r.file.kind !== read[0].file.kind);
  if (odd) {
    const kind = (r: { file: AnyStatisticsFile }) => (r.file.kind === 'multi-label' ? 'multi-label' : 'single-label');
    throw new NcInputError('STATS_MISMATCH', `${odd.path}: holds ${kind(odd)} statistics while ${read[0].path} holds ${kind(read[0])} ones; compute every shard from the same kind of labels`, { source: odd.path });
  }
  const shards = read.map((r) => ({ path: r.path, stats: r.file.stats }));
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
  if (read[0].file.kind === 'multi-label') {
    const ml = mergeMultiLabel(read.map((r) => ({ path: r.path, stats: (r.file as Extract<AnyStatisticsFile, { kind: 'multi-label' }>).stats })));
    const coverage = mergeRecords(shards, phase, options.allowPartial === true);
    if (coverage) ml.shards = coverage.record;
    await writeFileAtomic(output, serializeMultiLabelStatistics(ml));
    const N = ml.means.single.counts.reduce((a, b) => a + b, 0) + ml.means.sets.counts.reduce((a, b) => a + b, 0);
    const partial = coverage?.gaps ? `; partial: ${coverage.gaps}` : '';
    return `${output}: merged ${files.length} multi-label ${phase} file${files.length > 1 ? 's' : ''}, ${N} labelled samples (${ml.means.unlabelled} unlabelled), K = ${ml.means.K}, D = ${ml.means.D}${partial}\n`;
  }
  const single = shards as { path: string; stats: StatisticsFile }[];
  let merged: StatisticsFile;
  if (phase === 'means') {
    const acc = new MeansAccumulator();
    for (const s of single) {
      try {
        acc.merge(s.stats.means);
      } catch (e) {
        if (e instanceof NcInputError) throw e.relocate({ ...e.where, source: s.path });
        throw e;
      }
    }
    merged = { means: acc.statistics };
  } else {
    merged = { means: single[0].stats.means, spread: mergeSpread(single.map((s) => ({ path: s.path, spread: s.stats.spread!, means: s.stats.means }))) };
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
      throw new CliError(`${s.path}: ${mergeRefusal(e, first.path)}`);
    }
  }
  return out;
}

