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
