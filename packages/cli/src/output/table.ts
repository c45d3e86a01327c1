import { metricCatalogue, metricFormula, type MultiLabelReport, type NcReport } from '@ncscope/core';
import { formatMultiLabelSection } from './multilabel-table.js';
import type { CommandTiming } from '../run/timing.js';
import type { InputsInfo } from './json.js';

/** One line of the metric table: the JSON key, its label, the formula under the report's conventions and what it means. */
export interface MetricRow {
  key: string;
  label: string;
  formula: string;
  meaning: string;
}

/** The rows of the metric table for `report`, in the catalogue's order: every `report.metrics` key it carries (aliases left out). */
export function metricRows(report: Pick<NcReport, 'metrics' | 'conventions'>): (MetricRow & { value: number })[] {
  const values = report.metrics as unknown as Record<string, number | undefined>;
  return metricCatalogue({ section: 'metrics' })
    .filter((e) => values[e.key] !== undefined)
    .map((e) => ({ key: e.key, label: e.label, formula: metricFormula(e, report.conventions), meaning: e.meaning, value: values[e.key]! }));
}

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
export function formatReportTable(report: NcReport & { multiLabel?: MultiLabelReport }, engine: string, timing: CommandTiming, inputs: InputsInfo, extraWarnings: string[] = []): string {
  const c = report.conventions;
  const lines: string[] = ['ncscope analyze', ...describeInputs(inputs, report).map((l) => `  ${l}`)];
  lines.push(
    `  conventions: preset ${c.preset}, global mean ${c.globalMean === 'class' ? 'class-uniform' : 'sample-weighted'}, ` +
      `NC1 ${c.nc1Normalization === 'K' ? '/K' : 'without /K'}, NC4 ${c.nc4Bias ? 'with' : 'without'} bias, ` +
      `${c.centreWeights ? 'W centred, ' : ''}pinv cutoff ${formatNumber(c.pinvCutoff)} (rtol ${c.pinvRtolRule} = ${formatNumber(c.pinvRtol)})` +
      `${c.normalize && c.normalize !== 'none' ? `, normalized ${c.normalize} (τ = ${formatNumber(c.temperature)})` : ''}` +
      `${c.cdnvExponent !== undefined && c.cdnvExponent !== 1 ? `, CDNV exponent ${formatNumber(c.cdnvExponent)}` : ''}`,
  );
  if (report.degenerate) lines.push('  DEGENERATE GEOMETRY: the class means coincide — the ratios below are undefined (NaN), not collapse');
  lines.push('');
  const rows: string[][] = [['metric', 'value', 'definition', 'meaning']];
  for (const m of metricRows(report)) rows.push([m.label, formatNumber(m.value), m.formula, m.meaning]);
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
  const phases = `means ${timing.means.toFixed(3)}, setup ${timing.setup.toFixed(3)}, spread ${timing.spread.toFixed(3)}, report ${timing.report.toFixed(3)} s`;
  lines.push('', `  engine ${engine} · read ${timing.read.toFixed(3)} s · compute ${timing.computeSeconds.toFixed(3)} s (${phases})`);
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
  const rows: string[][] = [['', 'minority', 'majority', 'ratio min/maj']];
  const pm = (m: number | undefined, sd: number | undefined) => (m === undefined ? '—' : `${formatNumber(m)} ± ${formatNumber(sd)}`);
  rows.push(['cos(μ̃_k, μ̃_l)', pm(b.minorityCosineMeans, b.minorityCosineMeansStd), pm(b.majorityCosineMeans, b.majorityCosineMeansStd), `norms ${formatNumber(b.normRatioMeans)}`]);
  if (b.minorityCosineWeights !== undefined) {
    rows.push(['cos(w_k, w_l)', pm(b.minorityCosineWeights, b.minorityCosineWeightsStd), pm(b.majorityCosineWeights, b.majorityCosineWeightsStd), `norms ${formatNumber(b.normRatioWeights)}`]);
  }
  if (b.nc1Minority !== undefined) rows.push(['mean NC1_c', formatNumber(b.nc1Minority), formatNumber(b.nc1Majority), '']);
  lines.push(...table(rows, '    '));
  lines.push(`    (a simplex ETF has every cosine at −1/(K−1) = ${formatNumber(-1 / (report.K - 1))}; minority collapse drives the minority's towards 1)`);
  return lines;
}
