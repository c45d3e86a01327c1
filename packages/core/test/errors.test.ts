/**
 * Bad input gets an NcInputError with a machine-readable `code` and a message that says what was wrong and
 * where (batch, row, class, file) — DESIGN.md "Errors".
 */
import { describe, expect, it } from 'vitest';
import {
  analyze,
  computeReport,
  MeansAccumulator,
  NcInputError,
  parseStatistics,
  serializeStatistics,
  SpreadAccumulator,
  type NcErrorCode,
} from '@ncscope/core';
import { batchesOf, makeCase } from './helpers.js';

/** Runs `fn` (sync or async) and expects an NcInputError with `code` whose message contains every `parts`. */
async function expectNcError(fn: () => unknown, code: NcErrorCode, ...parts: (string | RegExp)[]): Promise<NcInputError> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected NcInputError ${code}`).toBeInstanceOf(NcInputError);
  const err = caught as NcInputError;
  expect(err.code, err.message).toBe(code);
  for (const p of parts) expect(err.message).toMatch(p);
  return err;
}

const ds = makeCase(7, { N: 40, D: 3, K: 4 });
const clean = () => batchesOf(ds, 10);

describe('non-finite features', () => {
  for (const [label, value] of [['NaN', NaN], ['+Inf', Infinity], ['−Inf', -Infinity]] as const) {
    for (const f32 of [false, true]) {
      it(`${label} in ${f32 ? 'float32' : 'float64'} features names batch, row and column`, async () => {
        const batches = clean().map((b) => ({ features: f32 ? Float32Array.from(b.features) : Float64Array.from(b.features), labels: b.labels }));
        batches[2].features[3 * ds.D + 1] = value;
        const err = await expectNcError(() => analyze(batches), 'NON_FINITE', /batch 2\b/, /row 3\b/, /column 1\b/);
        expect(err.where).toMatchObject({ batch: 2, row: 3, column: 1 });
        await expectNcError(() => new MeansAccumulator().add(batches[0]).add(batches[1]).add(batches[2]), 'NON_FINITE', /batch 2\b/, /row 3\b/);
      });
    }
  }

  it('+Inf and −Inf in the same class (sum NaN) are still found and named', async () => {
    const features = Float64Array.from([1, 2, 3, Infinity, 0, 0, -Infinity, 0, 0]);
    await expectNcError(() => new MeansAccumulator().add({ features, labels: Int32Array.from([0, 1, 1]) }), 'NON_FINITE', /batch 0\b/, /row 1\b/);
  });

  it('non-finite values appearing only in the spread pass are named', async () => {
    const batches = clean();
    const means = new MeansAccumulator();
    for (const b of batches) means.add(b);
    const spread = await SpreadAccumulator.create(means.statistics);
    await spread.add(batches[0]);
    const bad = { features: Float64Array.from(batches[1].features), labels: batches[1].labels };
    bad.features[5 * ds.D] = NaN;
    await expectNcError(() => spread.add(bad), 'NON_FINITE', /batch 1\b/, /row 5\b/);
  });

  it('non-finite classifier weights or bias are refused by name', async () => {
    const W = Float64Array.from(ds.W!);
    W[2 * ds.D + 1] = NaN;
    await expectNcError(() => analyze(clean(), { classifier: { weights: W } }), 'NON_FINITE', /classifier weights/, /row 2\b/);
    const b = Float64Array.from(ds.b!);
    b[3] = Infinity;
    await expectNcError(() => analyze(clean(), { classifier: { weights: ds.W!, bias: b } }), 'NON_FINITE', /classifier bias/, /row 3\b/);
  });
});

describe('labels', () => {
  const withLabel = (value: number, batch = 1, row = 4) => {
    const batches = clean().map((b) => ({ features: b.features, labels: Float64Array.from(b.labels) }));
    batches[batch].labels[row] = value;
    return batches;
  };
  it('negative label: BAD_LABEL naming batch and row', async () => {
    const err = await expectNcError(() => analyze(withLabel(-1)), 'BAD_LABEL', /batch 1\b/, /row 4\b/, /-1/);
    expect(err.where).toMatchObject({ batch: 1, row: 4, label: -1 });
  });
  it('non-integer label: BAD_LABEL', async () => {
    await expectNcError(() => analyze(withLabel(1.5, 3, 0)), 'BAD_LABEL', /batch 3\b/, /row 0\b/, /1\.5/);
    await expectNcError(() => analyze(withLabel(NaN, 0, 9)), 'BAD_LABEL', /batch 0\b/, /row 9\b/);
  });
  it('label ≥ K: BAD_LABEL naming batch, row and the range', async () => {
    await expectNcError(() => analyze(withLabel(4, 2, 7), { K: 4 }), 'BAD_LABEL', /batch 2\b/, /row 7\b/, /0\.\.3/);
    await expectNcError(() => new MeansAccumulator({ K: 4 }).add(withLabel(9, 0, 2)[0]), 'BAD_LABEL', /row 2\b/);
  });
  it('labels beyond the classifier rows: BAD_LABEL naming the batch, row and the valid range', async () => {
    // Three classifier rows, labels up to 3: refused at the first such row, before any statistics are reported.
    const err = await expectNcError(() => analyze(clean(), { classifier: { weights: ds.W!.subarray(0, 3 * ds.D) } }), 'BAD_LABEL', /batch 0, row \d+/, /0\.\.2/);
    expect(err.message).toMatch(/label 3/);
  });
  it('fewer than two classes: TOO_FEW_CLASSES', async () => {
    const labels = new Int32Array(ds.N);
    await expectNcError(() => analyze([{ features: ds.features, labels }]), 'TOO_FEW_CLASSES', /2 classes/, /class 0/);
    labels.fill(2);
    await expectNcError(() => analyze([{ features: ds.features, labels }], { K: 3 }), 'TOO_FEW_CLASSES', /class 2/);
    await expectNcError(() => analyze([{ features: ds.features, labels }], { K: 0 }), 'BAD_OPTION', /K must be a positive integer/);
  });
  it('int64 labels (BigInt64Array, BigUint64Array) are accepted and give the report of the same labels as numbers', async () => {
    const asNumbers = await analyze(clean(), { classifier: { weights: ds.W!, bias: ds.b } });
    for (const Big of [BigInt64Array, BigUint64Array]) {
      const batches = clean().map((b) => ({ features: b.features, labels: Big.from(b.labels, (y) => BigInt(y)) }));
      const r = await analyze(batches, { classifier: { weights: ds.W!, bias: ds.b } });
      expect(r.report).toEqual(asNumbers.report);
      expect(Array.from(r.means.counts)).toEqual(Array.from(asNumbers.means.counts));
    }
    // The label rules still name the row: a negative int64 label, and one beyond 2^53.
    const neg = clean().map((b) => ({ features: b.features, labels: BigInt64Array.from(b.labels, (y) => BigInt(y)) }));
    neg[1].labels[4] = -1n;
    await expectNcError(() => analyze(neg), 'BAD_LABEL', /batch 1, row 4\b/, /-1/);
    const huge = clean().map((b) => ({ features: b.features, labels: BigUint64Array.from(b.labels, (y) => BigInt(y)) }));
    huge[2].labels[3] = 2n ** 60n;
    await expectNcError(() => analyze(huge), 'BAD_LABEL', /batch 2, row 3\b/, /2\^53/);
  });
  it('no samples at all: NO_DATA', async () => {
    await expectNcError(() => analyze([]), 'NO_DATA');
    await expectNcError(() => analyze([{ features: new Float64Array(0), labels: new Int32Array(0) }]), 'NO_DATA');
  });
});

describe('classes with no samples', () => {
  // Class 2 of K = 4 never occurs.
  const labels = Int32Array.from(ds.labels, (y) => (y === 2 ? 3 : y));
  const batches = [{ features: ds.features, labels }];
  const classifier = { weights: ds.W!, bias: ds.b! };

  it("emptyClasses 'error': EMPTY_CLASS naming the class", async () => {
    await expectNcError(() => analyze(batches, { classifier, emptyClasses: 'error' }), 'EMPTY_CLASS', /class 2\b/);
    await expectNcError(() => analyze(batches, { K: 6, emptyClasses: 'error' }), 'EMPTY_CLASS', /classes 2, 4, 5\b/);
  });

  it("emptyClasses 'exclude' (default): the class is left out of every class-indexed quantity and reported", async () => {
    const { report } = await analyze(batches, { classifier });
    expect(report.conventions.emptyClasses).toBe('exclude');
    expect(report.K).toBe(3);
    expect(report.perClass.classes).toEqual([0, 1, 3]);
    expect(report.perClass.counts).toHaveLength(3);
    expect(report.perClass.cosineWeights).toHaveLength(3);
    expect(report.warnings.some((w) => /excluded/.test(w) && /\b2\b/.test(w))).toBe(true);
    expect(report.metrics.nc1).toBeGreaterThan(0);
  });
});

describe('shapes', () => {
  it('features that do not split into one row per label: SHAPE naming the batch', async () => {
    const batches = clean();
    batches[1] = { features: batches[1].features.subarray(1), labels: batches[1].labels };
    await expectNcError(() => analyze(batches), 'SHAPE', /batch 1\b/, /do not split/);
  });
  it('features without labels (a batch of 0 rows carrying values): SHAPE', async () => {
    const batches = [...clean(), { features: new Float64Array(6), labels: new Int32Array(0) }];
    await expectNcError(() => analyze(batches), 'SHAPE', /batch 4\b/);
  });
  it('labels without features (D = 0): SHAPE', async () => {
    await expectNcError(() => analyze([{ features: new Float64Array(0), labels: Int32Array.from([0, 1]) }]), 'SHAPE', /batch 0\b/, /D = 0/);
  });
  it('D changing between batches: SHAPE naming the batch and both D', async () => {
    const other = makeCase(8, { N: 10, D: 5, K: 4 });
    const batches = [...clean().slice(0, 2), { features: other.features, labels: other.labels }];
    await expectNcError(() => analyze(batches), 'SHAPE', /batch 2\b/, /D = 5/, /D = 3/);
  });
  it('features that are not a float typed array: SHAPE', async () => {
    await expectNcError(() => analyze([{ features: [1, 2, 3, 4] as never, labels: Int32Array.from([0, 1]) }]), 'SHAPE', /Float32Array or Float64Array/);
  });
  it('classifier weights not K × D: SHAPE', async () => {
    await expectNcError(() => analyze(clean(), { classifier: { weights: new Float64Array(4 * ds.D + 1) } }), 'SHAPE', /classifier/, /multiple of D = 3|K × D/);
    await expectNcError(() => analyze(clean(), { K: 4, classifier: { weights: new Float64Array(5 * ds.D) } }), 'SHAPE', /classifier/, /5/, /K = 4/);
  });
  it('bias length ≠ K: SHAPE', async () => {
    await expectNcError(() => analyze(clean(), { classifier: { weights: ds.W!, bias: new Float64Array(3) } }), 'SHAPE', /bias/, /3 values/, /K = 4/);
  });
  it('unknown preset or convention values: BAD_OPTION', async () => {
    await expectNcError(() => analyze(clean(), { preset: 'nope' as never }), 'BAD_OPTION', /nope/);
    await expectNcError(() => analyze(clean(), { globalMean: 'median' as never }), 'BAD_OPTION', /median/);
    await expectNcError(() => analyze(clean(), { pinvRtol: 2 }), 'BAD_OPTION', /pinvRtol/);
  });
});

describe('statistics from different data', () => {
  it('spread phase over different data than the means phase: STATS_MISMATCH naming the class', async () => {
    const means = new MeansAccumulator();
    for (const b of clean()) means.add(b);
    const spread = await SpreadAccumulator.create(means.statistics);
    for (const b of clean().slice(1)) await spread.add(b);
    await expectNcError(() => computeReport(means.statistics, spread.statistics), 'STATS_MISMATCH', /class \d/, /same data/);
  });
  it('a label the means phase never saw: STATS_MISMATCH naming batch and row', async () => {
    const labels = Int32Array.from(ds.labels, (y) => (y === 1 ? 0 : y));
    const means = new MeansAccumulator({ K: 4 }).add({ features: ds.features, labels });
    const spread = await SpreadAccumulator.create(means.statistics);
    const err = await expectNcError(() => spread.add({ features: ds.features, labels: ds.labels }), 'STATS_MISMATCH', /batch 0\b/, /row \d+/, /class 1\b/);
    expect(err.where.label).toBe(1);
  });
  it('merging spread shards computed against different means: STATS_MISMATCH', async () => {
    const [a, b] = [clean().slice(0, 2), clean().slice(2)];
    const meansOf = (batches: typeof a) => batches.reduce((m, x) => m.add(x), new MeansAccumulator({ K: 4 })).statistics;
    const sa = await SpreadAccumulator.create(meansOf(a));
    const sb = await SpreadAccumulator.create(meansOf(b));
    for (const x of a) await sa.add(x);
    for (const x of b) await sb.add(x);
    await expectNcError(() => sa.merge(sb), 'STATS_MISMATCH', /different class means/);
    // Same means, one with and one without a classifier.
    const m = meansOf(clean());
    const withW = await SpreadAccumulator.create(m, { classifier: { weights: ds.W! } });
    await expectNcError(async () => withW.merge(await SpreadAccumulator.create(m)), 'STATS_MISMATCH', /classifier/);
    // Same means and classifier, scatter in different spaces; per-class NC1 for different conventions.
    const otherSpace = await SpreadAccumulator.create(m, { space: m.K <= m.D ? 'features' : 'means' });
    await expectNcError(async () => (await SpreadAccumulator.create(m)).merge(otherSpace), 'STATS_MISMATCH', /spaces/);
    const sample = await SpreadAccumulator.create(m, { perClassNc1: { globalMean: 'sample' } });
    await expectNcError(async () => (await SpreadAccumulator.create(m)).merge(sample), 'STATS_MISMATCH', /per-class NC1/);
  });
  it('spread statistics computed against other means (same counts): STATS_MISMATCH', async () => {
    const means = new MeansAccumulator({ K: 4 });
    for (const b of clean()) means.add(b);
    const spread = await SpreadAccumulator.create(means.statistics);
    for (const b of clean()) await spread.add(b);
    const shifted = { ...means.statistics, sums: Float64Array.from(means.statistics.sums, (v) => v + 1) };
    await expectNcError(() => computeReport(shifted, spread.statistics), 'STATS_MISMATCH', /other class means/);
  });
  it('spread statistics of another shape: STATS_MISMATCH', async () => {
    const means = new MeansAccumulator().add(clean()[0]).statistics;
    const other = makeCase(9, { N: 20, D: 3, K: 5 });
    const m2 = new MeansAccumulator().add({ features: other.features, labels: other.labels }).statistics;
    const s2 = await SpreadAccumulator.create(m2);
    await s2.add({ features: other.features, labels: other.labels });
    await expectNcError(() => computeReport(means, s2.statistics), 'STATS_MISMATCH', /K = 5/);
  });
  it('means shards of different D or a fixed smaller K refuse to merge', () => {
    const a = new MeansAccumulator().add(clean()[0]);
    const other = makeCase(10, { N: 8, D: 5, K: 4 });
    const b = new MeansAccumulator().add({ features: other.features, labels: other.labels });
    expect(() => a.merge(b)).toThrow(NcInputError);
    const wide = new MeansAccumulator({ K: 6, D: 3 });
    expect(() => new MeansAccumulator({ K: 4 }).add(clean()[0]).merge(wide)).toThrow(/K = 6/);
  });
});

describe('corrupt statistics files', () => {
  const good = async () => {
    const { means, spread } = await analyze(clean(), { classifier: { weights: ds.W!, bias: ds.b! } });
    return JSON.parse(serializeStatistics({ means, spread }));
  };
  const cases: [string, (j: any) => unknown, RegExp][] = [
    ['wrong format tag', (j) => ({ ...j, format: 'other' }), /not an ncscope.statistics/],
    ['future version', (j) => ({ ...j, version: 4 }), /version 4 is not supported.*versions 1, 2 and 3/],
    ['non-integer K', (j) => ({ ...j, K: 2.5 }), /K and D/],
    ['negative D', (j) => ({ ...j, D: -3 }), /K and D/],
    ['sums of the wrong length', (j) => ({ ...j, means: { ...j.means, sums: j.means.sums.slice(1) } }), /"sums" must be an array of 12/],
    ['counts with a string', (j) => ({ ...j, means: { ...j.means, counts: ['1', 2, 3, 4] } }), /"counts"/],
    ['counts with null (NaN written by JSON)', (j) => ({ ...j, means: { ...j.means, counts: [null, 2, 3, 4] } }), /"counts"/],
    ['negative count', (j) => ({ ...j, means: { ...j.means, counts: [-1, 2, 3, 4] } }), /"counts"/],
    ['fractional count', (j) => ({ ...j, means: { ...j.means, counts: [1.5, 2, 3, 4] } }), /"counts"/],
    ['missing means', (j) => ({ ...j, means: undefined }), /"counts"/],
    ['spread without fingerprint', (j) => ({ ...j, spread: { ...j.spread, meansFingerprint: undefined } }), /meansFingerprint/],
    ['scatter too short', (j) => ({ ...j, spread: { ...j.spread, scatter: [1, 2] } }), /"scatter" must be an array of 9/],
    ['unknown scatter space', (j) => ({ ...j, spread: { ...j.spread, space: 'other' } }), /"spread.space"/],
    ['per-class NC1 sums too short', (j) => ({ ...j, spread: { ...j.spread, perClassNc1: { ...j.spread.perClassNc1, sums: [1] } } }), /"sums" must be an array of 4/],
    ['per-class NC1 without its rank', (j) => ({ ...j, spread: { ...j.spread, perClassNc1: { ...j.spread.perClassNc1, rank: 0 } } }), /perClassNc1.rank/],
    ['classifier counts missing', (j) => ({ ...j, spread: { ...j.spread, nccClassifierMismatch: undefined } }), /nccClassifierMismatch/],
    ['classifier fingerprint missing', (j) => ({ ...j, spread: { ...j.spread, classifierFingerprint: undefined } }), /classifierFingerprint/],
  ];
  for (const [name, mutate, message] of cases) {
    it(`${name}: BAD_STATS_FILE naming the file`, async () => {
      const text = JSON.stringify(mutate(await good()));
      const err = await expectNcError(() => parseStatistics(text, 'shard-3.json'), 'BAD_STATS_FILE', /shard-3\.json/, message);
      expect(err.where.source).toBe('shard-3.json');
    });
  }
  it('text that is not JSON, or a truncated file: BAD_STATS_FILE', async () => {
    const text = JSON.stringify(await good());
    await expectNcError(() => parseStatistics(text.slice(0, text.length - 7), 'cut.json'), 'BAD_STATS_FILE', /cut\.json/, /not valid JSON/);
    await expectNcError(() => parseStatistics('', 'empty.json'), 'BAD_STATS_FILE', /empty\.json/);
    await expectNcError(() => parseStatistics('null', 'null.json'), 'BAD_STATS_FILE', /null\.json/);
  });
  it('the unmodified file parses (the cases above fail for the stated reason only)', async () => {
    const text = JSON.stringify(await good());
    expect(() => parseStatistics(text)).not.toThrow();
  });
});
