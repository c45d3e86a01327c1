import type { MultiLabelMeansStatistics } from '@ncscope/core';

/**
 * Where the tag-wise angle comes from: θ_S = ∠(v_S, a_S) with a_S in the span of the centred class means M̃. Split
 * v_S = μ_S − μ_G into its projection P v_S on that span and the rest: `outOfSpan` = ∠(v_S, P v_S) (how far the set
 * mean leaves the class-mean subspace — directions the classifier W, aligned with M̃ under NC3, barely sees) and
 * `inSpan` = ∠(P v_S, a_S) (how far, inside the subspace, it is from the average of its labels' means). Means over the
 * sets with |S| ≥ 2 and at least `minCount` samples, in degrees; class-uniform μ_G. Plain float64 from the statistics.
 */
export function spanSplit(means: MultiLabelMeansStatistics, minCount = 5): { outOfSpan: number; inSpan: number } {
  const { D, single, sets } = means;
  const classes = Array.from(single.counts, (n, k) => (n > 0 ? k : -1)).filter((k) => k >= 0);
  const mu = classes.map((k) => Array.from({ length: D }, (_, t) => single.sums[k * D + t] / single.counts[k]));
  const g = Array.from({ length: D }, (_, t) => mu.reduce((s, m) => s + m[t], 0) / mu.length);
  const centred = new Map(classes.map((k, i) => [k, mu[i].map((v, t) => v - g[t])]));
  // Orthonormal basis of span(M̃) by modified Gram–Schmidt (rank K − 1: one row falls to ~0 and is dropped).
  const basis: number[][] = [];
  for (const row of centred.values()) {
    const q = row.slice();
    for (const b of basis) {
      const d = b.reduce((s, x, t) => s + x * q[t], 0);
      for (let t = 0; t < D; t++) q[t] -= d * b[t];
    }
    const n = Math.hypot(...q);
    if (n > 1e-9 * Math.hypot(...row)) basis.push(q.map((x) => x / n));
  }
  const angle = (a: number[], b: number[]) => {
    const c = a.reduce((s, x, t) => s + x * b[t], 0) / (Math.hypot(...a) * Math.hypot(...b));
    return (Math.acos(Math.max(-1, Math.min(1, c))) * 180) / Math.PI;
  };
  let out = 0, inside = 0, n = 0;
  sets.labels.forEach((labels, j) => {
    if (sets.counts[j] < minCount || !labels.every((k) => centred.has(k))) return;
    const v = Array.from({ length: D }, (_, t) => sets.sums[j * D + t] / sets.counts[j] - g[t]);
    const a = Array.from({ length: D }, (_, t) => labels.reduce((s, k) => s + centred.get(k)![t], 0) / labels.length);
    const p = new Array<number>(D).fill(0);
    for (const b of basis) {
      const d = b.reduce((s, x, t) => s + x * v[t], 0);
      for (let t = 0; t < D; t++) p[t] += d * b[t];
    }
    out += angle(v, p);
    inside += angle(p, a);
    n++;
  });
  return { outOfSpan: out / n, inSpan: inside / n };
}
