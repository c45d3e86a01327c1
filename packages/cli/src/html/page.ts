import { NcInputError, type NcMeasurement } from '@ncscope/core';
import type { TopLevelSpec } from 'vega-lite';
import { barsSpec, groupTrendSpec, heatmapSpec, projectionSpec, renderSvg, scatterSpec, trendSpec, type GroupTrendPoint, type ScatterPoint, type TrendPoint } from './charts.js';
import type { ReportRun } from './jsonl.js';
import { IMBALANCE_PLOTS, otherMetricKeys, pageGroups, pageMetrics, type MetricGroup, type MetricInfo } from './metrics.js';
import { multiLabelSnapshot, multiLabelTrends } from './multilabel.js';

/** Options of {@link renderHtmlReport} and `writeHtmlReport`. */
export interface HtmlReportOptions {
  /** Page title (default "Neural Collapse report"). */
  title?: string;
  /** Step whose measurement the per-class snapshot shows (default: each run's last measurement). */
  step?: number;
  /** Time printed in the header (default: now). */
  generated?: Date;
  /** What produced the page, printed in the footer, e.g. the command line. */
  command?: string;
  /** Sections placed before the report's own (e.g. `ncscope ood`'s detection results), with their plot count. */
  sections?: { sections: { id: string; nav: string; html: string }[]; plots: number; warnings: string[] };
  /** The header's description (default: what Neural Collapse measures). */
  description?: string;
}

/** The page and what went into it. */
export interface RenderedReport {
  html: string;
  /** Number of plots (SVG figures) on the page. */
  plots: number;
  /** Warnings from Vega-Lite/Vega while rendering (empty when every spec was sound). */
  renderWarnings: string[];
}

/** Vega's tableau10, in the order the trend plots assign it to runs. */
export const RUN_COLOURS = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'];

/** Builds the report page: every plot is inline SVG, every number also in a table; no script runs, nothing is fetched. */
export async function renderHtmlReport(runs: readonly ReportRun[], options: HtmlReportOptions = {}): Promise<RenderedReport> {
  const withData = runs.filter((r) => r.measurements.length > 0);
  if (withData.length === 0) {
    const from = runs.flatMap((r) => r.sources);
    throw new NcInputError('NO_DATA', `nothing to report: no measurements${from.length ? ` in ${from.join(', ')}` : ''}`);
  }
  const title = options.title ?? 'Neural Collapse report';
  const page = new Page();
  const names = withData.map((r) => r.name);
  const x = xAxis(withData);

  let snapshots: { run: ReportRun; m: NcMeasurement | undefined }[] = withData.map((run) => ({ run, m: run.measurements[run.measurements.length - 1] }));
  if (options.step !== undefined) {
    const step = options.step;
    snapshots = withData.map((run) => ({ run, m: run.measurements.filter((m) => m.step === step).pop() }));
    if (snapshots.every((s) => s.m === undefined)) {
      const steps = [...new Set(withData.flatMap((r) => r.measurements.map((m) => m.step)))].sort((a, b) => a - b);
      throw new NcInputError('BAD_OPTION', `no run has a measurement at step ${step}; steps present: ${summariseSteps(steps)}`);
    }
  }

  const body: string[] = [];
  const toc: string[] = [];
  const description = options.description !== undefined ? esc(options.description) : 'Neural Collapse (Papyan, Han &amp; Donoho 2020): NC1 variability collapse, NC2 simplex-ETF means and classifier, NC3 self-duality, NC4 nearest-class-centre decisions.';
  body.push(`<header><h1>${esc(title)}</h1><p class="meta">Generated ${esc((options.generated ?? new Date()).toISOString())} by ncscope · ${withData.length} run${withData.length > 1 ? 's' : ''}, ${withData.reduce((s, r) => s + r.measurements.length, 0)} measurements · ${description}</p></header>`);
  for (const extra of options.sections?.sections ?? []) {
    toc.push(`<a href="#${esc(extra.id)}">${esc(extra.nav)}</a>`);
    body.push(extra.html);
  }

  // Inputs and data sizes.
  toc.push(`<a href="#inputs">Inputs</a>`);
  body.push(`<section id="inputs"><h2>Inputs and data sizes</h2>${inputsTable(withData, x)}${warningsBlock(withData)}</section>`);

  // Trends.
  const trendy = withData.some((r) => r.measurements.length > 1);
  if (trendy) {
    const others = otherMetricKeys(withData.flatMap((r) => r.measurements.flatMap((m) => Object.keys(m.metrics))));
    const groups: MetricGroup[] = pageGroups();
    if (others.length) {
      groups.push({ id: 'other', short: 'other', title: 'Other metrics', blurb: 'Metrics in the logs that this version of the report does not describe.', metrics: others.map((key) => ({ key, name: key, formula: 'see @ncscope/core', note: 'from the measurement', log: true })) });
    }
    for (const group of groups) {
      const figs: string[] = [];
      for (const info of group.metrics) {
        const fig = await trendFigure(page, withData, names, x, info.key, info.name, `${info.name} = ${info.formula}`, info.note, info.log, (m) => metric(m, info.key));
        if (fig) figs.push(fig);
      }
      if (figs.length === 0) continue;
      toc.push(`<a href="#${group.id}">${esc(group.short)}</a>`);
      body.push(`<section id="${group.id}"><h2>${esc(group.title)}</h2><p>${esc(group.blurb)} Against ${esc(x.title)}; one line per run.</p><div class="grid">${figs.join('')}</div></section>`);
    }
    const multiLabel = await multiLabelTrends(page, withData, names, x);
    if (multiLabel) {
      toc.push(`<a href="#multi-label">Multi-label</a>`);
      body.push(multiLabel);
    }
    const imbalanceFigs = await imbalanceTrends(page, withData, x);
    if (imbalanceFigs.length) {
      toc.push(`<a href="#imbalance">imbalance</a>`);
      body.push(`<section id="imbalance"><h2>Imbalance — minority collapse (Fang et al. 2021)</h2><p>Classes with fewer samples than the threshold are the minority. ` +
        `Minority collapse: the minority classes' classifier rows (and means) draw together — their mean pairwise cosine rises from the simplex ETF's −1/(K−1) towards 1 — and shrink against the majority's. Against ${esc(x.title)}; one line per group${withData.length > 1 ? ' and run' : ''}.</p><div class="grid">${imbalanceFigs.join('')}</div></section>`);
    }
    const logKeys = [...new Set(withData.flatMap((r) => r.measurements.flatMap((m) => Object.keys(m.logs ?? {}))))];
    const figs: string[] = [];
    for (const key of logKeys) {
      const fig = await trendFigure(page, withData, names, x, `log-${key}`, key, `${key} (logged by the producer)`, 'as logged alongside the measurement', /loss/i.test(key), (m) => m.logs?.[key]);
      if (fig) figs.push(fig);
    }
    if (figs.length) {
      toc.push(`<a href="#logs">Training logs</a>`);
      body.push(`<section id="logs"><h2>Training logs</h2><p>Values logged alongside each measurement (e.g. <code>model.fit</code>'s loss and accuracy).</p><div class="grid">${figs.join('')}</div></section>`);
    }
  } else {
    body.push(`<p class="note">Each run has one measurement, so there are no trends to plot; the snapshot below shows it.</p>`);
  }

  // Snapshots.
  for (const [i, { run, m }] of snapshots.entries()) {
    const id = `snapshot-${i + 1}`;
    toc.push(`<a href="#${id}">Snapshot: ${esc(run.name)}</a>`);
    body.push(m ? await snapshotSection(page, id, run, m, x) : `<section id="${id}"><h2>Snapshot: ${esc(run.name)}</h2><p class="note">This run has no measurement at step ${options.step}.</p></section>`);
  }

  body.push(`<footer><p>Conventions: DESIGN.md of ncscope; Σ_W = (1/N)Σ(h−μ_y)(h−μ_y)ᵀ, Σ_B = (1/K)Σμ̃_kμ̃_kᵀ, μ̃_k = μ_k − μ_G, E = (I − 11ᵀ/K)/√(K−1). ` +
    `Plots rendered to SVG with Vega-Lite when the page was written.${options.command ? ` Command: <code>${esc(options.command)}</code>.` : ''}</p></footer>`);
  body.push(`<script type="application/json" id="ncscope-data">${jsonForScript(embeddedData(withData, snapshots.map((s) => s.m)))}</script>`);

  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ncscope report">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<nav>${toc.join(' · ')}</nav>
${body.join('\n')}
</body>
</html>
`;
  return { html, plots: page.plots + (options.sections?.plots ?? 0), renderWarnings: [...(options.sections?.warnings ?? []), ...page.warnings] };
}

/**
 * The numbers behind the page, machine-readable (`ncscope.html-report/1`): every measurement as logged, except that
 * the per-class block is kept only for the snapshot measurements, and their K × K cosines only while K ≤ 100 —
 * the logs hold the rest.
 */
function embeddedData(runs: readonly ReportRun[], snapshots: (NcMeasurement | undefined)[]): object {
  return {
    schema: 'ncscope.html-report/1',
    runs: runs.map((r) => ({
      name: r.name,
      sources: r.sources,
      measurements: r.measurements.map((m) => {
        if (snapshots.includes(m)) {
          if (m.K <= 100 || !m.perClass) return m;
          const { cosineMeans: _c, cosineWeights: _w, ...perClass } = m.perClass;
          return { ...m, perClass };
        }
        const { perClass: _perClass, ...rest } = m;
        return rest;
      }),
    })),
  };
}

/** Counts plots and collects renderer warnings while a page is built. */
export class Page {
  plots = 0;
  readonly warnings: string[] = [];
  async svg(spec: TopLevelSpec, id: string): Promise<string> {
    this.plots++;
    return renderSvg(spec, `${id}-`, this.warnings);
  }
}

export interface XAxis {
  /** Axis title, also the column head of the tables. */
  title: string;
  /** Where a measurement sits, for headings: "epoch 24", "step 5 (epoch 4)", "checkpoint index 2 (ckpt-2.onnx)". */
  at(m: NcMeasurement): string;
}

/**
 * The x-axis is always `step`; its name says what a step is: the epoch when step = epoch (0-based epochs),
 * epochs completed when step = epoch + 1 (the tfjs callback), checkpoint index when every measurement names a
 * checkpoint (`ncscope onnx`), else "step".
 */
function xAxis(runs: readonly ReportRun[]): XAxis {
  const all = runs.flatMap((r) => r.measurements);
  const extra = (m: NcMeasurement) => (m.checkpoint !== undefined ? ` (${m.checkpoint})` : m.epoch !== undefined ? ` (epoch ${m.epoch})` : '');
  if (all.every((m) => m.epoch !== undefined && m.epoch === m.step)) return { title: 'epoch', at: (m) => `epoch ${m.step}` };
  if (all.every((m) => m.epoch !== undefined && m.step === m.epoch + 1)) return { title: 'epochs completed', at: (m) => `step ${m.step}${extra(m)}` };
  if (all.every((m) => m.checkpoint !== undefined)) return { title: 'checkpoint index', at: (m) => `checkpoint index ${m.step}${extra(m)}` };
  return { title: 'step', at: (m) => `step ${m.step}${extra(m)}` };
}

export async function trendFigure(
  page: Page,
  runs: readonly ReportRun[],
  names: string[],
  x: XAxis,
  key: string,
  name: string,
  subtitle: string,
  note: string,
  wantLog: boolean,
  pick: (m: NcMeasurement) => number | null | undefined,
): Promise<string | undefined> {
  const points: TrendPoint[] = [];
  for (const run of runs) {
    for (const m of run.measurements) {
      const v = pick(m);
      if (typeof v === 'number' && Number.isFinite(v)) points.push({ run: run.name, step: m.step, value: v });
    }
  }
  if (points.length === 0) return undefined;
  const log = wantLog && points.every((p) => p.value > 0);
  const id = `trend-${key.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const svg = await page.svg(trendSpec({ title: name, subtitle: `${subtitle}${log ? ' · log scale' : ''}`, yTitle: name, xTitle: x.title, points, runs: names, log }), id);
  const scaleNote = log ? 'log scale' : wantLog ? 'linear scale, because some values are 0' : 'linear scale';
  const steps = [...new Set(points.map((p) => p.step))].sort((a, b) => a - b);
  const cell = (run: string, step: number) => points.filter((p) => p.run === run && p.step === step).map((p) => num(p.value)).join(' / ');
  const rows = steps.map((s) => [String(s), ...runs.map((r) => cell(r.name, s))]);
  const table = htmlTable([x.title, ...runs.map((r) => r.name)], rows, `${name} by ${x.title}`);
  return figure(id, 'trend', name, svg, `${esc(note)}; ${esc(scaleNote)}; ${points.length} points.`, table, rows.length);
}

async function snapshotSection(page: Page, id: string, run: ReportRun, m: NcMeasurement, x: XAxis): Promise<string> {
  const K = m.K;
  const ideal = -1 / (K - 1);
  const at = x.at(m);
  const parts: string[] = [];
  parts.push(`<h2>Snapshot: ${esc(run.name)} at ${esc(at)}</h2>`);
  parts.push(`<div class="cols"><div>${metaTable(run, m)}${conventionsTable(m)}</div>${metricsTable(m)}</div>`);
  if (m.warnings.length) parts.push(`<ul class="warnings">${m.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`);
  if (m.multiLabel) parts.push(await multiLabelSnapshot(page, id, m));
  const pc = m.perClass;
  if (!pc) {
    parts.push(`<p>K = ${K} classes: the measurement holds per-class distributions (perClassSummary) instead of per-class values, so there are no per-class plots.</p>`);
    return `<section id="${id}" class="snapshot">${parts.join('\n')}</section>`;
  }
  const classes = pc.classes;

  const figs: string[] = [];
  const idealMatrix = classes.map((_, a) => classes.map((__, b) => (a === b ? 1 : ideal)));
  const cosTitle = 'cos(μ̃_k, μ̃_l)';
  if (pc.cosineMeans) {
  const off = offDiagonal(pc.cosineMeans);
  figs.push(await matrixFigure(page, `${id}-cosine-means`, 'cosine of centred class means', `measured: ${cosTitle}`, cosTitle, classes, pc.cosineMeans, [-1, 1],
    `Off the diagonal: mean ${num(off.mean)}, std ${num(off.std)} (the equiangularity); the simplex ETF has ${num(ideal)} everywhere.`));
  figs.push(await matrixFigure(page, `${id}-cosine-ideal`, 'simplex ETF (ideal)', `1 on the diagonal, −1/(K−1) = ${num(ideal)} off it`, 'ideal cosine', classes, idealMatrix, [-1, 1],
    `K = ${K} unit vectors summing to zero with equal, largest possible angles: the geometry NC2 predicts for the centred class means.`));
  const dev = pc.cosineMeans.map((row, a) => row.map((v, b) => (v === null ? null : v - idealMatrix[a][b])));
  const maxDev = Math.max(1e-12, ...dev.flat().map((v) => Math.abs(v ?? 0)));
  figs.push(await matrixFigure(page, `${id}-cosine-deviation`, 'deviation from the simplex ETF', `measured − ideal; max |deviation| = ${num(maxDev)}`, 'cosine − ETF', classes, dev, [-maxDev, maxDev],
    `Its mean absolute value off the diagonal is the max-angle metric: ${num(m.metrics.maxAngleMeans)}. The colour scale is stretched to the largest deviation.`));
  }
  if (pc.cosineWeights) {
    const offW = offDiagonal(pc.cosineWeights);
    figs.push(await matrixFigure(page, `${id}-cosine-weights`, 'cosine of classifier rows', 'measured: cos(w_k, w_l)', 'cos(w_k, w_l)', classes, pc.cosineWeights, [-1, 1],
      `Off the diagonal: mean ${num(offW.mean)}, std ${num(offW.std)}; NC2 for the classifier predicts ${num(ideal)}.`));
  }
  if (figs.length) parts.push(`<h3>Class-mean geometry (NC2)</h3><div class="grid">${figs.join('')}</div>`);
  else parts.push(`<p>K = ${K} classes: the K × K cosine matrices are not in the measurement; equiangularity ${num(m.metrics.equiangularityMeans)} and max-angle ${num(m.metrics.maxAngleMeans)} summarise them.</p>`);

  const bars: string[] = [];
  bars.push(await barsFigure(page, `${id}-mean-norms`, 'norms of centred class means', `‖μ̃_k‖; dashed: mean; equinorm = ${num(m.metrics.equinormMeans)}`, '‖μ̃_k‖ (class-mean norm)', classes, pc.meanNorms, pc.counts,
    'Equal bars are NC2’s equinorm; the equinorm metric is their std / mean.'));
  if (pc.variances) bars.push(await barsFigure(page, `${id}-variances`, 'within-class variances', `v_k = mean over class k of ‖h − μ_k‖²; dashed: mean`, 'v_k (within-class variance)', classes, pc.variances, pc.counts,
    'NC1: these fall to 0 relative to the squared distances between class means (the CDNV compares them pairwise).'));
  if (pc.nc1PerClass) bars.push(await barsFigure(page, `${id}-nc1-per-class`, 'per-class NC1', 'NC1_c = Tr(Σ_c Σ_B⁺), class c\'s own covariance; dashed: mean', 'NC1_c (per-class NC1)', classes, pc.nc1PerClass, pc.counts,
    'Guo et al.\'s per-class form; NC1 = (1/K) Σ_c (n_c/N) NC1_c. Under imbalance, compare it with the class sizes (imbalance view).'));
  if (pc.weightNorms) bars.push(await barsFigure(page, `${id}-weight-norms`, 'norms of classifier rows', `‖w_k‖; dashed: mean; equinorm = ${num(m.metrics.equinormWeights)}`, '‖w_k‖ (classifier row norm)', classes, pc.weightNorms, pc.counts,
    'Equal bars are NC2’s equinorm for the classifier.'));
  if (pc.nccRecall) bars.push(await barsFigure(page, `${id}-ncc-recall`, 'nearest-class-centre recall', 'fraction of class k whose nearest class mean is μ_k', 'NCC recall', classes, pc.nccRecall, pc.counts,
    `Per class; the NCC accuracy over all samples is ${num(m.metrics.nccAccuracy)}.`));
  parts.push(`<h3>Per class</h3><div class="grid">${bars.join('')}</div>`);

  if (m.imbalance) parts.push(await imbalanceView(page, id, m));

  const projId = `${id}-means-2d`;
  const shown = pc.meansProjection2d.reduce((s, [a, b]) => s + (a ?? 0) ** 2 + (b ?? 0) ** 2, 0);
  const total = pc.meanNorms.reduce((s, v) => s + (v ?? 0) ** 2, 0);
  const svg = await page.svg(projectionSpec({ title: 'class means in 2-D', subtitle: 'μ̃_k on the top two principal directions of M̃ (U·S)', classes, points: pc.meansProjection2d }), projId);
  const rows = classes.map((k, i) => [String(k), num(pc.meansProjection2d[i][0]), num(pc.meansProjection2d[i][1]), num(pc.meanNorms[i])]);
  const table = htmlTable(['class', 'direction 1', 'direction 2', '‖μ̃_k‖ (all D)'], rows, 'class means on the top two principal directions');
  const projCaption = m.rank <= 2
    ? `The centred means span ${m.rank} direction${m.rank === 1 ? '' : 's'}; this view shows them exactly (${num(100 * shown / total)}% of Σ_k‖μ̃_k‖²).`
    : `These two of the ${m.rank} directions spanned by the centred means carry ${num(100 * shown / total)}% of Σ_k‖μ̃_k‖². ` +
      `For a simplex ETF every direction carries the same share (2/(K−1) = ${num(200 / (K - 1))}% here), so a 2-D view of it is one of many and looks irregular; read the cosine matrix for the geometry.`;
  parts.push(`<h3>Class means, projected</h3><div class="grid">${figure(projId, 'projection', 'principal direction', svg, esc(projCaption), table, rows.length)}</div>`);
  return `<section id="${id}" class="snapshot">${parts.join('\n')}</section>`;
}

/** The trend plots of the imbalance section: colour = run, dash = series (minority solid, majority dashed). */
async function imbalanceTrends(page: Page, runs: readonly ReportRun[], x: XAxis): Promise<string[]> {
  const withSection = runs.filter((r) => r.measurements.some((m) => m.imbalance));
  if (withSection.length === 0) return [];
  const figs: string[] = [];
  for (const plot of IMBALANCE_PLOTS) {
    const points: GroupTrendPoint[] = [];
    for (const run of withSection) {
      for (const { key, label } of plot.series) {
        for (const m of run.measurements) {
          const v = (m.imbalance as unknown as Record<string, number | null | undefined> | undefined)?.[key];
          if (typeof v === 'number' && Number.isFinite(v)) points.push({ run: run.name, series: label, step: m.step, value: v });
        }
      }
    }
    if (points.length === 0) continue;
    const runNames = withSection.map((r) => r.name).filter((n) => points.some((p) => p.run === n));
    const series = plot.series.map((s) => s.label);
    const log = plot.log && points.every((p) => p.value > 0);
    const id = `imbalance-${plot.id}`;
    const svg = await page.svg(groupTrendSpec({ title: plot.name, subtitle: `${plot.formula}${log ? ' · log scale' : ''}`, yTitle: plot.name, xTitle: x.title, points, runs: runNames, series, log }), id);
    const columns = runNames.flatMap((r) => series.map((sname) => ({ r, sname })));
    const steps = [...new Set(points.map((p) => p.step))].sort((a, b) => a - b);
    const rows = steps.map((st) => [String(st), ...columns.map(({ r, sname }) => points.filter((p) => p.run === r && p.series === sname && p.step === st).map((p) => num(p.value)).join(' / '))]);
    const head = [x.title, ...columns.map(({ r, sname }) => (runNames.length > 1 ? `${r} · ${sname}` : sname))];
    figs.push(figure(id, 'trend', plot.name, svg, `${esc(plot.note)}; line style: ${series.map((sname, i) => `${sname} ${i === 0 ? 'solid' : 'dashed'}`).join(', ')}; ${points.length} points.`, htmlTable(head, rows, `${plot.name} by ${x.title}`), rows.length));
  }
  return figs;
}

/** The snapshot's imbalance view: the section's numbers, and per-class NC1 and norms against class size. */
async function imbalanceView(page: Page, id: string, m: NcMeasurement): Promise<string> {
  const b = m.imbalance!;
  const K = m.K;
  const rows: string[][] = [
    ['threshold', `n_k < ${num(b.minorityBelow)} (${b.minorityRule})`, '', ''],
    ['classes', b.minorityClasses ? b.minorityClasses.join(', ') || '—' : `${b.minorityCount}`, b.majorityClasses ? b.majorityClasses.join(', ') || '—' : `${b.majorityCount}`, `imbalance ratio ${num(b.imbalanceRatio)}`],
    ['mean cos(w_k, w_l) ± std', pm(b.minorityCosineWeights, b.minorityCosineWeightsStd), pm(b.majorityCosineWeights, b.majorityCosineWeightsStd), `norm ratio ‖w‖ ${num(b.normRatioWeights)}`],
    ['mean cos(μ̃_k, μ̃_l) ± std', pm(b.minorityCosineMeans, b.minorityCosineMeansStd), pm(b.majorityCosineMeans, b.majorityCosineMeansStd), `norm ratio ‖μ̃‖ ${num(b.normRatioMeans)}`],
    ['mean NC1_c', num(b.nc1Minority), num(b.nc1Majority), ''],
  ];
  const parts: string[] = [`<h3>Imbalance: minority collapse</h3>`, htmlTable(['', 'minority', 'majority', ''], rows, `imbalance section (a simplex ETF has every cosine at −1/(K−1) = ${num(-1 / (K - 1))})`)];
  const pc = m.perClass;
  const wrap = () => `<div id="${id}-imbalance" class="imbalance-view">${parts.join('\n')}</div>`;
  if (!pc) return wrap();
  const minority = new Set(b.minorityClasses ?? []);
  const group = (k: number) => (minority.has(k) ? 'minority' : 'majority');
  const figs: string[] = [];
  const scatter = async (key: string, title: string, yTitle: string, values: (number | null)[], caption: string, logY: boolean) => {
    const points: ScatterPoint[] = pc.classes.map((k, i) => ({ x: pc.counts[i], y: values[i], group: group(k), label: String(k) }));
    const fid = `${id}-imbalance-${key}`;
    const svg = await page.svg(scatterSpec({ title, subtitle: `per class, against its sample count n_k; dashed: the threshold ${num(b.minorityBelow)}`, xTitle: 'samples n_k', yTitle, points, groups: ['minority', 'majority'], threshold: b.minorityBelow, logY }), fid);
    const tableRows = pc.classes.map((k, i) => [String(k), String(pc.counts[i]), group(k), num(values[i])]);
    figs.push(figure(fid, 'scatter', yTitle, svg, esc(caption), htmlTable(['class', 'n_k', 'group', yTitle], tableRows, title), tableRows.length));
  };
  if (pc.nc1PerClass) {
    await scatter('nc1', 'per-class NC1 against class size', 'NC1_c = Tr(Σ_c Σ_B⁺)', pc.nc1PerClass,
      'Guo et al.\'s per-class form: class c\'s own within-class spread measured against the between-class covariance. Small classes collapse differently from large ones.', true);
  }
  await scatter('mean-norms', 'class-mean norms against class size', '‖μ̃_k‖', pc.meanNorms,
    'Equal norms are NC2\'s equinorm; under imbalance the minority means tend to sit closer to the global mean.', false);
  if (pc.weightNorms) {
    await scatter('weight-norms', 'classifier-row norms against class size', '‖w_k‖', pc.weightNorms,
      'Minority collapse shrinks the minority classifier rows (Fang et al. 2021).', false);
  }
  parts.push(`<div class="grid">${figs.join('')}</div>`);
  return wrap();
}

function pm(mean: number | null | undefined, std: number | null | undefined): string {
  return mean === undefined ? '—' : `${num(mean)} ± ${num(std)}`;
}

/** Largest K drawn cell by cell and tabulated in full; past it, blocks of classes are averaged and rows summarised. */
const FULL_MATRIX_K = 60;
const FULL_TABLE_K = 40;

async function matrixFigure(page: Page, id: string, title: string, subtitle: string, legendTitle: string, classes: number[], matrix: (number | null)[][], domain: [number, number], caption: string): Promise<string> {
  const K = classes.length;
  const shown = K <= FULL_MATRIX_K ? { labels: classes as (number | string)[], matrix, block: 1 } : blockAverage(classes, matrix, FULL_MATRIX_K);
  const spec = heatmapSpec({ title, subtitle, legendTitle, classes: shown.labels, matrix: shown.matrix, domain, axisTitle: shown.block > 1 ? 'classes' : 'class' });
  const svg = await page.svg(spec, id);
  let table: string;
  if (K <= FULL_TABLE_K) {
    const rows = classes.map((k, a) => [String(k), ...matrix[a].map((v) => num(v))]);
    table = htmlTable(['k \\ l', ...classes.map(String)], rows, `${title}: ${legendTitle}`);
  } else {
    const rows = classes.map((k, a) => {
      const off = matrix[a].filter((v, b) => b !== a && v !== null) as number[];
      return [String(k), num(matrix[a][a]), num(off.reduce((s, v) => s + v, 0) / off.length), num(Math.min(...off)), num(Math.max(...off))];
    });
    table = htmlTable(['class k', 'k = l', 'mean over l ≠ k', 'min over l ≠ k', 'max over l ≠ k'], rows, `${title}: ${legendTitle}, row by row (K = ${K}; the full matrix is in the measurement log)`);
  }
  const blocks = shown.block > 1 ? ` Each cell averages a block of up to ${shown.block} × ${shown.block} class pairs (K = ${K}).` : '';
  return figure(id, 'heatmap', legendTitle, svg, `${esc(caption)}${blocks} Colour scale ${num(domain[0])} … ${num(domain[1])}.`, table, Infinity);
}

/** Averages consecutive classes in blocks so that at most `side` blocks remain per axis; labels read "first–last". */
function blockAverage(classes: number[], matrix: (number | null)[][], side: number): { labels: string[]; matrix: (number | null)[][]; block: number } {
  const K = classes.length;
  const block = Math.ceil(K / side);
  const starts = Array.from({ length: Math.ceil(K / block) }, (_, i) => i * block);
  const labels = starts.map((a) => `${classes[a]}–${classes[Math.min(K, a + block) - 1]}`);
  const out = starts.map((a) =>
    starts.map((b) => {
      let sum = 0;
      let n = 0;
      for (let i = a; i < Math.min(K, a + block); i++) {
        for (let j = b; j < Math.min(K, b + block); j++) {
          const v = matrix[i][j];
          if (v !== null) {
            sum += v;
            n++;
          }
        }
      }
      return n ? sum / n : null;
    }),
  );
  return { labels, matrix: out, block };
}

/** Mean and standard deviation of the off-diagonal entries (k ≠ l). */
function offDiagonal(matrix: (number | null)[][]): { mean: number; std: number } {
  const v = matrix.flatMap((row, a) => row.filter((x, b) => a !== b && x !== null) as number[]);
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, v.length - 1));
  return { mean, std };
}

async function barsFigure(page: Page, id: string, title: string, subtitle: string, yTitle: string, classes: number[], values: (number | null)[], counts: number[], caption: string): Promise<string> {
  const svg = await page.svg(barsSpec({ title, subtitle, yTitle, classes, values }), id);
  const rows = classes.map((k, i) => [String(k), num(values[i]), String(counts[i])]);
  const table = htmlTable(['class', yTitle, 'samples n_k'], rows, title);
  return figure(id, 'bars', yTitle, svg, esc(caption), table, rows.length);
}

/** A plot with its caption and its numbers; tables with many rows start folded. */
export function figure(id: string, kind: string, axis: string, svg: string, caption: string, table: string, size: number): string {
  return `<figure class="plot" id="${esc(id)}" data-kind="${kind}" data-axis="${esc(axis)}">${svg}<figcaption>${caption}</figcaption>` +
    `<details${size <= 16 ? ' open' : ''}><summary>numbers</summary>${table}</details></figure>`;
}

function inputsTable(runs: readonly ReportRun[], x: XAxis): string {
  const rows = runs.map((r, i) => {
    const ms = r.measurements;
    const first = ms[0];
    const distinct = (f: (m: NcMeasurement) => unknown) => [...new Set(ms.map((m) => String(f(m) ?? '—')))].join(', ');
    return [
      `<span class="swatch" style="background:${RUN_COLOURS[i % RUN_COLOURS.length]}"></span>${esc(r.name)}`,
      esc(r.sources.join(', ') || '(in memory)'),
      String(ms.length),
      esc(summariseSteps(ms.map((m) => m.step))),
      esc(distinct((m) => m.N)),
      esc(distinct((m) => m.D)),
      esc(distinct((m) => m.K)),
      esc(distinct((m) => m.layer)),
      esc(distinct((m) => m.conventions.preset)),
      esc(first.checkpoint ? ms.map((m) => `${m.step}: ${m.checkpoint}`).join(', ') : '—'),
    ];
  });
  return rawTable(['run', 'file', 'measurements', `${x.title} (steps)`, 'N (samples)', 'D (feature dim)', 'K (classes)', 'layer', 'preset', 'checkpoints'], rows, 'inputs');
}

function warningsBlock(runs: readonly ReportRun[]): string {
  const items: string[] = [];
  for (const r of runs) {
    const steps = r.measurements.map((m) => m.step);
    const repeated = [...new Set(steps.filter((s, i) => steps.indexOf(s) !== i))];
    if (repeated.length) items.push(`run “${r.name}” has repeated steps (${summariseSteps(repeated)}): several logs may have been appended to one file; all values are plotted.`);
    const seen = new Set<string>();
    for (const m of r.measurements) for (const w of m.warnings) if (!seen.has(w)) { seen.add(w); items.push(`run “${r.name}”, step ${m.step}: ${w}`); }
  }
  return items.length ? `<ul class="warnings">${items.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : '';
}

function metaTable(run: ReportRun, m: NcMeasurement): string {
  const rows: [string, string][] = [
    ['run', run.name],
    ['step', String(m.step)],
    ...(m.epoch !== undefined ? [['epoch', String(m.epoch)] as [string, string]] : []),
    ...(m.checkpoint !== undefined ? [['checkpoint', m.checkpoint] as [string, string]] : []),
    ...(m.layer !== undefined ? [['layer', m.layer] as [string, string]] : []),
    ...(m.time ? [['time', m.time] as [string, string]] : []),
    ...(m.seconds !== undefined ? [['seconds', num(m.seconds)] as [string, string]] : []),
    ['N (samples)', String(m.N)],
    ['D (feature dimension)', String(m.D)],
    ['K (classes)', String(m.K)],
    ['rank of Σ_B kept', String(m.rank)],
  ];
  return htmlTable(['measurement', ''], rows, 'measurement');
}

/** A metric by key; JSON null (a NaN when written) and absent both read as undefined. */
function metric(m: NcMeasurement, key: string): number | undefined {
  const v = (m.metrics as unknown as Record<string, number | null | undefined>)[key];
  return typeof v === 'number' ? v : undefined;
}

function metricsTable(m: NcMeasurement): string {
  const rows = pageMetrics().filter((i: MetricInfo) => i.key in m.metrics).map((i) => [i.name, i.formula, num(metric(m, i.key)), i.note]);
  for (const k of otherMetricKeys(Object.keys(m.metrics))) rows.push([k, '', num(metric(m, k)), '']);
  for (const [k, v] of Object.entries(m.logs ?? {})) rows.push([k, 'logged', num(v), '']);
  return htmlTable(['metric', 'definition', 'value', 'at collapse; source'], rows, 'metrics');
}

function conventionsTable(m: NcMeasurement): string {
  const rows = Object.entries(m.conventions).map(([k, v]) => [k, typeof v === 'number' ? num(v) : String(v)]);
  return htmlTable(['convention', 'value'], rows, 'conventions');
}

export function htmlTable(head: string[], rows: string[][], caption: string): string {
  return rawTable(head.map(esc), rows.map((r) => r.map(esc)), caption);
}

function rawTable(head: string[], rows: string[][], caption: string): string {
  return `<table><caption>${esc(caption)}</caption><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c) => (NUMERIC.test(c) ? `<td class="n">${c}</td>` : `<td>${c}</td>`)).join('')}</tr>`).join('')}</tbody></table>`;
}

/** Cells right-aligned as numbers. */
const NUMERIC = /^(-?[\d.]+(e[-+]?\d+)?|n\/a)$/;

/** 6 significant digits (the full values are in the page's embedded JSON); JSON nulls (NaN) print as "n/a". */
export function num(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
  return String(Number(v.toPrecision(6)));
}

function summariseSteps(steps: number[]): string {
  const s = [...new Set(steps)].sort((a, b) => a - b);
  if (s.length <= 8) return s.join(', ');
  return `${s.slice(0, 3).join(', ')}, …, ${s.slice(-2).join(', ')} (${s.length} distinct)`;
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON safe inside a <script> element: no "</script" or "<!--" can appear. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0 auto; max-width: 1500px; padding: 0 24px 40px; color: #222; background: #fff; }
nav { position: sticky; top: 0; background: #fff; border-bottom: 1px solid #ddd; padding: 8px 0; z-index: 1; font-size: 13px; }
nav a { color: #335; }
h1 { font-size: 24px; margin: 18px 0 4px; }
h2 { font-size: 19px; margin: 28px 0 6px; border-bottom: 1px solid #eee; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.meta, .note, figcaption { color: #555; }
.grid { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
.cols { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
figure.plot { margin: 0; padding: 8px; border: 1px solid #e6e6e6; border-radius: 4px; max-width: 100%; overflow-x: auto; }
figure.plot svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 12px; max-width: 460px; margin: 4px 0; }
details summary { cursor: pointer; font-size: 12px; color: #446; }
table { border-collapse: collapse; font-size: 12px; margin: 4px 0; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-size: 12px; color: #777; padding-bottom: 2px; }
th, td { border: 1px solid #e3e3e3; padding: 2px 6px; text-align: left; white-space: nowrap; }
td.n { text-align: right; }
th { background: #f6f6f6; font-weight: 600; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
ul.warnings { color: #8a5a00; background: #fff8e6; border: 1px solid #f0dca8; padding: 6px 6px 6px 28px; }
footer { margin-top: 32px; font-size: 12px; color: #666; border-top: 1px solid #eee; }
code { font-size: 12px; background: #f4f4f4; padding: 0 3px; }
`;
