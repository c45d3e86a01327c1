import {
  MultiLabelMeansAccumulator,
  MultiLabelSpreadAccumulator,
  NcInputError,
  addMultiLabelSpread,
  runPasses,
  type MultiLabelMeansStatistics,
  type MultiLabelSpreadStatistics,
  type MultiLabelStatisticsFile,
  type ProductEngine,
  type Classifier,
} from '@ncscope/core';
import { batchSource, type ArrayInputs } from '@ncscope/io';
import { CliError } from '../errors.js';
import { fileLocator } from '../run/locate.js';
import { mergeRefusal, type TaskRows } from './shards.js';

/**
 * The multi-label side of `ncscope stats` (labels N × K multi-hot): the same three steps with core's multi-label
 * accumulators and statistics files (`"labels": "multi-hot"`). stats.ts picks this side from the labels' shape (or the
 * means file's kind) and refuses to mix the two.
 */

/** Rows in a batch of multi-hot labels (K columns). */
const rowsOf = (labels: ArrayLike<number>, K: number) => labels.length / K;

/** `stats means` on multi-hot labels: phase 1 over the task's rows (all, or a --shard's). */
export async function multiLabelMeans(inputs: ArrayInputs, batchSize: number, task: TaskRows, progress: (rows: number) => void): Promise<MultiLabelMeansStatistics> {
  const K = inputs.K!;
  const acc = new MultiLabelMeansAccumulator({ K, D: inputs.D });
  await runPasses(batchSource(inputs.features.tensor, inputs.labels.tensor, batchSize, task), {
    rows: (batch) => rowsOf(batch.labels as ArrayLike<number>, K),
    means: (batch) => acc.addAsync(batch).then(() => undefined),
  }, { onProgress: (_pass, rows) => progress(rows), locate: fileLocator(inputs, task) });
  return acc.statistics;
}

/** `stats spread` on multi-hot labels against merged multi-label means, over the task's rows. */
export async function multiLabelSpread(inputs: ArrayInputs, means: MultiLabelMeansStatistics, batchSize: number, task: TaskRows, options: { classifier?: Classifier; engine: ProductEngine }, progress: (rows: number) => void): Promise<MultiLabelSpreadStatistics> {
  const acc = await MultiLabelSpreadAccumulator.create(means, options);
  await runPasses(batchSource(inputs.features.tensor, inputs.labels.tensor, batchSize, task), {
    rows: (batch) => rowsOf(batch.labels as ArrayLike<number>, means.K),
    spread: (batch) => acc.add(batch).then(() => undefined),
  }, { onProgress: (_pass, rows) => progress(rows), locate: fileLocator(inputs, task) });
  return acc.statistics;
}

/** `stats merge` of multi-label files: means shards add (sets matched by their labels), spread shards need the same means. */
export function mergeMultiLabel(shards: { path: string; stats: MultiLabelStatisticsFile }[]): MultiLabelStatisticsFile {
  const first = shards[0];
  if (!first.stats.spread) {
    const acc = new MultiLabelMeansAccumulator();
    for (const s of shards) {
      try {
        acc.merge(s.stats.means);
      } catch (e) {
        if (e instanceof NcInputError) throw e.relocate({ ...e.where, source: s.path });
        throw e;
      }
    }
    return { means: acc.statistics };
  }
  let spread: MultiLabelSpreadStatistics = first.stats.spread;
  for (const s of shards.slice(1)) {
    try {
      spread = addMultiLabelSpread(spread, s.stats.spread!);
    } catch (e) {
      if (!(e instanceof NcInputError)) throw e;
      throw new CliError(`${s.path}: ${mergeRefusal(e, first.path)}`);
    }
  }
  return { means: first.stats.means, spread };
}
