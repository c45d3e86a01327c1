import {
  MultiLabelMeansAccumulator,
  MultiLabelSpreadAccumulator,
  NcInputError,
  addMultiLabelSpread,
  serializeMultiLabelStatistics,
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

/**
 * The multi-label side of `ncscope stats` (labels N × K multi-hot): the same three steps with core's multi-label
 * accumulators and statistics files (`"labels": "multi-hot"`). stats.ts picks this side from the labels' shape (or the
 * means file's kind) and refuses to mix the two.
 */

/** Rows in a batch of multi-hot labels (K columns). */
const rowsOf = (labels: ArrayLike<number>, K: number) => labels.length / K;

/** `stats means` on multi-hot labels: phase 1 of the shard as a multi-label statistics file's text. */
export async function multiLabelMeansText(inputs: AnalyzeInputs, batchSize: number, clock: ReadClock, progress: (rows: number) => void): Promise<{ text: string; means: MultiLabelMeansStatistics }> {
  const K = inputs.K!;
  const acc = new MultiLabelMeansAccumulator({ K });
  let rows = 0;
  try {
    for await (const batch of batchSource(inputs.features.tensor, inputs.labels.tensor, batchSize, clock)()) {
      await acc.addAsync(batch);
      rows += rowsOf(batch.labels as ArrayLike<number>, K);
      progress(rows);
    }
  } catch (e) {
    throw locateError(e, inputs, batchSize);
  }
  const means = acc.statistics;
  return { text: serializeMultiLabelStatistics({ means }), means };
}

/** `stats spread` on multi-hot labels against merged multi-label means. */
export async function multiLabelSpreadText(inputs: AnalyzeInputs, means: MultiLabelMeansStatistics, batchSize: number, clock: ReadClock, options: { classifier?: Classifier; engine: ProductEngine }, progress: (rows: number) => void): Promise<string> {
  const acc = await MultiLabelSpreadAccumulator.create(means, options);
  let rows = 0;
  try {
    for await (const batch of batchSource(inputs.features.tensor, inputs.labels.tensor, batchSize, clock)()) {
      await acc.add(batch);
      rows += rowsOf(batch.labels as ArrayLike<number>, means.K);
      progress(rows);
    }
  } catch (e) {
    throw locateError(e, inputs, batchSize);
  }
  return serializeMultiLabelStatistics({ means, spread: acc.statistics });
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
