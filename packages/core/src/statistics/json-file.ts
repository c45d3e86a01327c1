import { NcInputError } from '../errors.js';

/** A parsed statistics-type JSON file with helpers that raise BAD_STATS_FILE errors naming the source. */
export interface StatsJson {
  json: any;
  K: number;
  D: number;
  /** A BAD_STATS_FILE error for this source. */
  bad: (what: string) => NcInputError;
  /** `obj[key]` as a Float64Array of exactly `len` finite numbers. */
  array: (obj: any, key: string, len: number) => Float64Array;
}

/**
 * Parses `text` as a `{ format, version, K, D, … }` file of the given format and one of `versions` (default [1]).
 * K and D must be integers ≥ `minSize` (0 allows the empty shard an accumulator that saw no rows writes).
 */
export function readStatsJson(text: string, source: string, format: string, minSize: 0 | 1, versions: readonly number[] = [1]): StatsJson & { version: number } {
  let json: any;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw NcInputError.at('BAD_STATS_FILE', { source }, `not valid JSON (${(e as Error).message})`);
  }
  const bad = (what: string) => NcInputError.at('BAD_STATS_FILE', { source }, `${what}`);
  if (json?.format !== format) throw bad(`not an ${format} file`);
  if (!versions.includes(json.version)) {
    throw bad(`${format} version ${JSON.stringify(json.version)} is not supported (this ncscope reads version${versions.length > 1 ? 's' : ''} ${versions.join(' and ')}; a newer ncscope wrote it?)`);
  }
  const { K, D } = json;
  if (!Number.isInteger(K) || !Number.isInteger(D) || K < minSize || D < minSize) {
    throw bad(minSize === 0 ? 'K and D must be non-negative integers' : 'K and D must be positive integers');
  }
  const array = (obj: any, key: string, len: number): Float64Array => {
    const a = obj?.[key];
    if (!Array.isArray(a) || a.length !== len || !a.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw bad(`"${key}" must be an array of ${len} finite numbers`);
    }
    return Float64Array.from(a);
  };
  return { json, K, D, bad, array, version: json.version };
}
