import type { GlobalMeanConvention } from '../conventions.js';

/** The classes with samples, their means, and the centred means M̃ under a global-mean convention. */
export interface CentredMeans {
  /** Original indices of the classes with samples, ascending. */
  classes: number[];
  /** K = classes.length. */
  K: number;
  D: number;
  counts: Float64Array;
  N: number;
  /** μ_k of the kept classes, K × D. */
  means: Float64Array;
  /** Weights of μ_G = Σ_k w_k μ_k: 1/K (class-uniform) or n_k/N (sample). */
  weights: Float64Array;
  globalMean: Float64Array;
  /** M̃ rows μ_k − μ_G, K × D. */
  centred: Float64Array;
}

/**
 * Restricts class means (K_all × D, rows of empty classes ignored) to the classes with samples and centres them:
 * μ_G = Σ_k w_k μ_k with w = 1/K ('class', Papyan et al. 2020) or n_k/N ('sample').
 */
export function centreMeans(allMeans: Float64Array, allCounts: ArrayLike<number>, D: number, convention: GlobalMeanConvention): CentredMeans {
  const classes: number[] = [];
  for (let k = 0; k < allCounts.length; k++) if (allCounts[k] > 0) classes.push(k);
  const K = classes.length;
  const counts = Float64Array.from(classes, (k) => allCounts[k]);
  let N = 0;
  for (let i = 0; i < K; i++) N += counts[i];
  const means = new Float64Array(K * D);
  classes.forEach((k, i) => means.set(allMeans.subarray(k * D, (k + 1) * D), i * D));
  const weights = Float64Array.from(counts, (n) => (convention === 'class' ? 1 / K : n / N));
  const globalMean = new Float64Array(D);
  for (let i = 0; i < K; i++) {
    const w = weights[i];
    for (let t = 0; t < D; t++) globalMean[t] += w * means[i * D + t];
  }
  const centred = new Float64Array(K * D);
  for (let i = 0; i < K; i++) for (let t = 0; t < D; t++) centred[i * D + t] = means[i * D + t] - globalMean[t];
  return { classes, K, D, counts, N, means, weights, globalMean, centred };
}
