import { evaluateOod, mulberry32 } from '@ncscope/core';

// Three Gaussian classes in D = 8 (the fit set and a held-out ID set), a classifier aligned with the class means,
// and an OOD set centred elsewhere.
const D = 8, K = 3;
const random = mulberry32(7);
const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const centre = (k: number) => Array.from({ length: D }, (_, t) => (t === k ? 4 : 0) + 1);
const rows = (n: number, at: (i: number) => number[], spread: number) =>
  Float64Array.from({ length: n * D }, (_, j) => at(Math.floor(j / D))[j % D] + spread * normal());
const fitLabels = Int32Array.from({ length: 600 }, (_, i) => i % K);
const fit = rows(600, (i) => centre(i % K), 1);
const id = rows(150, (i) => centre(i % K), 1);
const ood = rows(150, () => Array.from({ length: D }, (_, t) => (t >= 5 ? 3 : 1)), 1.5);
const weights = Float64Array.from({ length: K * D }, (_, j) => (Math.floor(j / D) === j % D ? 1 : 0));

const result = await evaluateOod([{ features: fit, labels: fitLabels }], [{ features: id }], { far: [{ features: ood }] }, {
  classifier: { weights, bias: new Float64Array(K) },
  vimDim: 4,
});
for (const [score, sets] of Object.entries(result.scores)) {
  const m = sets.far;
  console.log(`${score.padEnd(12)} AUROC ${m.auroc.toFixed(3)}  FPR95 ${m.fpr95.toFixed(3)}  AUPR-In ${m.auprIn.toFixed(3)}`);
}
console.log(`NC5 (centred) ${result.nc5.far.centred.toFixed(3)}, NECO dimension ${result.params.necoDim}, ViM α ${result.params.vimAlpha!.toFixed(3)}`);
console.log(`fit set: N = ${result.fit.N}, NC1 = ${result.fit.report!.metrics.nc1!.toFixed(3)}`);
