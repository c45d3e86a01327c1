import { readStatsJson } from './json-file.js';
import type { MeansStatistics } from './means.js';
import type { SpreadStatistics } from './spread.js';

/**
 * The statistics file (`ncscope.statistics/1`): plain JSON, numbers written with JavaScript's shortest
 * round-trip form, so float64 sums survive exactly. Layout (arrays row-major):
 * ```
 * { "format": "ncscope.statistics", "version": 1, "K": 10, "D": 512,
 *   "means":  { "counts": [K], "sums": [K*D] },
 *   "spread": { "meansFingerprint": "…", "classifierFingerprint": "…"?, "counts": [K], "withinSS": [K],
 *               "projectedScatter": [K*K], "nccConfusion": [K*K], "classifierConfusion": [K*K]?,
 *               "nccClassifierMismatch": n?, "nccClassifierMismatchNoBias": n? }? }
 * ```
 * Means shards merge by addition; spread shards merge only when computed against the same merged means.
 */
export interface StatisticsFile {
  means: MeansStatistics;
  spread?: SpreadStatistics;
}

/** Serializes statistics to the documented JSON text. */
export function serializeStatistics(stats: StatisticsFile): string {
  const { means, spread } = stats;
  const out: Record<string, unknown> = {
    format: 'ncscope.statistics',
    version: 1,
    K: means.K,
    D: means.D,
    means: { counts: Array.from(means.counts), sums: Array.from(means.sums) },
  };
  if (spread) {
    const s: Record<string, unknown> = {
      meansFingerprint: spread.meansFingerprint,
      counts: Array.from(spread.counts),
      withinSS: Array.from(spread.withinSS),
      projectedScatter: Array.from(spread.projectedScatter),
      nccConfusion: Array.from(spread.nccConfusion),
    };
    if (spread.classifierConfusion) {
      s.classifierFingerprint = spread.classifierFingerprint;
      s.classifierConfusion = Array.from(spread.classifierConfusion);
      s.nccClassifierMismatch = spread.nccClassifierMismatch;
      s.nccClassifierMismatchNoBias = spread.nccClassifierMismatchNoBias;
    }
    out.spread = s;
  }
  return JSON.stringify(out);
}

/** Parses a statistics file; a named BAD_STATS_FILE error says what is missing or malformed. */
export function parseStatistics(text: string, source = 'statistics'): StatisticsFile {
  // K = 0 or D = 0: an empty shard (an accumulator that saw no rows), which serializeStatistics writes too.
  const { json: j, K, D, bad, array: arr } = readStatsJson(text, source, 'ncscope.statistics', 0);
  /** Sample counts: arrays of non-negative integers (a negative or fractional count means a corrupt file). */
  const countArr = (obj: any, key: string, len: number): Float64Array => {
    const a = arr(obj, key, len);
    if (!a.every((x) => Number.isInteger(x) && x >= 0)) throw bad(`"${key}" must hold non-negative integer counts`);
    return a;
  };
  const count = (key: string): number => {
    const x = s[key];
    if (!(Number.isInteger(x) && x >= 0)) throw bad(`"spread.${key}" must be a non-negative integer`);
    return x;
  };
  const means: MeansStatistics = { K, D, counts: countArr(j.means, 'counts', K), sums: arr(j.means, 'sums', K * D) };
  if (!j.spread) return { means };
  const s = j.spread;
  if (typeof s.meansFingerprint !== 'string') throw bad('"spread.meansFingerprint" is missing');
  if (s.classifierConfusion && typeof s.classifierFingerprint !== 'string') throw bad('"spread.classifierFingerprint" is missing');
  const spread: SpreadStatistics = {
    K,
    D,
    meansFingerprint: s.meansFingerprint,
    counts: countArr(s, 'counts', K),
    withinSS: arr(s, 'withinSS', K),
    projectedScatter: arr(s, 'projectedScatter', K * K),
    nccConfusion: countArr(s, 'nccConfusion', K * K),
    ...(s.classifierConfusion
      ? {
          classifierFingerprint: s.classifierFingerprint,
          classifierConfusion: countArr(s, 'classifierConfusion', K * K),
          nccClassifierMismatch: count('nccClassifierMismatch'),
          nccClassifierMismatchNoBias: count('nccClassifierMismatchNoBias'),
        }
      : {}),
  };
  return { means, spread };
}
