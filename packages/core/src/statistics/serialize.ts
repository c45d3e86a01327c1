import { NcInputError } from '../errors.js';
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
  let j: any;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new NcInputError('BAD_STATS_FILE', `${source}: not valid JSON (${(e as Error).message})`, { source });
  }
  const bad = (what: string) => new NcInputError('BAD_STATS_FILE', `${source}: ${what}`, { source });
  if (j?.format !== 'ncscope.statistics' || j.version !== 1) throw bad('not an ncscope.statistics version 1 file');
  const { K, D } = j;
  if (!Number.isInteger(K) || !Number.isInteger(D) || K < 1 || D < 1) throw bad('K and D must be positive integers');
  const arr = (obj: any, key: string, len: number): Float64Array => {
    const a = obj?.[key];
    if (!Array.isArray(a) || a.length !== len || !a.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw bad(`"${key}" must be an array of ${len} finite numbers`);
    }
    return Float64Array.from(a);
  };
  const means: MeansStatistics = { K, D, counts: arr(j.means, 'counts', K), sums: arr(j.means, 'sums', K * D) };
  if (!j.spread) return { means };
  const s = j.spread;
  if (typeof s.meansFingerprint !== 'string') throw bad('"spread.meansFingerprint" is missing');
  const spread: SpreadStatistics = {
    K,
    D,
    meansFingerprint: s.meansFingerprint,
    counts: arr(s, 'counts', K),
    withinSS: arr(s, 'withinSS', K),
    projectedScatter: arr(s, 'projectedScatter', K * K),
    nccConfusion: arr(s, 'nccConfusion', K * K),
    ...(s.classifierConfusion
      ? {
          classifierFingerprint: String(s.classifierFingerprint),
          classifierConfusion: arr(s, 'classifierConfusion', K * K),
          nccClassifierMismatch: Number(s.nccClassifierMismatch),
          nccClassifierMismatchNoBias: Number(s.nccClassifierMismatchNoBias),
        }
      : {}),
  };
  return { means, spread };
}
