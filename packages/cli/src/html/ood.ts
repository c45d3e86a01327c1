import { DETECTION_METRICS, rankScores, rocCurve, type DetectionMetricName, type OodEvaluation, type OodScoreName, type RankedScores } from '@ncscope/core';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from './charts.js';
import { esc, figure, htmlTable, num, RUN_COLOURS } from './page.js';

/** One section the OOD page adds before the fit set's Neural Collapse report. */
export interface ExtraSection {
  id: string;
  /** Name in the navigation bar. */
  nav: string;
  html: string;
}

/** What the OOD sections hold. */
export interface OodSections {
  sections: ExtraSection[];
  plots: number;
  warnings: string[];
}

/** How each detection metric is labelled, and whether larger is better. */
export const DETECTION_LABELS: Record<DetectionMetricName, { label: string; better: 'higher' | 'lower'; note: string }> = {
  auroc: { label: 'AUROC', better: 'higher', note: 'area under the ROC curve, OOD positive on −score (OpenOOD)' },
  fpr95: { label: 'FPR@95', better: 'lower', note: 'ID rows flagged at the first threshold catching 95 % of OOD rows (OpenOOD, OOD positive)' },
  fpr95IdPositive: { label: 'FPR@95 (ID pos.)', better: 'lower', note: 'OOD rows accepted when 95 % of ID rows are (most papers’ tables)' },
  auprIn: { label: 'AUPR-In', better: 'higher', note: 'area under precision–recall, ID positive' },
  auprOut: { label: 'AUPR-Out', better: 'higher', note: 'area under precision–recall, OOD positive' },
};

/** The best score of each (OOD set, metric) column: ties all count as best. */
export function bestScores(result: OodEvaluation, set: string, metric: DetectionMetricName): Set<OodScoreName> {
  const scores = result.params.scores;
  const values = scores.map((s) => result.scores[s]![set][metric]);
  const better = DETECTION_LABELS[metric].better;
  const target = better === 'higher' ? Math.max(...values) : Math.min(...values);
  return new Set(scores.filter((_, i) => values[i] === target));
}

/** Equal-width bins over the middle 99 % of both sets (outliers clamped into the end bins), as densities. */
function histogram(id: RankedScores, sets: { name: string; ranked: RankedScores }[], bins = 40): { set: string; x0: number; x1: number; density: number }[] {
  const all = [id, ...sets.map((s) => s.ranked)];
  const q = (r: RankedScores, p: number) => r.sorted[Math.min(r.n - 1, Math.max(0, Math.floor(p * (r.n - 1))))];
  let lo = Math.min(...all.map((r) => q(r, 0.005)));
  let hi = Math.max(...all.map((r) => q(r, 0.995)));
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / bins;
  const out: { set: string; x0: number; x1: number; density: number }[] = [];
  for (const [name, r] of [['in-distribution', id] as const, ...sets.map((s) => [s.name, s.ranked] as const)]) {
    const counts = new Float64Array(bins);
    for (const v of r.sorted) counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))]++;
    for (let b = 0; b < bins; b++) out.push({ set: name, x0: lo + b * width, x1: lo + (b + 1) * width, density: counts[b] / (r.n * width) });
  }
  return out;
}

/** At most `max` points of a curve (every k-th, always the ends). */
function thin<T>(points: T[], max = 300): T[] {
  if (points.length <= max) return points;
  const step = Math.ceil(points.length / max);
  return points.filter((_, i) => i % step === 0 || i === points.length - 1);
}

/**
 * The OOD sections of `ncscope ood --html`: the detection table (scores × OOD sets, the best of each column marked),
 * NC5 and the parameters, then per score the score's histograms (ID and each OOD set) and its ROC curves.
 */
export async function oodSections(result: OodEvaluation, idPrefix = 'ood'): Promise<OodSections> {
  const warnings: string[] = [];
  let plots = 0;
  const sets = result.sets.ood.map((s) => s.name);
  const colours = ['in-distribution', ...sets];
  const sections: ExtraSection[] = [];

  // The table.
  const head = ['score', ...sets.flatMap((s) => DETECTION_METRICS.map((m) => `${s}: ${DETECTION_LABELS[m].label}`))];
  const rows = result.params.scores.map((score) => [
    esc(score),
    ...sets.flatMap((set) => DETECTION_METRICS.map((m) => {
      const v = num(result.scores[score]![set][m]);
      return bestScores(result, set, m).has(score) ? `<strong>${v}</strong>` : v;
    })),
  ]);
  const tableHtml = `<table><caption>detection metrics (best of each column in bold)</caption><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<td>${c}</td>` : `<td class="n">${c}</td>`)).join('')}</tr>`).join('')}</tbody></table>`;
  const legend = `<ul class="notes">${DETECTION_METRICS.map((m) => `<li><b>${esc(DETECTION_LABELS[m].label)}</b> (${DETECTION_LABELS[m].better} is better): ${esc(DETECTION_LABELS[m].note)}</li>`).join('')}</ul>`;
  const nc5Rows = sets.map((s) => [s, num(result.nc5[s].centred), num(result.nc5[s].raw), String(result.sets.ood.find((o) => o.name === s)!.rows)]);
  const p = result.params;
  const paramRows: string[][] = [
    ['scores', p.scores.join(', ')],
    ['in-distribution rows', String(result.sets.id.rows)],
    ['fit set', `N = ${result.fit.N}, D = ${result.fit.D}, K = ${result.fit.K}`],
    ...(p.vimDim !== undefined ? [['ViM: vimDim, α', `${p.vimDim}, ${num(p.vimAlpha)}`]] : []),
    ...(p.necoDim !== undefined ? [['NECO: necoDim (variance share), × max logit, constant features', `${p.necoDim} (${num(p.necoVarianceShare)}), ${p.necoMaxLogit ? 'yes' : 'no'}, ${p.necoConstantFeatures}`]] : []),
    ...(p.mahalanobisRank !== undefined ? [['Mahalanobis: rank of Σ_W kept, route', `${p.mahalanobisRank}, ${p.mahalanobisRoute}`]] : []),
    ...(p.scores.includes('nci') ? [['NCI: α', num(p.nciAlpha)]] : []),
    ...(p.scores.includes('energy') ? [['energy: temperature', num(p.temperature)]] : []),
    ['NC5 global mean', p.nc5GlobalMean],
  ];
  const warn = result.warnings.length ? `<ul class="warnings">${result.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : '';
  sections.push({
    id: 'ood-table',
    nav: 'OOD detection',
    html: `<section id="ood-table"><h2>OOD detection: scores × OOD sets</h2>${warn}${tableHtml}${legend}` +
      `${htmlTable(['OOD set', 'NC5 centred: mean |cos(μ_c − μ_G, μ_OOD − μ_G)|', 'NC5 raw: mean |cos(μ_c, μ_OOD)|', 'rows'], nc5Rows, 'NC5 (ID/OOD orthogonality, Ammar et al. 2024; → 0 as OOD features become orthogonal to the class means)')}` +
      `${htmlTable(['parameter', 'value'], paramRows, 'parameters')}</section>`,
  });

  // Per score: histograms and ROC curves.
  const figures: string[] = [];
  for (const score of result.params.scores) {
    const id = rankScores(result.sets.id.scores[score]!, 'in-distribution');
    const ranked = result.sets.ood.map((o) => ({ name: o.name, ranked: rankScores(o.scores[score]!, o.name) }));
    const hist = histogram(id, ranked);
    const colour = { field: 'set', type: 'nominal', scale: { domain: colours, range: RUN_COLOURS }, legend: { orient: 'bottom', title: null } };
    const histSpec = {
      width: 330, height: 180,
      title: { text: `${score}: score distributions`, subtitle: 'density per set (larger = more in-distribution)' },
      data: { values: hist },
      mark: { type: 'rect', opacity: 0.45 },
      encoding: {
        x: { field: 'x0', type: 'quantitative', title: `${score} score`, scale: { zero: false } },
        x2: { field: 'x1' },
        y: { field: 'density', type: 'quantitative', title: 'density', stack: null },
        color: colour,
      },
    } as TopLevelSpec;
    const roc = ranked.flatMap((o) => {
      const c = rocCurve(id, o.ranked);
      return thin(Array.from(c.fpr, (f, i) => ({ set: o.name, fpr: f, tpr: c.tpr[i] })));
    });
    const rocSpec = {
      width: 220, height: 180,
      title: { text: `${score}: ROC`, subtitle: 'OOD positive on −score' },
      data: { values: roc },
      mark: { type: 'line', strokeWidth: 1.6, interpolate: 'linear' },
      encoding: {
        x: { field: 'fpr', type: 'quantitative', title: 'false-positive rate (ID flagged)', scale: { domain: [0, 1] } },
        y: { field: 'tpr', type: 'quantitative', title: 'true-positive rate (OOD flagged)', scale: { domain: [0, 1] } },
        color: { field: 'set', type: 'nominal', scale: { domain: sets, range: RUN_COLOURS.slice(1) }, legend: { orient: 'bottom', title: null } },
      },
    } as TopLevelSpec;
    const histSvg = await renderSvg(histSpec, `${idPrefix}-${score}-h-`, warnings);
    const rocSvg = await renderSvg(rocSpec, `${idPrefix}-${score}-r-`, warnings);
    plots += 2;
    const metricRows = sets.map((s) => [s, ...DETECTION_METRICS.map((m) => num(result.scores[score]![s][m]))]);
    const table = htmlTable(['OOD set', ...DETECTION_METRICS.map((m) => DETECTION_LABELS[m].label)], metricRows, `${score}`);
    figures.push(figure(`ood-${score}-hist`, 'histogram', score, histSvg, `${esc(score)}: histograms of the in-distribution set and each OOD set (${ranked.map((o) => `${esc(o.name)} ${o.ranked.n} rows`).join(', ')}; ${id.n} ID rows)`, table, metricRows.length));
    figures.push(figure(`ood-${score}-roc`, 'roc', score, rocSvg, `${esc(score)}: ROC curves (scikit-learn's thresholds)`, table, metricRows.length));
  }
  sections.push({ id: 'ood-plots', nav: 'Score plots', html: `<section id="ood-plots"><h2>Scores: distributions and ROC curves</h2><div class="grid">${figures.join('')}</div></section>` });
  return { sections, plots, warnings };
}
