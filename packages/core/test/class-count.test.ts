/**
 * What K costs is known before anything K-sized is allocated (src/validate/class-count.ts): a K whose tables exceed
 * the memory bound is a named TOO_LARGE error giving the estimate and the largest K that fits, never V8's
 * RangeError ("Invalid typed array length") or an out-of-memory abort.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_BYTES,
  MeansAccumulator,
  NcInputError,
  ScatterAccumulator,
  analyze,
  checkClassCount,
  classTableBytes,
  largestClassCount,
} from '@ncscope/core';

function caught(fn: () => unknown): NcInputError {
  try {
    fn();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(NcInputError);
    return e as NcInputError;
  }
  throw new Error('expected an NcInputError');
}

async function caughtAsync(fn: () => Promise<unknown>): Promise<NcInputError> {
  try {
    await fn();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(NcInputError);
    return e as NcInputError;
  }
  throw new Error('expected an NcInputError');
}

describe('accumulators refuse a K past the bound before allocating', () => {
  it('new MeansAccumulator({ K: 1e9 }): TOO_LARGE with the estimate and the bound', () => {
    const e = caught(() => new MeansAccumulator({ K: 1e9 }));
    expect(e.code).toBe('TOO_LARGE');
    expect(e.message).toMatch(/^the option K: K = 1,000,000,000 classes of D ≥ 1 features need about 16\.0 GB for the class counts and sums, more than the 8\.59 GB allowed; at this D the bound is K ≤ 536,870,912\b/);
    expect(e.message).toMatch(/maxBytes/);
  });
  it('with D: the K × (D + 1) tables count (a RangeError before)', () => {
    const e = caught(() => new MeansAccumulator({ K: 1e9, D: 8 }));
    expect([e.code, e.message]).toEqual(['TOO_LARGE', expect.stringMatching(/D = 8 features need about 72\.0 GB/)]);
    expect(caught(() => new ScatterAccumulator({ K: 1e9, D: 8 })).code).toBe('TOO_LARGE');
  });
  it('a K grown from a label is checked too, naming the label', () => {
    const acc = new MeansAccumulator();
    const e = caught(() => acc.add({ features: new Float64Array(4), labels: [0, 999_999_999] }));
    expect(e.message).toMatch(/^label 999999999 \(K = the largest label \+ 1\): K = 1,000,000,000 classes of D = 2 features/);
    // The accumulator is untouched and still usable.
    acc.add({ features: Float64Array.of(1, 2, 3, 4), labels: [0, 1] });
    expect(Array.from(acc.statistics.counts)).toEqual([1, 1]);
  });
  it('a K given at D unknown is checked again once D is known', () => {
    const acc = new MeansAccumulator({ K: 100_000_000, maxBytes: 2 ** 31 });
    const e = caught(() => acc.add({ features: new Float64Array(64), labels: [0, 1] }));
    expect(e.message).toMatch(/K = 100,000,000 classes of D = 32 features need about 26\.4 GB .*more than the 2\.15 GB allowed/);
  });
  it('analyze refuses a stated K for the whole analysis before reading past the first batch', async () => {
    let batchesRead = 0;
    const source = function* () {
      for (let b = 0; b < 3; b++) {
        batchesRead++;
        yield { features: new Float64Array(16), labels: [0, 1] };
      }
    };
    const e = await caughtAsync(() => analyze(source, { K: 20_000_000 }));
    expect(e.message).toMatch(/^the option K: K = 20,000,000 classes of D = 8 features need about [\d.]+ GB for the statistics and report/);
    expect(batchesRead).toBe(1);
  });
  it('maxBytes moves the bound, and the bound it names is exact: that K fits, one more does not', () => {
    const shape = { D: 10, classifier: true };
    const maxBytes = 5e6;
    const bound = largestClassCount(shape, maxBytes);
    expect(() => checkClassCount({ ...shape, K: bound, maxBytes })).not.toThrow();
    const e = caught(() => checkClassCount({ ...shape, K: bound + 1, maxBytes }));
    expect(e.message).toContain(`the bound is K ≤ ${bound.toLocaleString('en')}`);
    expect(() => new MeansAccumulator({ K: 1e9, maxBytes: 2 ** 35 })).not.toThrow();
  });
  it('the estimates grow with K and count the K × K tables where they exist', () => {
    for (const scope of ['means', 'analysis', 'head'] as const) {
      let last = 0;
      for (const K of [1, 2, 10, 100, 1000, 1e4, 1e5]) {
        const b = classTableBytes({ K, D: 64 }, scope);
        expect(b).toBeGreaterThan(last);
        last = b;
      }
    }
    // A head at K = 100,000 holds two K × K target tables: 160 GB.
    expect(classTableBytes({ K: 1e5, D: 12 }, 'head')).toBeGreaterThan(1.6e11);
    expect(DEFAULT_MAX_BYTES).toBe(2 ** 33);
  });
  it('a K that is not a positive integer is BAD_OPTION, as before', () => {
    expect(caught(() => checkClassCount({ K: 0 })).code).toBe('BAD_OPTION');
    expect(caught(() => new MeansAccumulator({ K: 2.5 })).message).toMatch(/K must be a positive integer/);
  });
});
