/**
 * HTML reports of Neural Collapse runs: `ncscope report`, and `--html` of `ncscope analyze` / `ncscope onnx`.
 * One self-contained page (inline SVG plots drawn with Vega-Lite at write time, inline CSS, no script, no network).
 */
import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { renderHtmlReport, type HtmlReportOptions } from './page.js';
import type { ReportRun } from './jsonl.js';

export { parseMeasurements, readMeasurements, readRuns, runsFromMeasurements, type ReportRun } from './jsonl.js';
export { renderHtmlReport, type HtmlReportOptions, type RenderedReport } from './page.js';
export { METRIC_GROUPS, METRICS, type MetricGroup, type MetricInfo } from './metrics.js';

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
 * has a measurement, and `NcInputError('BAD_OPTION')` when `options.step` matches no measurement.
 */
export async function writeHtmlReport(runs: readonly ReportRun[], outPath: string, options: HtmlReportOptions = {}): Promise<WrittenReport> {
  const { html, plots, renderWarnings } = await renderHtmlReport(runs, options);
  await writeFileAtomic(outPath, html);
  return { path: outPath, bytes: Buffer.byteLength(html), plots, renderWarnings };
}

/** Writes `text` to a temporary sibling of `path` and renames it over `path`; removes the temporary file on failure. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, text, { flag: 'wx' });
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}
