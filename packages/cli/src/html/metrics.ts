/** How one metric is named, plotted and explained in the report. */
export interface MetricInfo {
  /** Key in `NcMeasurement.metrics` (core's `NcMetrics`). */
  key: string;
  /** Short name, used as the plot's y-axis title (with `formula`). */
  name: string;
  formula: string;
  /** What the value is at full collapse, and the paper that defined it. */
  note: string;
  /** Plotted on a log axis when every value is positive (metrics that fall towards 0 over orders of magnitude). */
  log: boolean;
}

/** A block of trend plots. */
export interface MetricGroup {
  id: string;
  /** Name in the page's navigation bar. */
  short: string;
  title: string;
  blurb: string;
  metrics: MetricInfo[];
}

/** The trend plots in page order; definitions follow DESIGN.md and core's metric functions. */
export const METRIC_GROUPS: readonly MetricGroup[] = [
  {
    id: 'nc1',
    short: 'NC1',
    title: 'NC1 — within-class variability collapse',
    blurb: 'Features of a class shrink to their class mean; all three fall towards 0.',
    metrics: [
      { key: 'nc1', name: 'NC1', formula: 'Tr(Σ_W Σ_B⁺)/K', note: '→ 0; Papyan, Han & Donoho 2020', log: true },
      { key: 'nc1Quotient', name: 'NC1 quotient', formula: 'Tr Σ_W / Tr Σ_B', note: '→ 0; Tirer et al. 2023', log: true },
      { key: 'cdnv', name: 'CDNV', formula: 'mean (v_k+v_l)/(2‖μ_k−μ_l‖²)', note: '→ 0; Galanti et al. 2022', log: true },
    ],
  },
  {
    id: 'nc2-means',
    short: 'NC2 means',
    title: 'NC2 — class means approach a simplex ETF',
    blurb: 'Centred class means μ̃_k = μ_k − μ_G become equal in norm and maximally, equally separated.',
    metrics: [
      { key: 'equinormMeans', name: 'equinorm (means)', formula: 'std‖μ̃_k‖ / mean‖μ̃_k‖', note: '→ 0; Papyan et al. 2020', log: true },
      { key: 'equiangularityMeans', name: 'equiangularity (means)', formula: 'std cos(μ̃_k, μ̃_l)', note: '→ 0; Papyan et al. 2020', log: true },
      { key: 'maxAngleMeans', name: 'max-angle (means)', formula: 'mean |cos(μ̃_k, μ̃_l) + 1/(K−1)|', note: '→ 0; Papyan et al. 2020', log: true },
      { key: 'etfErrorMeans', name: 'ETF error (means)', formula: '‖M̃M̃ᵀ/‖M̃M̃ᵀ‖_F − E‖_F', note: '→ 0; Zhu et al. 2021', log: true },
    ],
  },
  {
    id: 'nc2-classifier',
    short: 'NC2 classifier',
    title: 'NC2 — classifier rows approach a simplex ETF',
    blurb: 'The same geometry for the rows w_k of the last layer.',
    metrics: [
      { key: 'equinormWeights', name: 'equinorm (classifier)', formula: 'std‖w_k‖ / mean‖w_k‖', note: '→ 0; Papyan et al. 2020', log: true },
      { key: 'equiangularityWeights', name: 'equiangularity (classifier)', formula: 'std cos(w_k, w_l)', note: '→ 0; Papyan et al. 2020', log: true },
      { key: 'maxAngleWeights', name: 'max-angle (classifier)', formula: 'mean |cos(w_k, w_l) + 1/(K−1)|', note: '→ 0; Papyan et al. 2020', log: true },
      { key: 'etfErrorWeights', name: 'ETF error (classifier)', formula: '‖WWᵀ/‖WWᵀ‖_F − E‖_F', note: '→ 0; Zhu et al. 2021', log: true },
    ],
  },
  {
    id: 'nc3',
    short: 'NC3',
    title: 'NC3 — self-duality of classifier and class means',
    blurb: 'The classifier rows align with the centred class means.',
    metrics: [
      { key: 'nc3SelfDuality', name: 'NC3 self-duality', formula: '‖W/‖W‖_F − M̃/‖M̃‖_F‖²_F', note: '→ 0; Papyan et al. 2020', log: true },
      { key: 'nc3Zhu', name: 'NC3 (Zhu)', formula: '‖WM̃ᵀ/‖WM̃ᵀ‖_F − E‖_F', note: '→ 0; Zhu et al. 2021', log: true },
    ],
  },
  {
    id: 'nc4',
    short: 'NC4',
    title: 'NC4 — the classifier becomes nearest class centre',
    blurb: 'NC4 counts samples where the nearest class mean and the classifier disagree; accuracies on the probe set.',
    metrics: [
      { key: 'nc4NccMismatch', name: 'NC4 mismatch', formula: 'P(argmin‖h−μ_k‖ ≠ argmax(Wh+b)_k)', note: '→ 0; Papyan et al. 2020', log: false },
      { key: 'nccAccuracy', name: 'NCC accuracy', formula: 'P(argmin‖h−μ_k‖ = y)', note: '→ training accuracy', log: false },
      { key: 'classifierAccuracy', name: 'classifier accuracy', formula: 'P(argmax(Wh+b)_k = y)', note: 'on the probe set', log: false },
    ],
  },
  {
    id: 'central-path',
    short: 'central path',
    title: 'MSE central path (Han, Papyan & Donoho 2022)',
    blurb: 'The regularised MSE loss of the classifier split into its NC1, NC2/3 and off-central-path parts.',
    metrics: [
      { key: 'centralPathNC1', name: 'L_NC1', formula: 'NC1 part of the MSE loss', note: '→ 0 on the central path', log: true },
      { key: 'centralPathNC23', name: 'L_NC2/3', formula: 'NC2/3 part (with the ridge penalty)', note: 'Han, Papyan & Donoho 2022', log: true },
      { key: 'centralPathPerp', name: 'L⊥', formula: 'distance of (W, b) from the LS classifier', note: '→ 0 on the central path', log: true },
      { key: 'centralPathLoss', name: 'MSE loss', formula: 'L_NC1 + L_NC2/3 + L⊥', note: 'regularised MSE of (W, b)', log: true },
    ],
  },
  {
    id: 'alignment',
    short: 'alignment',
    title: 'Subspace alignment (Rangamani et al. 2023)',
    blurb: 'How much of the class-mean subspace lies in the top input subspace of the classifier, and of the layer that reads the features (1 = inside it).',
    metrics: [
      { key: 'subspaceAlignmentWeights', name: 'alignment with W', formula: 'mean σ_i(V_rᵀU), r = min(K−1, rank Σ_B)', note: '→ 1; Rangamani et al. 2023', log: false },
      { key: 'subspaceAlignment', name: 'alignment with the next layer', formula: 'mean σ_i(V_rᵀU) for the consuming layer', note: '→ 1; Rangamani et al. 2023', log: false },
    ],
  },
  {
    id: 'parity',
    short: 'other codebases',
    title: 'Metrics other NC codebases report',
    blurb: 'Generalized NC2 kernels (Liu et al. 2023, as rhubarbwu/neural-collapse computes them), NC1 with Σ_B inverted on its top K−1 eigenvalues, uniform duality (UNC3), the sum of the classifier rows (NC0) and distances from an orthogonal frame.',
    metrics: [
      { key: 'nc1Svd', name: 'NC1 (svd)', formula: 'Tr(Σ_W Σ_B⁻¹ on its top K−1 eigenvalues)/K', note: '→ 0; Han et al. 2022', log: true },
      { key: 'gnc2LogMean', name: 'GNC2 log kernel, mean', formula: 'mean log 1/‖μ̂_k − μ̂_l‖', note: 'lower = more uniform; Liu et al. 2023', log: false },
      { key: 'gnc2LogVar', name: 'GNC2 log kernel, variance', formula: 'var log 1/‖μ̂_k − μ̂_l‖', note: '→ 0; Liu et al. 2023', log: true },
      { key: 'gnc2RieszMean', name: 'GNC2 Riesz kernel, mean', formula: 'mean ‖μ̂_k − μ̂_l‖^−(D−2)', note: 'lower = more uniform', log: true },
      { key: 'gnc2RieszVar', name: 'GNC2 Riesz kernel, variance', formula: 'var ‖μ̂_k − μ̂_l‖^−(D−2)', note: '→ 0', log: true },
      { key: 'gnc2DistMean', name: 'GNC2 distance, mean', formula: 'mean ‖μ̂_k − μ̂_l‖', note: '→ √(2K/(K−1)) at an ETF', log: false },
      { key: 'gnc2DistVar', name: 'GNC2 distance, variance', formula: 'var ‖μ̂_k − μ̂_l‖', note: '→ 0', log: true },
      { key: 'unc3', name: 'UNC3', formula: 'var_k ⟨w_k, μ̃_k⟩', note: '→ 0; rhubarbwu README', log: true },
      { key: 'unc3Cos', name: 'UNC3 (cosine)', formula: 'var_k cos(w_k, μ̃_k)', note: '→ 0', log: true },
      { key: 'nc0', name: 'NC0', formula: '‖Σ_k w_k‖', note: '→ 0', log: true },
      { key: 'coherence', name: 'coherence', formula: 'mean |cos(μ̃_k, μ̃_l) + 1/(K−1)|', note: '→ 0; equals the max-angle of the means', log: true },
      { key: 'orthoFrameMeans', name: 'orthogonal frame (means)', formula: '‖MMᵀ/‖MMᵀ‖_F − I/√K‖_F', note: '→ 0 for the bias-free MSE geometry', log: true },
      { key: 'orthoFrameWeights', name: 'orthogonal frame (classifier)', formula: '‖WWᵀ/‖WWᵀ‖_F − I/√K‖_F', note: '→ 0 for the bias-free MSE geometry', log: true },
    ],
  },
];

/** Every metric key with its info, for the metrics table of a snapshot. */
export const METRICS: readonly MetricInfo[] = METRIC_GROUPS.flatMap((g) => g.metrics);

/** Metrics the catalogue does not know (added to core later): plotted by key in an "other metrics" block. */
export function otherMetricKeys(keys: Iterable<string>): string[] {
  const known = new Set(METRICS.map((m) => m.key));
  return [...new Set(keys)].filter((k) => !known.has(k));
}

/** The imbalance section's curves (minority collapse, Fang et al. 2021): each plot overlays a few series of `imbalance`. */
export const IMBALANCE_PLOTS: readonly { id: string; name: string; formula: string; note: string; log: boolean; series: { key: string; label: string }[] }[] = [
  {
    id: 'cos-w', name: 'cosine of classifier rows within a group', formula: 'mean cos(w_k, w_l), k ≠ l inside the group', log: false,
    note: 'minority collapse drives the minority curve towards 1; a simplex ETF has −1/(K−1)',
    series: [{ key: 'minorityCosineWeights', label: 'minority' }, { key: 'majorityCosineWeights', label: 'majority' }],
  },
  {
    id: 'cos-m', name: 'cosine of centred means within a group', formula: 'mean cos(μ̃_k, μ̃_l), k ≠ l inside the group', log: false,
    note: 'a simplex ETF has −1/(K−1)',
    series: [{ key: 'minorityCosineMeans', label: 'minority' }, { key: 'majorityCosineMeans', label: 'majority' }],
  },
  {
    id: 'norm-ratio', name: 'norm ratio minority / majority', formula: 'mean norm over the minority ÷ mean over the majority', log: false,
    note: '1 = equal norms across the groups',
    series: [{ key: 'normRatioWeights', label: '‖w_k‖' }, { key: 'normRatioMeans', label: '‖μ̃_k‖' }],
  },
  {
    id: 'nc1-group', name: 'per-class NC1, averaged over each group', formula: 'mean of Tr(Σ_c Σ_B⁺) over the group', log: true,
    note: '→ 0 under NC1',
    series: [{ key: 'nc1Minority', label: 'minority' }, { key: 'nc1Majority', label: 'majority' }],
  },
];
