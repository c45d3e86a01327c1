/**
 * Renders the report of runs and screenshots it into docs/ (PNG): the whole page and its main sections.
 * Needs Debian's chromium at /usr/bin/chromium (playwright-core drives it; nothing is downloaded).
 *
 *   node --conditions=@ncscope/source --import tsx docs/make-screenshots.ts [runs.jsonl ...]
 * Default input: the fixture runs in test/fixtures/runs/. The HTML goes to a temporary directory.
 * Environment: NCSCOPE_REPORT_TITLE (page title), NCSCOPE_SHOT_PREFIX (file names, default "report" → report-*.png),
 * NCSCOPE_SHOTS ("name=selector,…": other sections; LAST stands for the last run's snapshot, e.g.
 * "imbalance=#imbalance,imbalance-view=LAST-imbalance").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { readRuns, writeHtmlReport } from '../packages/cli/src/html/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const inputs = process.argv.length > 2 ? process.argv.slice(2) : ['cross-entropy', 'label-smoothing'].map((n) => join(root, 'test/fixtures/runs', `${n}.jsonl`));
const title = process.env.NCSCOPE_REPORT_TITLE ?? 'Neural Collapse report — simulated runs (test/fixtures/runs)';
const profile = mkdtempSync(join(tmpdir(), 'ncscope-shot-'));
const html = join(profile, 'report.html');
// The fixtures' page carries a fixed date, so their PNGs come out the same on every run.
const FIXED_DATE = new Date(Date.UTC(2025, 0, 1));
const runs = await readRuns(inputs.map((p) => relative(root, p)));
const written = await writeHtmlReport(runs, html, { title, generated: process.argv.length > 2 ? new Date() : FIXED_DATE, command: `ncscope report ${inputs.map((p) => relative(root, p)).join(' ')} -o report.html` });
console.log(`rendered ${written.plots} plots`);

const context = await chromium.launchPersistentContext(join(profile, 'chromium'), {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1400, height: 900 },
  deviceScaleFactor: 1,
});
try {
  const page = await context.newPage();
  await page.goto(pathToFileURL(html).href);
  await page.addStyleTag({ content: 'nav { position: static !important; }' }); // no sticky bar across section shots
  const prefix = process.env.NCSCOPE_SHOT_PREFIX ?? 'report';
  const last = `#snapshot-${runs.length}`;
  // NCSCOPE_SHOTS="name=selector,…" picks other sections (file ${prefix}-name.png; an empty selector is the page top).
  const shots: [string, string][] = process.env.NCSCOPE_SHOTS
    ? process.env.NCSCOPE_SHOTS.split(',').map((pair) => {
      const [name, selector = ''] = pair.split('=');
      return [`${prefix}-${name}.png`, selector.replace('LAST', last)] as [string, string];
    })
    : [
      [`${prefix}-overview.png`, ''],
      [`${prefix}-nc1.png`, '#nc1'],
      [`${prefix}-nc2.png`, '#nc2-means'],
      [`${prefix}-snapshot.png`, last],
    ];
  // Pages of multi-label runs (a #multi-label section) also get that section shot.
  if (!process.env.NCSCOPE_SHOTS && (await page.locator('#multi-label').count()) > 0) shots.push([`${prefix}-multi-label.png`, '#multi-label']);
  for (const [file, selector] of shots) {
    const out = join(here, file);
    if (selector) await page.locator(selector).screenshot({ path: out });
    else await page.screenshot({ path: out });
    console.log(`wrote ${relative(root, out)}`);
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
