import type { PresetName } from '../conventions.js';
import { registerMetricGroup, type MetricEntry, type MetricGroupEntry } from './catalogue.js';

/**
 * Core's Neural Collapse metrics (`report.metrics`), in page and table order. Each metric's function in metrics/ or
 * heads/ carries its formula and paper in its doc comment; this is the one list of them.
 */

const ALL: readonly PresetName[] = ['ncscope', 'papyan', 'rhubarbwu', 'zhu', 'zhou'];

type Spec = Omit<MetricEntry, 'section' | 'group' | 'needs' | 'presets' | 'log' | 'better' | 'format' | 'atCollapse'> &
  Partial<Pick<MetricEntry, 'needs' | 'presets' | 'log' | 'better' | 'format' | 'atCollapse'>>;

function group(info: Omit<MetricGroupEntry, 'section'>, specs: Spec[]): void {
  const g: MetricGroupEntry = { ...info, section: 'metrics' };
  registerMetricGroup(g, specs.map((s) => ({
    section: 'metrics', group: g.id, needs: [], presets: ['ncscope'], log: true, better: 'lower', format: 'number', atCollapse: '→ 0', ...s,
  })));
}

const nc1Div = (c: { nc1Normalization?: 'K' | 'none' }) => (c.nc1Normalization === 'none' ? '' : '/K');

group(
  { id: 'nc1', short: 'NC1', title: 'NC1 — within-class variability collapse', blurb: 'Features of a class shrink to their class mean; all three fall towards 0.' },
  [
    {
      key: 'nc1', label: 'NC1', name: 'NC1', short: 'NC1', symbol: 'NC1', formula: 'Tr(Σ_W Σ_B⁺)/K', formulaFor: (c) => `Tr(Σ_W Σ_B⁺)${nc1Div(c)}`,
      meaning: 'within-class variability vs between-class (0 = collapsed)', paper: 'Papyan, Han & Donoho 2020', needs: ['spread'], presets: ALL, headline: true, degenerateNaN: true,
    },
    {
      key: 'nc1Quotient', label: 'NC1 quotient', name: 'NC1 quotient', short: 'NC1 quot.', symbol: 'NC1', formula: 'Tr Σ_W / Tr Σ_B',
      meaning: 'the same as a ratio of traces (0 = collapsed)', paper: 'Tirer, Huang & Niles-Weed 2023', needs: ['spread'], headline: true, degenerateNaN: true,
    },
    {
      key: 'cdnv', label: 'CDNV', name: 'CDNV', short: 'CDNV', symbol: 'CDNV', formula: 'mean (v_k+v_l)/(2‖μ_k−μ_l‖²)',
      meaning: 'class-distance normalised variance (0 = collapsed)', paper: 'Galanti et al. 2022', needs: ['spread'], presets: ['ncscope', 'rhubarbwu'], degenerateNaN: true,
    },
  ],
);

group(
  {
    id: 'nc2-means', short: 'NC2 means', title: 'NC2 — class means approach a simplex ETF',
    blurb: 'Centred class means μ̃_k = μ_k − μ_G become equal in norm and maximally, equally separated.',
  },
  [
    {
      key: 'equinormMeans', label: 'NC2 equinorm', name: 'equinorm (means)', short: 'equinorm', symbol: 'NC2', formula: 'std‖μ̃_k‖ / mean‖μ̃_k‖',
      meaning: 'centred class means equally long (0 = equal norms)', paper: 'Papyan et al. 2020', presets: ['ncscope', 'papyan'], degenerateNaN: true,
    },
    {
      key: 'equiangularityMeans', label: 'NC2 equiangular', name: 'equiangularity (means)', short: 'NC2 equiang.', symbol: 'NC2', formula: 'std cos(μ̃_k, μ̃_l)',
      meaning: 'pairwise angles of the means equal (0 = equal)', paper: 'Papyan et al. 2020', presets: ['ncscope', 'papyan'], headline: true, degenerateNaN: true,
    },
    {
      key: 'maxAngleMeans', label: 'NC2 max-angle', name: 'max-angle (means)', short: 'max-angle', symbol: 'NC2', formula: 'mean |cos(μ̃_k, μ̃_l) + 1/(K−1)|',
      meaning: 'angles at the simplex value (0 = maximally apart)', paper: 'Papyan et al. 2020', presets: ['ncscope', 'papyan', 'rhubarbwu'], degenerateNaN: true,
      // rhubarbwu/neural-collapse reports this number as "coherence".
      aliases: ['coherence'],
    },
    {
      key: 'etfErrorMeans', label: 'NC2 ETF error', name: 'ETF error (means)', short: 'NC2 ETF', symbol: 'NC2', formula: '‖M̃M̃ᵀ/‖M̃M̃ᵀ‖_F − E‖_F',
      meaning: "means' Gram matrix vs a simplex ETF (0 = ETF)", paper: 'Zhu et al. 2021', presets: ['ncscope', 'rhubarbwu'], headline: true, degenerateNaN: true,
    },
  ],
);

group(
  { id: 'nc2-classifier', short: 'NC2 classifier', title: 'NC2 — classifier rows approach a simplex ETF', blurb: 'The same geometry for the rows w_k of the last layer.' },
  [
    {
      key: 'equinormWeights', label: 'NC2 equinorm W', name: 'equinorm (classifier)', short: 'equinorm W', symbol: 'NC2', formula: 'std‖w_k‖ / mean‖w_k‖',
      meaning: 'classifier rows equally long (0 = equal norms)', paper: 'Papyan et al. 2020', needs: ['classifier'], presets: ['ncscope', 'papyan'],
    },
    {
      key: 'equiangularityWeights', label: 'NC2 equiangular W', name: 'equiangularity (classifier)', short: 'equiang. W', symbol: 'NC2', formula: 'std cos(w_k, w_l)',
      meaning: 'pairwise angles of the rows equal (0 = equal)', paper: 'Papyan et al. 2020', needs: ['classifier'], presets: ['ncscope', 'papyan'],
    },
    {
      key: 'maxAngleWeights', label: 'NC2 max-angle W', name: 'max-angle (classifier)', short: 'max-angle W', symbol: 'NC2', formula: 'mean |cos(w_k, w_l) + 1/(K−1)|',
      meaning: 'row angles at the simplex value (0 = maximally apart)', paper: 'Papyan et al. 2020', needs: ['classifier'], presets: ['ncscope', 'papyan'],
    },
    {
      key: 'etfErrorWeights', label: 'NC2 ETF error W', name: 'ETF error (classifier)', short: 'NC2 ETF W', symbol: 'NC2', formula: '‖WWᵀ/‖WWᵀ‖_F − E‖_F',
      meaning: 'classifier Gram matrix vs a simplex ETF (0 = ETF)', paper: 'Zhu et al. 2021', needs: ['classifier'], presets: ['ncscope', 'zhu', 'zhou'], headline: true,
    },
  ],
);

group(
  { id: 'nc3', short: 'NC3', title: 'NC3 — self-duality of classifier and class means', blurb: 'The classifier rows align with the centred class means.' },
  [
    {
      key: 'nc3SelfDuality', label: 'NC3 self-duality', name: 'NC3 self-duality', short: 'NC3', symbol: 'NC3', formula: '‖W/‖W‖_F − M̃/‖M̃‖_F‖²_F',
      meaning: 'classifier rows aligned with the class means (0 = dual)', paper: 'Papyan et al. 2020', needs: ['classifier'], presets: ['ncscope', 'papyan'], degenerateNaN: true,
    },
    {
      key: 'nc3Zhu', label: 'NC3 (Zhu)', name: 'NC3 (Zhu)', short: 'NC3 (Zhu)', symbol: 'NC3', formula: '‖WM̃ᵀ/‖WM̃ᵀ‖_F − E‖_F',
      meaning: 'classifier-means products vs a simplex ETF (0 = ETF)', paper: 'Zhu et al. 2021', needs: ['classifier'], presets: ['ncscope', 'rhubarbwu', 'zhu', 'zhou'], headline: true, degenerateNaN: true,
    },
  ],
);

group(
  {
    id: 'nc4', short: 'NC4', title: 'NC4 — the classifier becomes nearest class centre',
    blurb: 'NC4 counts samples where the nearest class mean and the classifier disagree; accuracies on the probe set.',
  },
  [
    {
      key: 'nc4NccMismatch', label: 'NC4', name: 'NC4 mismatch', short: 'NC4', symbol: 'NC4', formula: 'P(argmin‖h−μ_k‖ ≠ argmax(Wh+b)_k)',
      formulaFor: (c) => (c.nc4Bias === false ? 'P(argmin‖h−μ_k‖ ≠ argmax(Wh)_k)' : 'P(argmin‖h−μ_k‖ ≠ argmax(Wh+b)_k)'),
      meaning: 'classifier decides as nearest class centre (0 = same)', paper: 'Papyan et al. 2020', needs: ['spread', 'classifier'], presets: ['ncscope', 'papyan', 'rhubarbwu'],
      log: false, format: 'fraction', headline: true,
    },
    {
      key: 'classifierAccuracy', label: 'classifier acc.', name: 'classifier accuracy', short: 'acc.', symbol: 'accuracy', formula: 'P(argmax(Wh+b)_k = y)',
      meaning: 'accuracy of the given classifier', atCollapse: 'on the probe set', paper: '', needs: ['spread', 'classifier'], log: false, better: 'higher', format: 'fraction', headline: true,
    },
    {
      key: 'nccAccuracy', label: 'NCC accuracy', name: 'NCC accuracy', short: 'NCC acc.', symbol: 'NC4', formula: 'P(argmin‖h−μ_k‖ = y)',
      meaning: 'accuracy of the nearest-class-centre rule', atCollapse: '→ training accuracy', paper: 'Papyan et al. 2020', needs: ['spread'], log: false, better: 'higher', format: 'fraction', headline: true,
    },
  ],
);

group(
  {
    id: 'central-path', short: 'central path', title: 'MSE central path (Han, Papyan & Donoho 2022)',
    blurb: 'The regularised MSE loss of the classifier split into its NC1, NC2/3 and off-central-path parts.',
  },
  [
    {
      key: 'centralPathNC1', label: 'L_NC1', name: 'L_NC1', short: 'L_NC1', symbol: 'NC1', formula: 'NC1 part of the MSE loss',
      meaning: 'NC1 part of the regularised MSE loss (0 on the central path)', atCollapse: '→ 0 on the central path', paper: 'Han, Papyan & Donoho 2022', needs: ['classifier', 'centralPath'],
    },
    {
      key: 'centralPathNC23', label: 'L_NC2/3', name: 'L_NC2/3', short: 'L_NC2/3', symbol: 'NC2/3', formula: 'NC2/3 part (with the ridge penalty)',
      meaning: 'NC2/3 part of the loss, with the ridge penalty', atCollapse: 'its minimum on the central path', paper: 'Han, Papyan & Donoho 2022', needs: ['classifier', 'centralPath'],
    },
    {
      key: 'centralPathPerp', label: 'L⊥', name: 'L⊥', short: 'L⊥', symbol: 'central path', formula: 'distance of (W, b) from the LS classifier',
      meaning: 'how far (W, b) is from the least-squares classifier (0 = on the path)', atCollapse: '→ 0 on the central path', paper: 'Han, Papyan & Donoho 2022', needs: ['classifier', 'centralPath'],
    },
    {
      key: 'centralPathLoss', label: 'MSE loss', name: 'MSE loss', short: 'MSE loss', symbol: 'loss', formula: 'L_NC1 + L_NC2/3 + L⊥',
      meaning: 'the regularised MSE loss of (W, b)', atCollapse: 'regularised MSE of (W, b)', paper: 'Han, Papyan & Donoho 2022', needs: ['classifier', 'centralPath'],
    },
  ],
);

group(
  {
    id: 'alignment', short: 'alignment', title: 'Subspace alignment (Rangamani et al. 2023)',
    blurb: 'How much of the class-mean subspace lies in the top input subspace of the classifier, and of the layer that reads the features (1 = inside it).',
  },
  [
    {
      key: 'subspaceAlignmentWeights', label: 'alignment W', name: 'alignment with W', short: 'align. W', symbol: 'alignment', formula: 'mean σ_i(V_rᵀU), r = min(K−1, rank Σ_B)',
      meaning: "means in W's top input subspace (1 = aligned)", atCollapse: '→ 1', paper: 'Rangamani et al. 2023', needs: ['classifier', 'alignmentLimit'],
      log: false, better: 'higher', format: 'fraction', degenerateNaN: true,
    },
    {
      key: 'subspaceAlignment', label: 'alignment next', name: 'alignment with the next layer', short: 'align.', symbol: 'alignment', formula: 'mean σ_i(V_rᵀU) for the consuming layer',
      meaning: "means in the consuming layer's top input subspace (1 = aligned)", atCollapse: '→ 1', paper: 'Rangamani et al. 2023', needs: ['consumer', 'alignmentLimit'],
      log: false, better: 'higher', format: 'fraction', headline: true, degenerateNaN: true,
    },
  ],
);

group(
  {
    id: 'parity', short: 'other codebases', title: 'Metrics other NC codebases report',
    blurb: 'Generalized NC2 kernels (Liu et al. 2023, as rhubarbwu/neural-collapse computes them), NC1 with Σ_B inverted on its top K−1 eigenvalues, uniform duality (UNC3), the sum of the classifier rows (NC0) and distances from an orthogonal frame.',
  },
  [
    {
      key: 'nc1Svd', label: 'NC1 (svd)', name: 'NC1 (svd)', short: 'NC1 svd', symbol: 'NC1', formula: 'Tr(Σ_W Σ_B⁻¹ on its top K−1 eigenvalues)/K',
      formulaFor: (c) => `Tr(Σ_W Σ_B⁻¹ on its top K−1 eigenvalues)${nc1Div(c)}`,
      meaning: 'NC1 inverting Σ_B on its top K−1 eigenvalues', paper: 'Han et al. 2022', needs: ['spread'], presets: ['ncscope', 'rhubarbwu'], degenerateNaN: true,
    },
    {
      key: 'gnc2LogMean', label: 'GNC2 log mean', name: 'GNC2 log kernel, mean', short: 'GNC2 log', symbol: 'GNC2', formula: 'mean log 1/‖μ̂_k−μ̂_l‖',
      meaning: 'hyperspherical uniformity of the means (lower = more uniform)', atCollapse: 'lower = more uniform', paper: 'Liu et al. 2023', presets: ['ncscope', 'rhubarbwu'], log: false, degenerateNaN: true,
    },
    {
      key: 'gnc2LogVar', label: 'GNC2 log var', name: 'GNC2 log kernel, variance', short: 'GNC2 log var', symbol: 'GNC2', formula: 'var log 1/‖μ̂_k−μ̂_l‖',
      meaning: 'its spread over pairs (0 = uniform)', paper: 'Liu et al. 2023', presets: ['ncscope', 'rhubarbwu'], degenerateNaN: true,
    },
    {
      key: 'gnc2RieszMean', label: 'GNC2 Riesz mean', name: 'GNC2 Riesz kernel, mean', short: 'GNC2 Riesz', symbol: 'GNC2', formula: 'mean ‖μ̂_k−μ̂_l‖^−(D−2)',
      meaning: 'Riesz energy of the normalized means (lower = more uniform)', atCollapse: 'lower = more uniform', paper: 'Liu et al. 2023', presets: ['ncscope', 'rhubarbwu'], degenerateNaN: true,
    },
    {
      key: 'gnc2RieszVar', label: 'GNC2 Riesz var', name: 'GNC2 Riesz kernel, variance', short: 'GNC2 R. var', symbol: 'GNC2', formula: 'var ‖μ̂_k−μ̂_l‖^−(D−2)',
      meaning: 'its spread over pairs (0 = uniform)', paper: 'Liu et al. 2023', presets: ['ncscope', 'rhubarbwu'], degenerateNaN: true,
    },
    {
      key: 'gnc2DistMean', label: 'GNC2 dist mean', name: 'GNC2 distance, mean', short: 'GNC2 dist', symbol: 'GNC2', formula: 'mean ‖μ̂_k−μ̂_l‖',
      meaning: 'mean distance of the normalized means', atCollapse: '→ √(2K/(K−1)) at an ETF', paper: 'Liu et al. 2023', presets: ['ncscope', 'rhubarbwu'], log: false, better: 'none', degenerateNaN: true,
    },
    {
      key: 'gnc2DistVar', label: 'GNC2 dist var', name: 'GNC2 distance, variance', short: 'GNC2 d. var', symbol: 'GNC2', formula: 'var ‖μ̂_k−μ̂_l‖',
      meaning: 'its spread over pairs (0 = uniform)', paper: 'Liu et al. 2023', presets: ['ncscope', 'rhubarbwu'], degenerateNaN: true,
    },
    {
      key: 'unc3', label: 'UNC3', name: 'UNC3', short: 'UNC3', symbol: 'UNC3', formula: 'var_k ⟨w_k, μ̃_k⟩',
      meaning: 'uniform duality (0 = every class aligned alike)', paper: 'Wu & Papyan 2024', needs: ['classifier'], presets: ['ncscope', 'rhubarbwu'],
    },
    {
      key: 'unc3Cos', label: 'UNC3 (cos)', name: 'UNC3 (cosine)', short: 'UNC3 cos', symbol: 'UNC3', formula: 'var_k cos(w_k, μ̃_k)',
      meaning: 'the same with cosines (0 = uniform)', paper: 'Wu & Papyan 2024', needs: ['classifier'], presets: ['ncscope', 'rhubarbwu'], degenerateNaN: true,
    },
    {
      key: 'nc0', label: 'NC0', name: 'NC0', short: 'NC0', symbol: 'NC0', formula: '‖Σ_k w_k‖',
      meaning: 'classifier rows sum to zero (0 = NC)', paper: 'Wu & Papyan 2024', needs: ['classifier'], presets: ['ncscope', 'rhubarbwu'],
    },
    {
      key: 'orthoFrameMeans', label: 'orth. frame M', name: 'orthogonal frame (means)', short: 'orth. M', symbol: 'NC2 (MSE)', formula: '‖MMᵀ/‖MMᵀ‖_F − I/√K‖_F',
      meaning: 'uncentred means vs an orthogonal frame (0 = orthogonal)', atCollapse: '→ 0 for the bias-free MSE geometry', paper: 'Tirer & Bruna 2022',
    },
    {
      key: 'orthoFrameWeights', label: 'orth. frame W', name: 'orthogonal frame (classifier)', short: 'orth. W', symbol: 'NC2 (MSE)', formula: '‖WWᵀ/‖WWᵀ‖_F − I/√K‖_F',
      meaning: 'classifier rows vs an orthogonal frame (0 = orthogonal)', atCollapse: '→ 0 for the bias-free MSE geometry', paper: 'Tirer & Bruna 2022', needs: ['classifier'],
    },
  ],
);
