/**
 * Feature files → Neural Collapse report.
 *
 * Writes a realistic dumped-features set to .tmp/example-features/ — N = 20,000 penultimate-layer features of
 * dimension D = 256 for K = 10 classes, float32, partially collapsed (class means near a simplex ETF, within-class
 * spread a fraction of the between-class spread, a few confusable samples), plus the linear classifier W (K × D)
 * and bias b (K) — as NumPy .npy files, exactly what `np.save` writes. Then runs
 *
 *   ncscope analyze --features features.npy --labels labels.npy --weights weights.npy --bias bias.npy
 *
 * on them and prints the table. Run from the repository root:  node --import tsx examples/feature-files/main.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { main } from 'ncscope';
import { encodeNpy, mulberry32 } from '@ncscope/core';

const N = 20_000;
const D = 256;
const K = 10;
const OUT = join(process.cwd(), '.tmp', 'example-features');

/** Seeded uniform generator (mulberry32) and standard normals (Box–Muller): the same files on every run. */
function rng(seed: number) {
  const uniform = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

function generate() {
  const { uniform, normal } = rng(20240607);
  // An orthonormal basis of K directions in R^D (Gram–Schmidt on Gaussian vectors).
  const basis = Array.from({ length: K }, () => Float64Array.from({ length: D }, normal));
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < k; j++) {
      let dot = 0;
      for (let t = 0; t < D; t++) dot += basis[k][t] * basis[j][t];
      for (let t = 0; t < D; t++) basis[k][t] -= dot * basis[j][t];
    }
    let norm = 0;
    for (let t = 0; t < D; t++) norm += basis[k][t] ** 2;
    for (let t = 0; t < D; t++) basis[k][t] /= Math.sqrt(norm);
  }
  // Class means: a simplex ETF (e_k − 1/K, scaled) with ±10 % norms and a little angular noise, plus an offset.
  const offset = Float64Array.from({ length: D }, () => 2 + 0.5 * normal());
  const means = Array.from({ length: K }, (_, k) => {
    const scale = 6 * (1 + 0.1 * (2 * uniform() - 1));
    const m = new Float64Array(D);
    for (let j = 0; j < K; j++) {
      const c = (j === k ? 1 : 0) - 1 / K;
      for (let t = 0; t < D; t++) m[t] += scale * c * basis[j][t];
    }
    for (let t = 0; t < D; t++) m[t] += 0.4 * normal() + offset[t];
    return m;
  });
  // Labels: mildly imbalanced (class k drawn with weight 1 + k/10).
  const weights = Array.from({ length: K }, (_, k) => 1 + k / 10);
  const total = weights.reduce((a, b) => a + b, 0);
  const labels = new BigInt64Array(N);
  const features = new Float32Array(N * D);
  for (let i = 0; i < N; i++) {
    let u = uniform() * total;
    let y = 0;
    while (u > weights[y] && y < K - 1) u -= weights[y++];
    labels[i] = BigInt(y);
    // Within-class noise: isotropic plus a stronger component along a class-specific direction; 1 % of samples
    // sit halfway to another class (the confusable ones NC4 and NCC accuracy notice).
    const stray = uniform() < 0.01 ? Math.floor(uniform() * K) : -1;
    const along = 0.8 * normal();
    for (let t = 0; t < D; t++) {
      let v = means[y][t] + 0.25 * normal() + along * basis[(y + 1) % K][t];
      if (stray >= 0) v = 0.5 * v + 0.5 * means[stray][t];
      features[i * D + t] = v;
    }
  }
  // Classifier: rows along the centred class means (nearly self-dual), with noise; a small bias.
  const W = new Float32Array(K * D);
  const b = new Float32Array(K);
  for (let k = 0; k < K; k++) {
    for (let t = 0; t < D; t++) {
      let centred = means[k][t];
      for (let j = 0; j < K; j++) centred -= means[j][t] / K;
      W[k * D + t] = 0.2 * centred + 0.05 * normal();
    }
    b[k] = 0.1 * normal();
  }
  return { features, labels, W, b };
}

const t0 = performance.now();
const { features, labels, W, b } = generate();
mkdirSync(OUT, { recursive: true });
const files = {
  features: join(OUT, 'features.npy'),
  labels: join(OUT, 'labels.npy'),
  weights: join(OUT, 'weights.npy'),
  bias: join(OUT, 'bias.npy'),
};
writeFileSync(files.features, encodeNpy(features, [N, D]));
writeFileSync(files.labels, encodeNpy(labels, [N]));
writeFileSync(files.weights, encodeNpy(W, [K, D]));
writeFileSync(files.bias, encodeNpy(b, [K]));
const rel = (p: string) => relative(process.cwd(), p);
console.log(`wrote ${rel(OUT)}/{features,labels,weights,bias}.npy — N = ${N}, D = ${D}, K = ${K}, float32 (${((performance.now() - t0) / 1000).toFixed(2)} s)`);
const args = ['analyze', '--features', rel(files.features), '--labels', rel(files.labels), '--weights', rel(files.weights), '--bias', rel(files.bias), ...process.argv.slice(2)];
console.log(`$ npx ncscope ${args.join(' ')}\n`);
process.exitCode = await main(['node', 'ncscope', ...args]);
