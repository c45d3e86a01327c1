/** Statistics the example tables are read with: mean ± sample standard deviation over seeds, and points on NC curves. */
/** Mean and sample standard deviation (n − 1; 0 for a single value) of a list. */
export function meanStd(values: number[]): { mean: number; std: number; n: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/** "m ± s" with the given digits (fixed for values ≥ 0.01, else exponent form); just "m" for one value. */
export function formatCell(s: { mean: number; std: number; n: number }, digits: number): string {
  const f = (x: number) => (x !== 0 && Math.abs(x) < 0.01 ? x.toExponential(1) : x.toFixed(digits));
  return s.n > 1 ? `${f(s.mean)} ± ${f(s.std)}` : f(s.mean);
}

/** The first x (e.g. epoch) at which the measured level drops to `threshold` or below; undefined if it never does. */
export function firstBelow<T>(curve: readonly T[], level: (p: T) => number, x: (p: T) => number, threshold: number): number | undefined {
  const hit = curve.find((p) => level(p) <= threshold);
  return hit === undefined ? undefined : x(hit);
}

/**
 * The value of `value` where `level` first reaches `threshold`, interpolated linearly in log(level) between the two
 * measurements around the crossing (how "NC2 at equal NC1" is read off trajectories); undefined if never reached.
 */
export function atLevel<T>(curve: readonly T[], level: (p: T) => number, value: (p: T) => number, threshold: number): number | undefined {
  const i = curve.findIndex((p) => level(p) <= threshold);
  if (i < 0) return undefined;
  if (i === 0) return value(curve[0]);
  const [a, b] = [curve[i - 1], curve[i]];
  const t = (Math.log(level(a)) - Math.log(threshold)) / (Math.log(level(a)) - Math.log(level(b)));
  return value(a) + t * (value(b) - value(a));
}
