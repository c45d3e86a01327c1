// Core by relative path: the vitest config resolves '@ncscope/core' to a possibly stale dist/.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ScatterAccumulator, leastSquaresClassifier, parseNpy, parseNpyHeader } from '../../core/src/index.js';
import { directLeastSquares, relErr } from '../../core/test/heads-reference.js';
import { encodeNpy } from '@ncscope/core';
import { GOLDEN, runCli, tempDir } from './helpers/run.js';
import { npyBytes } from '../../io/test/helpers/writers.js';

const dirs: { cleanup(): void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));
function scratch() {
  const d = tempDir();
  dirs.push(d);
  return d;
}

function load(path: string) {
  return parseNpy(new Uint8Array(readFileSync(path)), path);
}

describe('ncscope head', () => {
  it('writes float32 W (K × D) and b (K) that equal the core LS classifier and a direct normal-equations solve', async () => {
    const d = scratch();
    const features = join(GOLDEN, 'balanced/features.npy');
    const labels = join(GOLDEN, 'balanced/labels.npy');
    const W = join(d.dir, 'W.npy');
    const b = join(d.dir, 'b.npy');
    const run = await runCli(['head', '--features', features, '--labels', labels, '--lambda', '0.01', '--out-weights', W, '--out-bias', b, '--batch-size', '97']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/N = 600, D = 12, K = 5, λ = 0.01/);
    const w = load(W);
    const bias = load(b);
    expect(w.header).toMatchObject({ dtype: 'f4', fortranOrder: false, shape: [5, 12], littleEndian: true });
    expect(bias.header).toMatchObject({ dtype: 'f4', shape: [5] });
    expect(w.header.dataOffset % 64).toBe(0);
    // Core on the same features in one batch.
    const f = load(features).data as Float32Array;
    const y = load(labels).data as Int32Array;
    const acc = new ScatterAccumulator();
    await acc.add({ features: f, labels: y });
    const ls = leastSquaresClassifier(acc.statistics, { lambda: 0.01 });
    expect(relErr(w.data, ls.weights)).toBeLessThanOrEqual(1e-6); // float32 storage
    expect(relErr(bias.data, ls.bias)).toBeLessThanOrEqual(1e-6);
    // An independent plain solve on the raw features.
    const ref = directLeastSquares({ N: 600, D: 12, K: 5, X: Float64Array.from(f), y: Int32Array.from(y) }, 0.01);
    expect(relErr(w.data, ref.W)).toBeLessThanOrEqual(1e-6);
    expect(relErr(bias.data, ref.b)).toBeLessThanOrEqual(1e-6);
  });

  it('prints a JSON summary, honours --classes and --label-smoothing', async () => {
    const d = scratch();
    const X = Float64Array.from({ length: 40 * 3 }, (_, i) => Math.sin(i * 1.7) + (i % 3) * 0.1);
    const y = Array.from({ length: 40 }, (_, i) => i % 3);
    const features = d.write('x.npy', encodeNpy(X, [40, 3]));
    const labels = d.write('y.npy', npyBytes(y, { descr: '<i8', shape: [40] }));
    const W = join(d.dir, 'W.npy');
    const run = await runCli(['head', '--features', features, '--labels', labels, '--classes', '4', '--label-smoothing', '0.1', '--out-weights', W, '--json']);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ N: 40, D: 3, K: 4, lambda: 1e-3, labelSmoothing: 0.1, emptyClasses: [3], bias: null });
    expect(summary.lossLS).toBeCloseTo(summary.lNC1 + summary.lNC23, 14);
    const T = new Float64Array(16).fill(0.025);
    for (let k = 0; k < 4; k++) T[k * 4 + k] += 0.9;
    const ref = directLeastSquares({ N: 40, D: 3, K: 4, X, y: Int32Array.from(y) }, 1e-3, T);
    expect(relErr(load(W).data, ref.W)).toBeLessThanOrEqual(1e-6);
  });

  it('refuses bad input with one named line and writes nothing', async () => {
    const d = scratch();
    // Collapsed features: every row of class c is the same point, so Σ_T has rank 2 < D = 4.
    const collapsed = Float64Array.from({ length: 30 * 4 }, (_, i) => { const c = ((i / 4) | 0) % 3, t = i % 4; return (c + 1) * (t + 1) * 0.5 + (t === c ? 1 : 0); });
    const features = d.write('x.npy', encodeNpy(collapsed, [30, 4]));
    const labels = d.write('y.npy', npyBytes(Array.from({ length: 30 }, (_, i) => i % 3), { descr: '<i8', shape: [30] }));
    const W = join(d.dir, 'W.npy');
    const b = join(d.dir, 'b.npy');
    const before = readdirSync(d.dir).sort();
    const singular = await runCli(['head', '--features', features, '--labels', labels, '--lambda', '0', '--out-weights', W, '--out-bias', b]);
    expect(singular.code).toBe(2);
    expect(singular.stderr).toMatch(/^ncscope: error: least-squares classifier: .*pass a ridge lambda > 0/);
    expect(singular.stdout).toBe('');
    expect(readdirSync(d.dir).sort()).toEqual(before);

    const missing = await runCli(['head', '--features', features, '--labels', labels]);
    expect(missing.stderr).toMatch(/required option '--out-weights <file>' not specified/);
    const badLambda = await runCli(['head', '--features', features, '--labels', labels, '--lambda', '-1', '--out-weights', W]);
    expect(badLambda.stderr).toMatch(/--lambda: expected a number ≥ 0, got '-1'/);
    const fewClasses = await runCli(['head', '--features', features, '--labels', labels, '--classes', '2', '--out-weights', W]);
    expect(fewClasses.stderr).toMatch(/y\.npy: row 2: label 2 is not a class index in 0\.\.1 \(K = 2 from --classes 2\)/);
    const overwrite = await runCli(['head', '--features', features, '--labels', labels, '--out-weights', features]);
    expect(overwrite.stderr).toMatch(/--out-weights would overwrite the input --features/);
    // The bias cannot be written (its temporary name is too long): both files or neither.
    const noDir = await runCli(['head', '--features', features, '--labels', labels, '--out-weights', W, '--out-bias', join(d.dir, 'nope', 'b'.repeat(245) + '.npy')]);
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toMatch(/b{245}\.npy: cannot write/);
    // Neither file appeared: the weights were written to a temporary name and removed again.
    expect(existsSync(W)).toBe(false);
    expect(readdirSync(d.dir).sort()).toEqual(before);
  });
});

describe('encodeNpy', () => {
  it('round-trips through the core parser for float32 and float64, 1-D and 2-D', () => {
    for (const data of [Float32Array.from([1.5, -2, 3.25, 0, 1e-8, 7]), Float64Array.from([Math.PI, -1e300, 2, 3, 4, 5])]) {
      for (const shape of [[6], [2, 3], [3, 2]]) {
        const bytes = encodeNpy(data, shape);
        const parsed = parseNpy(bytes);
        expect(parsed.header.shape).toEqual(shape);
        expect(Array.from(parsed.data)).toEqual(Array.from(data));
        expect(parseNpyHeader(bytes).dataOffset % 64).toBe(0);
      }
    }
    expect(() => encodeNpy(new Float32Array(5), [2, 3])).toThrow(/6 elements, data has 5/);
  });
});
