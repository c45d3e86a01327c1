import { analyze } from '@ncscope/core';

// 600 samples of D = 8 features in K = 3 classes: class means on a triangle plus small noise.
const K = 3, D = 8, N = 600;
const features = new Float32Array(N * D);
const labels = new Int32Array(N);
for (let i = 0; i < N; i++) {
  const y = i % K;
  labels[i] = y;
  for (let t = 0; t < D; t++) {
    const centre = t === y ? 1 : 0; // means e_0, e_1, e_2: a (shifted) simplex ETF
    features[i * D + t] = centre + 0.05 * Math.sin(7 * i + 3 * t); // deterministic "noise"
  }
}
// Classifier rows (K × D, like PyTorch nn.Linear.weight) along the centred class means e_k − (1/K)Σe_j.
const weights = new Float32Array(K * D);
for (let k = 0; k < K; k++) for (let t = 0; t < K; t++) weights[k * D + t] = (t === k ? 1 : 0) - 1 / K;

// A source must be re-readable (two passes): an array of batches, or a function returning a fresh iterable.
const batches = [{ features, labels }];
const { report } = await analyze(batches, { classifier: { weights } });

console.log(`N=${report.N} D=${report.D} K=${report.K} rank(Σ_B)=${report.rank}`);
console.log(`NC1 = ${report.metrics.nc1!.toExponential(3)}   (0 when features sit on their class means)`);
console.log(`ETF error of the means = ${report.metrics.etfErrorMeans.toExponential(3)}   (0 for a simplex ETF)`);
console.log(`NC3 (self-duality) = ${report.metrics.nc3SelfDuality!.toExponential(3)}, NC4 mismatch = ${report.metrics.nc4NccMismatch}`);
