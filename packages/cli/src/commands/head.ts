import { Option, type Command } from 'commander';
import { inputFile, outputFile } from '../output/file-options.js';
import { batchSizeOption, classesOption } from './options.js';
import { NcInputError, ScatterAccumulator, centralPath, countLabels, decideClassCount, encodeNpy, labelSmoothingTargets, leastSquaresClassifier, runPasses, type StatedK } from '@ncscope/core';
import { batchSource, countLabelTensor, openArrayInputs, writeFilesAtomic } from '@ncscope/io';
import { CliError } from '../errors.js';
import { fileLocator } from '../run/locate.js';
import { DEFAULT_BATCH_SIZE, classesStated } from './analyze.js';
import { checkClassMemory, checkClassesAgainstSamples, machineMemoryBytes } from './class-guard.js';
import { addTableOptions, type TableFlags } from './table-options.js';

/** Options of `ncscope head` as commander parses them. */
export interface HeadCommandOptions extends TableFlags {
  features?: string;
  labels?: string;
  featuresKey?: string;
  labelsKey?: string;
  lambda: number;
  classes?: number;
  labelSmoothing?: number;
  outWeights?: string;
  outBias?: string;
  batchSize: number;
  json?: boolean;
}

/** Registers `ncscope head` on the program. */
export function registerHead(program: Command): void {
  const head = program
    .command('head')
    .description('Least-squares classifier of features on disk: writes W (K × D, PyTorch nn.Linear.weight layout) and b (K) as float32 .npy')
    .addOption(inputFile(new Option('--features <file>', 'features, N × D float32/float64 (.npy, .npz or .safetensors) (or --table)')))
    .addOption(inputFile(new Option('--labels <file>', 'class labels, N integers in 0..K−1 (with --features)')))
    .option('--features-key <name>', 'array to read as features in an .npz/.safetensors file')
    .option('--labels-key <name>', 'array to read as labels in an .npz/.safetensors file')
    .option('--lambda <value>', 'ridge λ on W and b (the fit minimises (1/2N)Σ‖Wh+b−e_y‖² + (λ/2)(‖W‖²+‖b‖²))', parseLambda, 1e-3)
    .addOption(classesOption('the largest label + 1'))
    .addOption(new Option('--label-smoothing <eps>', 'fit smoothed targets (1−ε)e_y + ε/K instead of one-hot').argParser(parseSmoothing).default(0, '0, one-hot targets'))
    .addOption(outputFile(new Option('--out-weights <file>', 'where to write W, K × D float32 .npy').makeOptionMandatory()))
    .addOption(outputFile(new Option('--out-bias <file>', 'where to write b, K float32 .npy')))
    .addOption(batchSizeOption(DEFAULT_BATCH_SIZE))
    .option('--json', 'print a JSON summary on stdout instead of text');
  addTableOptions(head, { features: true }).action(async (options: HeadCommandOptions) => {
    process.stdout.write(await runHead(options));
  });
}

/**
 * Streams the features once into single-pass scatter statistics (float64; O(D²) memory), solves the ridge LS
 * classifier by Cholesky, and writes W and b atomically (both files appear, or neither). Returns the stdout text.
 */
export async function runHead(options: HeadCommandOptions): Promise<string> {
  if (options.outWeights === undefined) throw new CliError('head: --out-weights is required');
  const started = performance.now();
  let acc: ScatterAccumulator;
  let featuresWhere = options.table;
  let classes: string[] | undefined;
  // Core's label and K rules, before any feature is read: a head needs two classes with samples (a one-row head is
  // refused by analyze), and a gap between labels needs --classes to say K (a head cannot exclude classes).
  const kRule = { gapRemedies: [{ option: 'K', purpose: 'to keep the empty classes (their rows are then 0)' }] };
  if (options.table !== undefined) {
    if (options.features !== undefined || options.labels !== undefined) throw new CliError(`${options.table}: --table replaces --features/--labels; give one or the other`);
    const { openTable, readClassNames } = await import('@ncscope/io/tables');
    const given = options.classesFile !== undefined ? await readClassNames(options.classesFile) : undefined;
    const table = await openTable(options.table, { featuresColumn: options.featuresColumn, labelsColumn: options.labelsColumn, classes: given });
    try {
      const cols = table.file.columns.map((c) => c.name).join(', ');
      if (!table.features) throw new CliError(`${options.table}: no features column (name it with --features-column: a list column or a column prefix; columns: ${cols})`);
      if (!table.labels) throw new CliError(`${options.table}: no labels column (name it with --labels-column; columns: ${cols})`);
      const labelsWhere = `${options.table}: column '${table.labels.column}'`;
      const counts = countLabels(await table.readLabels(), { source: labelsWhere });
      classes = table.labels.classes;
      const statedBy: StatedK | undefined = table.labels.kind === 'string' && classes ? { K: classes.length, by: `${labelsWhere} (${classes.length} distinct labels)` } : undefined;
      if (options.classes !== undefined && statedBy === undefined) {
        checkClassMemory(options.classes, table.features.D, { statedBy: `--classes ${options.classes}`, scope: 'head' });
        checkClassesAgainstSamples(options.classes, counts.N, labelsWhere);
      }
      const { K } = decideClassCount(counts, { stated: [classesStated(options.classes), statedBy], ...kRule });
      checkClassMemory(K, table.features.D, { statedBy: `the labels ${labelsWhere}`, scope: 'head' });
      const scatter = new ScatterAccumulator({ D: table.features.D, K, maxBytes: machineMemoryBytes() });
      acc = scatter;
      // One pass (single-pass scatter statistics), through the driver.
      await runPasses(() => table.batches(0, table.rows, options.batchSize, { features: true, labels: true }), {
        means: (b) => scatter.add({ features: b.features!, labels: b.labels! }).then(() => undefined),
      });
    } finally {
      await table.close();
    }
  } else {
    if (options.features === undefined || options.labels === undefined) throw new CliError('head: --features and --labels are required (or --table)');
    if (options.featuresColumn !== undefined || options.labelsColumn !== undefined) throw new CliError('head: --features-column and --labels-column go with --table');
    const inputs = await openArrayInputs({ features: options.features, labels: options.labels, featuresKey: options.featuresKey, labelsKey: options.labelsKey });
    featuresWhere = inputs.features.tensor.where;
    try {
      if (inputs.multiLabel) {
        // A least-squares head fits one target per row: multi-hot rows (N × K) are not class indices.
        const l = inputs.labels.tensor;
        throw new CliError(`${l.where}: labels have shape ${l.shapeText} (multi-hot rows, K = ${l.shape[1]} columns); the least-squares head needs one class index per sample, shape (N,) — save the class indices (e.g. y.argmax(1) for one-hot rows)`);
      }
      const counts = await countLabelTensor(inputs.labels.tensor);
      if (options.classes !== undefined) {
        checkClassMemory(options.classes, inputs.D, { statedBy: `--classes ${options.classes}`, scope: 'head' });
        checkClassesAgainstSamples(options.classes, counts.N, inputs.labels.tensor.where);
      }
      const { K } = decideClassCount(counts, { stated: [classesStated(options.classes)], ...kRule });
      checkClassMemory(K, inputs.D, { statedBy: `the labels ${inputs.labels.tensor.where}`, scope: 'head' });
      const scatter = new ScatterAccumulator({ D: inputs.D, K, maxBytes: machineMemoryBytes() });
      acc = scatter;
      // One pass (single-pass scatter statistics), through the driver.
      await runPasses(batchSource(inputs.features.tensor, inputs.labels.tensor, options.batchSize), { means: (batch) => scatter.add(batch).then(() => undefined) }, { locate: fileLocator(inputs) });
    } finally {
      await inputs.close();
    }
  }
  const stats = acc.statistics;
  const { K, D } = stats;
  const N = stats.counts.reduce((a, b) => a + b, 0);
  let ls: ReturnType<typeof leastSquaresClassifier>;
  let split: ReturnType<typeof centralPath>;
  try {
    const targets = options.labelSmoothing ? labelSmoothingTargets(K, options.labelSmoothing) : undefined;
    ls = leastSquaresClassifier(stats, { lambda: options.lambda, targets });
    split = centralPath(stats, ls, { lambda: options.lambda, targets });
  } catch (e) {
    // The solve's problems (a singular Σ_T with --lambda 0) are about the features: name them.
    throw e instanceof NcInputError && featuresWhere !== undefined ? e.relocate({ ...e.where, source: featuresWhere }) : e;
  }
  const files = [{ path: options.outWeights, bytes: encodeNpy(Float32Array.from(ls.weights), [K, D]) }];
  if (options.outBias !== undefined) files.push({ path: options.outBias, bytes: encodeNpy(Float32Array.from(ls.bias), [K]) });
  await writeFilesAtomic(files);
  const seconds = (performance.now() - started) / 1000;
  const empty = Array.from(stats.counts).flatMap((n, k) => (n === 0 ? [k] : []));
  const summary = {
    N, D, K, lambda: options.lambda, labelSmoothing: options.labelSmoothing ?? 0,
    weights: options.outWeights, bias: options.outBias ?? null,
    lossLS: split.lossLS, lNC1: split.lNC1, lNC23: split.lNC23, emptyClasses: empty, seconds,
    ...(classes ? { classes } : {}),
  };
  if (options.json) return JSON.stringify(summary) + '\n';
  const lines = [
    `least-squares head: N = ${N}, D = ${D}, K = ${K}, λ = ${options.lambda}${options.labelSmoothing ? `, label smoothing ε = ${options.labelSmoothing}` : ''}`,
    `  MSE loss of the LS classifier ${fmt(split.lossLS)} = L_NC1 ${fmt(split.lNC1)} + L_NC2/3 ${fmt(split.lNC23)}`,
    `  wrote ${options.outWeights} (${K} × ${D} float32)${options.outBias ? ` and ${options.outBias} (${K} float32)` : ' (no --out-bias: bias not written)'} in ${seconds.toFixed(2)} s`,
  ];
  if (empty.length) lines.push(`  classes with no samples (rows are 0): ${empty.join(', ')}`);
  if (classes) lines.push(`  ${(await import('./analyze-table.js')).classMapNote(classes)} (row k of W is class k)`);
  return lines.join('\n') + '\n';
}

function fmt(x: number): string {
  return x === 0 ? '0' : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(5) : x.toExponential(3);
}

function parseLambda(value: string): number {
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || x < 0) throw new CliError(`--lambda: expected a number ≥ 0, got '${value}'`);
  return x;
}

function parseSmoothing(value: string): number {
  const x = Number(value);
  if (value.trim() === '' || !(x >= 0 && x <= 1)) throw new CliError(`--label-smoothing: expected a number in [0, 1], got '${value}'`);
  return x;
}
