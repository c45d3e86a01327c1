import type { MultiLabelReport, NcMeasurement } from '@ncscope/core';
import type { TopLevelSpec } from 'vega-lite';
import type { ReportRun } from './jsonl.js';
import { esc, figure, htmlTable, num, trendFigure, type Page, type XAxis } from './page.js';

/**
 * The multi-label parts of the report page (Li et al. 2023): trends of the tag-wise angle, its maximum, label-set NC1,
 * the tag-wise scale per set size and the NC_MLab angle ratio over steps, and per snapshot the label sets' angles and
 * scales. Measurements without `multiLabel` add nothing.
 */

const ml = (m: NcMeasurement): MultiLabelReport | undefined => m.multiLabel;
const value = (v: number | null | undefined) => (typeof v === 'number' ? v : undefined);

/** The "Multi-label" trend section, or undefined when no measurement is multi-label. */
export async function multiLabelTrends(page: Page, runs: readonly ReportRun[], names: string[], x: XAxis): Promise<string | undefined> {
  const all = runs.flatMap((r) => r.measurements);
  if (!all.some((m) => ml(m))) return undefined;
  const figs: string[] = [];
  const add = async (key: string, name: string, formula: string, note: string, log: boolean, pick: (m: NcMeasurement) => number | undefined) => {
    const fig = await trendFigure(page, runs, names, x, key, name, `${name} = ${formula}`, note, log, pick);
    if (fig) figs.push(fig);
  };
  await add('ml-tag-wise-angle', 'tag-wise angle (°)', 'mean_S ∠(μ_S − μ_G, mean_{k∈S} μ̃_k)', '→ 0 under pick-all-label training; Li et al. 2023', false, (m) => value(ml(m)?.tagWiseAngle));
  await add('ml-tag-wise-angle-max', 'tag-wise angle max (°)', 'max_S ∠(μ_S − μ_G, mean_{k∈S} μ̃_k)', 'the worst label set', false, (m) => value(ml(m)?.tagWiseAngleMax));
  await add('ml-label-set-nc1', 'label-set NC1', 'Tr(Σ_W^sets Σ_B⁺)/K', '→ 0; every sample around its own label set\'s mean', true, (m) => ml(m)?.labelSetNc1);
  const sizes = [...new Set(all.flatMap((m) => Object.keys(ml(m)?.tagWiseScale ?? {})))].sort((a, b) => Number(a) - Number(b));
  for (const size of sizes) {
    await add(`ml-tag-wise-scale-${size}`, `tag-wise scale, |S| = ${size}`, 'mean ⟨μ_S − μ_G, a_S⟩ / ‖a_S‖²', 'one value per set size in theory', false, (m) => ml(m)?.tagWiseScale[size]);
  }
  await add('ml-ncmlab-ratio', 'NC_MLab angle ratio', 'mean ∠(μ_i+μ_j, μ_ij) / mean over all pairs (uncentred)', 'the public script\'s metric (--ncmlab)', false, (m) => value(ml(m)?.ncMlab?.angleRatio));
  if (figs.length === 0) return undefined;
  return `<section id="multi-label"><h2>Multi-label — tag-wise average geometry (Li et al. 2023)</h2><p>${esc(
    'Under pick-all-label training the mean of the samples carrying a label set S with |S| ≥ 2 is a scaled average of its labels\' single-label means: the angle between μ_S − μ_G and the average of the centred class means falls to 0, and the scale depends only on |S|. The NC metrics above are those of the single-label samples.',
  )} Against ${esc(x.title)}; one line per run.</p><div class="grid">${figs.join('')}</div></section>`;
}

/** One bar per measured label set (θ_S or c_S), coloured by set size. */
function setBarsSpec(o: { title: string; subtitle: string; yTitle: string; rows: { set: string; size: string; value: number }[] }): TopLevelSpec {
  return {
    width: Math.min(560, Math.max(200, 22 * o.rows.length)),
    height: 170,
    title: { text: o.title, subtitle: o.subtitle },
    data: { values: o.rows },
    mark: { type: 'bar', aria: o.rows.length <= 40 },
    encoding: {
      x: { field: 'set', type: 'ordinal', title: 'label set S', sort: null, axis: { labelAngle: -40, labelOverlap: true } },
      y: { field: 'value', type: 'quantitative', title: o.yTitle },
      color: { field: 'size', type: 'nominal', title: '|S|', scale: { scheme: 'tableau10' }, legend: { orient: 'right' } },
    },
  } as TopLevelSpec;
}

/** The multi-label block of a snapshot: counts, and the measured sets' angles and scales. */
export async function multiLabelSnapshot(page: Page, id: string, m: NcMeasurement): Promise<string> {
  const r = ml(m);
  if (!r) return '';
  const parts: string[] = [`<h3>Multi-label (Li et al. 2023)</h3>`];
  const counts: [string, string][] = [
    ['single-label samples (the metrics above)', String(r.singleLabelN)],
    ['multi-label samples', String(r.multiLabelN)],
    ['unlabelled samples (excluded)', String(r.unlabelledN)],
    ['label sets with |S| ≥ 2 / measured', `${r.setsSeen} / ${r.setsMeasured} (≥ ${r.minSetCount} samples)`],
    ['tag-wise angle, mean / max', r.tagWiseAngle === null ? 'n/a' : `${num(r.tagWiseAngle)}° / ${num(r.tagWiseAngleMax)}°`],
    ...Object.entries(r.tagWiseScale).map(([size, c]) => [`tag-wise scale, |S| = ${size} (${r.setsBySize[size]} sets)`, num(c)] as [string, string]),
    ...(r.labelSetNc1 !== undefined ? [['label-set NC1', num(r.labelSetNc1)] as [string, string]] : []),
    ...(r.ncMlab ? [['NC_MLab angle ratio / mean angle', `${num(r.ncMlab.angleRatio)} / ${num(r.ncMlab.meanAngle)}°`] as [string, string]] : []),
  ];
  parts.push(htmlTable(['multi-label', ''], counts, 'multi-label counts and metrics'));
  const sets = r.sets ?? [];
  if (sets.length > 0) {
    const rows = sets.map((s) => ({ set: `{${s.labels.join(',')}}`, size: String(s.labels.length), angle: s.angle, scale: s.scale }));
    const table = htmlTable(['label set', 'samples', 'angle θ_S (°)', 'scale c_S', 'variance v_S'], sets.map((s) => [`{${s.labels.join(', ')}}`, String(s.count), num(s.angle), num(s.scale), num(s.variance)]), 'label sets');
    const angleSvg = await page.svg(setBarsSpec({ title: 'tag-wise angle per label set', subtitle: 'θ_S = ∠(μ_S − μ_G, mean_{k∈S} μ̃_k); 0 = a scaled average', yTitle: 'θ_S (degrees)', rows: rows.map((x) => ({ ...x, value: x.angle })) }), `${id}-ml-angles`);
    const scaleSvg = await page.svg(setBarsSpec({ title: 'tag-wise scale per label set', subtitle: 'c_S = ⟨μ_S − μ_G, a_S⟩ / ‖a_S‖²; equal within a set size in theory', yTitle: 'c_S', rows: rows.map((x) => ({ ...x, value: x.scale })) }), `${id}-ml-scales`);
    parts.push(`<div class="grid">${figure(`${id}-ml-angles`, 'bars', 'θ_S', angleSvg, esc(`Mean ${num(r.tagWiseAngle)}°, largest ${num(r.tagWiseAngleMax)}° over ${sets.length} sets.`), table, sets.length)}` +
      `${figure(`${id}-ml-scales`, 'bars', 'c_S', scaleSvg, esc('Li et al. predict one scale per set size; the spread within a colour is the departure from it.'),
        htmlTable(['|S|', 'sets', 'mean c_S'], Object.entries(r.tagWiseScale).map(([size, c]) => [size, String(r.setsBySize[size]), num(c)]), 'mean scale per set size'), 4)}</div>`);
  } else if (r.setSummary) {
    parts.push(`<p>${esc(`${r.setsMeasured} label sets: the measurement holds their distributions (setSummary); the median angle is ${num(r.setSummary.angle.median)}°.`)}</p>`);
  }
  return parts.join('\n');
}
