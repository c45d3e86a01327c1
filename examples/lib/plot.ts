/**
 * Figures for example READMEs: a Vega-Lite spec rendered to SVG in Node (vega's SVG renderer; no browser, no canvas),
 * so `npm run tables` regenerates them from result files and the README test can compare them byte for byte.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** SVG text of a Vega-Lite spec (a white background is added unless the spec sets one). */
export async function svgFromVegaLite(spec: TopLevelSpec): Promise<string> {
  const withBackground = { background: 'white', ...spec } as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(withBackground).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** One line of a curves figure. */
export interface Series {
  name: string;
  points: { x: number; y: number }[];
}

/**
 * Lines of y against x, one colour per series (e.g. NC1 against epoch per run), on a log y axis unless `logY: false`.
 * Points with a non-finite or (on a log axis) non-positive y are left out.
 */
export function curvesFigure(series: readonly Series[], options: { x: string; y: string; title?: string; logY?: boolean; logX?: boolean; width?: number; height?: number }): Promise<string> {
  const logY = options.logY ?? true;
  const values = series.flatMap((s) => s.points.filter((p) => Number.isFinite(p.y) && (!logY || p.y > 0)).map((p) => ({ series: s.name, x: p.x, y: p.y })));
  return svgFromVegaLite({
    ...(options.title ? { title: options.title } : {}),
    width: options.width ?? 480,
    height: options.height ?? 280,
    data: { values },
    mark: { type: 'line', point: { size: 18 } },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: options.x, ...(options.logX ? { scale: { type: 'log' } } : {}) },
      y: { field: 'y', type: 'quantitative', title: options.y, ...(logY ? { scale: { type: 'log' } } : {}) },
      color: { field: 'series', type: 'nominal', title: null, sort: series.map((s) => s.name) },
    },
  } as TopLevelSpec);
}
