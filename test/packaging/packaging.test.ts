/**
 * What users install: `npm pack` of every workspace package (read from the root package.json, so a package added
 * later is covered), then a fresh project outside the repository installs the tarballs beside `@tensorflow/tfjs`
 * and runs them — the `ncscope` CLI (`--version`, `analyze` on small .npy files), each package's quick start
 * (printing exactly the README's output, and type-checking against the installed declarations) and `require()`
 * from CommonJS. No tarball may hold tests or TypeScript build info.
 *
 * Run with `npm run test:packaging` (CI runs it after `npm test`). It needs the npm registry, or an npm cache
 * that holds @tensorflow/tfjs; when neither is reachable it is skipped with a message saying so.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeSnippets } from '../helpers/readme.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TFJS = '@tensorflow/tfjs@4.22.0';
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface Packed {
  name: string;
  version: string;
  dir: string;
  tarball: string;
  files: string[];
}

/** The workspace packages of the root package.json that are published (not private). */
function workspacePackages(): { dir: string; name: string; version: string }[] {
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  return root.workspaces
    .map((w) => ({ dir: join(ROOT, w), pkg: JSON.parse(readFileSync(join(ROOT, w, 'package.json'), 'utf8')) as { name: string; version: string; private?: boolean } }))
    .filter(({ pkg }) => !pkg.private)
    .map(({ dir, pkg }) => ({ dir, name: pkg.name, version: pkg.version }));
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000, maxBuffer: 64 << 20 });
}

const work = mkdtempSync(join(tmpdir(), 'ncscope-packaging-'));
const packDir = join(work, 'tarballs');
const project = join(work, 'project');
let packed: Packed[] = [];
let offline: string | undefined;

beforeAll(() => {
  mkdirSync(packDir);
  // `npm pack` runs each package's prepack (tsc -b), so the tarballs hold a fresh build.
  const out = run(NPM, ['pack', '--workspaces', '--json', '--pack-destination', packDir], ROOT);
  if (out.status !== 0) throw new Error(`npm pack failed:\n${out.stderr}`);
  const json = JSON.parse(out.stdout.slice(out.stdout.indexOf('['))) as { name: string; version: string; filename: string; files: { path: string }[] }[];
  const byName = new Map(workspacePackages().map((p) => [p.name, p]));
  packed = json.map((p) => ({ name: p.name, version: p.version, dir: byName.get(p.name)!.dir, tarball: join(packDir, p.filename), files: p.files.map((f) => f.path) }));

  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'ncscope-packaging-check', private: true, type: 'module' }, null, 2));
  // onnxruntime-node's install script would fetch CUDA binaries under npm 10; this is its documented opt-out.
  const install = run(NPM, ['install', ...packed.map((p) => p.tarball), TFJS, '--no-audit', '--no-fund', '--prefer-offline'], project, { ONNXRUNTIME_NODE_INSTALL: 'skip' });
  if (install.status !== 0) {
    if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH|ENOTCACHED/.test(install.stderr)) offline = `npm could not reach the registry for ${TFJS} (and its cache does not hold it)`;
    else throw new Error(`npm install of the tarballs failed:\n${install.stderr}`);
  }
  // The quick starts (README snippets) beside the project's package.json; the onnx one reads its package's
  // fixtures by a repository-relative path, so those get copied too.
  for (const p of packed) if (existsSync(join(p.dir, 'examples', 'quickstart.ts'))) copyFileSync(join(p.dir, 'examples', 'quickstart.ts'), join(project, quickstartName(p)));
  const fixtures = join(project, 'packages/onnx/test/fixtures');
  mkdirSync(fixtures, { recursive: true });
  for (const f of ['mlp-inputs.npy', 'mlp-labels.npy', 'mlp-gemm-transb1.onnx']) copyFileSync(join(ROOT, 'packages/onnx/test/fixtures', f), join(fixtures, f));
}, 600_000);

/** Where a package's quick start is copied in the project. */
function quickstartName(p: Packed): string {
  return `quickstart-${basename(p.dir)}.ts`;
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm pack of every workspace package', () => {
  it('packs every package the root package.json lists as a workspace', () => {
    expect(packed.map((p) => p.name).sort()).toEqual(workspacePackages().map((p) => p.name).sort());
  });

  it('no tests, fixtures or build info in any tarball; dist, types, README and LICENSE in each', () => {
    for (const p of packed) {
      const unwanted = p.files.filter((f) => /\.tsbuildinfo$|\.test\.[cm]?[jt]s$|(^|\/)(test|tests|__tests__|fixtures)\//.test(f));
      expect(unwanted, p.name).toEqual([]);
      for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts']) expect(p.files, `${p.name}: ${f}`).toContain(f);
    }
    expect(packed.find((p) => p.name === 'ncscope')!.files).toContain('bin/ncscope.js');
  });

  it('every package.json is ready to publish: version, license, repository, keywords, engines, exports with types', () => {
    for (const p of packed) {
      const pkg = JSON.parse(readFileSync(join(p.dir, 'package.json'), 'utf8'));
      expect(pkg.license, p.name).toBe('MIT');
      expect(pkg.repository?.url, p.name).toMatch(/^git\+https:\/\//);
      expect(pkg.repository?.directory, p.name).toBe(relative(ROOT, p.dir));
      expect(pkg.keywords?.length, p.name).toBeGreaterThan(0);
      expect(pkg.engines?.node, p.name).toBeDefined();
      expect(pkg.exports['.'].types, p.name).toBe('./dist/index.d.ts');
      // The entry point is built JavaScript in the tarball (core's is its bundle, dist/ncscope-core.js), the same file
      // for import and the default condition.
      expect(pkg.exports['.'].default, p.name).toMatch(/^\.\/dist\/[\w-]+\.js$/);
      expect(p.files, p.name).toContain(pkg.exports['.'].default.slice(2));
      expect(pkg.exports['.'].import, p.name).toBe(pkg.exports['.'].default);
      expect(pkg.main, p.name).toBe(pkg.exports['.'].default);
      if (p.name.startsWith('@')) expect(pkg.publishConfig?.access, p.name).toBe('public');
    }
  });
});

describe('npm publish --dry-run', () => {
  it('succeeds for every package, with nothing in a package.json for npm to correct', () => {
    const r = run(NPM, ['publish', '--workspaces', '--dry-run', '--ignore-scripts'], ROOT);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/auto-corrected|errors corrected|invalid/);
    for (const p of packed) expect(r.stdout + r.stderr, p.name).toContain(`+ ${p.name}@${p.version}`);
  });
});

describe('a fresh project outside the repository, installing the tarballs with @tensorflow/tfjs', () => {
  const skipIfOffline = (ctx: { skip: (note?: string) => void }) => {
    if (offline) ctx.skip(`skipped: ${offline}`);
  };
  const bin = () => join(project, 'node_modules', '.bin', 'ncscope');

  it('the ncscope bin prints its version', (ctx) => {
    skipIfOffline(ctx);
    const r = run(bin(), ['--version'], project);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${packed.find((p) => p.name === 'ncscope')!.version}\n`);
  });

  it('ncscope analyze on small .npy files gives the golden values', (ctx) => {
    skipIfOffline(ctx);
    for (const f of ['features', 'labels', 'weights', 'bias']) copyFileSync(join(ROOT, 'test/fixtures/golden/balanced', `${f}.npy`), join(project, `${f}.npy`));
    const r = run(bin(), ['analyze', '--features', 'features.npy', '--labels', 'labels.npy', '--weights', 'weights.npy', '--bias', 'bias.npy', '--json'], project);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    const expected = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/golden/balanced/expected-class-mean.json'), 'utf8'));
    expect([report.N, report.D, report.K]).toEqual([expected.N, expected.D, expected.K]);
    expect(Math.abs(report.metrics.nc1 - expected.nc1) / expected.nc1).toBeLessThan(1e-6);
    // And a text report, with the help that marks required options.
    expect(run(bin(), ['head', '--help'], project).stdout).toMatch(/--out-weights <file> +where to write W.*\(required\)/s);
  });

  it('image folders and tables from the tarballs: sharp (prebuilt), hyparquet and apache-arrow install with the ncscope CLI, decode workers run from dist', async (ctx) => {
    skipIfOffline(ctx);
    const sharp = (await import('sharp')).default;
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    // Three classes of 8 × 8 grey images for the CNN fixture of @ncscope/onnx (input 1 × 8 × 8).
    for (let k = 0; k < 3; k++) {
      mkdirSync(join(project, 'images', `class-${k}`), { recursive: true });
      for (let i = 0; i < 6; i++) {
        const px = Uint8Array.from({ length: 64 }, (_, j) => ((j % 8 === k + i % 3 ? 200 : 30) + j * (k + 1)) % 256);
        await sharp(px, { raw: { width: 8, height: 8, channels: 1 } }).png().toFile(join(project, 'images', `class-${k}`, `${i}.png`));
      }
    }
    copyFileSync(join(ROOT, 'packages/onnx/test/fixtures/cnn-flatten.onnx'), join(project, 'cnn.onnx'));
    const images = run(bin(), ['onnx', 'cnn.onnx', '--images', 'images', '--channels', '1', '--json'], project);
    expect(images.status, images.stderr).toBe(0);
    const out = JSON.parse(images.stdout) as { inputs: { classes: string[] }; checkpoints: { N: number; metrics: { nc1: number } }[] };
    expect(out.inputs.classes).toEqual(['class-0', 'class-1', 'class-2']);
    expect(out.checkpoints[0].N).toBe(18);
    expect(Number.isFinite(out.checkpoints[0].metrics.nc1)).toBe(true);
    // A Parquet table of the golden features with string labels.
    const features = readFileSync(join(ROOT, 'test/fixtures/golden/balanced/features.npy'));
    writeFileSync(join(project, 'features.npy'), features);
    const x = new Float32Array(features.buffer.slice(features.byteOffset + 128, features.byteOffset + features.length));
    const D = 12;
    const rows = x.length / D;
    const labels = Array.from({ length: rows }, (_, i) => ['a', 'b', 'c'][i % 3]);
    writeFileSync(join(project, 'table.parquet'), new Uint8Array(parquetWriteBuffer({
      columnData: Array.from({ length: D }, (_, j) => ({ name: `f${j}`, data: Array.from({ length: rows }, (_, i) => x[i * D + j]), type: 'FLOAT' as const })).concat([{ name: 'label', data: labels, type: 'STRING' as never }]),
    })));
    const table = run(bin(), ['analyze', '--table', 'table.parquet', '--features-column', 'f', '--json'], project);
    expect(table.status, table.stderr).toBe(0);
    const report = JSON.parse(table.stdout) as { N: number; D: number; K: number; inputs: { classes: string[] } };
    expect([report.N, report.D, report.K]).toEqual([rows, D, 3]);
    expect(report.inputs.classes).toEqual(['a', 'b', 'c']);
  });

  it("each package's README quick start runs from the tarballs and prints the README's output", (ctx) => {
    skipIfOffline(ctx);
    const snippets = readmeSnippets(ROOT);
    const withQuickstart = packed.filter((p) => existsSync(join(p.dir, 'examples', 'quickstart.ts')));
    expect(withQuickstart.length).toBeGreaterThan(0);
    const tsx = import.meta.resolve('tsx'); // the repository's TypeScript loader; imports resolve from the project
    for (const p of withQuickstart) {
      const q = snippets.find((s) => s.file === join(p.dir, 'examples', 'quickstart.ts'));
      expect(q?.output, `${p.name}: the README shows the quick start and its output`).toBeDefined();
      const r = run(process.execPath, ['--import', tsx, quickstartName(p)], project);
      expect(r.status, `${p.name}\n${r.stderr}`).toBe(0);
      expect(r.stdout, p.name).toBe(q!.output);
    }
  });

  it('the quick starts type-check against the installed declarations', (ctx) => {
    skipIfOffline(ctx);
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const files = packed.filter((p) => existsSync(join(p.dir, 'examples', 'quickstart.ts'))).map(quickstartName);
    const r = run(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules/@types'), ...files], project);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('CommonJS: require() loads every package (Node ≥ 20.19 loads ES modules synchronously)', (ctx) => {
    skipIfOffline(ctx);
    writeFileSync(join(project, 'require.cjs'), `for (const name of ${JSON.stringify(packed.map((p) => p.name))}) console.log(name, typeof require(name));\n`);
    const out = execFileSync(process.execPath, ['require.cjs'], { cwd: project, encoding: 'utf8' });
    expect(out.trim().split('\n')).toEqual(packed.map((p) => `${p.name} object`));
  });
});
