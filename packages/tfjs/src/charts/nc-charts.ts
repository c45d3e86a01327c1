import { NcInputError, type NcReport } from '@ncscope/core';
import type { NcReportInfo } from '../callback/nc-callback.js';
import { cosineHeatmapSvg, cosineStripSvg, esc, formatValue, lineChartSvg, normBarsSvg, type ChartSeries } from './svg.js';

/**
 * The few DOM members the charts use, typed structurally so the package needs no DOM library types (an
 * `HTMLElement` is one).
 */
export interface ChartElement {
  innerHTML: string;
  appendChild(child: never): unknown;
  setAttribute(name: string, value: string): void;
}

/** What `ncCharts` needs of `document`. */
interface DocumentLike {
  createElement(tag: string): ChartElement;
  querySelector(selector: string): ChartElement | null;
}

/** Where to draw: an element, a CSS selector, or a tfjs-vis surface / visor tab (`{ drawArea }`). */
export type ChartContainer = string | ChartElement | { drawArea: ChartElement };

/** One trend panel: the keys it plots (report metrics or epoch logs such as `acc`, `val_acc`). */
export interface NcChartPanel {
  id: string;
  title: string;
  subtitle?: string;
  keys: readonly string[];
  /** Log y axis when every value is positive. */
  log?: boolean;
  /** Fixed y range, e.g. [0, 1]. */
  yDomain?: readonly [number, number];
}

/** The default panels: NC1, NC2 (means and classifier), NC3, NC4 and accuracy. */
export const DEFAULT_PANELS: readonly NcChartPanel[] = [
  { id: 'nc1', title: 'NC1 — within-class variability collapse', subtitle: 'Tr(Σ_W Σ_B⁺)/K → 0 (Papyan et al. 2020)', keys: ['nc1'], log: true },
  { id: 'nc2', title: 'NC2 — convergence to a simplex ETF', subtitle: 'std/mean of norms, std of cosines → 0', keys: ['equinormMeans', 'equiangularityMeans', 'equinormWeights', 'equiangularityWeights'], log: true },
  { id: 'nc3', title: 'NC3 — self-duality', subtitle: '‖W/‖W‖_F − M̃/‖M̃‖_F‖²_F → 0', keys: ['nc3SelfDuality'], log: true },
  { id: 'nc4', title: 'NC4 — classifier becomes nearest class centre', subtitle: 'share of probe rows where the two disagree → 0', keys: ['nc4NccMismatch'] },
  { id: 'accuracy', title: 'Accuracy', subtitle: 'training (epoch logs) and on the probe', keys: ['acc', 'val_acc', 'nccAccuracy', 'classifierAccuracy'], yDomain: [0, 1] },
];

/** Legend labels of the default keys (others show their key). */
const LABELS: Record<string, string> = {
  nc1: 'NC1',
  equinormMeans: 'equinorm (means)',
  equiangularityMeans: 'equiangularity (means)',
  equinormWeights: 'equinorm (classifier)',
  equiangularityWeights: 'equiangularity (classifier)',
  nc3SelfDuality: 'NC3 self-duality',
  nc4NccMismatch: 'NC4 mismatch',
  acc: 'training',
  accuracy: 'training',
  val_acc: 'validation',
  val_accuracy: 'validation',
  nccAccuracy: 'NCC (probe)',
  classifierAccuracy: 'classifier (probe)',
};

/** Options of {@link ncCharts}. */
export interface NcChartsOptions {
  /** Trend panels (default {@link DEFAULT_PANELS}). */
  panels?: readonly NcChartPanel[];
  /** Draw the per-class snapshot of the latest measurement (default true). */
  snapshot?: boolean;
  /** Width of one trend panel in pixels (default 380). */
  panelWidth?: number;
}

/** One measured epoch as the charts keep it. */
export interface NcChartRow {
  /** Epochs completed (the x axis). */
  step: number;
  values: Record<string, number>;
}

const STYLE = `.ncscope-charts{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#222}
.ncscope-charts .nc-row{display:flex;flex-wrap:wrap;align-items:flex-start;gap:10px;margin:6px 0}
.ncscope-charts .nc-panel{border:1px solid #e3e3e3;border-radius:6px;background:#fff;padding:2px}
.ncscope-charts .nc-heading{font-size:14px;font-weight:600;margin:12px 0 2px}
.ncscope-charts .nc-note{font-size:12px;color:#666}`;

function documentOrThrow(): DocumentLike {
  const doc = (globalThis as { document?: DocumentLike }).document;
  if (!doc) throw new NcInputError('BAD_OPTION', 'ncCharts draws into a page: there is no document here (in Node, use logFile and `ncscope report`, or tensorBoardLogger)');
  return doc;
}

function resolveContainer(container: ChartContainer, doc: DocumentLike): ChartElement {
  if (typeof container === 'string') {
    const el = doc.querySelector(container);
    if (!el) throw new NcInputError('BAD_OPTION', `ncCharts: no element matches "${container}" in the page (is the script running before the element exists?)`, { source: container });
    return el;
  }
  if (container && typeof container === 'object' && 'drawArea' in container && container.drawArea) return container.drawArea;
  if (container && typeof container === 'object' && 'innerHTML' in container && typeof container.setAttribute === 'function') return container as ChartElement;
  throw new NcInputError('BAD_OPTION', `ncCharts: the container must be an element, a CSS selector or a tfjs-vis surface ({ drawArea }), got ${container === null ? 'null' : typeof container}`);
}

/**
 * Live Neural Collapse charts in a page: NC1–NC4 and accuracy over epochs, and the per-class snapshot of the latest
 * measurement — the cosines of the centred class means against the simplex ETF's −1/(K−1) (heatmap and pairs) and
 * the per-class norms of the means and classifier rows relative to their mean. Pass {@link NcCharts.onReport} as
 * `ncCallback`'s `onReport`; each measurement redraws (plain SVG, no dependency) and yields to the browser so the
 * page repaints during `fit`.
 */
export class NcCharts {
  /** The element the charts live in (inside the container). */
  readonly element: ChartElement;
  /** Every measurement drawn so far, in order. */
  readonly rows: NcChartRow[] = [];
  private readonly panels: readonly NcChartPanel[];
  private readonly panelEls = new Map<string, ChartElement>();
  private readonly snapshotEl: ChartElement | undefined;
  private readonly width: number;
  private latest: { report: NcReport; step: number; layer?: string } | undefined;

  constructor(container: ChartContainer, options: NcChartsOptions = {}) {
    const doc = documentOrThrow();
    const host = resolveContainer(container, doc);
    this.panels = options.panels ?? DEFAULT_PANELS;
    if (!Array.isArray(this.panels) || this.panels.some((p) => typeof p?.id !== 'string' || !Array.isArray(p.keys) || p.keys.length === 0)) {
      throw new NcInputError('BAD_OPTION', 'ncCharts: panels must be a list of { id, title, keys: [metric or log keys] }');
    }
    this.width = options.panelWidth ?? 380;
    const root = doc.createElement('div');
    root.setAttribute('class', 'ncscope-charts');
    root.innerHTML = `<style>${STYLE}</style>`;
    const trends = doc.createElement('div');
    trends.setAttribute('class', 'nc-row nc-trends');
    for (const p of this.panels) {
      const el = doc.createElement('div');
      el.setAttribute('class', 'nc-panel');
      el.setAttribute('data-panel', p.id);
      trends.appendChild(el as never);
      this.panelEls.set(p.id, el);
    }
    root.appendChild(trends as never);
    if (options.snapshot !== false) {
      this.snapshotEl = doc.createElement('div');
      this.snapshotEl.setAttribute('class', 'nc-snapshot');
      root.appendChild(this.snapshotEl as never);
    }
    host.innerHTML = '';
    host.appendChild(root as never);
    this.element = root;
    this.draw();
  }

  /**
   * For `ncCallback({ onReport: charts.onReport })`: adds the primary layer's measurement (metrics and the epoch's
   * logs) and redraws, then waits one macrotask so the browser can paint.
   */
  readonly onReport = (report: NcReport, _epoch: number, info: NcReportInfo): Promise<void> | void => {
    if (!info.primary) return;
    this.add(report, info.step, info.logs, info.layer);
    return new Promise((done) => setTimeout(done, 0));
  };

  /** Adds one measurement (`step` = epochs completed; `logs` = the epoch's loss/accuracy values) and redraws. */
  add(report: NcReport, step: number, logs: Readonly<Record<string, number>> = {}, layer?: string): void {
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(logs)) if (typeof v === 'number') values[k] = v;
    for (const [k, v] of Object.entries(report.metrics)) if (typeof v === 'number') values[k] = v;
    this.rows.push({ step, values });
    this.latest = { report, step, layer };
    this.draw();
  }

  /** Forgets every measurement (e.g. before a new run) and redraws empty charts. */
  clear(): void {
    this.rows.length = 0;
    this.latest = undefined;
    this.draw();
  }

  private draw(): void {
    for (const p of this.panels) {
      const series: ChartSeries[] = p.keys
        .filter((k) => this.rows.length === 0 || this.rows.some((r) => k in r.values))
        .map((k) => ({ key: k, label: LABELS[k] ?? k, points: this.rows.filter((r) => k in r.values).map((r) => [r.step, r.values[k]] as const) }));
      this.panelEls.get(p.id)!.innerHTML = lineChartSvg({ title: p.title, subtitle: p.subtitle, series, log: p.log, yDomain: p.yDomain, width: this.width });
    }
    if (this.snapshotEl) this.snapshotEl.innerHTML = this.snapshotHtml();
  }

  private snapshotHtml(): string {
    if (!this.latest) return '<div class="nc-heading">Per-class snapshot</div><div class="nc-note">waiting for the first measurement</div>';
    const { report, step, layer } = this.latest;
    const head = `<div class="nc-heading">Per-class snapshot after epoch ${step}${layer ? ` (${esc(layer)})` : ''}: K = ${report.K}, NC1 = ${formatValue(report.metrics.nc1 ?? NaN)}</div>`;
    const pc = report.perClass;
    if (!pc) return `${head}<div class="nc-note">K = ${report.K} is past the report's per-class limit: no per-class data.</div>`;
    const parts: string[] = [];
    if (pc.cosineMeans) {
      parts.push(`<div class="nc-panel" data-panel="cosines">${cosineHeatmapSvg(pc.cosineMeans, pc.classes)}</div>`);
      parts.push(`<div class="nc-panel" data-panel="pair-cosines">${cosineStripSvg(pc.cosineMeans, pc.classes, { width: this.width })}</div>`);
    }
    parts.push(`<div class="nc-panel" data-panel="norms">${normBarsSvg(pc.classes, pc.meanNorms, pc.weightNorms, { width: this.width })}</div>`);
    const note = pc.cosineMeans ? '' : `<div class="nc-note">K = ${report.K} is past the report's cosine-matrix limit: norms only.</div>`;
    return `${head}${note}<div class="nc-row">${parts.join('')}</div>`;
  }
}

/**
 * Creates live NC charts in `container` (an element, a CSS selector, or a tfjs-vis surface `{ drawArea }`):
 *
 * ```ts
 * import { ncCallback } from '@ncscope/tfjs';
 * import { ncCharts } from '@ncscope/tfjs/charts';
 * const charts = ncCharts('#nc');
 * await model.fit(xs, ys, { epochs: 20, callbacks: [ncCallback({ probe, onReport: charts.onReport })] });
 * ```
 *
 * A selector that matches nothing, or a missing `document` (Node), is a `BAD_OPTION` error.
 */
export function ncCharts(container: ChartContainer, options: NcChartsOptions = {}): NcCharts {
  return new NcCharts(container, options);
}
