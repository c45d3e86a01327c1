/**
 * Debian's chromium for the tests that drive a real browser (playwright-core with the system browser; nothing is
 * downloaded). .ci/run installs it; a test that needs it skips, saying so, only when the binary is missing.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

/**
 * Flags for headless runs here: `--no-sandbox` (root), WebGL on SwiftShader (ANGLE's CPU Vulkan; recent Chromium asks
 * for `--enable-unsafe-swiftshader` before it falls back to it), and no background connections, which hang on a
 * closed network (component updates, sync, first-run fetches, QUIC).
 */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run',
  '--disable-default-apps', '--disable-extensions',
];

/** Starts chromium with a fresh profile folder (removed by `close`). */
export async function launchChromium(options: { viewport?: { width: number; height: number } } = {}): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'ncscope-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: options.viewport ?? { width: 1200, height: 900 },
    deviceScaleFactor: 1,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
