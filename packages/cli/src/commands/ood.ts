import { Option, type Command } from 'commander';
import {
  NcInputError,
  OOD_SCORE_NAMES,
  decideClassCount,
  encodeNpy,
  evaluateOod,
  toMeasurement,
  type Batch,
  type BatchSource,
  type OodBatch,
  type OodBatchSource,
  type OodEvaluation,
  type OodScoreName,
  type SelectedEngine,
} from '@ncscope/core';
import { basename, join } from 'node:path';
import {
  batchSource,
  checkOutputPaths,
  countLabelTensor,
  openArrayInputs,
  openInput,
  readClassifier,
  toFloat,
  writeFilesAtomic,
  type ArrayInputs,
  type NamedPath,
  type OpenedInput,
  type Tensor,
} from '@ncscope/io';
import { CliError } from '../errors.js';
import { chooseEngine, releaseEngine, type EngineChoice } from '../run/engine.js';
import { CommandClock, type CommandTiming } from '../run/timing.js';
import { declaredFiles, inputFile, outputFile } from '../output/file-options.js';
import { formatNumber } from '../output/table.js';
import { DEFAULT_BATCH_SIZE, classesStated } from './analyze.js';
import { batchSizeOption, classesOption, positiveInteger } from './options.js';

/** One `--ood NAME=FILE`. */
export interface OodSetArg {
  name: string;
  path: string;
}

/** Options of `ncscope ood` as commander parses them. */
export interface OodCommandOptions {
  fitFeatures?: string;
  fitLabels?: string;
  weights?: string;
  bias?: string;
  idFeatures?: string;
  idLabels?: string;
  ood?: OodSetArg[];
  featuresKey?: string;
  labelsKey?: string;
  weightsKey?: string;
  biasKey?: string;
  scores?: OodScoreName[];
  vimDim?: number;
  necoDim?: number;
  necoMaxLogit?: 'on' | 'off';
  nciAlpha?: number;
  temperature?: number;
  globalMean?: 'class' | 'sample';
  classes?: number;
  batchSize: number;
  engine: EngineChoice;
  json?: boolean;
  html?: string;
  scoresOut?: string;
}

/** OOD set names: used in file names of --scores-out and as JSON keys. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Parses one `--ood NAME=FILE`, collecting them in order; names are checked here (shape) and in the action (repeats). */
export function parseOodSet(value: string, previous: OodSetArg[] = []): OodSetArg[] {
  const eq = value.indexOf('=');
  if (eq < 0) throw new CliError(`--ood ${value}: expected NAME=FILE (e.g. --ood svhn=svhn_features.npy)`);
  const name = value.slice(0, eq);
  const path = value.slice(eq + 1);
  if (!NAME.test(name)) throw new CliError(`--ood ${value}: the name "${name}" must start with a letter or digit and hold only letters, digits, '.', '_' and '-' (it names output files)`);
  if (path.length === 0) throw new CliError(`--ood ${value}: no file after '='`);
  if (previous.some((p) => p.name === name)) throw new CliError(`--ood ${value}: the OOD set name "${name}" is given twice`);
  return [...previous, { name, path }];
}

function parseScores(value: string): OodScoreName[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new CliError('--scores: name at least one score');
  for (const s of list) if (!OOD_SCORE_NAMES.includes(s as OodScoreName)) throw new CliError(`--scores: unknown score "${s}" (known: ${OOD_SCORE_NAMES.join(', ')})`);
  const dup = list.find((s, i) => list.indexOf(s) !== i);
  if (dup) throw new CliError(`--scores: "${dup}" is named twice`);
  return list as OodScoreName[];
}

function finiteNumber(flag: string, positive = false): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || (positive && !(n > 0))) throw new CliError(`${flag}: expected a ${positive ? 'positive ' : ''}finite number, got '${value}'`);
    return n;
  };
}

/** Registers `ncscope ood` on the program. */
export function registerOod(program: Command): void {
  program
    .command('ood')
    .description('out-of-distribution detection from the NC statistics: NECO, NCI and NC5 beside MSP, max logit, energy, Mahalanobis and ViM, fitted on labelled in-distribution features and scored on held-out ID and OOD sets')
    .addOption(inputFile(new Option('--fit-features <file>', 'in-distribution features the scores are fitted on (normally the training set), N × D (required)')))
    .addOption(inputFile(new Option('--fit-labels <file>', 'class labels of the fit features, N integers in 0..K−1 (required)')))
    .addOption(inputFile(new Option('--weights <file>', 'classifier weights W, K × D (PyTorch nn.Linear layout) — needed by msp, maxlogit, energy, vim, nci and NECO\'s max-logit factor')))
    .addOption(inputFile(new Option('--bias <file>', 'classifier bias b, K entries (needs --weights)')))
    .addOption(inputFile(new Option('--id-features <file>', 'held-out in-distribution features, M × D (required)')))
    .addOption(inputFile(new Option('--id-labels <file>', 'labels of the held-out ID features: adds the held-out NC section (NCC accuracy and agreement against the fit set\'s means)')))
    .addOption(new Option('--ood <NAME=FILE>', 'an OOD set: a name and its features, M × D (repeat for several sets) (required)').argParser(parseOodSet))
    .option('--features-key <name>', 'array to read as features in .npz/.safetensors files (fit, ID and OOD)')
    .option('--labels-key <name>', 'array to read as labels in .npz/.safetensors files')
    .option('--weights-key <name>', 'array to read as weights in an .npz/.safetensors file')
    .option('--bias-key <name>', 'array to read as bias in an .npz/.safetensors file')
    .addOption(new Option('--scores <list>', `comma-separated scores (default: all of ${OOD_SCORE_NAMES.join(', ')}; without --weights only mahalanobis and neco)`).argParser(parseScores))
    .addOption(new Option('--vim-dim <d>', "ViM's principal dimension, 1 ≤ d < D (default: 1000 for D ≥ 2048, 512 for D ≥ 768, else ⌊D/2⌋ — Wang et al.'s code, OpenOOD's 256 for D = 512)").argParser(positiveInteger('--vim-dim')))
    .addOption(new Option('--neco-dim <d>', "NECO's principal components, 1 ≤ d ≤ D (default: the fewest explaining ≥ 90 % of the standardized fit set's variance, the NECO paper's choice)").argParser(positiveInteger('--neco-dim')))
    .addOption(new Option('--neco-max-logit <on|off>', "multiply NECO's ratio by the max logit, as the NECO authors' code does except for ResNets (default: on with --weights, off without)").choices(['on', 'off']))
    .addOption(new Option('--nci-alpha <a>', "NCI's weight of ‖h‖₁ (default 1e-4, OpenOOD's)").argParser(finiteNumber('--nci-alpha')))
    .addOption(new Option('--temperature <T>', 'energy temperature: T·logsumexp(z/T) (default 1)').argParser(finiteNumber('--temperature', true)))
    .addOption(new Option('--global-mean <mode>', "μ_G of NC5's centred form: class-uniform mean of the class means (default), or mean of all fit rows").choices(['class', 'sample']))
    .addOption(classesOption('the rows of --weights, else the largest fit label + 1'))
    .addOption(batchSizeOption(DEFAULT_BATCH_SIZE))
    .addOption(new Option('--engine <name>', 'product engine (fit statistics and scoring, float64)').choices(['auto', 'js', 'onnxruntime']).default('auto'))
    .option('--json', 'print one JSON object on stdout instead of the table')
    .addOption(outputFile(new Option('--html <file>', 'also write a self-contained HTML page: per score the histograms of the ID and OOD sets and the ROC curves, the table, and the fit set\'s NC report')))
    .addOption(outputFile(new Option('--scores-out <dir>', 'also write the per-sample scores as .npy (float64, row order): DIR/<set>.<score>.npy, set = in-distribution or the OOD name (default: not written)')))
    .action(async (options: OodCommandOptions, command: Command) => {
      process.stdout.write(await runOod(options, command));
    });
}

/** A re-readable source of feature rows (no labels) from a tensor, batch by batch. */
function rowSource(tensor: Tensor, batchSize: number, clock: CommandClock): () => AsyncIterable<OodBatch> {
  return () =>
    (async function* () {
      for (let start = 0; start < tensor.rows; start += batchSize) {
        const count = Math.min(batchSize, tensor.rows - start);
        const data = await clock.read(tensor.readRows(start, count));
        yield { features: toFloat(data) };
      }
    })();
}

/** Opens a set's features and checks they are N × D with the fit set's D. */
async function openSet(path: string, key: string | undefined, D: number, what: string, opened: OpenedInput[]): Promise<Tensor> {
  const input = await openInput(path, 'features', key);
  opened.push(input);
  const t = input.tensor;
  if (t.shape.length < 2) throw new CliError(`${t.where}: ${what} features must be 2-D (N × D), got shape ${t.shapeText}`);
  if (t.rows === 0) throw new CliError(`${t.where}: the ${what} set has no rows (shape ${t.shapeText})`);
  if (t.rowSize !== D) throw new CliError(`${t.where}: ${what} rows have D = ${t.rowSize} features but the fit set has D = ${D} (every set must come from the same layer)`);
  return t;
}

/** Runs `ncscope ood` and returns the text to print. */
export async function runOod(options: OodCommandOptions, command?: Command): Promise<string> {
  if (options.fitFeatures === undefined) throw new CliError('ood: --fit-features <file> is required (the labelled in-distribution rows the scores are fitted on)');
  if (options.fitLabels === undefined) throw new CliError(`${options.fitFeatures}: --fit-labels <file> is required with --fit-features`);
  if (options.idFeatures === undefined) throw new CliError('ood: --id-features <file> is required (held-out in-distribution rows)');
  const oodArgs = options.ood ?? [];
  if (oodArgs.length === 0) throw new CliError('ood: give at least one OOD set: --ood NAME=FILE');
  if (options.idLabels !== undefined) throw new CliError(`${options.idLabels}: --id-labels (the held-out NC section) is not available in this version`);
  // Outputs never replace an input, including the OOD files (their option values are NAME=FILE, so the program's
  // preAction check does not see them as paths).
  if (command && (options.html !== undefined || options.scoresOut !== undefined)) {
    const { inputs, outputs } = declaredFiles(command);
    const oodInputs: NamedPath[] = oodArgs.map((o) => ({ flag: '--ood', path: o.path }));
    await checkOutputPaths([...inputs, ...oodInputs], outputs);
  }
  const clock = new CommandClock();
  const opened: OpenedInput[] = [];
  let fit: ArrayInputs | undefined;
  let selected: SelectedEngine | undefined;
  try {
    if (options.bias !== undefined && options.weights === undefined) throw new CliError(`${options.bias}: --bias needs --weights (the classifier's K × D rows)`);
    fit = await clock.read(() => openArrayInputs({
      features: options.fitFeatures!, labels: options.fitLabels!, weights: options.weights, bias: options.bias,
      featuresKey: options.featuresKey, labelsKey: options.labelsKey, weightsKey: options.weightsKey, biasKey: options.biasKey,
    }));
    if (fit.multiLabel) throw new CliError(`${fit.labels.tensor.where}: ncscope ood needs single-label class indices (N integers), got shape ${fit.labels.tensor.shapeText}`);
    const D = fit.D;
    const idTensor = await openSet(options.idFeatures, options.featuresKey, D, 'in-distribution', opened);
    const oodTensors: { name: string; tensor: Tensor }[] = [];
    for (const o of oodArgs) oodTensors.push({ name: o.name, tensor: await openSet(o.path, options.featuresKey, D, `OOD "${o.name}"`, opened) });
    const classifier = await clock.read(() => readClassifier(fit!));
    const counts = await clock.read(() => countLabelTensor(fit!.labels.tensor));
    const classes = decideClassCount(counts, {
      stated: [classesStated(options.classes), fit.K !== undefined ? { K: fit.K, by: `the classifier ${fit.weights!.tensor.where} (${fit.K} rows)` } : undefined],
      emptyClasses: 'exclude',
    });
    const M = idTensor.rows + oodTensors.reduce((s, o) => s + o.tensor.rows, 0);
    const cols = (classifier ? 2 * classes.K : classes.K) + 2 * D;
    selected = await chooseEngine(options.engine, (fit.N + M) * D * cols);
    const fitSource: BatchSource = batchSource(fit.features.tensor, fit.labels.tensor, options.batchSize);
    const idSource: OodBatchSource = rowSource(idTensor, options.batchSize, clock);
    const oodSources: [string, OodBatchSource][] = oodTensors.map((o) => [o.name, rowSource(o.tensor, options.batchSize, clock)]);
    let result: OodEvaluation;
    try {
      result = await evaluateOod(fitSource as unknown as () => AsyncIterable<Batch>, idSource, oodSources, {
        classifier, K: classes.K, engine: selected.engine,
        scores: options.scores, vimDim: options.vimDim, necoDim: options.necoDim,
        necoMaxLogit: options.necoMaxLogit === undefined ? undefined : options.necoMaxLogit === 'on',
        nciAlpha: options.nciAlpha, temperature: options.temperature, nc5GlobalMean: options.globalMean,
      });
    } catch (e) {
      const sets = new Map<string, Tensor>([['in-distribution', idTensor], ...oodTensors.map((o) => [o.name, o.tensor] as [string, Tensor])]);
      throw nameOption(locateSetError(e, sets, options.batchSize) ?? locateFitError(e, fit, options.batchSize));
    }
    const timing = clock.timing();
    const info: OodRunInfo = {
      fit: { features: options.fitFeatures, labels: options.fitLabels, weights: options.weights, bias: options.bias },
      id: { features: options.idFeatures, rows: idTensor.rows },
      ood: oodArgs.map((o, i) => ({ name: o.name, features: o.path, rows: oodTensors[i].tensor.rows })),
      engine: selected.engine.name + (selected.note ? ` (${selected.note})` : ''),
      timing,
      notes: [...fit.notes, ...(classes.empty.length ? [`class${classes.empty.length > 1 ? 'es' : ''} ${classes.empty.join(', ')} of K = ${classes.K} have no fit rows (left out of mahalanobis and NC5)`] : [])],
    };
    const outputs: { path: string; bytes: string | Uint8Array }[] = [];
    if (options.scoresOut !== undefined) outputs.push(...scoreFiles(result, options.scoresOut));
    if (options.html !== undefined) outputs.push({ path: options.html, bytes: await oodHtml(result, info) });
    await writeFilesAtomic(outputs);
    return options.json ? `${JSON.stringify(toOodJson(result, info))}\n` : formatOodTable(result, info);
  } finally {
    await Promise.all(opened.map((o) => o.close().catch(() => undefined)));
    await fit?.close();
    await releaseEngine(selected);
  }
}

/**
 * Errors of a scored set (core names the set as `where.source`, and the batch and row within it) point at the set's
 * file and the row in it; undefined for anything else (the fit set's errors are located by analyze's rule).
 */
function locateSetError(e: unknown, sets: Map<string, Tensor>, batchSize: number): NcInputError | undefined {
  if (!(e instanceof NcInputError) || e.where.source === undefined) return undefined;
  const tensor = sets.get(e.where.source);
  if (!tensor) return undefined;
  const file = tensor.where;
  if (e.where.batch === undefined) return new NcInputError(e.code, `${file}: ${e.message.replace(/^[^:]*: /, '')}`, { ...e.where, source: file });
  const first = e.where.batch * batchSize;
  const row = e.where.row !== undefined ? first + e.where.row : undefined;
  const at = row !== undefined ? `row ${row}${e.where.column !== undefined ? `, column ${e.where.column}` : ''}` : `rows ${first}..${Math.min(first + batchSize, tensor.rows) - 1}`;
  const problem = e.message.replace(/^.*?(value .*)$/, '$1').replace(/^.*?batch \d+: /, '');
  return new NcInputError(e.code, `${file}: ${at}: ${problem}`, { ...e.where, row, source: file });
}

/** Errors of the fit set: batches of `batchSize` rows, so batch b, row r is row b·batchSize + r of its files. */
function locateFitError(e: unknown, fit: ArrayInputs, batchSize: number): unknown {
  if (!(e instanceof NcInputError) || e.where.batch === undefined) return e;
  const labelsProblem = e.code === 'BAD_LABEL' || e.code === 'STATS_MISMATCH';
  const source = labelsProblem ? fit.labels.tensor.where : fit.features.tensor.where;
  const first = e.where.batch * batchSize;
  if (e.where.row !== undefined) return e.relocate({ source, row: first + e.where.row, column: e.where.column, label: e.where.label });
  return e.relocate({ source, rows: [first, Math.min(first + batchSize, fit.N) - 1] });
}

/** Core's option names in errors become the command's flags. */
function nameOption(e: unknown): unknown {
  if (!(e instanceof NcInputError)) return e;
  const message = e.message.replace(/\bvimDim\b/g, '--vim-dim').replace(/\bnecoDim\b/g, '--neco-dim').replace(/\bnciAlpha\b/g, '--nci-alpha').replace(/\bnecoMaxLogit\b/g, '--neco-max-logit').replace(/^scores: /, '--scores: ');
  return message === e.message ? e : new NcInputError(e.code, message, e.where);
}

/** What `ncscope ood` read and how long it took. */
export interface OodRunInfo {
  fit: { features: string; labels: string; weights?: string; bias?: string };
  id: { features: string; rows: number };
  ood: { name: string; features: string; rows: number }[];
  engine: string;
  timing: CommandTiming;
  notes: string[];
}

/**
 * The `--json` object: `{ scores: { <score>: { <oodName>: { auroc, fpr95, fpr95IdPositive, auprIn, auprOut } } },
 * nc5: { <oodName>: { centred, raw } }, params: {…}, fit: { N, D, K, metrics }, id, ood, engine, timing, warnings }`.
 */
export function toOodJson(result: OodEvaluation, info: OodRunInfo): Record<string, unknown> {
  const { params } = result;
  return {
    scores: result.scores,
    nc5: result.nc5,
    params: {
      scores: params.scores,
      vimDim: params.vimDim ?? null,
      vimAlpha: params.vimAlpha ?? null,
      necoDim: params.necoDim ?? null,
      necoVarianceShare: params.necoVarianceShare ?? null,
      necoMaxLogit: params.necoMaxLogit,
      necoConstantFeatures: params.necoConstantFeatures ?? null,
      nciAlpha: params.nciAlpha,
      temperature: params.temperature,
      mahalanobisRank: params.mahalanobisRank ?? null,
      mahalanobisRoute: params.mahalanobisRoute ?? null,
      nc5GlobalMean: params.nc5GlobalMean,
    },
    fit: {
      N: result.fit.N, D: result.fit.D, K: result.fit.K,
      features: info.fit.features, labels: info.fit.labels, weights: info.fit.weights ?? null, bias: info.fit.bias ?? null,
      metrics: result.fit.report?.metrics ?? {},
      conventions: result.fit.report?.conventions ?? null,
    },
    id: { features: info.id.features, rows: info.id.rows },
    ood: Object.fromEntries(info.ood.map((o) => [o.name, { features: o.features, rows: o.rows }])),
    engine: info.engine,
    timing: info.timing,
    warnings: [...result.warnings, ...info.notes],
  };
}

const LABELS: Record<string, string> = { auroc: 'AUROC', fpr95: 'FPR95', fpr95IdPositive: 'FPR95(ID+)', auprIn: 'AUPR-In', auprOut: 'AUPR-Out' };
const BETTER: Record<string, 'higher' | 'lower'> = { auroc: 'higher', fpr95: 'lower', fpr95IdPositive: 'lower', auprIn: 'higher', auprOut: 'higher' };

/** The table: scores × OOD sets (AUROC and FPR95 per set), the best of each column marked with '*', then NC5 and the fit set. */
export function formatOodTable(result: OodEvaluation, info: OodRunInfo): string {
  const sets = info.ood.map((o) => o.name);
  const metrics = ['auroc', 'fpr95'] as const;
  const header = ['score', ...sets.flatMap((s) => metrics.map((m) => `${s} ${LABELS[m]}`))];
  const best = new Map<string, number>();
  for (const s of sets) {
    for (const m of metrics) {
      const values = result.params.scores.map((score) => result.scores[score]![s][m]);
      best.set(`${s}/${m}`, BETTER[m] === 'higher' ? Math.max(...values) : Math.min(...values));
    }
  }
  const rows = result.params.scores.map((score) => [
    score,
    ...sets.flatMap((s) => metrics.map((m) => {
      const v = result.scores[score]![s][m];
      return `${v.toFixed(4)}${v === best.get(`${s}/${m}`) ? '*' : ' '}`;
    })),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out: string[] = [];
  const rel = (p: string) => basename(p);
  out.push(`OOD detection — fit ${rel(info.fit.features)} (N = ${result.fit.N}, D = ${result.fit.D}, K = ${result.fit.K}), in-distribution ${rel(info.id.features)} (${info.id.rows} rows), ${info.ood.map((o) => `${o.name} ${rel(o.features)} (${o.rows} rows)`).join(', ')}`);
  out.push('');
  out.push(line(header));
  out.push(line(widths.map((w) => '─'.repeat(w))));
  for (const r of rows) out.push(line(r));
  out.push("* best of its column (AUROC: higher is better; FPR95 = ID rows flagged at 95 % of OOD rows caught, OpenOOD's: lower is better)");
  out.push('');
  out.push(`NC5 (ID/OOD orthogonality, → 0): ${sets.map((s) => `${s} ${formatNumber(result.nc5[s].centred)} centred, ${formatNumber(result.nc5[s].raw)} raw`).join('; ')}`);
  const p = result.params;
  const parts = [
    p.vimDim !== undefined ? `ViM dim ${p.vimDim}, α ${formatNumber(p.vimAlpha)}` : undefined,
    p.necoDim !== undefined ? `NECO dim ${p.necoDim} (${(100 * p.necoVarianceShare!).toFixed(1)} % of the variance)${p.necoMaxLogit ? ' × max logit' : ''}` : undefined,
    p.mahalanobisRank !== undefined ? `Mahalanobis rank ${p.mahalanobisRank}` : undefined,
    p.scores.includes('nci') ? `NCI α ${p.nciAlpha}` : undefined,
    p.scores.includes('energy') && p.temperature !== 1 ? `energy T ${p.temperature}` : undefined,
  ].filter(Boolean);
  out.push(`parameters: ${parts.join('; ')}`);
  const m = result.fit.report?.metrics;
  if (m) out.push(`fit set NC: NC1 ${formatNumber(m.nc1)}, NCC accuracy ${formatNumber(m.nccAccuracy)}${m.classifierAccuracy !== undefined ? `, classifier accuracy ${formatNumber(m.classifierAccuracy)}` : ''}${m.nc4NccMismatch !== undefined ? `, NC4 ${formatNumber(m.nc4NccMismatch)}` : ''}`);
  for (const w of [...result.warnings, ...info.notes]) out.push(`warning: ${w}`);
  out.push(`engine ${info.engine}; read ${info.timing.readSeconds.toFixed(2)} s, compute ${info.timing.computeSeconds.toFixed(2)} s`);
  return `${out.join('\n')}\n`;
}

/** --scores-out: DIR/<set>.<score>.npy for the ID set and every OOD set (float64, in row order). */
function scoreFiles(result: OodEvaluation, dir: string): { path: string; bytes: Uint8Array }[] {
  const files: { path: string; bytes: Uint8Array }[] = [];
  for (const set of [result.sets.id, ...result.sets.ood]) {
    for (const score of result.params.scores) {
      const values = set.scores[score]!;
      files.push({ path: join(dir, `${set.name}.${score}.npy`), bytes: encodeNpy(values, [values.length]) });
    }
  }
  return files;
}

/** --html: the OOD sections and the fit set's NC report on one page (vega loads only when asked for). */
async function oodHtml(result: OodEvaluation, info: OodRunInfo): Promise<string> {
  const { runsFromMeasurements, renderHtmlReport } = await import('../html/index.js');
  const { oodSections } = await import('../html/ood.js');
  const sections = await oodSections(result);
  const report = result.fit.report;
  if (!report) throw new CliError('--html: the fit set has no NC report');
  const measurement = toMeasurement(report, { step: 0, seconds: info.timing.readSeconds + info.timing.computeSeconds, layer: 'fit set' });
  const { html } = await renderHtmlReport(runsFromMeasurements([measurement], basename(info.fit.features)), {
    title: `OOD detection: ${info.ood.map((o) => o.name).join(', ')} against ${basename(info.id.features)}`,
    description: 'OOD scores fitted on the labelled fit set and the Neural Collapse of that fit set, from the same statistics.',
    command: 'ncscope ood',
    sections,
  });
  return html;
}
