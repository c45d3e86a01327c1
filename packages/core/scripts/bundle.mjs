/**
 * Bundles the compiled modules (dist/**.js, from `tsc -b`) into one file, dist/ncscope-core.js, which the package's
 * `exports` point at. Node loads one 200 kB module in ~18 ms where the ~75 separate modules took ~70 ms (2-core
 * benchmark machine), and every start of the CLI pays that. The declarations stay tsc's (dist/index.d.ts); the
 * source map chains back to src/.
 */
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [join(root, 'dist/index.js')],
  outfile: join(root, 'dist/ncscope-core.js'),
  bundle: true,
  format: 'esm',
  // Core is plain ECMAScript: no Node built-ins, so the bundle also runs in browsers and bundlers.
  platform: 'neutral',
  target: 'es2022',
  sourcemap: true,
  logLevel: 'warning',
});
