import { NcInputError } from '../errors.js';
import { readStatsJson, type StatsJson } from './json-file.js';
import type { MeansStatistics } from './means.js';
import { shardRecordFromJson, shardRecordToJson, type ShardRecord } from './shards.js';
import type { SpreadStatistics } from './spread.js';

/** The statistics-file version {@link serializeStatistics} writes. Version 1 files still parse. */
export const STATISTICS_VERSION = 2;

/**
 * The statistics file (`ncscope.statistics`, version 2): plain JSON, numbers written with JavaScript's shortest
 * round-trip form, so float64 sums survive exactly. Layout (arrays row-major, m = K in 'means' space, D in 'features'):
 * ```
 * { "format": "ncscope.statistics", "version": 2, "K": 10, "D": 512,
 *   "means":  { "counts": [K], "sums": [K*D],
 *               "normalization": { "mode": "features" | "features-and-classifier", "temperature": 1, "zeroRows": 0 }? },
 *   "spread": { "meansFingerprint": "…", "classifierFingerprint": "…"?, "space": "means" | "features",
 *               "counts": [K], "withinSS": [K], "scatter": [m*m], "nccCorrect": [K],
 *               "classifierCorrect": [K]?, "nccClassifierMismatch": n?, "nccClassifierMismatchNoBias": n?,
 *               "decisionCounts": [K]? (rows whose decisions were counted, when on a sample),
 *               "perClassNc1": { "globalMean": "class", "pinvRtol": 1.1e-13, "rank": 9, "sums": [K] }? }? }
 * ```
 * Version 1 files (K × K `projectedScatter`, `nccConfusion`, `classifierConfusion`) parse into the same structure:
 * their scatter is the 'means'-space one and the confusions' diagonals are the per-class correct counts. Means shards
 * merge by addition; spread shards merge only when computed against the same merged means.
 * With `"shards": { "means": [Coverage]?, "spread": [Coverage]? }` a file records which rows of which input each
 * phase summed (when a job engine ran the shards; see shards.ts), Coverage =
 * `{ "input": { "name": "feats.npy", "rows": N, "fingerprint": "…" }, "parts": [{ "index": i, "count": n, "rows": [start, end] }] }`.
 */
export interface StatisticsFile {
  means: MeansStatistics;
  spread?: SpreadStatistics;
  /** Which rows of which input each phase summed (`ncscope stats … --shard i/n`); absent otherwise. */
  shards?: ShardRecord;
}

/** Serializes statistics to the documented JSON text (version {@link STATISTICS_VERSION}). */
export function serializeStatistics(stats: StatisticsFile): string {
  return JSON.stringify(statisticsJson(stats));
}

/** The JSON object {@link serializeStatistics} writes (for files that extend it, e.g. multi-label statistics). */
export function statisticsJson(stats: StatisticsFile): Record<string, unknown> {
  const { means, spread } = stats;
  const out: Record<string, unknown> = {
    format: 'ncscope.statistics',
    version: STATISTICS_VERSION,
    K: means.K,
    D: means.D,
    means: {
      counts: Array.from(means.counts),
      sums: Array.from(means.sums),
      ...(means.normalization ? { normalization: { ...means.normalization } } : {}),
    },
  };
  if (spread) out.spread = spreadJson(spread);
  if (stats.shards) out.shards = shardRecordToJson(stats.shards);
  return out;
}

function spreadJson(spread: SpreadStatistics): Record<string, unknown> {
  const s: Record<string, unknown> = {
    meansFingerprint: spread.meansFingerprint,
    space: spread.space,
    counts: Array.from(spread.counts),
    withinSS: Array.from(spread.withinSS),
    scatter: Array.from(spread.scatter),
    nccCorrect: Array.from(spread.nccCorrect),
  };
  if (spread.classifierCorrect) {
    s.classifierFingerprint = spread.classifierFingerprint;
    s.classifierCorrect = Array.from(spread.classifierCorrect);
    s.nccClassifierMismatch = spread.nccClassifierMismatch;
    s.nccClassifierMismatchNoBias = spread.nccClassifierMismatchNoBias;
  }
  if (spread.decisionCounts) s.decisionCounts = Array.from(spread.decisionCounts);
  if (spread.perClassNc1) {
    const { conventions: c, sums } = spread.perClassNc1;
    s.perClassNc1 = { globalMean: c.globalMean, pinvRtol: c.pinvRtol, rank: c.rank, sums: Array.from(sums) };
  }
  return s;
}

/** Parses a statistics file (version 2, or 1); a named BAD_STATS_FILE error says what is missing or malformed. */
export function parseStatistics(text: string, source = 'statistics'): StatisticsFile {
  // K = 0 or D = 0: an empty shard (an accumulator that saw no rows), which serializeStatistics writes too.
  const parsed = readStatsJson(text, source, 'ncscope.statistics', 0, [1, 2]);
  if (parsed.json.labels === MULTI_LABEL_MARKER) {
    throw NcInputError.at('STATS_MISMATCH', { source }, `holds multi-label statistics (from multi-hot labels); read it with parseMultiLabelStatistics or parseAnyStatistics, and do not mix it with single-label statistics`);
  }
  return statisticsFromJson(parsed);
}

/** The `"labels"` value that marks a statistics file of multi-label data (multilabel/serialize.ts). */
export const MULTI_LABEL_MARKER = 'multi-hot';

/** The standard part of an already read statistics file (what {@link parseStatistics} returns). */
export function statisticsFromJson(parsed: StatsJson & { version: number }): StatisticsFile {
  const { json: j, K, D, bad, array: arr, version } = parsed;
  /** Sample counts: arrays of non-negative integers (a negative or fractional count means a corrupt file). */
  const countArr = (obj: any, key: string, len: number): Float64Array => {
    const a = arr(obj, key, len);
    if (!a.every((x) => Number.isInteger(x) && x >= 0)) throw bad(`"${key}" must hold non-negative integer counts`);
    return a;
  };
  const means: MeansStatistics = {
    K, D, counts: countArr(j.means, 'counts', K), sums: arr(j.means, 'sums', K * D),
    ...(j.means?.normalization !== undefined ? { normalization: parseNormalization(j.means.normalization, bad) } : {}),
  };
  const shards = j.shards === undefined ? {} : { shards: shardRecordFromJson(j.shards, bad) };
  if (!j.spread) return { means, ...shards };
  const s = j.spread;
  const count = (key: string): number => {
    const x = s[key];
    if (!(Number.isInteger(x) && x >= 0)) throw bad(`"spread.${key}" must be a non-negative integer`);
    return x;
  };
  if (typeof s.meansFingerprint !== 'string') throw bad('"spread.meansFingerprint" is missing');
  const withClassifier = version === 1 ? s.classifierConfusion !== undefined : s.classifierCorrect !== undefined;
  if (withClassifier && typeof s.classifierFingerprint !== 'string') throw bad('"spread.classifierFingerprint" is missing');
  const classifier = withClassifier
    ? {
        classifierFingerprint: s.classifierFingerprint as string,
        classifierCorrect: version === 1 ? diagonal(countArr(s, 'classifierConfusion', K * K), K) : countArr(s, 'classifierCorrect', K),
        nccClassifierMismatch: count('nccClassifierMismatch'),
        nccClassifierMismatchNoBias: count('nccClassifierMismatchNoBias'),
      }
    : {};
  if (version === 1) {
    const spread: SpreadStatistics = {
      K, D, meansFingerprint: s.meansFingerprint, space: 'means',
      counts: countArr(s, 'counts', K),
      withinSS: arr(s, 'withinSS', K),
      scatter: arr(s, 'projectedScatter', K * K),
      nccCorrect: diagonal(countArr(s, 'nccConfusion', K * K), K),
      ...classifier,
    };
    return { means, spread, ...shards };
  }
  if (s.space !== 'means' && s.space !== 'features') throw bad('"spread.space" must be "means" or "features"');
  const m = s.space === 'means' ? K : D;
  const spread: SpreadStatistics = {
    K, D, meansFingerprint: s.meansFingerprint, space: s.space,
    counts: countArr(s, 'counts', K),
    withinSS: arr(s, 'withinSS', K),
    scatter: arr(s, 'scatter', m * m),
    nccCorrect: countArr(s, 'nccCorrect', K),
    ...classifier,
    ...(s.decisionCounts !== undefined ? { decisionCounts: countArr(s, 'decisionCounts', K) } : {}),
    ...(s.perClassNc1 !== undefined ? { perClassNc1: parsePerClass(s.perClassNc1, K, arr, bad) } : {}),
  };
  return { means, spread, ...shards };
}

function parsePerClass(p: any, K: number, arr: (obj: any, key: string, len: number) => Float64Array, bad: (what: string) => NcInputError): NonNullable<SpreadStatistics['perClassNc1']> {
  if (p === null || typeof p !== 'object') throw bad('"spread.perClassNc1" must be an object');
  if (p.globalMean !== 'class' && p.globalMean !== 'sample') throw bad('"spread.perClassNc1.globalMean" must be "class" or "sample"');
  if (!(typeof p.pinvRtol === 'number' && p.pinvRtol >= 0 && p.pinvRtol < 1)) throw bad('"spread.perClassNc1.pinvRtol" must be a number in [0, 1)');
  if (!(Number.isInteger(p.rank) && p.rank >= 1)) throw bad('"spread.perClassNc1.rank" must be a positive integer');
  return { conventions: { globalMean: p.globalMean, pinvRtol: p.pinvRtol, rank: p.rank }, sums: arr(p, 'sums', K) };
}

function parseNormalization(n: any, bad: (what: string) => NcInputError): NonNullable<MeansStatistics['normalization']> {
  if (n === null || typeof n !== 'object') throw bad('"means.normalization" must be an object');
  if (n.mode !== 'features' && n.mode !== 'features-and-classifier') throw bad('"means.normalization.mode" must be "features" or "features-and-classifier"');
  if (!(typeof n.temperature === 'number' && Number.isFinite(n.temperature) && n.temperature > 0)) throw bad('"means.normalization.temperature" must be a positive number');
  if (!(Number.isInteger(n.zeroRows) && n.zeroRows >= 0)) throw bad('"means.normalization.zeroRows" must be a non-negative integer');
  return { mode: n.mode, temperature: n.temperature, zeroRows: n.zeroRows };
}

function diagonal(m: Float64Array, K: number): Float64Array {
  return Float64Array.from({ length: K }, (_, k) => m[k * K + k]);
}
