import { Argument, Option, type Command } from 'commander';
import type cliProgressTypes from 'cli-progress';
import { NcInputError, countLabels, decideClassCount, metricCatalogue, toMeasurement, type GlobalMeanConvention, type LabelArray, type LabelCounts, type NcReport, type PhaseTiming, type PresetName } from '@ncscope/core';
import { checkLabelShape, checkOutputPaths, openInput, writeFilesAtomic, type NamedPath, type OpenedInput } from '@ncscope/io';
import type { InputArray, ModelInspection, ModelProgress, PoolMode } from '@ncscope/onnx';

/**
 * @ncscope/onnx (onnxruntime's native binding, the protobuf schema) is loaded on first use, not when the program
 * starts: every other command, and `--help`, stay free of it (cold start).
 */
const onnxPackage = () => import('@ncscope/onnx');
import { basename } from 'node:path';
import { CliError } from '../errors.js';
import { addImageOptions } from './image-options.js';
import type { ModelInputFlags, ModelRows } from './model-inputs.js';
import { addTableOptions } from './table-options.js';
import { declaredFiles, inputFile, outputFile } from '../output/file-options.js';
import { formatNumber, formatReportTable } from '../output/table.js';
import { ENGINE_CHOICES, type EngineChoice } from '../run/engine.js';
import { CommandClock } from '../run/timing.js';
import { classesStated } from './analyze.js';
import { batchSizeOption, classesOption, emptyClassesOption } from './options.js';
import { addNormalizeOptions, addReportOptions, checkNormalizeFlags, checkStrict, type NormalizeFlags, type ReportFlags } from './geometry-options.js';
import { loadCliProgress } from '../output/progress.js';

/** Rows per onnxruntime run when the model's batch dimension is dynamic. */
export const DEFAULT_ONNX_BATCH_SIZE = 256;

/** Options of `ncscope onnx` as commander parses them. */
export interface OnnxCommandOptions extends NormalizeFlags, ReportFlags, ModelInputFlags {
  tensor: string[];
  inputName?: string;
  batchSize: number;
  ep: string[];
  pool: PoolMode;
  preset: PresetName;
  globalMean?: GlobalMeanConvention;
  classes?: number;
  /** As given; undefined: the K rule's default (core's decideClassCount). */
  emptyClasses?: 'exclude' | 'error';
  engine: EngineChoice;
  cacheMb: number;
  json?: boolean;
  jsonl?: string;
  html?: string;
}

/** One entry of `ncscope onnx --json`: a (checkpoint, tensor) pair. Metric keys are those of `ncscope analyze --json`. */
export interface OnnxCheckpointJson {
  model: string;
  tensor: string;
  N: number;
  D: number;
  K: number;
  conventions: NcReport['conventions'];
  /** The class-mean geometry is degenerate (its ratios are null): not collapse. */
  degenerate: boolean;
  metrics: NcReport['metrics'];
  /** Minority collapse section, when class counts differ (or --minority-below was given). */
  imbalance?: NcReport['imbalance'];
  /** Where W and b came from (the graph's final classifier), or null when the tensor has none. */
  classifier: { kind: string; weights: string; bias?: string } | null;
  /** The Gemm/MatMul reading the tensor, whose weight metrics.subspaceAlignment compares with; null when none. */
  consumer: { node: string; kind: string; outputs: number; weights: string } | null;
  /** Seconds per phase of this checkpoint's run (every tensor of a checkpoint shares one run): read = inference. */
  timing: PhaseTiming;
  warnings: string[];
}

/** `--cache-mb`: a non-negative integer number of MiB. */
function parseCacheMb(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new CliError(`--cache-mb: expected a non-negative integer (MiB), got '${value}'`);
  return n;
}

const collect = (value: string, previous: string[]) => [...previous, value];
const collectList = (value: string, previous: string[]) => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];

/** Registers `ncscope onnx <models...>` and `ncscope onnx inspect <model>`. */
export function registerOnnx(program: Command): void {
  const onnx = program
    .command('onnx')
    .description('Neural Collapse of ONNX checkpoints on a probe set: one report per checkpoint and a trend table (`ncscope onnx inspect MODEL` lists a model\'s tensors)')
    .addArgument(inputFile(new Argument('<models...>', 'ONNX files (checkpoints of one network, in training order)')))
    .addOption(inputFile(new Option('--inputs <file>', 'model inputs, N × … (any shape the model accepts; .npy, .npz or .safetensors); or --images DIR, or --table FILE')))
    .addOption(inputFile(new Option('--labels <file>', 'with --inputs: class labels, N integers in 0..K−1 (.npy, .npz or .safetensors)')))
    .option('--inputs-key <name>', 'array to read as inputs in an .npz/.safetensors file')
    .option('--labels-key <name>', 'array to read as labels in an .npz/.safetensors file')
    .addOption(new Option('--tensor <name>', 'feature tensor (repeat for layer-wise NC)').argParser(collect).default([], 'the input of the final linear classifier'))
    .option('--input-name <name>', "graph input fed from --inputs (default: the model's only input; needed when it has several)")
    .addOption(batchSizeOption(DEFAULT_ONNX_BATCH_SIZE, 'rows per onnxruntime run when the batch dimension is dynamic'))
    .addOption(new Option('--ep <name>', 'onnxruntime execution provider(s), e.g. cuda (repeat or comma-separate)').argParser(collectList).default([], 'cpu'))
    .addOption(new Option('--pool <mode>', 'feature maps N×C×H×W: flatten to C·H·W, or average over H×W').choices(['flatten', 'avg']).default('flatten'))
    .addOption(new Option('--preset <name>', 'conventions of a reference codebase').choices(['ncscope', 'papyan', 'rhubarbwu', 'zhu', 'zhou']).default('ncscope'))
    .addOption(new Option('--global-mean <mode>', 'global mean μ_G (default: from the preset)').choices(['class', 'sample']))
    .addOption(classesOption("the rows of the graph's final classifier, else the largest label + 1"))
    .addOption(emptyClassesOption())
    .addOption(new Option('--engine <name>', 'product engine for pass 2').choices(ENGINE_CHOICES).default('auto'))
    .option('--cache-mb <MiB>', 'keep features in memory for pass 2 up to this size; above it (or with 0), pass 2 runs the model again', parseCacheMb, 1024)
    .option('--json', 'print one JSON object ({ "checkpoints": [...] }) instead of the tables')
    .addOption(outputFile(new Option('--jsonl <file>', 'also write one ncscope.measurement/1 line per checkpoint and tensor (for ncscope report)')))
    .addOption(outputFile(new Option('--html <file>', 'also write a self-contained HTML page: the NC trends across the checkpoints (one curve per tensor) and a per-class snapshot of the last')));
  addImageOptions(onnx);
  addTableOptions(onnx, { features: true, images: true });
  addNormalizeOptions(onnx);
  addReportOptions(onnx);
  onnx.action(async (models: string[], options: OnnxCommandOptions, command: Command) => {
    await checkExternalData(models, declaredFiles(command).outputs);
    const { text, reports } = await runOnnxReports(models, options);
    process.stdout.write(text);
    checkStrict(options.strict, reports);
  });
  onnx
    .command('inspect')
    .description('list the inputs, outputs and candidate feature tensors of an ONNX model, and the default tensor and classifier')
    .addArgument(inputFile(new Argument('<model>', 'ONNX file')))
    .option('--json', 'print the inspection as JSON')
    .option('--no-probe', 'do not run one all-zero sample to learn undeclared shapes')
    .action(async (model: string, _options: unknown, command: Command) => {
      // Commander hands `--json` after the subcommand to `onnx` (which has one too): read both levels.
      const options = command.optsWithGlobals() as { json?: boolean; probe: boolean };
      process.stdout.write(await inspectOnnx(model, options));
    });
}

/** Opens the model inputs (--inputs/--labels, --images or --table) as rows read on demand, with all labels in memory. */
async function openData(options: OnnxCommandOptions): Promise<{ input: InputArray; labels: LabelArray; counts: LabelCounts; rows: ModelRows; close(): Promise<void> }> {
  // The image and table readers (and sharp, hyparquet, apache-arrow behind them) load only when a command runs.
  const { openModelRows } = await import('./model-inputs.js');
  const rows = await openModelRows(options, 'onnx');
  const input: InputArray = { shape: rows.input.shape, source: rows.input.source, read: (start, count) => rows.input.read(start, count) as ReturnType<InputArray['read']> };
  return { input, labels: rows.labels, counts: rows.counts, rows, close: () => rows.close() };
}

/** A progress bar over the batches of each pass, on stderr; a no-op when disabled. */
function createBatchProgress(enabled: boolean, label: string) {
  if (!enabled) return { update(_p: ModelProgress) {}, stop() {} };
  let bar: cliProgressTypes.SingleBar | undefined;
  let phase: string | undefined;
  return {
    update(p: ModelProgress) {
      if (p.phase !== phase) {
        bar?.stop();
        const title = p.phase === 'means' ? 'pass 1/2 inference + means' : p.cached ? 'pass 2/2 spread (cached)   ' : 'pass 2/2 inference + spread';
        const cliProgress = loadCliProgress();
        bar = new cliProgress.SingleBar(
          { stream: process.stderr, format: `${label} ${title} {bar} {value}/{total} batches | eta {eta_formatted}`, clearOnComplete: true, hideCursor: true, fps: 10 },
          cliProgress.Presets.shades_classic,
        );
        bar.start(p.batches, 0);
        phase = p.phase;
      }
      bar!.update(p.batch);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

/**
 * The output rule for files the command line does not name: a model's external data files (weights of models over
 * 2 GB, next to the model) are inputs too, so no declared output may be one. Checked before anything is computed
 * (each model is parsed once more for it, only when there are outputs).
 */
async function checkExternalData(models: string[], outputs: NamedPath[]): Promise<void> {
  if (outputs.length === 0) return;
  const { OnnxModel } = await onnxPackage();
  const external = models.flatMap((model) => OnnxModel.open(model).externalFiles.map((path) => ({ flag: `external data file of ${model}:`, path })));
  if (external.length > 0) await checkOutputPaths(external, outputs);
}

/** Runs every checkpoint on the probe set; returns the text to print (reports + trend table, or JSON). */
export async function runOnnx(models: string[], options: OnnxCommandOptions): Promise<string> {
  return (await runOnnxReports(models, options)).text;
}

/** {@link runOnnx}, also returning every (checkpoint, tensor) report for `--strict`. */
export async function runOnnxReports(models: string[], options: OnnxCommandOptions): Promise<{ text: string; reports: { report: NcReport; where: string }[] }> {
  checkNormalizeFlags(options);
  const { OnnxModel, analyzeModel } = await onnxPackage();
  const data = await openData(options);
  const entries: {
    model: string; step: number; tensor: string; report: NcReport; classifier: OnnxCheckpointJson['classifier']; consumer: OnnxCheckpointJson['consumer']; seconds: number; timing: PhaseTiming; notes: string[];
  }[] = [];
  let engineName = '';
  const clock = new CommandClock();
  const showProgress = !options.json && process.stderr.isTTY === true;
  try {
    for (let step = 0; step < models.length; step++) {
      const path = models[step];
      const model = OnnxModel.open(path);
      // Core's K rule: --classes, else the graph's classifier, else the largest label + 1.
      const graphClassifier = model.findClassifier().classifier;
      // An image folder (or string labels) states K too: the classifier's rows win, and must hold every class.
      const inputK = data.rows.K;
      if (graphClassifier && inputK !== undefined && inputK > graphClassifier.K && options.classes === undefined) {
        throw new CliError(`${data.rows.labelsWhere}: ${inputK} classes, but the classifier of ${path} has ${graphClassifier.K} rows`);
      }
      const classes = decideClassCount(data.counts, {
        stated: [
          classesStated(options.classes),
          graphClassifier
            ? { K: graphClassifier.K, by: `the classifier of ${path} (${graphClassifier.K} rows of ${graphClassifier.weightsFrom})` }
            : inputK !== undefined ? { K: inputK, by: `${data.rows.labelsWhere} (${inputK} classes)` } : undefined,
        ],
        emptyClasses: options.emptyClasses,
      });
      const progress = createBatchProgress(showProgress, `${model.name} (${step + 1}/${models.length})`);
      let result;
      try {
        result = await analyzeModel(model, data.input, {
          labels: data.labels,
          tensors: options.tensor,
          inputName: options.inputName,
          batchSize: options.batchSize,
          pool: options.pool,
          executionProviders: options.ep.length > 0 ? options.ep : undefined,
          preset: options.preset,
          globalMean: options.globalMean,
          K: classes.K,
          emptyClasses: classes.emptyClasses,
          normalize: options.normalize,
          temperature: options.temperature,
          minorityBelow: options.minorityBelow,
          cdnvExponent: options.cdnvExponent,
          engine: options.engine,
          cacheLimitBytes: options.cacheMb * 2 ** 20,
          onProgress: (p) => progress.update(p),
        });
      } catch (e) {
        // A class with no samples is about the labels (the error's remedy is spelled as a flag by main).
        if (e instanceof NcInputError && e.code === 'EMPTY_CLASS') throw e.relocate({ ...e.where, source: data.rows.labelsWhere });
        throw e;
      } finally {
        progress.stop();
      }
      engineName = result.engine;
      clock.add(result.timing);
      for (const t of result.tensors) {
        const notes = result.cached ? [] : ['features did not fit the cache: pass 2 ran the model again'];
        entries.push({
          model: path,
          step,
          tensor: t.tensor,
          report: t.report,
          classifier: t.classifier ? { kind: t.classifier.kind, weights: t.classifier.weightsFrom, bias: t.classifier.biasFrom } : null,
          consumer: t.consumer ? { node: t.consumer.node, kind: t.consumer.kind, outputs: t.consumer.outputs, weights: t.consumer.weightsFrom } : null,
          seconds: result.seconds,
          timing: result.timing,
          notes,
        });
      }
    }
  } finally {
    await data.close();
  }

  const reports = entries.map((e) => ({ report: e.report, where: `${e.model} tensor ${e.tensor}` }));
  const measurements = entries.map((e) => toMeasurement(e.report, { step: e.step, checkpoint: e.model, layer: e.tensor, seconds: e.seconds }));
  const outputs: { path: string; bytes: string }[] = [];
  if (options.jsonl !== undefined) outputs.push({ path: options.jsonl, bytes: measurements.map((m) => JSON.stringify(m)).join('\n') + '\n' });
  if (options.html !== undefined) {
    const { runsFromMeasurements, renderHtmlReport } = await import('../html/index.js');
    const name = models.length === 1 ? basename(models[0]) : `${basename(models[0])} … ${basename(models[models.length - 1])}`;
    const { html } = await renderHtmlReport(runsFromMeasurements(measurements, name), {
      title: `Neural Collapse across ${models.length} checkpoint${models.length > 1 ? 's' : ''} (${name})`,
      command: 'ncscope onnx',
    });
    outputs.push({ path: options.html, bytes: html });
  }
  await writeFilesAtomic(outputs);
  if (options.json) {
    const checkpoints: OnnxCheckpointJson[] = entries.map((e) => ({
      model: e.model,
      tensor: e.tensor,
      N: e.report.N,
      D: e.report.D,
      K: e.report.K,
      conventions: e.report.conventions,
      degenerate: e.report.degenerate,
      metrics: e.report.metrics,
      ...(e.report.imbalance ? { imbalance: e.report.imbalance } : {}),
      classifier: e.classifier,
      consumer: e.consumer,
      timing: e.timing,
      warnings: [...e.notes, ...e.report.warnings],
    }));
    const inputs = { path: data.rows.path, description: data.rows.description, ...(data.rows.classes ? { classes: data.rows.classes } : {}) };
    return { text: JSON.stringify({ degenerate: checkpoints.some((c) => c.degenerate), inputs, checkpoints, timing: clock.timing() }) + '\n', reports };
  }
  const parts: string[] = [];
  for (const e of entries) {
    const table = formatReportTable(
      e.report,
      options.engine === 'auto' ? `${engineName} (auto)` : engineName,
      { ...e.timing, seconds: e.seconds, readSeconds: e.timing.read, computeSeconds: Math.max(0, e.seconds - e.timing.read) },
      {
        features: `${e.model} → tensor ${e.tensor} on ${data.rows.description}`, labels: data.rows.labelsWhere, weights: e.classifier ? `${e.classifier.kind} in the graph: W = ${e.classifier.weights}` : undefined, bias: e.classifier?.bias, batchSize: options.batchSize,
        consumer: e.consumer ? `${e.consumer.kind} "${e.consumer.node}" (${e.consumer.outputs} outputs, A = ${e.consumer.weights})` : undefined,
      },
      e.notes,
    );
    parts.push(table.replace(/^ncscope analyze/, `ncscope onnx — checkpoint ${e.step}: ${e.model}`));
  }
  if (data.rows.classes) parts.push(formatClassMap(data.rows.classes));
  parts.push(formatTrend(entries));
  return { text: parts.join('\n'), reports };
}

/** "classes (label: name): 0 cat, 1 dog, …" — the labels an image folder or string labels gave, at most 50 shown. */
export function formatClassMap(classes: readonly string[]): string {
  const shown = classes.slice(0, 50).map((c, i) => `${i} ${c}`).join(', ');
  return `classes (label: name): ${shown}${classes.length > 50 ? `, … (${classes.length} classes; all of them in --json)` : ''}\n`;
}

/**
 * The trend across checkpoints: one row per (checkpoint, tensor), one column per headline metric of core's catalogue
 * that some report carries.
 */
export function formatTrend(entries: { model: string; step: number; tensor: string; report: NcReport }[]): string {
  const value = (e: { report: NcReport }, key: string) => (e.report.metrics as unknown as Record<string, number | undefined>)[key];
  const columns = metricCatalogue({ section: 'metrics' }).filter((m) => m.headline && entries.some((e) => value(e, m.key) !== undefined));
  const head = ['#', 'checkpoint', 'tensor', ...columns.map((c) => c.short)];
  const rows = entries.map((e) => [String(e.step), e.model, e.tensor, ...columns.map((c) => formatNumber(value(e, c.key)))]);
  const all = [head, ...rows];
  const widths = head.map((_, c) => Math.max(...all.map((r) => [...r[c]].length)));
  const lines = all.map((r) => r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd());
  const legend = columns.map((c) => `${c.short} = ${c.label}${c.better === 'lower' ? ' (0 = collapsed)' : c.better === 'higher' ? ' (1 = best)' : ''}`).join('; ');
  return [`trend across checkpoints (${legend})`, ...lines.map((l) => `  ${l}`)].join('\n') + '\n';
}

/** `ncscope onnx inspect`: inputs, outputs, candidate tensors (shapes declared or probed), default tensor and classifier. */
export async function inspectOnnx(path: string, options: { json?: boolean; probe: boolean }): Promise<string> {
  const { OnnxModel, probeShapes } = await onnxPackage();
  const model = OnnxModel.open(path);
  const info = model.inspect();
  let probeNote: string | undefined;
  if (options.probe) {
    const probe = await probeShapes(model);
    probeNote = probe.skipped;
    for (const c of info.candidates) {
      const dims = probe.shapes.get(c.name);
      if (!dims) continue;
      c.shape = ['batch', ...dims.slice(1)];
      c.D = dims.slice(1).reduce((a, b) => a * b, 1);
    }
  }
  if (options.json) return JSON.stringify({ ...info, probe: options.probe ? probeNote ?? 'ok' : 'off' }) + '\n';
  return formatInspection(info, probeNote);
}

function shapeText(shape: (number | string | undefined)[] | undefined): string {
  return shape ? `[${shape.map((d) => d ?? '?').join(', ')}]` : '?';
}

/** The text of `ncscope onnx inspect`. */
export function formatInspection(info: ModelInspection, probeNote?: string): string {
  const lines: string[] = [`${info.source}  (${info.producer || 'unknown producer'}, IR ${info.irVersion}, opset ${info.opset})`];
  lines.push('inputs:');
  for (const i of info.inputs) lines.push(`  ${i.name}  ${i.type}  ${shapeText(i.shape)}`);
  lines.push('outputs:');
  for (const o of info.outputs) lines.push(`  ${o.name}  ${o.type}  ${shapeText(o.shape)}`);
  if (info.classifier) {
    const c = info.classifier;
    lines.push(`default feature tensor: ${c.featureTensor}  (D = ${c.D})`);
    lines.push(`classifier: ${c.kind} ${c.nodes.join(' + ')} → ${c.output}, K = ${c.K} classes; W from ${c.weightsFrom}${c.biasFrom ? `; b from ${c.biasFrom}` : '; no bias'}`);
  } else {
    lines.push(`default feature tensor: none — no linear classifier at the end of the graph (${(info.noClassifierReasons ?? []).join('; ')})`);
    lines.push('  pass one of the candidates below with --tensor NAME');
  }
  if (info.externalData.length > 0) lines.push(`external data: ${info.externalData.length} initializers in files next to the model`);
  lines.push(`candidate feature tensors (${info.candidates.length}; pass with --tensor NAME, repeat for several):`);
  const rows = [['name', 'op', 'type', 'shape', 'D'], ...info.candidates.map((c) => [c.name, c.op, c.type, shapeText(c.shape), c.D === undefined ? '?' : String(c.D)])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) lines.push('  ' + r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd() + (r[0] === info.classifier?.featureTensor ? '   ← default' : ''));
  if (probeNote) lines.push(`(shapes not probed: ${probeNote})`);
  return lines.join('\n') + '\n';
}
