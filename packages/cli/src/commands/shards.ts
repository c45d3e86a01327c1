import {
  NcInputError,
  coversRows,
  describeCoverageGaps,
  describePart,
  mergeShardCoverage,
  shardCoverageGaps,
  shardRows,
  type InputCoverage,
  type ShardPart,
  type ShardRecord,
  type StatisticsFile,
} from '@ncscope/core';
import { CliError } from '../errors.js';
import { inputFingerprint, type ArrayInputs } from '@ncscope/io';

/**
 * The CLI side of statistics shards run as tasks of a job engine (`ncscope stats means|spread --shard i/n`): parsing
 * the flag, the task's rows and shard record, and the checks `stats spread` and `stats merge` make on records.
 * The record format and the merge rules themselves are core's (statistics/shards.ts).
 */

/** `--shard i/n`: shard i (0-based) of n. */
export interface ShardSpec {
  index: number;
  count: number;
}

/**
 * Parses `--shard i/n`. Named errors for a missing slash, an empty index (an unset job-index variable), non-integers,
 * n < 1 and i outside 0..n−1 (with the hint that indices are 0-based, as Kubernetes and `--array=0-…` give them).
 */
export function parseShard(value: string): ShardSpec {
  const text = value.trim();
  const m = /^([^/]*)\/([^/]*)$/.exec(text);
  if (!m) throw new CliError(`--shard: expected i/n (shard i of n, 0-based, e.g. --shard 3/8), got '${value}'`);
  const [, i, n] = m.map((x) => x.trim());
  if (i === '') throw new CliError(`--shard '${value}': the shard index is empty — is the task's index variable set (JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID)?`);
  if (n === '') throw new CliError(`--shard '${value}': the number of shards is empty — is the variable that holds it set (e.g. SLURM_ARRAY_TASK_COUNT)?`);
  if (!/^\d+$/.test(n) || !Number.isSafeInteger(Number(n)) || Number(n) < 1) throw new CliError(`--shard '${value}': the number of shards must be a positive integer, got '${n}'`);
  if (!/^\d+$/.test(i) || !Number.isSafeInteger(Number(i))) throw new CliError(`--shard '${value}': the shard index must be a non-negative integer, got '${i}'`);
  const index = Number(i);
  const count = Number(n);
  if (index >= count) {
    throw new CliError(`--shard '${value}': index ${index} is out of range for ${count} shard${count > 1 ? 's' : ''}: indices are 0-based, 0..${count - 1} (for a Slurm array use --array=0-${count - 1})`);
  }
  return { index, count };
}

/** This task's rows of the input: shard i/n's with --shard, else all of them (no record). */
export interface TaskRows {
  start: number;
  end: number;
  /** With --shard: the record this task's file carries. */
  coverage?: InputCoverage;
}

/**
 * The rows a task reads, and with --shard its record: the input named by the features path as given (tasks of one
 * job run the same command, so they agree on it; a file that changed under the same path is caught by name),
 * identified by {@link inputFingerprint} (the same contents under another path are the same input).
 */
export async function taskRows(shard: ShardSpec | undefined, featuresPath: string, inputs: ArrayInputs): Promise<TaskRows> {
  if (!shard) return { start: 0, end: inputs.N };
  const { start, end } = shardRows(shard.index, shard.count, inputs.N);
  const key = inputs.features.key;
  const input = { name: `${featuresPath}${key !== undefined ? `:${key}` : ''}`, rows: inputs.N, fingerprint: await inputFingerprint(inputs.features, inputs.labels) };
  const part: ShardPart = { index: shard.index, count: shard.count, start, end };
  return { start, end, coverage: { input, parts: [part] } };
}

/** "of shard 3/8 (rows 75000..99999) of feats.npy" or "of 200000 samples". */
export function describeTask(task: TaskRows, N: number): string {
  if (!task.coverage) return `of ${N} samples`;
  return `of ${describePart(task.coverage.parts[0])} of ${task.coverage.input.name} (${N} rows)`;
}

/** The spread phase of a shard must read rows the means summed, from the same input (same fingerprint). */
export function checkMeansHoldShard(meansPath: string, meansCoverage: readonly InputCoverage[], task: InputCoverage): void {
  const { input } = task;
  const part = task.parts[0];
  if (coversRows(meansCoverage, input.fingerprint, part.start, part.end)) return;
  const sameName = meansCoverage.find((c) => c.input.name === input.name && c.input.fingerprint !== input.fingerprint);
  if (sameName) {
    throw new CliError(`${input.name}: differs from the ${input.name} whose means ${meansPath} holds (fingerprint ${input.fingerprint} vs ${sameName.input.fingerprint}): the file changed since the means phase, or this task reads another copy`);
  }
  const held = meansCoverage.find((c) => c.input.fingerprint === input.fingerprint);
  const what = held ? `holds the means of other rows of ${input.name}` : `was computed from other data (${meansCoverage.map((c) => c.input.name).join(', ')})`;
  throw new CliError(`${meansPath}: ${what}, not of ${describePart(part)}; run the spread phase against means of the same data`);
}

/**
 * The merged shard record, or undefined when no file has one. Every file must record its rows for this phase, or
 * none. Missing rows (against the whole inputs for means, against the means' rows for spread) are refused with
 * SHARDS_MISSING unless `allowPartial`, and then described in `gaps`.
 */
export function mergeRecords(shards: { path: string; stats: Pick<StatisticsFile, 'shards'> }[], phase: 'means' | 'spread', allowPartial: boolean): { record: ShardRecord; gaps?: string } | undefined {
  const recorded = shards.filter((s) => s.stats.shards?.[phase]);
  const meansRecord = phase === 'spread' ? shards[0].stats.shards?.means : undefined;
  if (recorded.length === 0) return meansRecord ? { record: { means: meansRecord } } : undefined;
  if (recorded.length < shards.length) {
    const odd = shards.find((s) => !s.stats.shards?.[phase])!;
    const first = recorded[0];
    const c = first.stats.shards![phase]![0];
    const what = c ? `${c.parts.length === 1 ? describePart(c.parts[0]) : `${c.parts.length} shards`} of ${c.input.name}` : 'its shards';
    throw new CliError(`${odd.path}: records no shard (it was made without --shard) while ${first.path} holds ${what}; merge the shards of one --shard split together`);
  }
  const coverage = mergeShardCoverage(recorded.map((s) => ({ source: s.path, coverage: s.stats.shards![phase]! })));
  const missing = shardCoverageGaps(coverage, meansRecord);
  const gaps = missing.length > 0 ? describeCoverageGaps(missing) : undefined;
  if (gaps && !allowPartial) {
    throw new NcInputError('SHARDS_MISSING', `${gaps}; nothing written — merge every shard, or pass --allow-partial to write a partial merge (it records which rows it holds)`);
  }
  return { record: phase === 'means' ? { means: coverage } : { ...(meansRecord ? { means: meansRecord } : {}), spread: coverage }, gaps };
}

/** Notes for `analyze --stats` on a partial merge: which shards its sums lack. */
export function shardNotes(path: string, file: Pick<StatisticsFile, 'shards'>): string[] {
  const record = file.shards;
  if (!record) return [];
  try {
    const gaps = [...(record.means ? shardCoverageGaps(record.means) : []), ...(record.spread ? shardCoverageGaps(record.spread, record.means) : [])];
    return gaps.length ? [`${path} is a partial merge (stats merge --allow-partial): ${describeCoverageGaps(gaps)}`] : [];
  } catch {
    return [];
  }
}

/** Why a statistics file cannot be merged with the first one, from the error's data (what the statistics differ in). */
export function mergeRefusal(e: NcInputError, first: string): string {
  switch (e.mismatch?.kind) {
    case 'means':
      return `computed against different ${e.mismatch.what.includes('label-set') ? '' : 'class '}means than ${first}; run every spread shard against the same merged means`;
    case 'classifier':
      return `computed with a different classifier (or none) than ${first}`;
    case undefined:
      return e.message;
    default:
      return `cannot be merged with ${first}: ${e.mismatch!.what}`;
  }
}
