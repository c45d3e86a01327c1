import type { NcReport } from '@ncscope/core';

/**
 * Minority collapse (Fang, He, Long & Su 2021): with imbalanced classes, the classifier rows of the minority classes
 * (and their centred feature means) are pulled together, their pairwise cosines rising from the simplex-ETF value
 * −1/(K−1) towards 1. Returns the mean pairwise cosine among the given minority classes, for the classifier rows w_k
 * and for the centred class means μ̃_k, read from the report's per-class cosine matrices.
 *
 * TEMPORARY: replace by the `imbalance` section of core's report when issue 10 lands (it will compute these with the
 * other NC statistics and define the conventions once for every tool).
 */
export function minorityCosines(report: NcReport, minority: readonly number[]): { weights: number; means: number } {
  // The per-class cosine matrices exist while K ≤ the report's perClassMatrixLimit (256 by default); K = 10 here.
  if (!report.perClass) return { weights: NaN, means: NaN };
  const { classes, cosineMeans, cosineWeights } = report.perClass;
  const idx = minority.map((c) => classes.indexOf(c)).filter((i) => i >= 0);
  const meanPairs = (m: number[][] | undefined) => {
    if (!m || idx.length < 2) return NaN;
    let s = 0;
    let n = 0;
    for (let a = 0; a < idx.length; a++) for (let b = a + 1; b < idx.length; b++, n++) s += m[idx[a]][idx[b]];
    return s / n;
  };
  return { weights: meanPairs(cosineWeights), means: meanPairs(cosineMeans) };
}
