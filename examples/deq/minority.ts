import type { NcReport } from '@ncscope/core';

/**
 * Minority collapse (Fang, He, Long & Su 2021): with imbalanced classes, the classifier rows of the minority classes
 * (and their centred feature means) are pulled together, their pairwise cosines rising from the simplex-ETF value
 * −1/(K−1) towards 1. Returns the mean pairwise cosine among the minority classes, for the classifier rows w_k and
 * for the centred class means μ̃_k: core's imbalance section (`report.imbalance`, metrics/imbalance.ts) when the
 * report has one whose minority is exactly `minority`; on balanced data (no imbalance section) the same mean over
 * the same pairs, read from the report's per-class cosine matrices — the baseline the imbalanced runs are read against.
 */
export function minorityCosines(report: NcReport, minority: readonly number[]): { weights: number; means: number } {
  const imb = report.imbalance;
  const same = (a: readonly number[] | undefined) => a !== undefined && a.length === minority.length && [...a].sort().every((c, i) => c === [...minority].sort()[i]);
  if (imb && same(imb.minorityClasses)) return { weights: imb.minorityCosineWeights ?? NaN, means: imb.minorityCosineMeans };
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
