import type { NcReport } from '@ncscope/core';

/** Minority collapse (Fang et al. 2021) read from a report with a classifier; see {@link minorityCollapse}. */
export interface MinorityCollapse {
  /** Classes with the smallest count (the minority) and with the largest (the majority). */
  minorityClasses: number[];
  majorityClasses: number[];
  /** Largest count / smallest count. */
  imbalanceRatio: number;
  /** Mean cos(w_k, w_l) over pairs of minority classifier rows (→ 1 under minority collapse); null with < 2 minority classes or a zero row. */
  minorityCosine: number | null;
  /** The same over pairs of majority rows (−1/(K−1) for a balanced simplex ETF). */
  majorityCosine: number | null;
  /** Mean ‖w_k‖ over minority rows / mean over majority rows. */
  normRatio: number;
  /** Mean cos(μ̃_k, μ̃_l) of the centred class means over minority pairs. */
  minorityMeansCosine: number | null;
}

/**
 * Minority collapse (Fang, He, Long & Su 2021, the layer-peeled model): as the imbalance ratio grows, the classifier
 * rows of the minority classes move together (their pairwise cosines → 1) and shrink. Computed from the core report's
 * per-class cosines and norms. Replace by core's imbalance section when issue 10 lands.
 */
export function minorityCollapse(report: NcReport): MinorityCollapse | null {
  const pc = report.perClass;
  // Core leaves the per-class cosines out for large K (perClassMatrixLimit): then there is nothing to read.
  if (!pc?.cosineWeights || !pc.cosineMeans || !pc.weightNorms) return null;
  const { cosineWeights, cosineMeans, weightNorms } = pc;
  const min = Math.min(...pc.counts);
  const max = Math.max(...pc.counts);
  if (min === max) return null;
  const minority = pc.counts.flatMap((c, i) => (c === min ? [i] : []));
  const majority = pc.counts.flatMap((c, i) => (c === max ? [i] : []));
  const meanPairs = (idx: number[], cos: number[][], norms?: number[]) => {
    if (idx.length < 2 || (norms && idx.some((i) => norms[i] === 0))) return null;
    let s = 0;
    let n = 0;
    for (let a = 0; a < idx.length; a++) for (let b = a + 1; b < idx.length; b++, n++) s += cos[idx[a]][idx[b]];
    return s / n;
  };
  const meanNorm = (idx: number[]) => idx.reduce((s, i) => s + weightNorms[i], 0) / idx.length;
  return {
    minorityClasses: minority.map((i) => pc.classes[i]),
    majorityClasses: majority.map((i) => pc.classes[i]),
    imbalanceRatio: max / min,
    minorityCosine: meanPairs(minority, cosineWeights, weightNorms),
    majorityCosine: meanPairs(majority, cosineWeights, weightNorms),
    normRatio: meanNorm(minority) / meanNorm(majority),
    minorityMeansCosine: meanPairs(minority, cosineMeans, pc.meanNorms),
  };
}
