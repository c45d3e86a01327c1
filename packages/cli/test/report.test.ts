/**
 * `ncscope report` end to end: render the fixture runs (test/fixtures/runs, real core outputs), open the page in
 * headless Chromium (Debian's /usr/bin/chromium through playwright-core) and check what a reader sees: every plot
 * has drawn marks in the numbers the data imply, axes carry the metric names, the page logs no errors and fetches
 * nothing. Skips, saying why, only when /usr/bin/chromium is missing (CI installs it in .ci/run).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRuns, writeHtmlReport } from '../src/html/index.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/runs/', import.meta.url));
const FILES = ['cross-entropy.jsonl', 'label-smoothing.jsonl'].map((f) => join(FIXTURES, f));

/** The fixture lines, parsed plainly (independently of the report's own reader). */
const lines = FILES.map((f) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l)));
const K = lines[0][0].K as number;

/** Trend plot id → words its y-axis title must carry. */
const TRENDS: Record<string, string> = {
  'trend-nc1': 'NC1',
  'trend-nc1Quotient': 'NC1 quotient',
  'trend-cdnv': 'CDNV',
  'trend-equinormMeans': 'equinorm (means)',
  'trend-equiangularityMeans': 'equiangularity (means)',
  'trend-maxAngleMeans': 'max-angle (means)',
  'trend-etfErrorMeans': 'ETF error (means)',
  'trend-equinormWeights': 'equinorm (classifier)',
  'trend-equiangularityWeights': 'equiangularity (classifier)',
  'trend-maxAngleWeights': 'max-angle (classifier)',
  'trend-etfErrorWeights': 'ETF error (classifier)',
  'trend-nc3SelfDuality': 'NC3 self-duality',
  'trend-nc3Zhu': 'NC3 (Zhu)',
  'trend-nc4NccMismatch': 'NC4 mismatch',
  'trend-nccAccuracy': 'NCC accuracy',
  'trend-classifierAccuracy': 'classifier accuracy',
  'trend-log-loss': 'loss',
  'trend-log-acc': 'acc',
};

/** Snapshot plot suffix → [words in the plot's axis or legend titles, mark type, marks expected]. */
const SNAPSHOT: Record<string, [string, string, number]> = {
  'cosine-means': ['cos(μ̃_k, μ̃_l)', 'rect', K * K],
  'cosine-ideal': ['ideal cosine', 'rect', K * K],
  'cosine-deviation': ['cosine − ETF', 'rect', K * K],
  'cosine-weights': ['cos(w_k, w_l)', 'rect', K * K],
  'mean-norms': ['‖μ̃_k‖', 'rect', K],
  variances: ['within-class variance', 'rect', K],
  'weight-norms': ['‖w_k‖', 'rect', K],
  'ncc-recall': ['NCC recall', 'rect', K],
  'means-2d': ['principal direction', 'symbol', K],
};

interface PlotSeen {
  id: string;
  width: number;
  height: number;
  axisTitles: string[];
  legendTitles: string[];
  legendLabels: string[];
  subtitle: string;
  axisLabels: string[];
  /** Drawn data marks by vega mark type (line, symbol, rect, rule, text), axes and legends excluded. */
  marks: Record<string, number>;
  /** Paths of line marks (one per run). */
  lines: number;
  tableRows: string[][];
}

describe('ncscope report in headless Chromium', () => {
  let dir: string;
  let htmlPath: string;
  let plots = 0;
  let seen: PlotSeen[] = [];
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  let embedded: { runs: { name: string; measurements: unknown[] }[] } | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ncscope-report-'));
    htmlPath = join(dir, 'report.html');
    const written = await writeHtmlReport(await readRuns(FILES), htmlPath, { title: 'fixture runs' });
    expect(written.renderWarnings).toEqual([]);
    plots = written.plots;
    if (!hasChromium) return;
    const { chromium } = await import('playwright-core');
    const profile = join(dir, 'profile');
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await context.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      page.on('pageerror', (e) => consoleErrors.push(String(e)));
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
      seen = await page.$$eval('figure.plot', (figs) =>
        figs.map((f) => {
          const svg = f.querySelector('svg')!;
          const box = svg.getBoundingClientRect();
          const texts = (sel: string) => [...f.querySelectorAll(sel)].map((t) => t.textContent ?? '');
          const marks: Record<string, number> = {};
          for (const g of f.querySelectorAll('g.role-mark')) {
            const type = [...g.classList].find((c) => c.startsWith('mark-'))!.slice(5);
            marks[type] = (marks[type] ?? 0) + g.children.length;
          }
          return {
            id: f.id,
            width: box.width,
            height: box.height,
            axisTitles: texts('g.role-axis-title text'),
            legendTitles: texts('g.role-legend-title text'),
            legendLabels: texts('g.role-legend-label text'),
            subtitle: texts('g.role-title-subtitle text').join(' '),
            axisLabels: texts('g.role-axis-label text'),
            marks,
            lines: f.querySelectorAll('g.mark-line.role-mark path').length,
            tableRows: [...f.querySelectorAll('details table tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
          };
        }),
      );
      const json = await page.$eval('#ncscope-data', (s) => s.textContent ?? '');
      embedded = JSON.parse(json);
    } finally {
      await context.close();
    }
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('needs nothing from the network: no script, stylesheet or image is loaded from elsewhere', () => {
    const html = readFileSync(htmlPath, 'utf8');
    expect(html).not.toMatch(/<script[^>]*\bsrc=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<img\b/i);
    expect(html).not.toMatch(/@import|url\(\s*['"]?https?:/i);
    // Only the SVG namespace URIs mention http; they are names, not requests.
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink']));
  });

  const browser = hasChromium ? it : it.skip;
  if (!hasChromium) console.warn(`report.test.ts: ${CHROMIUM} not found — skipping the browser checks (install Debian's chromium: apt-get install -y chromium)`);

  browser('shows every expected plot, each drawn with a visible size', () => {
    const ids = seen.map((p) => p.id);
    const expected = [...Object.keys(TRENDS), ...[1, 2].flatMap((i) => Object.keys(SNAPSHOT).map((s) => `snapshot-${i}-${s}`))];
    expect(ids.sort()).toEqual(expected.sort());
    expect(plots).toBe(expected.length);
    for (const p of seen) {
      expect(p.width, p.id).toBeGreaterThan(100);
      expect(p.height, p.id).toBeGreaterThan(100);
    }
  });

  browser('trend plots: one line per run, one point per measurement, the metric named on the y axis and epoch on x', () => {
    const points = lines[0].length + lines[1].length;
    for (const [id, name] of Object.entries(TRENDS)) {
      const p = seen.find((s) => s.id === id)!;
      expect(p.lines, id).toBe(2);
      expect(p.marks.symbol, id).toBe(points);
      expect(p.axisTitles, id).toContain('epoch');
      expect(p.axisTitles, id).toContain(name);
      expect(p.legendLabels, id).toEqual(['cross-entropy', 'label-smoothing']);
    }
    // Collapse metrics that stay positive are drawn on a log axis (whole decades); NC4 reaches exactly 0: linear.
    const nc1 = seen.find((s) => s.id === 'trend-nc1')!;
    expect(nc1.axisTitles).toContain('NC1');
    expect(nc1.subtitle).toBe('NC1 = Tr(Σ_W Σ_B⁺)/K · log scale');
    expect(nc1.axisLabels).toEqual(expect.arrayContaining(['0.001', '0.01', '0.1', '1']));
    expect(seen.find((s) => s.id === 'trend-nc4NccMismatch')!.subtitle).not.toContain('log');
  });

  browser('snapshot plots: K² heatmap cells, K bars, K labelled class means, titled by what they show', () => {
    for (const i of [1, 2]) {
      for (const [suffix, [words, mark, count]] of Object.entries(SNAPSHOT)) {
        const p = seen.find((s) => s.id === `snapshot-${i}-${suffix}`)!;
        expect(p.marks[mark], p.id).toBe(count);
        const titles = [...p.axisTitles, ...p.legendTitles].join(' | ');
        expect(titles, p.id).toContain(words);
      }
      expect(seen.find((s) => s.id === `snapshot-${i}-means-2d`)!.marks.text).toBe(K);
      expect(seen.find((s) => s.id === `snapshot-${i}-mean-norms`)!.marks.rule).toBe(1);
    }
  });

  browser('tables under the plots hold the logged numbers', () => {
    const nc1 = seen.find((s) => s.id === 'trend-nc1')!;
    expect(nc1.tableRows.length).toBe(lines[0].length);
    for (const [r, row] of nc1.tableRows.entries()) {
      expect(Number(row[0])).toBe(lines[0][r].step);
      expect(Number(row[1])).toBeCloseTo(lines[0][r].metrics.nc1, 5);
      expect(Math.abs(Number(row[2]) / lines[1][r].metrics.nc1 - 1)).toBeLessThan(1e-5);
    }
    const norms = seen.find((s) => s.id === 'snapshot-2-mean-norms')!;
    const last = lines[1][lines[1].length - 1];
    expect(norms.tableRows.map((r) => Number(r[1]))).toEqual(last.perClass.meanNorms.map((v: number) => Number(v.toPrecision(6))));
    expect(embedded!.runs.map((r) => r.name)).toEqual(['cross-entropy', 'label-smoothing']);
    // Every measurement is embedded; the per-class block only for the snapshot (the last one).
    const { perClass, ...withoutPerClass } = last;
    expect(embedded!.runs[1].measurements).toEqual([...lines[1].slice(0, -1).map(({ perClass: _p, ...rest }: { perClass: unknown }) => rest), { ...withoutPerClass, perClass }]);
  });

  browser('logs no console errors and requests nothing but the page itself', () => {
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(htmlPath).href]);
  });
});
