/**
 * examples/browser runs: build.ts bundles the page (into a temporary folder), serves it, and headless Chromium trains
 * the MNIST MLP in a tiny configuration (20 digits per class, 2 epochs) on wasm and cpu — the status line reaches
 * "done", every trend panel has a point per measurement, the snapshot is drawn, and the page throws nothing. A
 * backend that is not registered shows the library's named error in the page. Skips, saying so, only when
 * /usr/bin/chromium is missing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExample, serveExample } from '../../examples/browser/build.js';
import { CHROMIUM, hasChromium, launchChromium } from '../helpers/chromium.js';

describe.skipIf(!hasChromium)('examples/browser in headless Chromium', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof serveExample>>;
  let browser: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ncscope-example-'));
    await buildExample(20, dir);
    server = await serveExample(0, false, dir);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(query: string) {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}${query}`);
    await page.waitForFunction(() => document.body.dataset.state !== undefined, undefined, { timeout: 110_000, polling: 250 });
    return { page, errors };
  }

  for (const backend of ['wasm', 'cpu']) {
    it(`trains 2 epochs on ${backend} and draws every chart`, async () => {
      const { page, errors } = await open(`?backend=${backend}&epochs=2&train=20`);
      expect(await page.evaluate(() => document.body.dataset.state)).toBe('done');
      expect(await page.locator('#status').textContent()).toMatch(new RegExp(`epoch 2/2 · loss [\\d.]+ · train acc [\\d.]+ · test acc [\\d.]+ · NC1 [\\d.e+-]+ · measurement \\d+ ms on ${backend} .* done`));
      for (const panel of ['nc1', 'nc2', 'nc3', 'nc4', 'accuracy']) {
        expect(await page.locator(`[data-panel="${panel}"] circle.nc-point`).count(), panel).toBeGreaterThanOrEqual(2);
      }
      expect(await page.locator('rect.nc-cell').count()).toBe(100);
      expect(await page.locator('rect.nc-bar').count()).toBe(20);
      expect(errors).toEqual([]);
      await page.close();
    }, 120_000);
  }

  it('a backend that is not registered: the named error in the status line', async () => {
    const { page } = await open('?backend=webgpu');
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('error');
    expect(await page.locator('#status').textContent()).toMatch(/^NcInputError: tfjs backend "webgpu" is not registered/);
    await page.close();
  });
});

if (!hasChromium) {
  describe('examples/browser in headless Chromium', () => {
    it.skip(`skipped: ${CHROMIUM} is missing (apt-get install -y chromium; .ci/run installs it)`, () => {});
  });
}
