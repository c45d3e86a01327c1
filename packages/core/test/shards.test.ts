/**
 * Shard records: the balanced split, and the checks a merge makes (no row summed twice, none missing, one input).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  coversRows,
  describeCoverageGaps,
  MeansAccumulator,
  mergeShardCoverage,
  NcInputError,
  parseStatistics,
  serializeStatistics,
  shardCoverageGaps,
  shardRows,
  type InputCoverage,
  type ShardInput,
} from '@ncscope/core';

/** numpy.array_split(np.arange(N), n), written out plainly: the first N mod n pieces get ⌈N/n⌉ rows. */
function arraySplit(N: number, n: number): number[][] {
  const pieces: number[][] = [];
  let next = 0;
  for (let i = 0; i < n; i++) {
    const size = i < N % n ? Math.ceil(N / n) : Math.floor(N / n);
    const piece: number[] = [];
    for (let j = 0; j < size; j++) piece.push(next++);
    pieces.push(piece);
  }
  return pieces;
}

const feats: ShardInput = { name: 'feats.npy', rows: 100, fingerprint: 'aaaa' };
const part = (index: number, count: number, input = feats) => ({ index, count, ...shardRows(index, count, input.rows) });
const cover = (input: ShardInput, ...parts: [number, number][]): InputCoverage[] => [{ input, parts: parts.map(([i, n]) => part(i, n, input)) }];
const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(NcInputError);
    return { code: (e as NcInputError).code, message: (e as Error).message };
  }
  throw new Error('expected an NcInputError');
};

describe('shardRows: the balanced contiguous split', () => {
  it('gives numpy.array_split’s rows for every N ≤ 40 and n ≤ 12', () => {
    for (let N = 0; N <= 40; N++)
      for (let n = 1; n <= 12; n++) {
        const want = arraySplit(N, n);
        for (let i = 0; i < n; i++) {
          const { start, end } = shardRows(i, n, N);
          expect(Array.from({ length: end - start }, (_, j) => start + j), `${i}/${n} of ${N}`).toEqual(want[i]);
        }
      }
  });

  it('tiles [0, N) with sizes ⌊N/n⌋ or ⌈N/n⌉ at any size (seeded property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 1, max: 5000 }), (N, n) => {
        let end = 0;
        for (const i of [0, 1, Math.floor(n / 2), n - 2, n - 1].filter((i) => i >= 0 && i < n).sort((a, b) => a - b)) {
          const r = shardRows(i, n, N);
          const size = r.end - r.start;
          expect(size === Math.floor(N / n) || size === Math.ceil(N / n)).toBe(true);
          expect(r.start).toBe(i * Math.floor(N / n) + Math.min(i, N % n));
          end = r.end;
        }
        expect(shardRows(n - 1, n, N).end).toBe(N);
        return end === N;
      }),
      { seed: 14, numRuns: 300 },
    );
  });

  it('refuses an index outside 0..n−1, n < 1 and non-integers with BAD_OPTION', () => {
    expect(code(() => shardRows(8, 8, 100))).toEqual({ code: 'BAD_OPTION', message: 'shard index must be an integer in 0..7 (0-based) for 8 shards, got 8' });
    expect(code(() => shardRows(-1, 8, 100)).code).toBe('BAD_OPTION');
    expect(code(() => shardRows(0, 0, 100)).message).toBe('shard count must be a positive integer, got 0');
    expect(code(() => shardRows(0.5, 2, 100)).code).toBe('BAD_OPTION');
  });
});

describe('mergeShardCoverage', () => {
  it('unites the parts of one input, sorted by row, whatever the order of the files', () => {
    const files = [0, 1, 2, 3].map((i) => ({ source: `m${i}.json`, coverage: cover(feats, [i, 4]) }));
    const merged = mergeShardCoverage([files[2], files[0], files[3], files[1]]);
    expect(merged).toEqual([{ input: feats, parts: [0, 1, 2, 3].map((i) => part(i, 4)) }]);
    expect(shardCoverageGaps(merged)).toEqual([]);
    // A merged record merges again (a tree of merges).
    const twoLevels = mergeShardCoverage([{ source: 'a.json', coverage: mergeShardCoverage(files.slice(0, 2)) }, { source: 'b.json', coverage: mergeShardCoverage(files.slice(2)) }]);
    expect(twoLevels).toEqual(merged);
  });

  it('refuses the same shard twice, naming both files', () => {
    const e = code(() => mergeShardCoverage([{ source: 'a.json', coverage: cover(feats, [3, 8]) }, { source: 'b.json', coverage: cover(feats, [3, 8]) }]));
    expect(e).toEqual({ code: 'SHARD_OVERLAP', message: 'b.json: shard 3/8 (rows 39..51) of feats.npy is in both a.json and b.json; merging it twice would count its rows twice' });
    // Also an empty shard (N < n), and a shard already inside a merged file.
    const tiny = { ...feats, rows: 3 };
    expect(code(() => mergeShardCoverage([{ source: 'a.json', coverage: cover(tiny, [5, 8]) }, { source: 'b.json', coverage: cover(tiny, [5, 8]) }])).code).toBe('SHARD_OVERLAP');
    const merged = mergeShardCoverage([{ source: 'x', coverage: cover(feats, [0, 2]) }, { source: 'y', coverage: cover(feats, [1, 2]) }]);
    expect(code(() => mergeShardCoverage([{ source: 'all.json', coverage: merged }, { source: 'm1.json', coverage: cover(feats, [1, 2]) }])).message).toMatch(/^m1\.json: shard 1\/2 \(rows 50\.\.99\) of feats\.npy is in both all\.json and m1\.json/);
  });

  it('refuses parts of different splits whose rows overlap, and a part nested in a longer one', () => {
    const e = code(() => mergeShardCoverage([{ source: 'a.json', coverage: cover(feats, [1, 4]) }, { source: 'b.json', coverage: cover(feats, [3, 8]) }]));
    expect(e).toEqual({ code: 'SHARD_OVERLAP', message: 'b.json: shard 3/8 (rows 39..51) of feats.npy overlaps shard 1/4 (rows 25..49) in a.json (rows 39..49 in both); each row must be summed once — merge shards of one split (the same n)' });
    // 0/2 covers rows 0..49; 5/8 (64..75) does not touch it, 1/8 (13..25) lies inside it.
    expect(code(() => mergeShardCoverage([{ source: 'a', coverage: cover(feats, [0, 2], [5, 8]) }, { source: 'b', coverage: cover(feats, [1, 8]) }])).code).toBe('SHARD_OVERLAP');
    // Adjacent parts of different splits that do not overlap are fine: 0/2 = rows 0..49, 2/4 = 50..74, 3/4 = 75..99.
    const ok = mergeShardCoverage([{ source: 'a', coverage: cover(feats, [0, 2]) }, { source: 'b', coverage: cover(feats, [2, 4], [3, 4]) }]);
    expect(shardCoverageGaps(ok)).toEqual([]);
  });

  it('refuses two versions of one input (same name, other fingerprint or rows); keeps differently named inputs apart', () => {
    const changed = { ...feats, fingerprint: 'bbbb' };
    const e = code(() => mergeShardCoverage([{ source: 'a.json', coverage: cover(feats, [0, 2]) }, { source: 'b.json', coverage: cover(changed, [1, 2]) }]));
    expect(e.code).toBe('STATS_MISMATCH');
    expect(e.message).toBe('b.json: was computed from a different feats.npy than a.json (100 rows, fingerprint bbbb vs 100 rows, fingerprint aaaa): the file changed between tasks, or the tasks read different copies; rerun the shards of one version');
    const other = { name: 'feats-2.npy', rows: 7, fingerprint: 'cccc' };
    const both = mergeShardCoverage([{ source: 'a', coverage: cover(feats, [0, 1]) }, { source: 'b', coverage: cover(other, [1, 2]) }, { source: 'c', coverage: cover(other, [0, 2]) }]);
    expect(both.map((c) => [c.input.name, c.parts.map((p) => p.index)])).toEqual([['feats.npy', [0]], ['feats-2.npy', [0, 1]]]);
    // The same contents under another name (a copy at another path) are the same input.
    const copy = { ...feats, name: '/mnt/copy/feats.npy' };
    const united = mergeShardCoverage([{ source: 'a', coverage: cover(feats, [0, 2]) }, { source: 'b', coverage: cover(copy, [1, 2]) }]);
    expect(united).toEqual([{ input: feats, parts: [part(0, 2), part(1, 2)] }]);
    expect(shardCoverageGaps(united)).toEqual([]);
  });
});

describe('shardCoverageGaps', () => {
  it('names the missing shards of one split and their rows', () => {
    const merged = mergeShardCoverage([0, 1, 3, 4, 6, 7].map((i) => ({ source: `${i}`, coverage: cover(feats, [i, 8]) })));
    const gaps = shardCoverageGaps(merged);
    expect(gaps).toEqual([{ input: feats, rows: [[26, 39], [64, 76]], shards: { count: 8, indices: [2, 5] } }]);
    expect(describeCoverageGaps(gaps)).toBe('feats.npy: missing shards 2/8, 5/8 (rows 26..38, 64..75 of 100)');
  });

  it('names rows when the parts come from different splits, and checks spread parts against the means’ rows', () => {
    const mixed = mergeShardCoverage([{ source: 'a', coverage: cover(feats, [0, 2]) }, { source: 'b', coverage: cover(feats, [7, 8]) }]);
    expect(describeCoverageGaps(shardCoverageGaps(mixed))).toBe('feats.npy: missing 38 rows (rows 50..87 of 100)');
    // Spread shards 0/4 and 1/4 against means of rows 0..49 (shard 0/2): complete; 2/4 reads rows the means never summed.
    const means = cover(feats, [0, 2]);
    const spread = mergeShardCoverage([0, 1].map((i) => ({ source: `${i}`, coverage: cover(feats, [i, 4]) })));
    expect(shardCoverageGaps(spread, means)).toEqual([]);
    expect(describeCoverageGaps(shardCoverageGaps(spread.map((c) => ({ ...c, parts: c.parts.slice(1) })), means))).toBe('feats.npy: missing shard 0/4 (rows 0..24 of 100)');
    const e = code(() => shardCoverageGaps(cover(feats, [2, 4]), means));
    expect(e).toEqual({ code: 'STATS_MISMATCH', message: 'the spread shards read rows 50..74 of feats.npy, which the means did not sum; run the spread phase against means of the same rows' });
    expect(coversRows(means, 'aaaa', 10, 50)).toBe(true);
    expect(coversRows(means, 'aaaa', 10, 51)).toBe(false);
    expect(coversRows(means, 'bbbb', 0, 1)).toBe(false);
  });

  it('with no part present, names the whole input; empty shards (N < n) are never missing rows', () => {
    const tiny = { name: 't.npy', rows: 3, fingerprint: 'tttt' };
    expect(shardCoverageGaps(cover(tiny, [0, 8], [1, 8], [2, 8]))).toEqual([]);
    expect(describeCoverageGaps(shardCoverageGaps([], cover(feats, [0, 1])))).toBe('feats.npy: missing shard 0/1 (rows 0..99 of 100)');
  });
});

describe('shard records in statistics files', () => {
  it('round-trip through serializeStatistics / parseStatistics', () => {
    const means = new MeansAccumulator({ K: 2, D: 1 }).add({ features: new Float64Array([1, 2, 3]), labels: new Int32Array([0, 1, 1]) }).statistics;
    const shards = { means: cover(feats, [3, 8]) };
    const parsed = parseStatistics(serializeStatistics({ means, shards }), 's.json');
    expect(parsed.shards).toEqual(shards);
    expect(JSON.parse(serializeStatistics({ means, shards })).shards).toEqual({
      means: [{ input: { name: 'feats.npy', rows: 100, fingerprint: 'aaaa' }, parts: [{ index: 3, count: 8, rows: [39, 52] }] }],
    });
    expect(parseStatistics(serializeStatistics({ means }), 's.json')).not.toHaveProperty('shards');
  });

  it('refuse malformed shard records with BAD_STATS_FILE', () => {
    const means = new MeansAccumulator({ K: 2, D: 1 }).statistics;
    const base = JSON.parse(serializeStatistics({ means, shards: { means: cover(feats, [3, 8]) } }));
    const variants: [unknown, RegExp][] = [
      [[], /"shards" must be an object/],
      [{ means: {} }, /"shards\.means" must be an array/],
      [{ means: [{ input: { name: 'x', rows: -1, fingerprint: 'f' }, parts: [] }] }, /"shards\.means\[0\]"\.input needs/],
      [{ means: [{ ...base.shards.means[0], parts: [{ index: 8, count: 8, rows: [0, 1] }] }] }, /parts\[0\] needs 0 ≤ index < count/],
      [{ means: [{ ...base.shards.means[0], parts: [{ index: 0, count: 8, rows: [5, 101] }] }] }, /end ≤ 100/],
    ];
    for (const [shards, message] of variants) {
      const e = code(() => parseStatistics(JSON.stringify({ ...base, shards }), 'bad.json'));
      expect(e.code).toBe('BAD_STATS_FILE');
      expect(e.message).toMatch(/^bad\.json: /);
      expect(e.message).toMatch(message);
    }
  });
});
