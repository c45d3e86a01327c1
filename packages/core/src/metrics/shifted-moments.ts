/** Running count, mean and M2 = Σ(x − mean)² of a stream of values. */
export interface Moments {
  n: number;
  mean: number;
  m2: number;
}

/**
 * Merges a block of `count` values, summed around a shift s as S₁ = Σ(x − s) and S₂ = Σ(x − s)², into running
 * moments (Chan, Golub & LeVeque's pairwise update): the block's mean is s + S₁/count and its M2 = S₂ − S₁²/count,
 * which keeps float64 accuracy when s lies inside the block's spread (the pair reductions take a tile's first value).
 */
export function mergeShifted(m: Moments, count: number, shift: number, s1: number, s2: number): void {
  if (count === 0) return;
  const mean = shift + s1 / count;
  const m2 = s2 - (s1 * s1) / count;
  const n = m.n + count;
  const delta = mean - m.mean;
  m.mean += (delta * count) / n;
  m.m2 += m2 + (delta * delta * m.n * count) / n;
  m.n = n;
}
