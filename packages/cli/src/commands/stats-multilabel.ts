import {
  MultiLabelMeansAccumulator,
  MultiLabelSpreadAccumulator,
  NcInputError,
  addMultiLabelSpread,
  type MultiLabelMeansStatistics,
  type MultiLabelSpreadStatistics,
  type MultiLabelStatisticsFile,
  type ProductEngine,
  type Classifier,
} from '@ncscope/core';
import { CliError } from '../errors.js';
import { batchSource, type AnalyzeInputs } from '../io/inputs.js';
import type { ReadClock } from '../io/read-clock.js';
import { locateError } from './analyze.js';
import type { TaskRows } from './shards.js';

/**
 * The multi-label side of `ncscope stats` (labels N × K multi-hot): the same three steps with core's multi-label
 * accumulators and statistics files (`"labels": "multi-hot"`). stats.ts picks this side from the labels' shape (or the
 * means file's kind) and refuses to mix the two.
 */

/** Rows in a batch of multi-hot labels (K columns). */
const rowsOf = (labels: ArrayLike<number>, K: number) => labels.length / K;

/** `stats means` on multi-hot labels: phase 1 over the task's rows (all, or a --shard's). */
export async function multiLabelMeans(inputs: AnalyzeInputs, batchSize: number, clock: ReadClock, task: TaskRows, progress: (rows: number) => void): Promise<MultiLabelMeansStatistics> {
  const K = inputs.K!;
  const acc = new MultiLabelMeansAccumulator({ K, D: inputs.D });
  let rows = 0;
  try {
    for await (const batch of batchSource(inputs.features.tensor, inputs.labels.tensor, batchSize, clock, task)()) {
      await acc.addAsync(batch);
      rows += rowsOf(batch.labels as ArrayLike<number>, K);
      progress(rows);
    }
  } catch (e) {
    throw locateError(e, inputs, batchSize, task);
  }
  return acc.statistics;
}

/** `stats spread` on multi-hot labels against merged multi-label means, over the task's rows. */
export async function multiLabelSpread(inputs: AnalyzeInputs, means: MultiLabelMeansStatistics, batchSize: number, clock: ReadClock, task: TaskRows, options: { classifier?: Classifier; engine: ProductEngine }, progress: (rows: number) => void): Promise<MultiLabelSpreadStatistics> {
  const acc = await MultiLabelSpreadAccumulator.create(means, options);
  let rows = 0;
  try {
    for await (const batch of batchSource(inputs.features.tensor, inputs.labels.tensor, batchSize, clock, task)()) {
      await acc.add(batch);
      rows += rowsOf(batch.labels as ArrayLike<number>, means.K);
      progress(rows);
    }
  } catch (e) {
    throw locateError(e, inputs, batchSize, task);
  }
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
        if (e instanceof NcInputError) throw new CliError(`${s.path}: ${e.message}`);
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
      const why = /different (class|label-set) means/.test(e.message)
        ? `computed against different means than ${first.path}; run every spread shard against the same merged means`
        : /classifier/.test(e.message)
          ? `computed with a different classifier (or none) than ${first.path}`
          : e.message.replace(/^cannot merge /, `cannot be merged with ${first.path}: `);
      throw new CliError(`${s.path}: ${why}`);
    }
  }
  return { means: first.stats.means, spread };
}
