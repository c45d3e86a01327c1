import { NcInputError } from '../errors.js';
import { readStatsJson } from '../statistics/json-file.js';
import { MULTI_LABEL_MARKER, statisticsFromJson, statisticsJson, type StatisticsFile } from '../statistics/serialize.js';
import type { ShardRecord } from '../statistics/shards.js';
import { compareSets, type MultiLabelMeansStatistics } from './means.js';
import type { MultiLabelSpreadStatistics } from './spread.js';

/** Multi-label statistics as one file holds them: phase 1 and, optionally, phase 2. */
export interface MultiLabelStatisticsFile {
  means: MultiLabelMeansStatistics;
  spread?: MultiLabelSpreadStatistics;
  /** Which rows of which input each phase summed (`ncscope stats … --shard i/n`), as in single-label files. */
  shards?: ShardRecord;
}

/**
 * Serializes multi-label statistics: the statistics file (`ncscope.statistics`, version 2) of the single-label part,
 * marked `"labels": "multi-hot"`, with a `multiLabel` section for the label sets (arrays row-major, numbers in
 * shortest round-trip form, so float64 sums survive exactly; sets in canonical order — by size, then lexicographic):
 * ```
 * { "format": "ncscope.statistics", "version": 2, "labels": "multi-hot", "K": 4, "D": 12,
 *   "means": { … single-label classes … }, "spread": { … single-label spread … }?, "shards": { … }? (as single-label files),
 *   "multiLabel": { "unlabelled": 3, "sets": [[0, 1], [1, 3], [0, 1, 2]], "counts": [J], "sums": [J*D],
 *                   "spread": { "setsFingerprint": "…", "unlabelled": 3, "counts": [J], "withinSS": [J], "scatter": [m*m] }? } }
 * ```
 * A single-label reader (`parseStatistics`) refuses such a file by name, and merging it with single-label statistics
 * is a STATS_MISMATCH.
 */
export function serializeMultiLabelStatistics(stats: MultiLabelStatisticsFile): string {
  const { means, spread } = stats;
  const { format, version, K, D, ...rest } = statisticsJson({ means: means.single, spread: spread?.single, shards: stats.shards });
  const ml: Record<string, unknown> = {
    unlabelled: means.unlabelled,
    sets: means.sets.labels.map((s) => Array.from(s)),
    counts: Array.from(means.sets.counts),
    sums: Array.from(means.sets.sums),
  };
  if (spread) {
    ml.spread = {
      setsFingerprint: spread.setsFingerprint,
      unlabelled: spread.unlabelled,
      counts: Array.from(spread.sets.counts),
      withinSS: Array.from(spread.sets.withinSS),
      scatter: Array.from(spread.sets.scatter),
    };
  }
  return JSON.stringify({ format, version, labels: MULTI_LABEL_MARKER, K: means.K, D: means.D, ...rest, multiLabel: ml });
}

/** Parses a multi-label statistics file; BAD_STATS_FILE names what is malformed, STATS_MISMATCH a single-label file. */
export function parseMultiLabelStatistics(text: string, source = 'statistics'): MultiLabelStatisticsFile {
  const parsed = readStatsJson(text, source, 'ncscope.statistics', 0, [2]);
  if (parsed.json.labels !== MULTI_LABEL_MARKER) {
    throw NcInputError.at('STATS_MISMATCH', { source }, `holds single-label statistics, not multi-label ones (no "labels": "${MULTI_LABEL_MARKER}")`);
  }
  return multiLabelFromJson(parsed, statisticsFromJson(parsed));
}

/** Either kind of statistics file, told apart by its `"labels"` marker. */
export type AnyStatisticsFile = { kind: 'single'; stats: StatisticsFile } | { kind: 'multi-label'; stats: MultiLabelStatisticsFile };

/** Parses a statistics file of either kind (single-label version 1 or 2, or multi-label). */
export function parseAnyStatistics(text: string, source = 'statistics'): AnyStatisticsFile {
  const parsed = readStatsJson(text, source, 'ncscope.statistics', 0, [1, 2]);
  if (parsed.json.labels !== MULTI_LABEL_MARKER) return { kind: 'single', stats: statisticsFromJson(parsed) };
  if (parsed.version !== 2) throw parsed.bad(`multi-label statistics of version ${parsed.version} are not supported`);
  return { kind: 'multi-label', stats: multiLabelFromJson(parsed, statisticsFromJson(parsed)) };
}

function multiLabelFromJson(parsed: ReturnType<typeof readStatsJson>, base: StatisticsFile): MultiLabelStatisticsFile {
  const { json, K, D, bad, array } = parsed;
  const ml = json.multiLabel;
  if (ml === null || typeof ml !== 'object') throw bad('"multiLabel" must be an object');
  const count = (obj: any, key: string): number => {
    const x = obj?.[key];
    if (!(Number.isInteger(x) && x >= 0)) throw bad(`"multiLabel.${key}" must be a non-negative integer`);
    return x;
  };
  const counts = (obj: any, key: string, len: number): Float64Array => {
    const a = array(obj, key, len);
    if (!a.every((x) => Number.isInteger(x) && x >= 0)) throw bad(`"${key}" must hold non-negative integer counts`);
    return a;
  };
  if (!Array.isArray(ml.sets)) throw bad('"multiLabel.sets" must be an array of label sets');
  const labels: number[][] = ml.sets.map((s: unknown, j: number) => {
    if (!Array.isArray(s) || s.length < 2 || !s.every((k, i) => Number.isInteger(k) && k >= 0 && k < K && (i === 0 || k > s[i - 1]))) {
      throw bad(`"multiLabel.sets[${j}]" must list two or more distinct labels in 0..${K - 1}, ascending`);
    }
    return s as number[];
  });
  labels.forEach((s, j) => {
    if (j > 0 && compareSets(labels[j - 1], s) >= 0) throw bad('"multiLabel.sets" must be in canonical order (by size, then lexicographic) without repeats');
  });
  const J = labels.length;
  const means: MultiLabelMeansStatistics = {
    kind: 'multi-label', K, D, single: base.means,
    sets: { labels, counts: counts(ml, 'counts', J), sums: array(ml, 'sums', J * D) },
    unlabelled: count(ml, 'unlabelled'),
  };
  if ((base.spread === undefined) !== (ml.spread === undefined)) {
    throw bad(base.spread ? '"multiLabel.spread" is missing (the file has a spread phase)' : '"multiLabel.spread" without a "spread" section');
  }
  const shards = base.shards ? { shards: base.shards } : {};
  if (!base.spread) return { means, ...shards };
  const s = ml.spread;
  if (typeof s?.setsFingerprint !== 'string') throw bad('"multiLabel.spread.setsFingerprint" is missing');
  const m = base.spread.space === 'means' ? K : D;
  const spread: MultiLabelSpreadStatistics = {
    kind: 'multi-label', K, D, setsFingerprint: s.setsFingerprint, single: base.spread,
    sets: { counts: counts(s, 'counts', J), withinSS: array(s, 'withinSS', J), scatter: array(s, 'scatter', m * m) },
    unlabelled: count(s, 'unlabelled'),
  };
  return { means, spread, ...shards };
}
