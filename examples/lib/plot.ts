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
