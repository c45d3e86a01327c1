import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GOLDEN, goldenExpected } from './helpers/run.js';

const BIN = fileURLToPath(new URL('../bin/ncscope.js', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const built = existsSync(DIST);
if (!built) console.warn(`skipping the bin test: ${DIST} is missing — run \`npm run build\` first (npm install does it)`);

describe.skipIf(!built)('node packages/cli/bin/ncscope.js (built CLI, separate process)', () => {
  const g = (name: string) => join(GOLDEN, 'balanced', `${name}.npy`);

  it('prints the JSON report on stdout, nothing on a non-TTY stderr (no progress bar), exit 0', () => {
    const r = spawnSync(process.execPath, [BIN, 'analyze', '--features', g('features'), '--labels', g('labels'), '--weights', g('weights'), '--bias', g('bias'), '--json', '--engine', 'js'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout);
    const expected = goldenExpected('balanced', 'class-mean');
    expect(Math.abs(json.metrics.nc1 - expected.nc1) / expected.nc1).toBeLessThan(1e-6);
    expect(Math.abs(json.metrics.nc4NccMismatch - expected.nc4_ncc_mismatch)).toBeLessThan(1e-12);
  });

  it('bad input: exit code 2 and one line on stderr', () => {
    const r = spawnSync(process.execPath, [BIN, 'analyze', '--features', g('features'), '--labels', g('weights')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^ncscope: error: .*weights\.npy: has 5 labels but .*features\.npy has 600 feature rows/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('a start loads neither onnxruntime nor the ONNX half, fflate, cli-progress or sharp; `--engine js` never loads onnxruntime', () => {
    // What a fresh process loaded, from the CommonJS cache (onnxruntime-node, protobufjs, fflate's CJS build and
    // cli-progress are CommonJS): the CLI's start-up time is mostly module loading (packages/core/README.md, benchmark 1).
    const probe = (args: string[]) => {
      const code = `const { main } = await import(${JSON.stringify(new URL('../dist/main.js', import.meta.url).href)});
        process.exitCode = await main(['node', 'ncscope', ...${JSON.stringify(args)}]);
        const { createRequire } = await import('node:module');
        const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => /onnxruntime|protobufjs|fflate|cli-progress|[\\/]sharp[\\/]/.test(k));
        process.stderr.write(JSON.stringify(loaded));`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stderr) as string[];
    };
    expect(probe(['--version'])).toEqual([]);
    expect(probe(['analyze', '--features', g('features'), '--labels', g('labels'), '--json', '--engine', 'js'])).toEqual([]);
    // The check can fail: with onnxruntime as the engine, it is loaded.
    expect(probe(['analyze', '--features', g('features'), '--labels', g('labels'), '--json', '--engine', 'onnxruntime']).some((k) => k.includes('onnxruntime'))).toBe(true);
  });
});
