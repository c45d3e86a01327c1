import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

/**
 * Plots as static SVG: each chart is a Vega-Lite spec, compiled to Vega and rendered headless
 * (`renderer: 'none'`, `view.toSVG()`), so the page carries finished pictures and needs no script or network.
 */

/** A Vega logger that throws on errors and collects warnings (a wrong spec shows up there, not on screen). */
function collectingLogger(warnings: string[]) {
  let level = 2;
  const log = {
    level(l?: number) {
      if (l === undefined) return level;
      level = l;
      return log;
    },
    error(...args: unknown[]): never {
      throw new Error(`vega: ${args.map(String).join(' ')}`);
    },
    warn(...args: unknown[]) {
      warnings.push(args.map(String).join(' '));
      return log;
    },
    info: () => log,
    debug: () => log,
  };
  return log;
}

const CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif',
  title: { fontSize: 13, subtitleFontSize: 11, subtitleColor: '#555', anchor: 'start' as const },
  axis: { labelFontSize: 10, titleFontSize: 11, titleFontWeight: 'normal' as const },
  legend: { labelFontSize: 11, titleFontSize: 11 },
  view: { stroke: '#ccc' },
};

/**
 * Renders a Vega-Lite spec to an SVG string whose element ids are unique within the page.
 * `idPrefix` must differ between the SVGs of one page. Warnings from Vega-Lite and Vega go to `warnings`; errors throw.
 */
export async function renderSvg(spec: TopLevelSpec, idPrefix: string, warnings: string[] = []): Promise<string> {
  const logger = collectingLogger(warnings);
  const compiled = vl.compile({ config: CONFIG, ...spec } as TopLevelSpec, { logger: logger as never }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger: logger as never });
  try {
    return uniqueIds(await view.toSVG(), idPrefix);
  } finally {
    view.finalize();
  }
}

/** Prefixes every id (gradients, clip paths) so that several inline SVGs on one page do not share them. */
function uniqueIds(svg: string, prefix: string): string {
  const ids = new Set([...svg.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
  if (ids.size === 0) return svg;
  return svg.replace(/(\sid=")([^"]+)(")|(url\(#)([^)]+)(\))|(href="#)([^"]+)(")/g, (all, a1, id1, a3, b1, id2, b3, c1, id3, c3) => {
    if (id1 !== undefined && ids.has(id1)) return `${a1}${prefix}${id1}${a3}`;
    if (id2 !== undefined && ids.has(id2)) return `${b1}${prefix}${id2}${b3}`;
    if (id3 !== undefined && ids.has(id3)) return `${c1}${prefix}${id3}${c3}`;
    return all;
  });
}

/** One point of a trend line. */
export interface TrendPoint {
  run: string;
  step: number;
  value: number;
}

/** A metric against step, one coloured line per run; log y when asked and every value is positive. */
export function trendSpec(o: { title: string; subtitle: string; yTitle: string; xTitle: string; points: TrendPoint[]; runs: string[]; log: boolean }): TopLevelSpec {
  return {
    width: 330,
    height: 200,
    title: { text: o.title, subtitle: o.subtitle },
    data: { values: o.points },
    mark: { type: 'line', point: { filled: true, size: 30 }, strokeWidth: 1.8, interpolate: 'linear' },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: o.xTitle, axis: { tickMinStep: 1 }, scale: { nice: false, zero: false } },
      y: {
        field: 'value',
        type: 'quantitative',
        title: o.yTitle,
        scale: o.log ? { type: 'log', domain: decades(o.points.map((p) => p.value)), nice: false } : { zero: false, padding: 6 },
        axis: { format: o.log ? '~g' : '~r', labelOverlap: true },
      },
      color: { field: 'run', type: 'nominal', scale: { domain: o.runs, scheme: 'tableau10' }, legend: { orient: 'bottom', title: null, labelLimit: 400 } },
      order: { field: 'step', type: 'quantitative' },
    },
  } as TopLevelSpec;
}

/**
 * Whole decades around positive values, as papers draw log axes — except that a value within 1% of a decade
 * (in log10) beyond a boundary does not add a whole empty decade (NC1 = 1.0002 keeps the axis ending at 1).
 */
export function decades(values: number[]): [number, number] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const a = Math.floor(Math.log10(lo) + 0.01);
  let b = Math.ceil(Math.log10(hi) - 0.01);
  if (b <= a) b = a + 1;
  return [10 ** a, 10 ** b];
}

/** A K × K matrix as a heatmap on a fixed colour domain, with the values written in the cells when K is small. */
export function heatmapSpec(o: { title: string; subtitle: string; legendTitle: string; classes: (number | string)[]; axisTitle?: string; matrix: (number | null)[][]; domain: [number, number] }): TopLevelSpec {
  const K = o.classes.length;
  const cells = o.classes.flatMap((k, a) => o.classes.map((l, b) => ({ k, l, value: o.matrix[a][b] })));
  const side = Math.min(340, Math.max(150, 26 * K));
  const layers: object[] = [
    {
      // Past 20 × 20 cells, per-cell accessibility labels would dominate the page's size.
      mark: { type: 'rect', aria: K <= 20 },
      encoding: {
        color: {
          field: 'value',
          type: 'quantitative',
          title: o.legendTitle,
          scale: { domain: o.domain, scheme: 'redblue', clamp: true },
          legend: { orient: 'right', gradientLength: side - 20, format: '~g' },
        },
      },
    },
  ];
  if (K <= 12) {
    layers.push({
      mark: { type: 'text', fontSize: K <= 8 ? 10 : 8 },
      encoding: {
        text: { field: 'value', type: 'quantitative', format: '.2f' },
        color: { condition: { test: `abs(datum.value) > ${0.55 * Math.max(Math.abs(o.domain[0]), Math.abs(o.domain[1]))}`, value: 'white' }, value: 'black' },
      },
    });
  }
  return {
    width: side,
    height: side,
    title: { text: o.title, subtitle: o.subtitle },
    data: { values: cells },
    encoding: {
      x: { field: 'l', type: 'ordinal', title: `${o.axisTitle ?? 'class'} l`, sort: o.classes, axis: { labelAngle: 0, labelOverlap: true } },
      y: { field: 'k', type: 'ordinal', title: `${o.axisTitle ?? 'class'} k`, sort: o.classes, axis: { labelOverlap: true } },
    },
    layer: layers,
  } as TopLevelSpec;
}

/** One bar per class, with a dashed rule at the mean over classes (equal bars = the collapsed state). */
export function barsSpec(o: { title: string; subtitle: string; yTitle: string; classes: number[]; values: (number | null)[] }): TopLevelSpec {
  const rows = o.classes.map((k, i) => ({ k, value: o.values[i] }));
  const K = o.classes.length;
  return {
    width: Math.min(520, Math.max(180, 24 * K)),
    height: 170,
    title: { text: o.title, subtitle: o.subtitle },
    data: { values: rows },
    layer: [
      {
        mark: { type: 'bar', color: '#4c78a8', aria: K <= 40 },
        encoding: {
          x: { field: 'k', type: 'ordinal', title: 'class k', sort: o.classes, axis: { labelAngle: 0, labelOverlap: true } },
          y: { field: 'value', type: 'quantitative', title: o.yTitle },
        },
      },
      {
        mark: { type: 'rule', color: '#e45756', strokeDash: [4, 3], strokeWidth: 1.5 },
        encoding: { y: { aggregate: 'mean', field: 'value', type: 'quantitative' } },
      },
    ],
  } as TopLevelSpec;
}

/** Class means on their top two principal directions, each joined to the origin (μ_G) and labelled. */
export function projectionSpec(o: { title: string; subtitle: string; classes: number[]; points: (number | null)[][] }): TopLevelSpec {
  const K = o.classes.length;
  const rows = o.classes.map((k, i) => ({ k: String(k), x: o.points[i][0], y: o.points[i][1], x0: 0, y0: 0 }));
  const r = Math.max(1e-12, ...rows.flatMap((p) => [Math.abs(p.x ?? 0), Math.abs(p.y ?? 0)])) * 1.15;
  const scale = { domain: [-r, r], nice: false, zero: true };
  return {
    width: 290,
    height: 290,
    title: { text: o.title, subtitle: o.subtitle },
    data: { values: rows },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: 'principal direction 1 of the centred means', scale, axis: { format: '~g', labelOverlap: true } },
      y: { field: 'y', type: 'quantitative', title: 'principal direction 2', scale, axis: { format: '~g', labelOverlap: true } },
    },
    layer: [
      { mark: { type: 'rule', color: '#bbb', strokeWidth: 1, aria: false }, encoding: { x: { field: 'x0', type: 'quantitative' }, y: { field: 'y0', type: 'quantitative' }, x2: { field: 'x' }, y2: { field: 'y' } } },
      { mark: { type: 'point', filled: true, size: K <= 40 ? 60 : 20, color: '#4c78a8', aria: K <= 40 } },
      // Labels only while they can be read.
      ...(K <= 40 ? [{ mark: { type: 'text', dx: 9, dy: -7, fontSize: 11, fontWeight: 'bold' }, encoding: { text: { field: 'k', type: 'nominal' } } }] : []),
    ],
  } as TopLevelSpec;
}

/** One point of a grouped trend: a run's series (minority / majority, …) at a step. */
export interface GroupTrendPoint {
  run: string;
  series: string;
  step: number;
  value: number;
}

/**
 * Several series per run against step: colour = run (as in the other trend plots), dash = series (solid for the
 * first, e.g. the minority), so each run's minority and majority curves read as a pair.
 */
export function groupTrendSpec(o: { title: string; subtitle: string; yTitle: string; xTitle: string; points: GroupTrendPoint[]; runs: string[]; series: string[]; log: boolean }): TopLevelSpec {
  const spec = trendSpec(o) as TopLevelSpec & { mark: { point: { size: number } }; encoding: Record<string, unknown> & { color: { legend: Record<string, unknown> } } };
  spec.mark.point.size = 24;
  spec.encoding.color.legend.columns = 1;
  spec.encoding.strokeDash = { field: 'series', type: 'nominal', scale: { domain: o.series, range: [[1, 0], [5, 3], [2, 2]] }, legend: { orient: 'bottom', title: null, symbolType: 'stroke', symbolStrokeWidth: 2, symbolSize: 300 } };
  spec.encoding.detail = { field: 'series', type: 'nominal' };
  return spec;
}

/** One point of a scatter plot: a class at (x, y), coloured by its group. */
export interface ScatterPoint {
  x: number;
  y: number | null;
  group: string;
  label: string;
}

/**
 * Per-class values against class size (the imbalance view): one point per class, coloured by group (minority /
 * majority, or the series), log x when the sizes span a factor of 4 or more; a dashed rule marks the minority threshold.
 */
export function scatterSpec(o: { title: string; subtitle: string; xTitle: string; yTitle: string; points: ScatterPoint[]; groups: string[]; threshold?: number; logY?: boolean }): TopLevelSpec {
  const xs = o.points.map((p) => p.x).filter((x) => x > 0);
  const logX = xs.length > 0 && Math.max(...xs) >= 4 * Math.min(...xs);
  const ys = o.points.map((p) => p.y).filter((y): y is number => y !== null && Number.isFinite(y));
  const logY = o.logY === true && ys.length > 0 && ys.every((y) => y > 0);
  const K = o.points.length;
  const layers: object[] = [
    {
      mark: { type: 'point', filled: true, size: K <= 40 ? 70 : 25, aria: K <= 40 },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: o.xTitle, scale: logX ? { type: 'log', nice: false } : { zero: false, padding: 8 }, axis: { format: '~g', labelOverlap: true } },
        y: { field: 'y', type: 'quantitative', title: o.yTitle, scale: logY ? { type: 'log', domain: decades(ys) } : { zero: false, padding: 8 }, axis: { format: '~g', labelOverlap: true } },
        color: { field: 'group', type: 'nominal', scale: { domain: o.groups, scheme: 'tableau10' }, legend: { orient: 'bottom', title: null } },
        shape: { field: 'group', type: 'nominal', scale: { domain: o.groups }, legend: null },
      },
    },
  ];
  if (K <= 30) {
    layers.push({ mark: { type: 'text', dx: 8, dy: -6, fontSize: 10, color: '#444' }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } } });
  }
  if (o.threshold !== undefined) {
    layers.push({ data: { values: [{ t: o.threshold }] }, mark: { type: 'rule', color: '#888', strokeDash: [4, 3] }, encoding: { x: { field: 't', type: 'quantitative' } } });
  }
  return {
    width: 330,
    height: 220,
    title: { text: o.title, subtitle: o.subtitle },
    data: { values: o.points.filter((p) => p.y !== null && Number.isFinite(p.y)) },
    layer: layers,
  } as TopLevelSpec;
}
