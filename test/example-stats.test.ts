/** The helpers the loss-comparison examples read their tables with (examples/lib/stats.ts). */
import { describe, expect, it } from 'vitest';
import { atLevel, firstBelow, formatCell, meanStd } from '../examples/lib/stats.js';

describe('example statistics', () => {
  it('mean and sample standard deviation', () => {
    expect(meanStd([2, 4, 6])).toEqual({ mean: 4, std: 2, n: 3 });
    expect(meanStd([5])).toEqual({ mean: 5, std: 0, n: 1 });
    expect(formatCell(meanStd([0.5, 0.7]), 2)).toBe('0.60 ± 0.14');
    expect(formatCell(meanStd([0.003]), 2)).toBe('3.0e-3');
  });

  const curve = [
    { epoch: 1, nc1: 1, etf: 0.9 },
    { epoch: 2, nc1: 0.1, etf: 0.5 },
    { epoch: 3, nc1: 0.01, etf: 0.3 },
  ];
  it('first epoch at or below a level', () => {
    expect(firstBelow(curve, (p) => p.nc1, (p) => p.epoch, 0.1)).toBe(2);
    expect(firstBelow(curve, (p) => p.nc1, (p) => p.epoch, 0.05)).toBe(3);
    expect(firstBelow(curve, (p) => p.nc1, (p) => p.epoch, 0.001)).toBeUndefined();
  });
  it('a value at equal NC1, interpolated in log NC1 between the measurements around the crossing', () => {
    expect(atLevel(curve, (p) => p.nc1, (p) => p.etf, 0.1)).toBeCloseTo(0.5, 15);
    // NC1 = 10^-1.5 lies half-way between 0.1 and 0.01 in log scale.
    expect(atLevel(curve, (p) => p.nc1, (p) => p.etf, 10 ** -1.5)).toBeCloseTo(0.4, 12);
    expect(atLevel(curve, (p) => p.nc1, (p) => p.etf, 2)).toBe(0.9);
    expect(atLevel(curve, (p) => p.nc1, (p) => p.etf, 1e-3)).toBeUndefined();
  });
});
