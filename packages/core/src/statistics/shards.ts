import { NcInputError } from '../errors.js';

/**
 * Shard records: which rows of which input a statistics object sums over. A job engine (a Kubernetes Indexed Job,
 * a Slurm array, a Ray task list) runs one task per shard `index` of `count` over the same input file; each task's
 * statistics file records its part, and merging checks the parts: no row summed twice, none forgotten, all from the
 * same input. Files written without shard records merge as before (nothing to check).
 */

/** The input a shard read: a name for messages, its row count N, and a content fingerprint. */
export interface ShardInput {
  /** Name for messages: the CLI uses the features path as given (and `:key` for .npz/.safetensors arrays). */
  readonly name: string;
  /** N: rows of the whole input. */
  readonly rows: number;
  /** Identifies the input's contents; shards of one input agree on it. */
  readonly fingerprint: string;
}

/** One task's part of an input: shard `index` (0-based) of `count`, rows [start, end). */
export interface ShardPart {
  readonly index: number;
  readonly count: number;
  readonly start: number;
  readonly end: number;
}

/** The parts of one input that a statistics object sums over. */
export interface InputCoverage {
  readonly input: ShardInput;
  readonly parts: readonly ShardPart[];
}

/**
 * What a statistics file records about its rows: `means` for the means phase (a spread file carries the merged
 * means' record), `spread` for its own spread sums. Absent when the file was made without `--shard`.
 */
export interface ShardRecord {
  readonly means?: readonly InputCoverage[];
  readonly spread?: readonly InputCoverage[];
}

/**
 * Rows [start, end) of shard `index` of `count` over `N` rows: the standard balanced split into contiguous
 * ranges, sizes differing by at most one, the first N mod count shards one row longer — the same rows as
 * `numpy.array_split(np.arange(N), count)[index]`. Shards past the end of a short input are empty.
 */
export function shardRows(index: number, count: number, N: number): { start: number; end: number } {
  if (!(Number.isSafeInteger(count) && count >= 1)) throw new NcInputError('BAD_OPTION', `shard count must be a positive integer, got ${count}`);
  if (!(Number.isSafeInteger(index) && index >= 0 && index < count)) {
    throw new NcInputError('BAD_OPTION', `shard index must be an integer in 0..${count - 1} (0-based) for ${count} shard${count > 1 ? 's' : ''}, got ${index}`);
  }
  if (!(Number.isSafeInteger(N) && N >= 0)) throw new NcInputError('BAD_OPTION', `row count must be a non-negative integer, got ${N}`);
  const q = Math.floor(N / count);
  const r = N % count;
  const start = index * q + Math.min(index, r);
  return { start, end: start + q + (index < r ? 1 : 0) };
}

/** "shard 3/8 (rows 75000..99999)" — rows inclusive, as the CLI's other messages print them. */
export function describePart(p: ShardPart): string {
  return `shard ${p.index}/${p.count} (${describeRows(p.start, p.end)})`;
}

function describeRows(start: number, end: number): string {
  return end <= start ? 'no rows' : end - start === 1 ? `row ${start}` : `rows ${start}..${end - 1}`;
}

/** A part and the file it came from, for messages. */
interface SourcedPart {
  part: ShardPart;
  source: string;
}

/**
 * Unites the shard records of several statistics files (`source` names each in messages) into one record per input,
 * parts sorted by first row. Refuses, naming both files:
 * - the same shard twice (`SHARD_OVERLAP`: merging it would count its rows twice), and parts whose rows overlap
 *   (e.g. shard 1/4 and shard 3/8 of one input);
 * - two inputs with the same name and different fingerprints or row counts (`STATS_MISMATCH`: the file changed
 *   between tasks, or tasks read different copies).
 * Inputs are identified by fingerprint: the same contents under two names are one input (tasks may read copies);
 * inputs with other contents are kept side by side (a data set stored in several files, each sharded), and each
 * must then be complete for {@link shardCoverageGaps}.
 */
export function mergeShardCoverage(files: readonly { source: string; coverage: readonly InputCoverage[] }[]): InputCoverage[] {
  const byFingerprint = new Map<string, { input: ShardInput; source: string; parts: SourcedPart[] }>();
  const byName = new Map<string, { input: ShardInput; source: string }>();
  for (const { source, coverage } of files) {
    for (const { input, parts } of coverage) {
      const named = byName.get(input.name);
      if (named && (named.input.fingerprint !== input.fingerprint || named.input.rows !== input.rows)) {
        throw new NcInputError(
          'STATS_MISMATCH',
          `${source}: was computed from a different ${input.name} than ${named.source} (${input.rows} rows, fingerprint ${input.fingerprint} vs ${named.input.rows} rows, fingerprint ${named.input.fingerprint}): the file changed between tasks, or the tasks read different copies; rerun the shards of one version`,
          { source },
        );
      }
      if (!named) byName.set(input.name, { input, source });
      let entry = byFingerprint.get(input.fingerprint);
      if (!entry) byFingerprint.set(input.fingerprint, (entry = { input, source, parts: [] }));
      else if (entry.input.rows !== input.rows) {
        throw NcInputError.at('STATS_MISMATCH', { source }, `${input.name} has ${input.rows} rows but ${entry.source} records ${entry.input.rows} rows for the same fingerprint`);
      }
      for (const part of parts) entry.parts.push({ part, source });
    }
  }
  const out: InputCoverage[] = [];
  for (const { input, parts } of byFingerprint.values()) {
    checkDisjoint(input, parts);
    const sorted = parts.map((p) => p.part).sort((a, b) => a.start - b.start || a.end - b.end || a.count - b.count || a.index - b.index);
    out.push({ input, parts: sorted });
  }
  return out;
}

/** Refuses a shard present twice and parts whose rows overlap. */
function checkDisjoint(input: ShardInput, parts: SourcedPart[]): void {
  const seen = new Map<string, SourcedPart>();
  for (const p of parts) {
    const key = `${p.part.index}/${p.part.count}`;
    const first = seen.get(key);
    if (first && first.part.start === p.part.start && first.part.end === p.part.end) {
      const message = first.source === p.source
        ? `${p.source}: given twice; its ${describePart(p.part)} of ${input.name} would be counted twice`
        : `${p.source}: ${describePart(p.part)} of ${input.name} is in both ${first.source} and ${p.source}; merging it twice would count its rows twice`;
      throw new NcInputError('SHARD_OVERLAP', message, { source: p.source });
    }
    seen.set(key, p);
  }
  const nonEmpty = parts.filter((p) => p.part.end > p.part.start).sort((a, b) => a.part.start - b.part.start || a.part.end - b.part.end);
  let reach: SourcedPart | undefined;
  for (const p of nonEmpty) {
    if (reach && p.part.start < reach.part.end) {
      const lo = p.part.start;
      const hi = Math.min(p.part.end, reach.part.end);
      throw new NcInputError(
        'SHARD_OVERLAP',
        `${p.source}: ${describePart(p.part)} of ${input.name} overlaps ${describePart(reach.part)} in ${reach.source} (${describeRows(lo, hi)} in both); each row must be summed once — merge shards of one split (the same n)`,
        { source: p.source },
      );
    }
    if (!reach || p.part.end > reach.part.end) reach = p;
  }
}

/** Rows of an input that a merge lacks, and, when its parts share one count n, the shards those rows belong to. */
export interface CoverageGap {
  input: ShardInput;
  /** Missing row ranges [start, end), sorted. */
  rows: [number, number][];
  /** With every part of the same count n: the missing shards' indices (those with rows in a gap). */
  shards?: { count: number; indices: number[] };
}

/**
 * What `coverage` lacks. Against `expected` (e.g. the means' record, for spread shards) when given, else every
 * input's rows [0, N). Rows `coverage` holds beyond `expected` are refused (`STATS_MISMATCH`): the spread phase
 * must read only rows the means phase summed. Empty when complete.
 */
export function shardCoverageGaps(coverage: readonly InputCoverage[], expected?: readonly InputCoverage[]): CoverageGap[] {
  const want = new Map<string, { input: ShardInput; ranges: [number, number][]; parts: readonly ShardPart[] }>();
  const have = new Map<string, InputCoverage>();
  for (const c of coverage) have.set(c.input.fingerprint, c);
  if (expected) for (const c of expected) want.set(c.input.fingerprint, { input: c.input, ranges: unionRanges(c.parts), parts: c.parts });
  else for (const c of coverage) want.set(c.input.fingerprint, { input: c.input, ranges: c.input.rows > 0 ? [[0, c.input.rows]] : [], parts: [] });
  const gaps: CoverageGap[] = [];
  for (const c of coverage) {
    const w = want.get(c.input.fingerprint);
    const extra = subtractRanges(unionRanges(c.parts), w?.ranges ?? []);
    if (extra.length > 0) {
      const [s, e] = extra[0];
      throw new NcInputError('STATS_MISMATCH', `the spread shards read ${describeRows(s, e)} of ${c.input.name}, which the means did not sum; run the spread phase against means of the same rows`);
    }
  }
  for (const { input, ranges, parts } of want.values()) {
    const c = have.get(input.fingerprint);
    const missing = subtractRanges(ranges, c ? unionRanges(c.parts) : []);
    if (missing.length === 0) continue;
    const gap: CoverageGap = { input, rows: missing };
    // Name the missing shards by the split the present parts use (or, when none is present, the expected ones).
    const counts = new Set((c && c.parts.length > 0 ? c.parts : parts).map((p) => p.count));
    if (counts.size === 1) {
      const count = [...counts][0];
      const indices: number[] = [];
      for (let i = 0; i < count; i++) {
        const { start, end } = shardRows(i, count, input.rows);
        if (missing.some(([s, e]) => s < end && start < e)) indices.push(i);
      }
      gap.shards = { count, indices };
    }
    gaps.push(gap);
  }
  return gaps;
}

/** One line per input: "feats.npy: missing shards 2/8, 5/8 (rows 50000..74999, 125000..149999 of 200000)". */
export function describeCoverageGaps(gaps: readonly CoverageGap[]): string {
  return gaps
    .map((g) => {
      const missingRows = g.rows.reduce((a, [s, e]) => a + e - s, 0);
      const ranges = g.rows.slice(0, 12).map(([s, e]) => (e - s === 1 ? `${s}` : `${s}..${e - 1}`)).join(', ') + (g.rows.length > 12 ? ` and ${g.rows.length - 12} more ranges` : '');
      const what = g.shards && g.shards.indices.length > 0
        ? `missing shard${g.shards.indices.length > 1 ? 's' : ''} ${listIndices(g.shards.indices, g.shards.count)}`
        : `missing ${missingRows} row${missingRows > 1 ? 's' : ''}`;
      return `${g.input.name}: ${what} (${missingRows > 1 ? 'rows' : 'row'} ${ranges} of ${g.input.rows})`;
    })
    .join('; ');
}

/** "2/8, 5/8" — up to 12 listed, then "and 40 more". */
function listIndices(indices: number[], count: number): string {
  const shown = indices.slice(0, 12).map((i) => `${i}/${count}`).join(', ');
  return indices.length > 12 ? `${shown} and ${indices.length - 12} more` : shown;
}

/** True when `coverage` holds rows [start, end) of the input with this fingerprint (empty ranges always). */
export function coversRows(coverage: readonly InputCoverage[], fingerprint: string, start: number, end: number): boolean {
  if (end <= start) return coverage.some((c) => c.input.fingerprint === fingerprint);
  const c = coverage.find((x) => x.input.fingerprint === fingerprint);
  return c !== undefined && subtractRanges([[start, end]], unionRanges(c.parts)).length === 0;
}

/** Sorted, disjoint union of the parts' non-empty row ranges (adjacent ranges joined). */
function unionRanges(parts: readonly ShardPart[]): [number, number][] {
  const r = parts.filter((p) => p.end > p.start).map((p): [number, number] => [p.start, p.end]).sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of r) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** a \ b for sorted disjoint range lists. */
function subtractRanges(a: [number, number][], b: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [s0, e] of a) {
    let s = s0;
    for (const [bs, be] of b) {
      if (be <= s || bs >= e) continue;
      if (bs > s) out.push([s, bs]);
      s = Math.max(s, be);
      if (s >= e) break;
    }
    if (s < e) out.push([s, e]);
  }
  return out;
}

/** The JSON form of a shard record (`"shards"` of an ncscope.statistics/1 file). */
export function shardRecordToJson(record: ShardRecord): Record<string, unknown> {
  const coverage = (c: readonly InputCoverage[]) =>
    c.map(({ input, parts }) => ({
      input: { name: input.name, rows: input.rows, fingerprint: input.fingerprint },
      parts: parts.map((p) => ({ index: p.index, count: p.count, rows: [p.start, p.end] })),
    }));
  const out: Record<string, unknown> = {};
  if (record.means) out.means = coverage(record.means);
  if (record.spread) out.spread = coverage(record.spread);
  return out;
}

/** Parses the `"shards"` object of a statistics file; `bad` makes the file's BAD_STATS_FILE error. */
export function shardRecordFromJson(json: unknown, bad: (what: string) => NcInputError): ShardRecord {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('"shards" must be an object');
  const j = json as Record<string, unknown>;
  const coverage = (key: 'means' | 'spread'): InputCoverage[] | undefined => {
    const list = j[key];
    if (list === undefined) return undefined;
    if (!Array.isArray(list)) throw bad(`"shards.${key}" must be an array`);
    return list.map((c: any, ci: number) => {
      const where = `"shards.${key}[${ci}]"`;
      const input = c?.input;
      const okInput = typeof input?.name === 'string' && typeof input?.fingerprint === 'string' && Number.isSafeInteger(input?.rows) && input.rows >= 0;
      if (!okInput) throw bad(`${where}.input needs a name, a fingerprint and a non-negative integer row count`);
      if (!Array.isArray(c.parts)) throw bad(`${where}.parts must be an array`);
      const parts = c.parts.map((p: any, pi: number): ShardPart => {
        const ok =
          Number.isSafeInteger(p?.count) && p.count >= 1 && Number.isSafeInteger(p?.index) && p.index >= 0 && p.index < p.count &&
          Array.isArray(p?.rows) && p.rows.length === 2 && p.rows.every((x: unknown) => Number.isSafeInteger(x)) &&
          p.rows[0] >= 0 && p.rows[0] <= p.rows[1] && p.rows[1] <= input.rows;
        if (!ok) throw bad(`${where}.parts[${pi}] needs 0 ≤ index < count and rows [start, end] with 0 ≤ start ≤ end ≤ ${input.rows}`);
        return { index: p.index, count: p.count, start: p.rows[0], end: p.rows[1] };
      });
      return { input: { name: input.name, rows: input.rows, fingerprint: input.fingerprint }, parts };
    });
  };
  const means = coverage('means');
  const spread = coverage('spread');
  return { ...(means ? { means } : {}), ...(spread ? { spread } : {}) };
}
