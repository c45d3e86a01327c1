import { Option, type Command } from 'commander';
import {
  NcInputError,
  analyze,
  computeReport,
  jsEngine,
  parseStatistics,
  serializeStatistics,
  toMeasurement,
  type Classifier,
  type GlobalMeanConvention,
  type NcReport,
  type PresetName,
  type ProductEngine,
} from '@ncscope/core';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { CliError } from '../errors.js';
import { describeFsError } from '../io/byte-store.js';
import { batchSource, openAnalyzeInputs, readClassifier, type AnalyzeInputs, type InputPaths } from '../io/inputs.js';
import { openInput } from '../io/open.js';
import type { Tensor } from '../io/tensor.js';
import { ReadClock } from '../io/read-clock.js';
import { writeFileAtomic } from '../output/atomic-write.js';
import { toAnalyzeJson, type InputsInfo } from '../output/json.js';
import { createProgress } from '../output/progress.js';
import { formatReportTable } from '../output/table.js';
import { shardNotes } from './shards.js';
import { addNormalizeOptions, addReportOptions, checkNormalizeFlags, checkStrict, type NormalizeFlags, type ReportFlags } from './geometry-options.js';

/** Rows per batch read from disk when --batch-size is not given. */
export const DEFAULT_BATCH_SIZE = 8192;

/** Options of `ncscope analyze` as commander parses them. */
export interface AnalyzeCommandOptions extends Partial<InputPaths>, NormalizeFlags, ReportFlags {
  stats?: string;
  preset: PresetName;
  globalMean?: GlobalMeanConvention;
  json?: boolean;
  batchSize: number;
  engine: EngineChoice;
  emptyClasses: 'exclude' | 'error';
  saveStats?: string;
  html?: string;
}

/** Registers `ncscope analyze` on the program. */
export function registerAnalyze(program: Command): void {
  const command = program
    .command('analyze')
    .description('Neural Collapse report (NC1–NC4) for features already on disk (.npy, .npz, .safetensors)')
    .option('--features <file>', 'features, N × D float32/float64 (.npy, .npz or .safetensors)')
    .option('--labels <file>', 'class labels, N integers in 0..K−1 (.npy, .npz or .safetensors; may be the features file)')
    .option('--weights <file>', 'classifier weights W, K × D (PyTorch nn.Linear layout) — enables NC2 (W), NC3, NC4')
    .option('--bias <file>', 'classifier bias b, K entries (needs --weights)')
    .option('--features-key <name>', 'array to read as features in an .npz/.safetensors file')
    .option('--labels-key <name>', 'array to read as labels in an .npz/.safetensors file')
    .option('--weights-key <name>', 'array to read as weights in an .npz/.safetensors file')
    .option('--bias-key <name>', 'array to read as bias in an .npz/.safetensors file')
    .option('--stats <file>', 'report from a statistics file (ncscope stats / --save-stats) instead of features')
    .addOption(new Option('--preset <name>', 'conventions of a reference codebase').choices(['ncscope', 'papyan', 'rhubarbwu', 'zhu', 'zhou']).default('ncscope'))
    .addOption(new Option('--global-mean <mode>', 'global mean μ_G: class-uniform mean of class means, or mean of all samples (default: from the preset)').choices(['class', 'sample']))
    .option('--json', 'print one JSON object on stdout instead of the table')
    .option('--batch-size <rows>', 'rows read from disk per batch', parsePositiveInteger, DEFAULT_BATCH_SIZE)
    .addOption(new Option('--engine <name>', 'product engine for pass 2').choices(['auto', 'js', 'onnxruntime']).default('auto'))
    .addOption(new Option('--empty-classes <mode>', 'classes below K with no samples: exclude them, or refuse').choices(['exclude', 'error']).default('exclude'))
    .option('--save-stats <file>', 'also write the two-phase statistics (JSON, ncscope.statistics/1) to this file')
    .option('--html <file>', 'also write a self-contained HTML page of the report (plots and tables; see ncscope report)');
  addNormalizeOptions(command);
  addReportOptions(command);
  command.action(async (options: AnalyzeCommandOptions) => {
    const { text, report } = options.stats !== undefined ? await analyzeStatsFile(options) : await analyzeFiles(options);
    process.stdout.write(text);
    checkStrict(options.strict, [{ report, where: options.stats ?? options.features ?? 'the input' }]);
  });
}

/** Commander argument parser for positive integers (CliError otherwise). */
export function parsePositiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new CliError(`--batch-size: expected a positive integer, got '${value}'`);
  return n;
}

/** Reads features and labels from disk in two passes and returns the text to print (table or JSON) and the report. */
export async function analyzeFiles(options: AnalyzeCommandOptions): Promise<{ text: string; report: NcReport }> {
  if (options.features === undefined) throw new CliError('analyze: --features <file> is required (or --stats <file>)');
  checkNormalizeFlags(options);
  if (options.labels === undefined) throw new CliError(`${options.features}: --labels <file> is required with --features`);
  const t0 = performance.now();
  const clock = new ReadClock();
  const inputs = await clock.time(() =>
    openAnalyzeInputs({
      features: options.features!,
      labels: options.labels!,
      weights: options.weights,
      bias: options.bias,
      featuresKey: options.featuresKey,
      labelsKey: options.labelsKey,
      weightsKey: options.weightsKey,
      biasKey: options.biasKey,
    }),
  );
  let selected: SelectedEngine | undefined;
  const progress = createProgress(!options.json && process.stderr.isTTY === true, inputs.N);
  try {
    const classifier = await readClassifier(inputs, clock);
    if (classifier) assertFiniteClassifier(classifier, inputs);
    let K = inputs.K;
    if (K === undefined) {
      // Without a classifier K is the largest label + 1: scan the labels (O(N), cheap) to size the work and to
      // refuse a stray huge label before it allocates K × D sums.
      const { max, row } = await clock.time(() => maxLabel(inputs.labels.tensor));
      K = max + 1;
      if (K > inputs.N && K > MAX_K_WITHOUT_WEIGHTS) {
        throw new CliError(`${inputs.labels.tensor.where}: row ${row}: label ${max} implies ${K} classes for ${inputs.N} samples; check the labels, or pass --weights to fix K`);
      }
    }
    selected = await selectEngine(options.engine, productWork(inputs.N, inputs.D, K, classifier !== undefined));
    const source = batchSource(inputs.features.tensor, inputs.labels.tensor, options.batchSize, clock);
    let result;
    try {
      result = await analyze(source, {
        K: inputs.K,
        classifier,
        engine: selected.engine,
        preset: options.preset,
        globalMean: options.globalMean,
        emptyClasses: options.emptyClasses,
        normalize: options.normalize,
        temperature: options.temperature,
        minorityBelow: options.minorityBelow,
        cdnvExponent: options.cdnvExponent,
        onProgress: (phase, rows) => progress.update(phase, rows),
      });
    } catch (e) {
      throw locateError(e, inputs, options.batchSize);
    } finally {
      progress.stop();
    }
    const timing = { readSeconds: clock.seconds, computeSeconds: Math.max(0, (performance.now() - t0) / 1000 - clock.seconds) };
    if (options.saveStats !== undefined) await writeFileAtomic(options.saveStats, serializeStatistics({ means: result.means, spread: result.spread }));
    if (options.html !== undefined) await writeHtml(result.report, options.html, options.features, timing);
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
    return { text: render(result.report, selected, timing, info, inputs.notes, options.json === true), report: result.report };
  } finally {
    progress.stop();
    await inputs.close();
    if (selected) await disposeEngine(selected.engine);
  }
}

/** `--stats FILE`: the report from a statistics file (both phases needed for NC1/CDNV/NC4; means alone give NC2). */
export async function analyzeStatsFile(options: AnalyzeCommandOptions): Promise<{ text: string; report: NcReport }> {
  if (options.features !== undefined || options.labels !== undefined) throw new CliError(`${options.stats}: --stats replaces --features/--labels; give one or the other`);
  if (options.saveStats !== undefined) throw new CliError(`${options.stats}: --save-stats does not apply to --stats (the statistics are already saved)`);
  const t0 = performance.now();
  const clock = new ReadClock();
  const stats = await clock.time(() => readStatisticsFile(options.stats!));
  checkStatsNormalization(options, stats.means.normalization, options.stats!);
  let classifier: Classifier | undefined;
  if (options.weights !== undefined) classifier = await clock.time(() => readClassifierFiles(options, stats.means.D));
  else if (options.bias !== undefined) throw new CliError(`${options.bias}: --bias needs --weights (the classifier's K × D rows)`);
  if (classifier && classifier.weights.length / stats.means.D !== stats.means.K) {
    throw new CliError(`${options.weights}: the classifier has ${classifier.weights.length / stats.means.D} rows but ${options.stats} has K = ${stats.means.K} classes`);
  }
  let report: NcReport;
  try {
    report = await computeReport(stats.means, stats.spread, {
      classifier, preset: options.preset, globalMean: options.globalMean, emptyClasses: options.emptyClasses, minorityBelow: options.minorityBelow, cdnvExponent: options.cdnvExponent,
    });
  } catch (e) {
    if (e instanceof NcInputError) throw new NcInputError(e.code, `${options.stats}: ${e.message.replace("pass emptyClasses: 'exclude'", 'pass --empty-classes exclude')}`, { ...e.where, source: options.stats });
    throw e;
  }
  const timing = { readSeconds: clock.seconds, computeSeconds: Math.max(0, (performance.now() - t0) / 1000 - clock.seconds) };
  if (options.html !== undefined) await writeHtml(report, options.html, options.stats!, timing);
  const notes = stats.spread ? [] : [`${options.stats} holds only the means phase: NC1, CDNV and NC4 need the spread phase (ncscope stats spread)`];
  notes.push(...shardNotes(options.stats!, stats));
  return { text: render(report, { engine: { name: 'none', matmul: jsEngine.matmul } }, timing, { stats: options.stats, weights: options.weights, bias: options.bias }, notes, options.json === true), report };
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

/** Reads and parses an ncscope.statistics/1 file; errors name the file. */
export async function readStatisticsFile(path: string) {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(`${path}: ${describeFsError(e)}`);
  }
  try {
    JSON.parse(text);
  } catch {
    throw new CliError(`${path}: not an ncscope statistics file (not valid JSON)`);
  }
  return parseStatistics(text, path);
}

/** Reads --weights/--bias on their own (for --stats and the stats commands), checking W is K × D. */
export async function readClassifierFiles(options: Pick<AnalyzeCommandOptions, 'weights' | 'bias' | 'weightsKey' | 'biasKey'>, D: number): Promise<Classifier> {
  const w = await openInput(options.weights!, 'weights', options.weightsKey);
  try {
    const t = w.tensor;
    if (t.shape.length !== 2 || t.shape[1] !== D) throw new CliError(`${t.where}: classifier weights must be K × D with D = ${D}, got shape ${t.shapeText}`);
    const K = t.shape[0];
    const weights = toFloatArray(await t.readAll());
    let bias: Float32Array | Float64Array | undefined;
    if (options.bias !== undefined) {
      const b = await openInput(options.bias, 'bias', options.biasKey);
      try {
        if (b.tensor.elementCount !== K || b.tensor.shape.length > 2) throw new CliError(`${b.tensor.where}: bias must have K = ${K} entries, got shape ${b.tensor.shapeText}`);
        bias = toFloatArray(await b.tensor.readAll());
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

function toFloatArray(a: Float32Array | Float64Array | Int32Array): Float32Array | Float64Array {
  return a instanceof Int32Array ? Float64Array.from(a) : a;
}

/** NaN/±Inf in W or b: a CliError naming the file, row and column. */
function assertFiniteClassifier(c: Classifier, where: AnalyzeInputs | { weightsWhere: string; biasWhere: string }, Dgiven?: number): void {
  const wWhere = 'weightsWhere' in where ? where.weightsWhere : where.weights!.tensor.where;
  const bWhere = 'biasWhere' in where ? where.biasWhere : where.bias?.tensor.where ?? '';
  const D = Dgiven ?? (where as AnalyzeInputs).D;
  for (let i = 0; i < c.weights.length; i++) {
    if (!Number.isFinite(c.weights[i])) throw new CliError(`${wWhere}: row ${Math.floor(i / D)}, column ${i % D}: value ${c.weights[i]} is not finite`);
  }
  if (c.bias) for (let i = 0; i < c.bias.length; i++) if (!Number.isFinite(c.bias[i])) throw new CliError(`${bWhere}: entry ${i}: value ${c.bias[i]} is not finite`);
}

/**
 * Core errors name the batch and the row within it; the CLI reads fixed-size batches of `rows` (all rows, or a
 * shard's), so the row in the file is rows.start + batch × batchSize + row. Label errors name the labels file,
 * feature errors the features file.
 */
export function locateError(e: unknown, inputs: AnalyzeInputs, batchSize: number, rows = { start: 0, end: inputs.N }): unknown {
  if (!(e instanceof NcInputError)) return e;
  if (e.where.batch === undefined) {
    // Whole-data problems (a class with no samples, a single class) are about the labels.
    if (e.code === 'EMPTY_CLASS' || e.code === 'TOO_FEW_CLASSES' || e.code === 'NO_DATA') {
      const message = e.message.replace("pass emptyClasses: 'exclude'", 'pass --empty-classes exclude');
      return new NcInputError(e.code, `${inputs.labels.tensor.where}: ${message}`, { ...e.where, source: inputs.labels.tensor.where });
    }
    return e;
  }
  const labelsProblem = e.code === 'BAD_LABEL' || e.code === 'STATS_MISMATCH';
  const file = labelsProblem ? inputs.labels.tensor.where : inputs.features.tensor.where;
  const first = rows.start + e.where.batch * batchSize;
  const row = e.where.row !== undefined ? first + e.where.row : undefined;
  const at =
    row !== undefined
      ? `row ${row}${e.where.column !== undefined ? `, column ${e.where.column}` : ''}`
      : `rows ${first}..${Math.min(first + batchSize, rows.end) - 1}`;
  const problem = e.message.replace(/^batch \d+(, [a-z ]*row \d+)?(, column \d+)?: /, '');
  return new NcInputError(e.code, `${file}: ${at}: ${problem}`, { ...e.where, row, source: file });
}

/** `--html FILE`: the report as a one-measurement page of `ncscope report` (vega is loaded only when asked for). */
async function writeHtml(report: NcReport, file: string, source: string, timing: { readSeconds: number; computeSeconds: number }): Promise<void> {
  const { runsFromMeasurements, writeHtmlReport } = await import('../html/index.js');
  const measurement = toMeasurement(report, { step: 0, seconds: timing.readSeconds + timing.computeSeconds });
  await writeHtmlReport(runsFromMeasurements([measurement], basename(source)), file, { title: `Neural Collapse of ${basename(source)}`, command: 'ncscope analyze' });
}

function render(report: NcReport, selected: SelectedEngine, timing: { readSeconds: number; computeSeconds: number }, info: InputsInfo, notes: string[], json: boolean): string {
  if (json) return JSON.stringify(toAnalyzeJson(report, selected.engine.name, timing, info, notes)) + '\n';
  const engine = selected.note ? `${selected.engine.name} (${selected.note})` : selected.engine.name;
  return formatReportTable(report, engine, timing, info, notes);
}

/** `--engine` values: `auto` tries onnxruntime and falls back to the portable JS engine; the others force one. */
export type EngineChoice = 'auto' | 'js' | 'onnxruntime';

/** The engine in use and, when `auto` fell back, why. */
export interface SelectedEngine {
  engine: ProductEngine;
  /** Why `auto` chose the JS engine: a small input, or onnxruntime failed to start. */
  note?: string;
}

/**
 * Creates the product engine for the spread phase: `createOnnxProductEngine()` from @ncscope/onnx (an
 * onnxruntime-node session holding one MatMul, ~100+ GFLOP/s on 2 cores) or core's `jsEngine` (~1–2 GFLOP/s).
 * The onnx package is imported lazily, so `--engine js` never loads the native runtime.
 */
export async function selectEngine(choice: EngineChoice, work = Infinity): Promise<SelectedEngine> {
  if (choice === 'js') return { engine: jsEngine };
  if (choice === 'auto' && work < AUTO_ONNX_MIN_WORK) return { engine: jsEngine, note: `auto: small input, ${work.toExponential(1)} multiply-adds` };
  try {
    const mod = (await import('@ncscope/onnx')) as Record<string, unknown>;
    const create = mod.createOnnxProductEngine;
    if (typeof create !== 'function') throw new Error('@ncscope/onnx does not export createOnnxProductEngine');
    const engine = (await create()) as ProductEngine;
    return { engine };
  } catch (e) {
    const reason = (e as Error)?.message?.split('\n')[0] ?? String(e);
    if (choice === 'onnxruntime') throw new CliError(`--engine onnxruntime: cannot start onnxruntime (${reason})`);
    return { engine: jsEngine, note: `onnxruntime unavailable: ${reason}` };
  }
}

/**
 * `--engine auto` starts onnxruntime only when the products are worth it: loading it costs ~0.3–0.5 s on this
 * 2-core machine, while the JS engine does ~1.5·10⁹ multiply-adds per second. Below this many multiply-adds
 * (≈ 0.3 s of JS work) auto uses the JS engine.
 */
export const AUTO_ONNX_MIN_WORK = 5e8;

/** Multiply-adds of the spread phase: features against the K means, and against the K classifier rows. */
export function productWork(N: number, D: number, K: number, withClassifier: boolean): number {
  return N * D * K * (withClassifier ? 2 : 1);
}

/** Without --weights, more classes than samples and than this is taken as a corrupt label, not a class count. */
export const MAX_K_WITHOUT_WEIGHTS = 1024;

/** Largest label and its row (read in blocks of 2^20 rows); sizes the work and K before the passes. */
export async function maxLabel(labels: Tensor): Promise<{ max: number; row: number }> {
  let max = 0;
  let row = 0;
  for (let start = 0; start < labels.rows; start += 1 << 20) {
    const block = await labels.readRows(start, Math.min(1 << 20, labels.rows - start));
    for (let i = 0; i < block.length; i++) {
      if (block[i] > max) {
        max = block[i];
        row = start + i;
      }
    }
  }
  return { max, row };
}

/** Releases an engine's native resources; never throws. */
export async function disposeEngine(engine: ProductEngine): Promise<void> {
  try {
    await engine.dispose?.();
  } catch {
    // Disposal errors must not hide the result or the real error.
  }
}
