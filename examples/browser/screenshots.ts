/**
 * Runs the browser example in headless Chromium (Debian's /usr/bin/chromium through playwright-core; nothing is
 * downloaded) and saves screenshots into docs/: the whole page after training (browser-example.png) and its per-class
 * snapshot (browser-snapshot.png).
 *
 *   node --import tsx examples/browser/screenshots.ts [--backend wasm] [--epochs 30]
 *
 * WebGL in headless Chromium runs on SwiftShader (a CPU rasterizer), so the screenshots train on wasm by default.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { buildExample, serveExample } from './build.js';

const here = dirname(fileURLToPath(import.meta.url));
const docs = join(here, '../../docs');
const { values } = parseArgs({ options: { backend: { type: 'string' }, epochs: { type: 'string' } }, strict: false });
const backend = String(values.backend ?? 'wasm');
const epochs = Number(values.epochs ?? 30);

await buildExample(200);
const server = await serveExample(0);
const profile = mkdtempSync(join(tmpdir(), 'ncscope-example-shot-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  viewport: { width: 1240, height: 900 },
  deviceScaleFactor: 1,
});
try {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${String(e)}`));
  await page.goto(`${server.url}?backend=${backend}&epochs=${epochs}`);
  await page.waitForFunction(() => document.body.dataset.state !== undefined, undefined, { timeout: 20 * 60_000, polling: 1000 });
  const state = await page.evaluate(() => document.body.dataset.state);
  const text = await page.locator('#status').textContent();
  console.log(text);
  if (state !== 'done') throw new Error(`the page ended in state ${state}`);
  await page.screenshot({ path: join(docs, 'browser-example.png'), fullPage: true });
  await page.locator('.nc-snapshot').screenshot({ path: join(docs, 'browser-snapshot.png') });
  console.log('wrote docs/browser-example.png, docs/browser-snapshot.png');
} finally {
  await context.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
