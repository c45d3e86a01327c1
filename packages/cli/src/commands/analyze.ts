import { Option, type Command } from 'commander';
import {
  NcInputError,
  analyze,
  analyzeMultiLabel,
  computeMultiLabelReport,
  computeReport,
  decideClassCount,
  parseAnyStatistics,
  serializeMultiLabelStatistics,
  serializeStatistics,
  spreadWork,
  timed,
  toMeasurement,
  type AnalyzeResult,
  type AnyStatisticsFile,
  type Classifier,
  type MultiLabelAnalyzeResult,
  type GlobalMeanConvention,
  type NcReport,
  type PresetName,
  type SelectedEngine,
  type StatedK,
} from '@ncscope/core';
import { FileStore, batchSource, countLabelTensor, openArrayInputs, openInput, readClassifier, toFloat, writeFilesAtomic, type ArrayInputPaths, type ArrayInputs } from '@ncscope/io';
import { basename } from 'node:path';
import { CliError } from '../errors.js';
import { ENGINE_CHOICES, chooseEngine, engineLabel, releaseEngine, type EngineChoice } from '../run/engine.js';
import { fileLocator, locateInLabels } from '../run/locate.js';
import { CommandClock, type CommandTiming } from '../run/timing.js';
import { batchSizeOption, classesOption, emptyClassesOption, positiveInteger } from './options.js';
import { inputFile, outputFile } from '../output/file-options.js';
import { toAnalyzeJson, type InputsInfo } from '../output/json.js';
import { createProgress } from '../output/progress.js';
import { formatReportTable } from '../output/table.js';
import { shardNotes } from './shards.js';
import { addTableOptions, type TableFlags } from './table-options.js';
import { addNormalizeOptions, addReportOptions, checkNormalizeFlags, checkStrict, type NormalizeFlags, type ReportFlags } from './geometry-options.js';

/**
 * Rows per batch read from disk when --batch-size is not given. Small batches keep the memory a pass touches small:
 * on the 2-core benchmark machine the first touch of fresh memory costs ~3.4 ms per MiB (a cold 50,000 × 512 float32
 * `analyze` took 1.16 s with 8,192-row batches, 0.92 s with 1,024; 60,000 × 1,024 × 1,000 was no slower).
 */
export const DEFAULT_BATCH_SIZE = 1024;

/** Options of `ncscope analyze` as commander parses them. */
export interface AnalyzeCommandOptions extends Partial<ArrayInputPaths>, NormalizeFlags, ReportFlags, TableFlags {
  stats?: string;
  /** With --stats: the model whose graph gives the classifier. */
  model?: string;
  tensor?: string;
  preset: PresetName;
  globalMean?: GlobalMeanConvention;
  json?: boolean;
  batchSize: number;
  engine: EngineChoice;
  classes?: number;
  /** As given; undefined: the K rule's default (core's decideClassCount). */
  emptyClasses?: 'exclude' | 'error';
  saveStats?: string;
  html?: string;
  /** Smallest label-set count of the tag-wise metrics (multi-hot labels). */
  minSetCount?: number;
  /** Add the NC_MLab script's angle metric (multi-hot labels). */
  ncmlab?: boolean;
}

/** Registers `ncscope analyze` on the program. */
export function registerAnalyze(program: Command): void {
  const command = program
    .command('analyze')
    .description('Neural Collapse report (NC1–NC4) for features already on disk (.npy, .npz, .safetensors)')
    .addOption(inputFile(new Option('--features <file>', 'features, N × D float32/float64 (.npy, .npz or .safetensors) (required unless --stats)')))
    .addOption(inputFile(new Option('--labels <file>', 'class labels, N integers in 0..K−1, or N × K multi-hot 0/1 rows (.npy, .npz or .safetensors; may be the features file) (required with --features)')))
    .addOption(inputFile(new Option('--weights <file>', 'classifier weights W, K × D (PyTorch nn.Linear layout) — enables NC2 (W), NC3, NC4')))
    .addOption(inputFile(new Option('--bias <file>', 'classifier bias b, K entries (needs --weights)')))
    .option('--features-key <name>', 'array to read as features in an .npz/.safetensors file')
    .option('--labels-key <name>', 'array to read as labels in an .npz/.safetensors file')
    .option('--weights-key <name>', 'array to read as weights in an .npz/.safetensors file')
    .option('--bias-key <name>', 'array to read as bias in an .npz/.safetensors file')
    .addOption(inputFile(new Option('--stats <file>', 'report from a statistics file (ncscope stats / --save-stats) instead of features')))
    .addOption(inputFile(new Option('--model <file>', 'with --stats: the ONNX model the statistics came from (stats --model): its classifier (W, b) for NC2 (W), NC3, NC4, instead of --weights/--bias')))
    .option('--tensor <name>', 'with --stats --model: the feature tensor the statistics hold (default: the classifier\'s input)')
    .addOption(new Option('--preset <name>', 'conventions of a reference codebase').choices(['ncscope', 'papyan', 'rhubarbwu', 'zhu', 'zhou']).default('ncscope'))
    .addOption(new Option('--global-mean <mode>', 'global mean μ_G: class-uniform mean of class means, or mean of all samples (default: from the preset)').choices(['class', 'sample']))
    .option('--json', 'print one JSON object on stdout instead of the table')
    .addOption(batchSizeOption(DEFAULT_BATCH_SIZE))
    .addOption(new Option('--engine <name>', 'product engine for pass 2').choices(ENGINE_CHOICES).default('auto'))
    .addOption(classesOption('the rows of --weights, else the largest label + 1'))
    .addOption(emptyClassesOption())
    .addOption(outputFile(new Option('--save-stats <file>', 'also write the two-phase statistics (ncscope.statistics JSON) to this file')))
    .addOption(outputFile(new Option('--html <file>', 'also write a self-contained HTML page of the report (plots and tables; see ncscope report)')))
    .option('--multi-label', 'labels are multi-hot N × K rows (detected from an N × K label array; this refuses anything else)')
    .option('--min-set-count <n>', 'multi-label: label sets with fewer samples are left out of the tag-wise metrics (default 5)', positiveInteger('--min-set-count'))
    .option('--ncmlab', 'multi-label: also report the angle metric of Li et al.\'s public NC_MLab script (uncentred, label pairs)');
  addNormalizeOptions(command);
  addReportOptions(command);
  addTableOptions(command, { features: true });
  command.action(async (options: AnalyzeCommandOptions) => {
    const { text, report } = options.stats !== undefined
      ? await analyzeStatsFile(options)
      : options.table !== undefined
        ? await (await import('./analyze-table.js')).analyzeTable(options, { readClassifierFiles, render, htmlPage })
        : await analyzeFiles(options);
    process.stdout.write(text);
    checkStrict(options.strict, [{ report, where: options.stats ?? options.table ?? options.features ?? 'the input' }]);
  });
}

/** Reads features and labels from disk in two passes and returns the text to print (table or JSON) and the report. */
export async function analyzeFiles(options: AnalyzeCommandOptions): Promise<{ text: string; report: NcReport }> {
  if (options.features === undefined) throw new CliError('analyze: --features <file> is required (or --table <file>, or --stats <file>)');
  if (options.featuresColumn !== undefined || options.labelsColumn !== undefined) throw new CliError('analyze: --features-column and --labels-column go with --table');
  if (options.model !== undefined || options.tensor !== undefined) throw new CliError(`${options.model ?? options.tensor}: --model and --tensor go with --stats (the statistics of stats --model); to run a model on inputs, use ncscope onnx`);
  checkNormalizeFlags(options);
  if (options.labels === undefined) throw new CliError(`${options.features}: --labels <file> is required with --features`);
  if (options.bias !== undefined && options.weights === undefined) throw new CliError(`${options.bias}: --bias needs --weights (the classifier's K × D rows)`);
  const clock = new CommandClock();
  const inputs = await clock.read(() =>
    openArrayInputs({
      features: options.features!,
      labels: options.labels!,
      weights: options.weights,
      bias: options.bias,
      featuresKey: options.featuresKey,
      labelsKey: options.labelsKey,
      weightsKey: options.weightsKey,
      biasKey: options.biasKey,
      multiLabel: options.multiLabel,
    }),
  );
  if (inputs.multiLabel && ((options.normalize !== undefined && options.normalize !== 'none') || options.temperature !== undefined)) {
    await inputs.close();
    throw new CliError(`${inputs.labels.tensor.where}: --normalize and --temperature are not supported with multi-hot labels (the multi-label statistics sum raw rows)`);
  }
  if (!inputs.multiLabel) {
    const flag = options.minSetCount !== undefined ? '--min-set-count' : options.ncmlab ? '--ncmlab' : undefined;
    if (flag) {
      await inputs.close();
      throw new CliError(`${inputs.labels.tensor.where}: ${flag} applies to multi-hot labels (N × K), but the labels have shape ${inputs.labels.tensor.shapeText}`);
    }
  }
  let selected: SelectedEngine | undefined;
  const progress = createProgress(!options.json && process.stderr.isTTY === true, inputs.N);
  try {
    const classifier = await clock.read(() => readClassifier(inputs));
    if (classifier) assertFiniteClassifier(classifier, inputs);
    // The labels first (a small O(N) read): core's label and K rules before any feature is read. Multi-hot labels
    // state K by their columns (checked against the classifier when opened); their 0/1 entries are checked by core's
    // multi-label accumulators, row named.
    let K: number;
    let emptyClasses: 'exclude' | 'error';
    if (inputs.multiLabel) {
      K = inputs.K!;
      if (options.classes !== undefined && options.classes !== K) throw new CliError(`--classes ${options.classes}: the multi-hot labels ${inputs.labels.tensor.where} have K = ${K} columns`);
      emptyClasses = options.emptyClasses ?? 'exclude';
    } else {
      const counts = await clock.read(() => countLabelTensor(inputs.labels.tensor));
      const classes = decideClassCount(counts, {
        stated: [classesStated(options.classes), inputs.K !== undefined ? { K: inputs.K, by: `the classifier ${inputs.weights!.tensor.where} (${inputs.K} rows)` } : undefined],
        emptyClasses: options.emptyClasses,
      });
      K = classes.K;
      emptyClasses = classes.emptyClasses;
    }
    selected = await chooseEngine(options.engine, spreadWork(inputs.N, inputs.D, K, classifier !== undefined));
    const source = batchSource(inputs.features.tensor, inputs.labels.tensor, options.batchSize);
    let result: AnalyzeResult | MultiLabelAnalyzeResult;
    try {
      const common = {
        K,
        classifier,
        engine: selected.engine,
        preset: options.preset,
        globalMean: options.globalMean,
        emptyClasses,
        minorityBelow: options.minorityBelow,
        cdnvExponent: options.cdnvExponent,
        onProgress: (phase: 'means' | 'spread', rows: number) => progress.update(phase, rows),
        locate: fileLocator(inputs),
      };
      result = inputs.multiLabel
        ? await analyzeMultiLabel(source, { ...common, minSetCount: options.minSetCount, ncMlab: options.ncmlab })
        : await analyze(source, { ...common, normalize: options.normalize, temperature: options.temperature });
    } catch (e) {
      throw locateInLabels(e, inputs);
    } finally {
      progress.stop();
    }
    clock.add(result.timing);
    const outputs: { path: string; bytes: string }[] = [];
    if (options.saveStats !== undefined) outputs.push({ path: options.saveStats, bytes: statisticsText(result) });
    if (options.html !== undefined) outputs.push({ path: options.html, bytes: await htmlPage(result.report, options.features, clock.timing().seconds) });
    await writeFilesAtomic(outputs);
    const info: InputsInfo = {
      features: options.features,
      featuresKey: inputs.features.key,
      labels: options.labels,
      labelsKey: inputs.labels.key,
      weights: options.weights,
      weightsKey: inputs.weights?.key,
      bias: options.bias,
      biasKey: inputs.bias?.key,
      batchSize: options.batchSize,
      featureType: `${inputs.features.tensor.typeName} ${inputs.features.tensor.shapeText}`,
    };
    return { text: render(result.report, engineLabel(selected), selected.engine.name, clock.timing(), info, inputs.notes, options.json === true), report: result.report };
  } finally {
    progress.stop();
    await inputs.close();
    await releaseEngine(selected);
  }
}

/** `--classes K` as a statement of K for core's K rule. */
export function classesStated(classes: number | undefined): StatedK | undefined {
  return classes === undefined ? undefined : { K: classes, by: `--classes ${classes}` };
}

/** The statistics file text of either kind of analysis. */
function statisticsText(result: AnalyzeResult | MultiLabelAnalyzeResult): string {
  return 'kind' in result.means ? serializeMultiLabelStatistics(result as MultiLabelAnalyzeResult) : serializeStatistics(result as AnalyzeResult);
}

/** `--stats FILE`: the report from a statistics file (both phases needed for NC1/CDNV/NC4; means alone give NC2). */
export async function analyzeStatsFile(options: AnalyzeCommandOptions): Promise<{ text: string; report: NcReport }> {
  if (options.features !== undefined || options.labels !== undefined || options.table !== undefined) throw new CliError(`${options.stats}: --stats replaces --features/--labels (and --table); give one or the other`);
  if (options.saveStats !== undefined) throw new CliError(`${options.stats}: --save-stats does not apply to --stats (the statistics are already saved)`);
  const clock = new CommandClock();
  const file = await clock.read(() => readAnyStatisticsFile(options.stats!));
  const stats = file.stats;
  checkStatsNormalization(options, 'normalization' in stats.means ? stats.means.normalization : undefined, options.stats!);
  let classifier: Classifier | undefined;
  let consumer: { weights: Float32Array | Float64Array; outputs: number; name: string } | undefined;
  if (options.model !== undefined) {
    // The classifier (and the consumer, for subspace alignment) from the graph whose features the statistics hold.
    if (options.weights !== undefined) throw new CliError(`${options.model}: --model gives the graph's classifier; --weights/--bias would replace it — give one or the other`);
    const { graphClassifier } = await import('./stats-model.js');
    const g = await clock.read(() => graphClassifier(options.model!, options.tensor));
    if (!g.classifier) throw new CliError(`${options.model}: no linear classifier reads tensor ${g.tensor}; pass --weights/--bias instead`);
    classifier = g.classifier;
    if (g.consumer && g.consumer.D === stats.means.D) consumer = g.consumer;
  } else if (options.weights !== undefined) classifier = await clock.read(() => readClassifierFiles(options, stats.means.D));
  else if (options.bias !== undefined) throw new CliError(`${options.bias}: --bias needs --weights (the classifier's K × D rows)`);
  if (options.classes !== undefined && options.classes !== stats.means.K) throw new CliError(`--classes ${options.classes}: ${options.stats} has K = ${stats.means.K} classes`);
  if (classifier && classifier.weights.length / stats.means.D !== stats.means.K) {
    throw new CliError(`${options.weights}: the classifier has ${classifier.weights.length / stats.means.D} rows but ${options.stats} has K = ${stats.means.K} classes`);
  }
  let report: NcReport;
  try {
    const conventions = {
      classifier, preset: options.preset, globalMean: options.globalMean, emptyClasses: options.emptyClasses ?? 'exclude', minorityBelow: options.minorityBelow, cdnvExponent: options.cdnvExponent,
    } as const;
    const phases = clock.phases;
    if (file.kind === 'multi-label') report = await timed(phases, 'report', () => computeMultiLabelReport(file.stats.means, file.stats.spread, { ...conventions, minSetCount: options.minSetCount, ncMlab: options.ncmlab }));
    else if (options.minSetCount !== undefined || options.ncmlab) throw new CliError(`${options.stats}: --min-set-count and --ncmlab apply to multi-label statistics; this file holds single-label ones`);
    else report = await timed(phases, 'report', () => computeReport(file.stats.means, file.stats.spread, { ...conventions, ...(consumer ? { consumer } : {}) }));
  } catch (e) {
    throw e instanceof NcInputError ? e.relocate({ ...e.where, source: options.stats }) : e;
  }
  if (options.html !== undefined) await writeFilesAtomic([{ path: options.html, bytes: await htmlPage(report, options.stats!, clock.timing().seconds) }]);
  const notes = stats.spread ? [] : [`${options.stats} holds only the means phase: NC1, CDNV and NC4 need the spread phase (ncscope stats spread)`];
  notes.push(...shardNotes(options.stats!, stats));
  return { text: render(report, 'none', 'none', clock.timing(), { stats: options.stats, weights: options.weights, bias: options.bias }, notes, options.json === true), report };
}

/**
 * Normalization happens while the features stream by, so a statistics file fixes it: `--normalize`/`--temperature`
 * with `--stats` must agree with what the file recorded (or be left out).
 */
function checkStatsNormalization(flags: NormalizeFlags, recorded: { mode: string; temperature: number } | undefined, file: string): void {
  if (flags.normalize === undefined && flags.temperature === undefined) return;
  const want = flags.normalize ?? 'none';
  const has = recorded?.mode ?? 'none';
  if (want !== has || (flags.temperature !== undefined && flags.temperature !== recorded?.temperature)) {
    throw new CliError(`${file}: the statistics were computed with normalization ${recorded ? `${recorded.mode} (τ = ${recorded.temperature})` : 'none'}; normalization happens while the features stream by, so recompute them (ncscope stats means --normalize …) instead of passing --normalize here`);
  }
}

/** Reads and parses a statistics file of either kind (single-label, or multi-label from multi-hot labels); errors name the file. */
export async function readAnyStatisticsFile(path: string): Promise<AnyStatisticsFile> {
  const text = await FileStore.readText(path);
  try {
    JSON.parse(text);
  } catch {
    throw new CliError(`${path}: not an ncscope statistics file (not valid JSON)`);
  }
  return parseAnyStatistics(text, path);
}

/** Reads --weights/--bias on their own (for --stats and the stats commands), checking W is K × D. */
export async function readClassifierFiles(options: Pick<AnalyzeCommandOptions, 'weights' | 'bias' | 'weightsKey' | 'biasKey'>, D: number): Promise<Classifier> {
  const w = await openInput(options.weights!, 'weights', options.weightsKey);
  try {
    const t = w.tensor;
    if (t.shape.length !== 2 || t.shape[1] !== D) throw new CliError(`${t.where}: classifier weights must be K × D with D = ${D}, got shape ${t.shapeText}`);
    const K = t.shape[0];
    const weights = toFloat(await t.readAll());
    let bias: Float32Array | Float64Array | undefined;
    if (options.bias !== undefined) {
      const b = await openInput(options.bias, 'bias', options.biasKey);
      try {
        if (b.tensor.elementCount !== K || b.tensor.shape.length > 2) throw new CliError(`${b.tensor.where}: bias must have K = ${K} entries, got shape ${b.tensor.shapeText}`);
        bias = toFloat(await b.tensor.readAll());
      } finally {
        await b.close();
      }
    }
    const classifier = { weights, bias };
    assertFiniteClassifier(classifier, { weightsWhere: t.where, biasWhere: options.bias ?? '' }, D);
    return classifier;
  } finally {
    await w.close();
  }
}

/** NaN/±Inf in W or b: a CliError naming the file, row and column. */
function assertFiniteClassifier(c: Classifier, where: ArrayInputs | { weightsWhere: string; biasWhere: string }, Dgiven?: number): void {
  const wWhere = 'weightsWhere' in where ? where.weightsWhere : where.weights!.tensor.where;
  const bWhere = 'biasWhere' in where ? where.biasWhere : where.bias?.tensor.where ?? '';
  const D = Dgiven ?? (where as ArrayInputs).D;
  for (let i = 0; i < c.weights.length; i++) {
    if (!Number.isFinite(c.weights[i])) throw new CliError(`${wWhere}: row ${Math.floor(i / D)}, column ${i % D}: value ${c.weights[i]} is not finite`);
  }
  if (c.bias) for (let i = 0; i < c.bias.length; i++) if (!Number.isFinite(c.bias[i])) throw new CliError(`${bWhere}: entry ${i}: value ${c.bias[i]} is not finite`);
}

/** `--html FILE`: the report as a one-measurement page of `ncscope report` (vega is loaded only when asked for). */
async function htmlPage(report: NcReport, source: string, seconds: number): Promise<string> {
  const { runsFromMeasurements, renderHtmlReport } = await import('../html/index.js');
  const measurement = toMeasurement(report, { step: 0, seconds });
  const { html } = await renderHtmlReport(runsFromMeasurements([measurement], basename(source)), { title: `Neural Collapse of ${basename(source)}`, command: 'ncscope analyze' });
  return html;
}

function render(report: NcReport, engineText: string, engineName: string, timing: CommandTiming, info: InputsInfo, notes: string[], json: boolean): string {
  if (json) return JSON.stringify(toAnalyzeJson(report, engineName, timing, info, notes)) + '\n';
  return formatReportTable(report, engineText, timing, info, notes);
}
