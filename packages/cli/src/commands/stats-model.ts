import { createHash } from 'node:crypto';
import {
  MeansAccumulator,
  SpreadAccumulator,
  countLabels,
  decideClassCount,
  releaseEngine,
  runPasses,
  serializeStatistics,
  spreadWork,
  shardRows,
  type Classifier,
  type InputCoverage,
  type LabelArray,
  type LabelCounts,
  type SelectedEngine,
  type ShardRecord,
} from '@ncscope/core';
import { writeFileAtomic } from '@ncscope/io';
import { chooseEngine, type EngineChoice } from '../run/engine.js';
import { classesStated } from './analyze.js';
import type { FeatureBatch, InputArray } from '@ncscope/onnx';
import type { ModelStatsFlags } from './model-options.js';
import { CliError } from '../errors.js';
import type { NormalizeFlags } from './geometry-options.js';
import { openTable, readClassNames } from '@ncscope/io/tables';
import { checkImageFlags } from './image-options.js';
import { modelFingerprint, openModelRows, tableFingerprint, type ModelInputFlags, type ModelRows } from './model-inputs.js';
import { checkMeansHoldShard, describeTask, type ShardSpec, type TaskRows } from './shards.js';

const onnxPackage = () => import('@ncscope/onnx');

/** A task of a model job: the rows, the opened inputs, the model and the record naming both. */
export interface ModelTask {
  rows: Pick<ModelRows, 'labels' | 'counts' | 'K' | 'labelsWhere'> & { N: number };
  task: TaskRows;
  /** "resnet.onnx → tensor x on ImageFolder …". */
  description: string;
  /** The graph's classifier for the analysed tensor (none for a table's features). */
  graph: { classifier?: Classifier; K?: number; what?: string; tensor?: string };
  batches(batchSize: number): AsyncIterable<{ features: Float32Array | Float64Array; labels: LabelArray }>;
  close(): Promise<void>;
}

/**
 * This task's rows of the model inputs and its shard record: the input is named `MODEL @ INPUT` (the paths as
 * given) and identified by a fingerprint of the model file and of the inputs, so shards of another checkpoint or
 * other data never merge with these.
 */
async function modelTask(o: ModelStatsFlags & { shard?: ShardSpec }, command: string): Promise<ModelTask> {
  if (o.model === undefined) return tableTask(o, command);
  const rows = await openModelRows(o, command);
  try {
    const N = rows.input.shape[0];
    const graph = await graphClassifier(o.model, o.tensor);
    const description = `${o.model} → tensor ${graph.tensor} on ${rows.description}`;
    const base = {
      rows: { ...rows, N }, description, graph, close: () => rows.close(),
      batches(this: ModelTask, batchSize: number) {
        return modelBatches({ ...o, batchSize }, rows, this.task);
      },
    };
    if (!o.shard) return { ...base, task: { start: 0, end: N } };
    const { start, end } = shardRows(o.shard.index, o.shard.count, N);
    const fingerprint = createHash('sha256').update(`${await modelFingerprint(o.model)}\0${graph.tensor}\0${o.pool}\0${await rows.fingerprint()}`).digest('hex').slice(0, 32);
    const coverage: InputCoverage = { input: { name: `${o.model} @ ${rows.path}`, rows: N, fingerprint }, parts: [{ index: o.shard.index, count: o.shard.count, start, end }] };
    return { ...base, task: { start, end, coverage } };
  } catch (e) {
    await rows.close();
    throw e;
  }
}

/** `stats … --table F` without a model: the table's features column, sharded by rows. */
async function tableTask(o: ModelStatsFlags & { shard?: ShardSpec }, command: string): Promise<ModelTask> {
  checkImageFlags(o, false);
  if (o.imageColumn !== undefined) throw new CliError(`${command}: --image-column needs --model (the images are model inputs)`);
  const table = await openTable(o.table!, { featuresColumn: o.featuresColumn, labelsColumn: o.labelsColumn, classes: o.classesFile !== undefined ? await readClassNames(o.classesFile) : undefined });
  try {
    if (!table.features) throw new CliError(`${o.table}: no features column (name it with --features-column: a list column or a column prefix; columns: ${table.file.columns.map((c) => c.name).join(', ')})`);
    if (!table.labels) throw new CliError(`${o.table}: no labels column (name it with --labels-column; columns: ${table.file.columns.map((c) => c.name).join(', ')})`);
    const labels = await table.readLabels();
    const labelsWhere = `${o.table}: column '${table.labels.column}'`;
    const counts: LabelCounts = countLabels(labels, { source: labelsWhere });
    const N = table.rows;
    const classes = table.labels.classes;
    const base = {
      rows: { labels, counts, labelsWhere, N, K: table.labels.kind === 'string' ? classes?.length : undefined },
      description: `${o.table}: ${table.features.description}`,
      graph: {},
      close: () => table.close(),
      async *batches(this: ModelTask, batchSize: number) {
        for await (const b of table.batches(this.task.start, this.task.end, batchSize, { features: true, labels: true })) yield { features: b.features!, labels: b.labels! };
      },
    };
    if (!o.shard) return { ...base, task: { start: 0, end: N } };
    const { start, end } = shardRows(o.shard.index, o.shard.count, N);
    const coverage: InputCoverage = { input: { name: o.table!, rows: N, fingerprint: await tableFingerprint(o.table!, [table.labels.column, ...table.features.columns]) }, parts: [{ index: o.shard.index, count: o.shard.count, start, end }] };
    return { ...base, task: { start, end, coverage } };
  } catch (e) {
    await table.close();
    throw e;
  }
}

/** Rows start … end−1 of an input, as an input of their own. */
function rowRange(input: ModelRows['input'], start: number, end: number): InputArray {
  return {
    shape: [end - start, ...input.shape.slice(1)],
    source: input.source,
    read: (s, c) => input.read(start + s, c) as ReturnType<InputArray['read']>,
  };
}

function labelSlice(labels: LabelArray, start: number, count: number): LabelArray {
  return Array.isArray(labels) ? labels.slice(start, start + count) : (labels as Int32Array).subarray(start, start + count);
}

/** The feature batches of the model on this task's rows. */
async function* modelBatches(o: ModelStatsFlags & { batchSize: number }, rows: ModelRows, task: TaskRows): AsyncGenerator<{ features: Float32Array | Float64Array; labels: LabelArray }> {
  const { OnnxModel, FeatureExtractor } = await onnxPackage();
  const model = OnnxModel.open(o.model!);
  const extractor = await FeatureExtractor.create(model, {
    tensors: o.tensor ? [o.tensor] : undefined, inputName: o.inputName, batchSize: o.batchSize, pool: o.pool, executionProviders: o.ep.length > 0 ? o.ep : undefined,
  });
  try {
    const { start, end } = task;
    if (end <= start) return;
    for await (const b of extractor.run(rowRange(rows.input, start, end)) as AsyncGenerator<FeatureBatch>) {
      yield { features: b.features[0].data, labels: labelSlice(rows.labels, start + b.start, b.rows) };
    }
  } finally {
    await extractor.release();
  }
}

/** What the graph says about the analysed tensor. */
export interface GraphClassifier {
  /** The classifier (W, b) the graph ends with, when it reads the tensor. */
  classifier?: Classifier;
  /** K from the classifier's rows. */
  K?: number;
  what?: string;
  tensor: string;
  /** The Gemm/MatMul reading the tensor (subspace alignment, as `ncscope onnx` reports it). */
  consumer?: { weights: Float32Array | Float64Array; outputs: number; name: string; D: number };
}

/** The graph's classifier and consumer of `tensor` (default: the classifier's input). */
export async function graphClassifier(modelPath: string, tensor: string | undefined): Promise<GraphClassifier> {
  const { OnnxModel } = await onnxPackage();
  const model = OnnxModel.open(modelPath);
  const found = model.findClassifier().classifier;
  const name = tensor ?? model.classifier().featureTensor;
  const c = model.consumer(name).consumer;
  const consumer = c ? { weights: c.weights, outputs: c.outputs, name: c.node, D: c.D } : undefined;
  if (!found || found.featureTensor !== name) return { tensor: name, consumer };
  return { classifier: { weights: found.weights, bias: found.bias }, K: found.K, what: `the classifier of ${modelPath} (${found.K} rows of ${found.weightsFrom})`, tensor: name, consumer };
}

/** `stats means --model`: phase 1 over this task's rows. Returns the summary line. */
export async function statsMeansModel(o: ModelStatsFlags & { shard?: ShardSpec; batchSize: number; output: string; classes?: number } & NormalizeFlags): Promise<string> {
  const t = await modelTask(o, 'stats means');
  try {
    const graph = t.graph;
    // The K rule: --classes, else the input's own classes (an image folder's), else the graph's classifier rows,
    // else the largest label + 1 — over every label of the input, so every task agrees on K.
    const statedBy = t.rows.K !== undefined ? { K: t.rows.K, by: `${t.rows.labelsWhere} (${t.rows.K} classes)` } : graph.K !== undefined ? { K: graph.K, by: graph.what! } : undefined;
    const { K } = decideClassCount(t.rows.counts, { stated: [classesStated(o.classes), statedBy], emptyClasses: o.emptyClasses, needTwoClasses: false });
    const acc = new MeansAccumulator({ K, normalize: o.normalize, temperature: o.temperature });
    // Pass 1 only, through core's driver.
    await runPasses(() => t.batches(o.batchSize), { means: (b) => acc.addAsync(b).then(() => undefined) });
    const means = acc.statistics;
    const shards: ShardRecord | undefined = t.task.coverage ? { means: [t.task.coverage] } : undefined;
    await writeFileAtomic(o.output, serializeStatistics({ means, shards }));
    return `${o.output}: means ${describeTask(t.task, t.rows.N)} (${t.description}), K = ${means.K}, D = ${means.D}\n`;
  } finally {
    await t.close();
  }
}

/** `stats spread --model`: phase 2 over this task's rows against merged means. Returns the summary line. */
export async function statsSpreadModel(
  o: ModelStatsFlags & { shard?: ShardSpec; batchSize: number; output: string; means: string },
  file: { stats: { means: import('@ncscope/core').MeansStatistics; shards?: ShardRecord } },
  given: { classifier?: Classifier; engine: EngineChoice },
): Promise<string> {
  const means = file.stats.means;
  const t = await modelTask(o, 'stats spread');
  let selected: SelectedEngine | undefined;
  try {
    const meansShards = file.stats.shards?.means;
    if (t.task.coverage && meansShards) checkMeansHoldShard(o.means, meansShards, t.task.coverage);
    const graph = t.graph;
    const classifier = given.classifier ?? graph.classifier;
    if (graph.K !== undefined && !given.classifier && graph.K !== means.K) throw new CliError(`${o.model}: its classifier has ${graph.K} rows but ${o.means} has K = ${means.K}`);
    decideClassCount(t.rows.counts, { stated: [{ K: means.K, by: `${o.means} (K = ${means.K})` }], emptyClasses: 'exclude', needTwoClasses: false });
    selected = await chooseEngine(given.engine, spreadWork(t.task.end - t.task.start, means.D, means.K, classifier !== undefined));
    const acc = await SpreadAccumulator.create(means, { classifier, engine: selected.engine });
    // Pass 2 only, against the merged means, through core's driver.
    await runPasses(() => t.batches(o.batchSize), {
      async spread(b, at) {
        if (at.batch === 0 && b.features.length / b.labels.length !== means.D) {
          throw new CliError(`${t.description}: D = ${b.features.length / b.labels.length} features but ${o.means} has D = ${means.D}`);
        }
        await acc.add({ features: b.features, labels: b.labels });
      },
    });
    const meansRecord = meansShards ? { means: meansShards } : {};
    const shards: ShardRecord | undefined = t.task.coverage ? { ...meansRecord, spread: [t.task.coverage] } : meansShards ? meansRecord : undefined;
    await writeFileAtomic(o.output, serializeStatistics({ means, spread: acc.statistics, shards }));
    return `${o.output}: spread ${describeTask(t.task, t.rows.N)} (${t.description}) against ${o.means}, K = ${means.K}, D = ${means.D}${classifier ? ', with classifier' : ''}\n`;
  } finally {
    await t.close();
    await releaseEngine(selected);
  }
}
