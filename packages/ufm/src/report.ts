import { analyze, type ConventionOptions, type NcReport } from '@ncscope/core';

/**
 * The core NC report (the same `ncscope.report/1` object as for real training) of features (N × D, row-major
 * float64) with labels, and optionally the classifier that reads them.
 */
export async function featureReport(
  features: Float64Array,
  labels: Int32Array,
  K: number,
  classifier?: { weights: Float64Array; bias?: Float64Array },
  conventions: ConventionOptions = {},
): Promise<NcReport> {
  const { report } = await analyze([{ features, labels }], { ...conventions, K, classifier });
  return report;
}

/** Mean logit at the true class (over samples) and mean of the other logits (over samples and classes). */
export function logitMeans(Z: ArrayLike<number>, labels: ArrayLike<number>, K: number): { trueMean: number; otherMean: number } {
  const N = labels.length;
  let t = 0;
  let o = 0;
  for (let i = 0; i < N; i++) {
    const y = labels[i];
    for (let k = 0; k < K; k++) {
      if (k === y) t += Z[i * K + k];
      else o += Z[i * K + k];
    }
  }
  return { trueMean: t / N, otherMean: o / (N * (K - 1)) };
}
