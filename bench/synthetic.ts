/** Seeded synthetic NC data for benchmarks: partially collapsed Gaussian classes with a near-aligned classifier. */

/** The repository's seeded uniform generator (mulberry32, from @ncscope/core). */
export { mulberry32 as prng } from '@ncscope/core';
import { mulberry32 as prng } from '@ncscope/core';

/** Standard normal sampler (Box–Muller) on top of a uniform PRNG. */
export function gaussian(rand: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) { const s = spare; spare = undefined; return s; }
    const u = Math.max(rand(), 1e-300);
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** N × D float32 features with K classes (labels round-robin), class means of norm ~3, within-class std `noise`. */
export function syntheticFeatures(N: number, D: number, K: number, seed = 1, noise = 0.5) {
  const g = gaussian(prng(seed));
  const means = new Float64Array(K * D);
  for (let i = 0; i < means.length; i++) means[i] = (3 / Math.sqrt(D)) * g();
  const features = new Float32Array(N * D);
  const labels = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const y = i % K;
    labels[i] = y;
    for (let t = 0; t < D; t++) features[i * D + t] = means[y * D + t] + (noise / Math.sqrt(D)) * g() + 0.25;
  }
  const weights = new Float32Array(K * D);
  for (let i = 0; i < weights.length; i++) weights[i] = means[i] + (0.3 / Math.sqrt(D)) * g();
  const bias = Float32Array.from({ length: K }, () => 0.1 * g());
  return { features, labels, weights, bias };
}
