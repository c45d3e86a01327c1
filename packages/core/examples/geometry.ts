import { analyze, mulberry32 } from '@ncscope/core';

// K = 4 classes in D = 6: three classes of 200 samples and one of 10 (a 20:1 imbalance), noisy class means.
const K = 4, D = 6;
const sizes = [200, 200, 200, 10];
const u = mulberry32(3);
const centres = Array.from({ length: K }, (_, k) => Array.from({ length: D }, (_, t) => (t === k ? 4 : 0) + u() - 0.5));
const labels = Int32Array.from(sizes.flatMap((n, k) => Array.from({ length: n }, () => k)));
const features = Float64Array.from({ length: labels.length * D }, (_, i) => centres[labels[Math.floor(i / D)]][i % D] + u() - 0.5);
// A classifier whose last row leans towards the others' (what minority collapse looks like), and the next layer's weight.
const weights = Float64Array.from(centres.flatMap((c, k) => c.map((x, t) => (k === 3 ? 0.3 * x + 0.7 * centres[0][t] : x))));
const next = Float64Array.from({ length: 3 * D }, () => u() - 0.5);

const { report } = await analyze([{ features, labels }], {
  classifier: { weights },
  normalize: 'features', // every metric on h/‖h‖ (Yaras et al. 2022); 'features-and-classifier' normalizes W too
  consumer: { weights: next, outputs: 3, name: 'next' }, // a layer reading the features: its subspace alignment
});
const b = report.imbalance!;
console.log(`normalize: ${report.conventions.normalize}, degenerate: ${report.degenerate}`);
console.log(`minority (n_k < ${b.minorityBelow}): classes ${b.minorityClasses}; majority ${b.majorityClasses}`);
console.log(`cos of W rows, majority ${b.majorityCosineWeights!.toFixed(3)}; ‖w‖ minority/majority ${b.normRatioWeights!.toFixed(3)}`);
console.log(`alignment with W ${report.metrics.subspaceAlignmentWeights!.toFixed(4)}, with the next layer ${report.metrics.subspaceAlignment!.toFixed(4)}`);
console.log(`GNC2 log kernel mean ${report.metrics.gnc2LogMean!.toFixed(4)}, orthogonal-frame distance of the means ${report.metrics.orthoFrameMeans!.toFixed(4)}`);

// All-zero features: degenerate geometry, not collapse — the ratios are NaN (null in JSON), with a warning.
const zero = await analyze([{ features: new Float64Array(features.length), labels }]);
console.log(`zero features: degenerate ${zero.report.degenerate}, NC1 ${zero.report.metrics.nc1}`);
