import { analyzeMultiLabel, mulberry32 } from '@ncscope/core';

// K = 4 classes in D = 6: single-label samples around the class means μ_k, two-label samples around
// μ_G + 0.8 · (average of their labels' centred means) — the "tag-wise average" Li et al. (2023) predict.
const K = 4, D = 6;
const random = mulberry32(1);
const noise = () => 0.05 * (random() - 0.5);
const mu = Array.from({ length: K }, (_, k) => Array.from({ length: D }, (_, t) => (t === k ? 1 : 0) + 0.2 * t));
const muG = mu[0].map((_, t) => mu.reduce((s, m) => s + m[t], 0) / K);
const labels: number[][] = [];
const rows: number[][] = [];
for (let i = 0; i < 400; i++) {
  const set = i % 3 === 0 ? [i % K, (i + 1) % K] : [i % K]; // a third of the samples carry two labels
  const c = set.length === 1 ? 1 : 0.8;
  labels.push(set);
  rows.push(muG.map((g, t) => g + (c * set.reduce((s, k) => s + mu[k][t] - g, 0)) / set.length + noise()));
}
const features = Float64Array.from(rows.flat());

// Labels as one list per row (or multi-hot rows × K with { K }); one batch here, any number in general.
const { report } = await analyzeMultiLabel([{ features, labels }], { ncMlab: true });
const ml = report.multiLabel;
console.log(`${ml.singleLabelN} single-label, ${ml.multiLabelN} multi-label samples in ${ml.setsMeasured} label sets`);
console.log(`NC1 (single-label) = ${report.metrics.nc1!.toExponential(2)}, label-set NC1 = ${ml.labelSetNc1!.toExponential(2)}`);
console.log(`tag-wise angle: mean ${ml.tagWiseAngle!.toFixed(3)}°, max ${ml.tagWiseAngleMax!.toFixed(3)}°; scale for |S| = 2: ${ml.tagWiseScale['2'].toFixed(4)}`);
console.log(`NC_MLab script's angle ratio = ${ml.ncMlab!.angleRatio!.toFixed(4)}`);
