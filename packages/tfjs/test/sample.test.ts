import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stratifiedSample } from '../src/index.js';

describe('stratifiedSample (sampleTraining)', () => {
  it('keeps each class its share of n rows (largest remainder), distinct, sorted, reproducible by seed', () => {
    const labels = Int32Array.from([...Array(50).fill(0), ...Array(30).fill(1), ...Array(20).fill(2)]);
    const picked = stratifiedSample(labels, 10, 3);
    expect(Array.from(picked, (i) => labels[i]).sort()).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 2, 2]);
    expect(Array.from(stratifiedSample(labels, 10, 3))).toEqual(Array.from(picked));
    expect(Array.from(stratifiedSample(labels, 10, 4))).not.toEqual(Array.from(picked));
    expect(Array.from(stratifiedSample(Int32Array.from([2, 0, 1]), 2, 0), (i) => [2, 0, 1][i]).sort()).toEqual([0, 1]);
    expect(Array.from(stratifiedSample(labels, 500, 0))).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('property: n rows, distinct and sorted, per-class counts within 1 of n·n_k/N', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 250 }), fc.integer(), (ys, n, seed) => {
        const labels = Int32Array.from(ys);
        const picked = stratifiedSample(labels, n, seed);
        const N = labels.length;
        expect(picked.length).toBe(Math.min(n, N));
        for (let i = 1; i < picked.length; i++) expect(picked[i]).toBeGreaterThan(picked[i - 1]);
        const m = Math.min(n, N);
        for (let k = 0; k <= 5; k++) {
          const have = ys.filter((y) => y === k).length;
          const got = Array.from(picked).filter((i) => labels[i] === k).length;
          expect(Math.abs(got - (m * have) / N)).toBeLessThan(1);
        }
      }),
    );
  });
});
