import { metricCatalogue, metricEntry, metricGroups, metricNote, type MetricEntry } from '@ncscope/core';

/** How one metric is named, plotted and explained in the report (from core's metric catalogue). */
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

function info(e: MetricEntry): MetricInfo {
  return { key: e.key, name: e.name, formula: e.formula, note: metricNote(e), log: e.log };
}

/** The trend plots in page order: core's catalogue groups of `report.metrics` (and any group registered since). */
export function pageGroups(): MetricGroup[] {
  return metricGroups('metrics').map((g) => ({ id: g.id, short: g.short, title: g.title, blurb: g.blurb, metrics: metricCatalogue({ section: 'metrics', group: g.id }).map(info) }));
}

/** Every metric with its info, for the metrics table of a snapshot. */
export function pageMetrics(): MetricInfo[] {
  return metricCatalogue({ section: 'metrics' }).map(info);
}

/** Keys the catalogue does not know (logs written by a newer producer): plotted by key in an "other metrics" block. Aliases are known. */
export function otherMetricKeys(keys: Iterable<string>): string[] {
  return [...new Set(keys)].filter((k) => metricEntry(k) === undefined);
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
