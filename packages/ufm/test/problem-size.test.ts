/**
 * A UFM problem's memory is known from K, D and the counts before anything is allocated: one too large for the
 * bound is a named TOO_LARGE error with the largest K that fits, not a RangeError (K = 100,000, D = 64, n = 1) or an
 * out-of-heap abort (K = 1e9).
 */
import { describe, expect, it } from 'vitest';
import { NcInputError } from '@ncscope/core';
import { problemBytes, resolveProblem, simulateUfm } from '@ncscope/ufm';

function refusal(fn: () => unknown): NcInputError {
  try {
    fn();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(NcInputError);
    return e as NcInputError;
  }
  throw new Error('expected an NcInputError');
}

describe('problem size', () => {
  it('K = 100,000, D = 64, n = 1 and K = 1e9: TOO_LARGE naming K, N and the bound at this D and n', () => {
    const e = refusal(() => resolveProblem({ K: 100_000, D: 64, n: 1, loss: 'ce' }));
    expect(e.code).toBe('TOO_LARGE');
    expect(e.message).toMatch(/^K = 100,000 classes, N = 100,000 samples, D = 64: the simulation needs about 323 GB \(four N × K logit tables alone are 320 GB\), more than the 8\.59 GB allowed; at D = 64 and n = 1 per class the bound is K ≤ ([\d,]+)$/);
    const bound = Number(/K ≤ ([\d,]+)$/.exec(e.message)![1].replace(/,/g, ''));
    expect(problemBytes({ K: bound, D: 64, N: bound })).toBeLessThanOrEqual(2 ** 33);
    expect(problemBytes({ K: bound + 1, D: 64, N: bound + 1 })).toBeGreaterThan(2 ** 33);
    expect(refusal(() => resolveProblem({ K: 1e9, D: 8, n: 1, loss: 'ce' })).message).toMatch(/K = 1,000,000,000 classes, N = 1,000,000,000 samples/);
  });
  it('counts, the variants and maxBytes enter the estimate', async () => {
    expect(refusal(() => resolveProblem({ K: 3, D: 4, counts: [1e8, 1, 1], loss: 'ce' })).message).toMatch(/N = 100,000,002 samples/);
    expect(problemBytes({ K: 10, D: 8, N: 100, hidden: 64 })).toBeGreaterThan(problemBytes({ K: 10, D: 8, N: 100 }));
    expect(problemBytes({ K: 10, D: 8, N: 100, edges: 5000 })).toBeGreaterThan(problemBytes({ K: 10, D: 8, N: 100 }));
    expect(refusal(() => resolveProblem({ K: 10, D: 8, n: 10, loss: 'ce', maxBytes: 1000 })).message).toMatch(/more than the 1\.00 kB allowed/);
    // A small problem runs as before.
    const r = await simulateUfm({ K: 3, D: 4, n: 2, loss: 'mse', maxIterations: 5 });
    expect(r.problem.N).toBe(6);
  });
});
