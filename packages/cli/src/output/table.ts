import type { MultiLabelReport, NcMetrics, NcReport } from '@ncscope/core';
import { formatMultiLabelSection } from './multilabel-table.js';
import type { InputsInfo, Timing } from './json.js';

/** One line of the metric table: the JSON key, a short label, the formula and what it means. */
interface MetricRow {
  key: keyof NcMetrics;
  label: string;
  formula: (r: NcReport) => string;
  meaning: string;
}

/** The metrics in reading order. Formulas follow DESIGN.md; the report's conventions pick the variants. */
export const METRIC_ROWS: readonly MetricRow[] = [
  { key: 'nc1', label: 'NC1', formula: (r) => (r.conventions.nc1Normalization === 'K' ? 'Tr(Σ_W Σ_B⁺)/K' : 'Tr(Σ_W Σ_B⁺)'), meaning: 'within-class variability vs between-class (0 = collapsed)' },
  { key: 'nc1Quotient', label: 'NC1 quotient', formula: () => 'Tr Σ_W / Tr Σ_B', meaning: 'the same as a ratio of traces (0 = collapsed)' },
  { key: 'cdnv', label: 'CDNV', formula: () => 'mean (v_k+v_l)/2‖μ_k−μ_l‖²', meaning: 'class-distance normalised variance (0 = collapsed)' },
  { key: 'equinormMeans', label: 'NC2 equinorm', formula: () => 'std/mean ‖μ̃_k‖', meaning: 'centred class means equally long (0 = equal norms)' },
  { key: 'equiangularityMeans', label: 'NC2 equiangular', formula: () => 'std cos(μ̃_k, μ̃_l)', meaning: 'pairwise angles of the means equal (0 = equal)' },
  { key: 'maxAngleMeans', label: 'NC2 max-angle', formula: () => 'mean |cos + 1/(K−1)|', meaning: 'angles at the simplex value (0 = maximally apart)' },
  { key: 'etfErrorMeans', label: 'NC2 ETF error', formula: () => '‖M̃M̃ᵀ/‖M̃M̃ᵀ‖ − E‖_F', meaning: 'means\' Gram matrix vs a simplex ETF (0 = ETF)' },
  { key: 'equinormWeights', label: 'NC2 equinorm W', formula: () => 'std/mean ‖w_k‖', meaning: 'classifier rows equally long (0 = equal norms)' },
  { key: 'equiangularityWeights', label: 'NC2 equiangular W', formula: () => 'std cos(w_k, w_l)', meaning: 'pairwise angles of the rows equal (0 = equal)' },
  { key: 'maxAngleWeights', label: 'NC2 max-angle W', formula: () => 'mean |cos + 1/(K−1)|', meaning: 'row angles at the simplex value (0 = maximally apart)' },
  { key: 'etfErrorWeights', label: 'NC2 ETF error W', formula: () => '‖WWᵀ/‖WWᵀ‖ − E‖_F', meaning: 'classifier Gram matrix vs a simplex ETF (0 = ETF)' },
  { key: 'nc3SelfDuality', label: 'NC3 self-duality', formula: () => '‖W/‖W‖ − M̃/‖M̃‖‖²_F', meaning: 'classifier rows aligned with the class means (0 = dual)' },
  { key: 'nc3Zhu', label: 'NC3 (Zhu)', formula: () => '‖WM̃ᵀ/‖WM̃ᵀ‖ − E‖_F', meaning: 'classifier-means products vs a simplex ETF (0 = ETF)' },
  { key: 'nc4NccMismatch', label: 'NC4', formula: (r) => (r.conventions.nc4Bias ? 'P(NCC ≠ argmax Wh+b)' : 'P(NCC ≠ argmax Wh)'), meaning: 'classifier decides as nearest class centre (0 = same)' },
  { key: 'nccAccuracy', label: 'NCC accuracy', formula: () => 'P(argmin ‖h−μ_k‖ = y)', meaning: 'accuracy of the nearest-class-centre rule' },
  { key: 'classifierAccuracy', label: 'classifier acc.', formula: () => 'P(argmax Wh+b = y)', meaning: 'accuracy of the given classifier' },
  { key: 'subspaceAlignmentWeights', label: 'alignment W', formula: () => 'mean σ(V_rᵀU), r = K−1', meaning: 'means in W\'s top input subspace (1 = aligned; Rangamani et al.)' },
  { key: 'subspaceAlignment', label: 'alignment next', formula: () => 'mean σ(V_rᵀU) of the next layer', meaning: 'means in the consuming layer\'s top input subspace (1 = aligned)' },
  { key: 'nc1Svd', label: 'NC1 (svd)', formula: (r) => (r.conventions.nc1Normalization === 'K' ? 'Tr(Σ_W Σ_B⁻¹ on top K−1)/K' : 'Tr(Σ_W Σ_B⁻¹ on top K−1)'), meaning: 'NC1 inverting Σ_B on its top K−1 eigenvalues (Han et al.)' },
  { key: 'gnc2LogMean', label: 'GNC2 log mean', formula: () => 'mean log 1/‖μ̂_k−μ̂_l‖', meaning: 'hyperspherical uniformity of the means (lower = more uniform; Liu et al.)' },
  { key: 'gnc2LogVar', label: 'GNC2 log var', formula: () => 'var log 1/‖μ̂_k−μ̂_l‖', meaning: 'its spread over pairs (0 = uniform)' },
  { key: 'gnc2RieszMean', label: 'GNC2 Riesz mean', formula: () => 'mean ‖μ̂_k−μ̂_l‖^−(D−2)', meaning: 'Riesz energy of the normalized means' },
  { key: 'gnc2RieszVar', label: 'GNC2 Riesz var', formula: () => 'var ‖μ̂_k−μ̂_l‖^−(D−2)', meaning: 'its spread over pairs (0 = uniform)' },
  { key: 'gnc2DistMean', label: 'GNC2 dist mean', formula: () => 'mean ‖μ̂_k−μ̂_l‖', meaning: 'mean distance of the normalized means' },
  { key: 'gnc2DistVar', label: 'GNC2 dist var', formula: () => 'var ‖μ̂_k−μ̂_l‖', meaning: 'its spread over pairs (0 = uniform)' },
  { key: 'unc3', label: 'UNC3', formula: () => 'var_k ⟨w_k, μ̃_k⟩', meaning: 'uniform duality (0 = every class aligned alike)' },
  { key: 'unc3Cos', label: 'UNC3 (cos)', formula: () => 'var_k cos(w_k, μ̃_k)', meaning: 'the same with cosines (0 = uniform)' },
  { key: 'nc0', label: 'NC0', formula: () => '‖Σ_k w_k‖', meaning: 'classifier rows sum to zero (0 = NC)' },
  { key: 'orthoFrameMeans', label: 'orth. frame M', formula: () => '‖MMᵀ/‖MMᵀ‖ − I/√K‖_F', meaning: 'uncentred means vs an orthogonal frame (0 = orthogonal)' },
  { key: 'orthoFrameWeights', label: 'orth. frame W', formula: () => '‖WWᵀ/‖WWᵀ‖ − I/√K‖_F', meaning: 'classifier rows vs an orthogonal frame (0 = orthogonal)' },
];

/** Display width: combining marks (the tilde of μ̃) take no column. */
function width(s: string): number {
  return [...s.replace(/[\u0300-\u036f]/g, '')].length;
}

function pad(s: string, n: number): string {
  return s + ' '.repeat(Math.max(0, n - width(s)));
}

/** Six significant digits; exponent form below 1e-4. */
export function formatNumber(x: number | undefined): string {
  if (x === undefined) return '—';
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  if (Math.abs(x) < 1e-4 || Math.abs(x) >= 1e7) return x.toExponential(3);
  return Number(x.toPrecision(6)).toString();
}

function table(rows: string[][], indent = ''): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => width(r[c] ?? ''))));
  return rows.map((r) => indent + r.map((cell, c) => (c === r.length - 1 ? cell : pad(cell, widths[c]))).join('  ').trimEnd());
}

function describeInputs(inputs: InputsInfo, report: NcReport): string[] {
  const name = (path?: string, key?: string) => (path === undefined ? undefined : key ? `${path}[${key}]` : path);
  const lines: string[] = [];
  if (inputs.stats) lines.push(`statistics  ${inputs.stats}`);
  if (inputs.features) lines.push(`features    ${name(inputs.features, inputs.featuresKey)}${inputs.featureType ? `  (${inputs.featureType})` : ''}`);
  if (inputs.labels) lines.push(`labels      ${name(inputs.labels, inputs.labelsKey)}`);
  if (inputs.weights) lines.push(`classifier  ${name(inputs.weights, inputs.weightsKey)}${inputs.bias ? ` + bias ${name(inputs.bias, inputs.biasKey)}` : ''}`);
  if (inputs.consumer) lines.push(`next layer  ${inputs.consumer}`);
  const single = 'multiLabel' in report ? ' single-label' : '';
  lines.push(`N = ${report.N}${single} samples, D = ${report.D} features, K = ${report.K} classes, rank Σ_B = ${report.rank}`);
  return lines;
}

/** The human-readable report: inputs, sizes, conventions, one line per metric, per-class table, warnings, timing. */
export function formatReportTable(report: NcReport & { multiLabel?: MultiLabelReport }, engine: string, timing: Timing, inputs: InputsInfo, extraWarnings: string[] = []): string {
  const c = report.conventions;
  const lines: string[] = ['ncscope analyze', ...describeInputs(inputs, report).map((l) => `  ${l}`)];
  lines.push(
    `  conventions: preset ${c.preset}, global mean ${c.globalMean === 'class' ? 'class-uniform' : 'sample-weighted'}, ` +
      `NC1 ${c.nc1Normalization === 'K' ? '/K' : 'without /K'}, NC4 ${c.nc4Bias ? 'with' : 'without'} bias, ` +
      `${c.centreWeights ? 'W centred, ' : ''}pinv cutoff ${formatNumber(c.pinvCutoff)} (rtol ${c.pinvRtolRule} = ${formatNumber(c.pinvRtol)})` +
      `${c.normalize && c.normalize !== 'none' ? `, normalized ${c.normalize} (τ = ${formatNumber(c.temperature)})` : ''}` +
      `${c.cdnvExponent !== undefined && c.cdnvExponent !== 1 ? `, CDNV exponent ${formatNumber(c.cdnvExponent)}` : ''}`,
  );
  const parts = report.degenerate ? report.degenerateParts ?? ['means'] : [];
  if (parts.includes('means')) lines.push('  DEGENERATE GEOMETRY: the class means coincide — the ratios below are undefined (NaN), not collapse');
  if (parts.includes('classifier')) lines.push('  DEGENERATE CLASSIFIER: its rows are zero or identical — its geometry metrics below are undefined (NaN), not agreement');
  lines.push('');
  const rows: string[][] = [['metric', 'value', 'definition', 'meaning']];
  for (const m of METRIC_ROWS) {
    const v = report.metrics[m.key];
    if (v === undefined) continue;
    rows.push([m.label, formatNumber(v), m.formula(report), m.meaning]);
  }
  lines.push(...table(rows, '  '));
  const pc = report.perClass;
  if (pc && pc.classes.length <= 20) {
    lines.push('');
    const head = ['class', 'count', '‖μ̃_k‖', 'v_k', 'NCC recall'];
    if (pc.nc1PerClass) head.push('NC1_c');
    if (pc.weightNorms) head.push('‖w_k‖');
    const body = pc.classes.map((k, i) => {
      const r = [String(k), String(pc.counts[i]), formatNumber(pc.meanNorms[i]), formatNumber(pc.variances?.[i]), formatNumber(pc.nccRecall?.[i])];
      if (pc.nc1PerClass) r.push(formatNumber(pc.nc1PerClass[i]));
      if (pc.weightNorms) r.push(formatNumber(pc.weightNorms[i]));
      return r;
    });
    lines.push(...table([head, ...body], '  '));
  } else {
    lines.push('', `  (per-class values for ${report.K} classes: use --json)`);
  }
  if (report.multiLabel) lines.push('', ...formatMultiLabelSection(report.multiLabel, table, formatNumber));
  if (report.imbalance) lines.push('', ...formatImbalance(report));
  const warnings = [...extraWarnings, ...report.warnings];
  if (warnings.length) lines.push('', ...warnings.map((w) => `  warning: ${w}`));
  lines.push('', `  engine ${engine} · read ${timing.readSeconds.toFixed(3)} s · compute ${timing.computeSeconds.toFixed(3)} s`);
  return lines.join('\n') + '\n';
}

/** The imbalance section (minority collapse, Fang et al. 2021) as a few lines. */
export function formatImbalance(report: NcReport): string[] {
  const b = report.imbalance!;
  const list = (ids: number[] | undefined, n: number) => (ids && ids.length <= 20 ? `[${ids.join(', ')}]` : `${n} classes`);
  const lines = [
    `  imbalance (Fang et al. 2021): ratio ${formatNumber(b.imbalanceRatio)}; minority = n_k < ${formatNumber(b.minorityBelow)} (${b.minorityRule}): ` +
      `${list(b.minorityClasses, b.minorityCount)}, majority ${list(b.majorityClasses, b.majorityCount)}`,
  ];
  // With no minority (every class at or above the threshold) or no majority there is nothing to compare: say so
  // instead of printing NaN ± NaN.
  if (b.minorityCount === 0 || b.majorityCount === 0) {
    lines.push(b.minorityCount === 0
      ? `    no class has fewer than ${formatNumber(b.minorityBelow)} samples: no minority group to compare${b.minorityRule === 'given' ? '' : ' (--minority-below sets the threshold)'}`
      : `    every class has fewer than ${formatNumber(b.minorityBelow)} samples: no majority group to compare`);
    return lines;
  }
  const rows: string[][] = [['', 'minority', 'majority', 'ratio min/maj']];
  const pm = (m: number | undefined, sd: number | undefined, classes: number) =>
    (m === undefined ? '—' : classes < 2 ? 'one class (no pairs)' : `${formatNumber(m)} ± ${formatNumber(sd)}`);
  const groups = (m: number | undefined, sd: number | undefined, m2: number | undefined, sd2: number | undefined) => [pm(m, sd, b.minorityCount), pm(m2, sd2, b.majorityCount)];
  rows.push(['cos(μ̃_k, μ̃_l)', ...groups(b.minorityCosineMeans, b.minorityCosineMeansStd, b.majorityCosineMeans, b.majorityCosineMeansStd), `norms ${formatNumber(b.normRatioMeans)}`]);
  if (b.minorityCosineWeights !== undefined) {
    rows.push(['cos(w_k, w_l)', ...groups(b.minorityCosineWeights, b.minorityCosineWeightsStd, b.majorityCosineWeights, b.majorityCosineWeightsStd), `norms ${formatNumber(b.normRatioWeights)}`]);
  }
  if (b.nc1Minority !== undefined) rows.push(['mean NC1_c', formatNumber(b.nc1Minority), formatNumber(b.nc1Majority), '']);
  lines.push(...table(rows, '    '));
  lines.push(`    (a simplex ETF has every cosine at −1/(K−1) = ${formatNumber(-1 / (report.K - 1))}; minority collapse drives the minority's towards 1)`);
  return lines;
}
