import { analyze, type ConventionOptions, type NcReport } from '@ncscope/core';

/**
 * The core NC report (the same `ncscope.report/1` object as for real training) of features (N × D, row-major
 * float64) with labels, and optionally the classifier that reads them. With unequal class counts the report's
 * imbalance section takes the classes of the smallest count as the minority (the layer-peeled setting of Fang et
 * al.: `minorityBelow` = smallest count + ½), unless the conventions set `minorityBelow`.
 */
export async function featureReport(
  features: Float64Array,
  labels: Int32Array,
  K: number,
  classifier?: { weights: Float64Array; bias?: Float64Array },
  conventions: ConventionOptions & { minorityBelow?: number } = {},
): Promise<NcReport> {
  const counts = new Array<number>(K).fill(0);
  for (const y of labels) counts[y]++;
  const smallest = Math.min(...counts.filter((c) => c > 0));
  const minorityBelow = conventions.minorityBelow ?? (counts.some((c) => c !== counts[0]) ? smallest + 0.5 : undefined);
  const { report } = await analyze([{ features, labels }], { ...conventions, K, classifier, ...(minorityBelow !== undefined ? { minorityBelow } : {}) });
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
