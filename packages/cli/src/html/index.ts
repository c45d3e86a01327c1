/**
 * HTML reports of Neural Collapse runs: `ncscope report`, and `--html` of `ncscope analyze` / `ncscope onnx`.
 * One self-contained page (inline SVG plots drawn with Vega-Lite at write time, inline CSS, no script, no network).
 */
import { writeFileAtomic } from '@ncscope/io';
import { renderHtmlReport, type HtmlReportOptions } from './page.js';
import type { ReportRun } from './jsonl.js';

export { parseMeasurements, readMeasurements, readRuns, runsFromMeasurements, type ReportRun } from './jsonl.js';
export { renderHtmlReport, type HtmlReportOptions, type RenderedReport } from './page.js';

/** What {@link writeHtmlReport} wrote. */
export interface WrittenReport {
  path: string;
  bytes: number;
  plots: number;
  renderWarnings: string[];
}

/**
 * Renders `runs` and writes the page to `outPath` atomically (a temporary file in the same directory, then rename):
 * the file appears whole or not at all. Throws `NcInputError('NO_DATA')` — before creating anything — when no run
 * has a measurement, `NcInputError('BAD_OPTION')` when `options.step` matches no measurement, and `CliError`
 * (`<path>: cannot write (…)`) when the file cannot be written.
 */
export async function writeHtmlReport(runs: readonly ReportRun[], outPath: string, options: HtmlReportOptions = {}): Promise<WrittenReport> {
  const { html, plots, renderWarnings } = await renderHtmlReport(runs, options);
  await writeFileAtomic(outPath, html);
  return { path: outPath, bytes: Buffer.byteLength(html), plots, renderWarnings };
}
