import type { NcReport } from '@ncscope/core';

/** Minority collapse (Fang et al. 2021) read from a report with a classifier; see {@link minorityCollapse}. */
export interface MinorityCollapse {
  /** Classes with the smallest count (the minority) and the others (the majority). */
  minorityClasses: number[];
  majorityClasses: number[];
  /** Largest count / smallest count. */
  imbalanceRatio: number;
  /** Mean cos(w_k, w_l) over pairs of minority classifier rows (→ 1 under minority collapse); null with < 2 minority classes or a zero row. */
  minorityCosine: number | null;
  /** The same over pairs of majority rows (−1/(K−1) for a balanced simplex ETF); null with < 2 majority classes. */
  majorityCosine: number | null;
  /** Mean ‖w_k‖ over minority rows / mean over majority rows. */
  normRatio: number;
  /** Mean cos(μ̃_k, μ̃_l) of the centred class means over minority pairs. */
  minorityMeansCosine: number | null;
}

/**
 * Minority collapse (Fang, He, Long & Su 2021, the layer-peeled model): as the imbalance ratio grows, the classifier
 * rows of the minority classes move together (their pairwise cosines → 1) and shrink. Read from the core report's
 * imbalance section (core's metrics/imbalance.ts computes it with the other NC statistics), whose minority is the
 * classes of the smallest count in UFM reports (see featureReport); null without that section.
 */
export function minorityCollapse(report: NcReport): MinorityCollapse | null {
  const imb = report.imbalance;
  if (!imb || imb.minorityClasses === undefined || imb.majorityClasses === undefined) return null;
  const finite = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : null);
  return {
    minorityClasses: imb.minorityClasses,
    majorityClasses: imb.majorityClasses,
    imbalanceRatio: imb.imbalanceRatio,
    minorityCosine: finite(imb.minorityCosineWeights),
    majorityCosine: finite(imb.majorityCosineWeights),
    normRatio: imb.normRatioWeights ?? NaN,
    minorityMeansCosine: finite(imb.minorityCosineMeans),
  };
}
