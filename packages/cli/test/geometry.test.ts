/**
 * Issue 10 in the CLI: --normalize / --temperature (analyze, stats means → spread inherits, onnx), --minority-below
 * and the imbalance section in --json and the table, --cdnv-exponent, degenerate geometry with --strict, and the
 * HTML report's imbalance view.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze, encodeNpy, toMeasurement } from '@ncscope/core';
import { GOLDEN, goldenArray, runCli, tempDir } from './helpers/run.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const g = (name: string) => join(GOLDEN, 'imbalanced', `${name}.npy`);
const inputs = ['--features', g('features'), '--labels', g('labels'), '--weights', g('weights'), '--bias', g('bias')];
const f = goldenArray('imbalanced', 'features');
const l = goldenArray('imbalanced', 'labels');
const W = goldenArray('imbalanced', 'weights');
const b = goldenArray('imbalanced', 'bias');

async function json(args: string[]) {
  const r = await runCli([...args, '--json', '--engine', 'js']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe('ncscope analyze: normalized features, imbalance, CDNV exponent', () => {
  it('--normalize features-and-classifier --temperature 4 equals core analyze with the same options, and says so', async () => {
    const out = await json(['analyze', ...inputs, '--normalize', 'features-and-classifier', '--temperature', '4']);
    const { report } = await analyze([{ features: f.data as Float32Array, labels: l.data as Int32Array }], {
      classifier: { weights: W.data as Float32Array, bias: b.data as Float32Array }, normalize: 'features-and-classifier', temperature: 4,
    });
    expect(out.conventions.normalize).toBe('features-and-classifier');
    expect(out.conventions.temperature).toBe(4);
    for (const [k, v] of Object.entries(report.metrics)) expect(rel(out.metrics[k], v as number), k).toBeLessThan(1e-9);
    const table = (await runCli(['analyze', ...inputs, '--normalize', 'features', '--engine', 'js'])).stdout;
    expect(table).toMatch(/normalized features \(τ = 1\)/);
  });

  it('--temperature without --normalize, and an unknown mode, are refused before reading', async () => {
    const r = await runCli(['analyze', ...inputs, '--temperature', '2']);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(/--temperature scales normalized features/);
    const bad = await runCli(['analyze', ...inputs, '--normalize', 'sphere']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--normalize/);
  });

  it('--json has the imbalance section beside metrics; --minority-below moves the threshold; the table prints it', async () => {
    const out = await json(['analyze', ...inputs]);
    const counts = out.perClass.counts as number[];
    expect(out.imbalance.minorityBelow).toBe(Math.max(...counts) / 2);
    expect(out.imbalance.minorityClasses).toEqual(out.perClass.classes.filter((_: number, i: number) => counts[i] < Math.max(...counts) / 2));
    for (const k of ['minorityCosineWeights', 'majorityCosineWeights', 'minorityCosineMeans', 'majorityCosineMeans', 'normRatioWeights', 'normRatioMeans', 'nc1Minority', 'nc1Majority']) {
      expect(typeof out.imbalance[k] === 'number' || out.imbalance[k] === null, k).toBe(true);
    }
    const moved = await json(['analyze', ...inputs, '--minority-below', '1000']);
    expect(moved.imbalance.minorityRule).toBe('given');
    expect(moved.imbalance.majorityCount).toBe(0);
    expect(moved.imbalance.majorityCosineMeans).toBeNull();
    const table = (await runCli(['analyze', ...inputs, '--engine', 'js'])).stdout;
    expect(table).toMatch(/imbalance \(Fang et al\. 2021\): ratio/);
    expect(table).toMatch(/cos\(w_k, w_l\)/);
  });

  it('--cdnv-exponent 2 changes CDNV as core does and is recorded', async () => {
    const out = await json(['analyze', ...inputs, '--cdnv-exponent', '2']);
    const { report } = await analyze([{ features: f.data as Float32Array, labels: l.data as Int32Array }], { cdnvExponent: 2 });
    expect(out.conventions.cdnvExponent).toBe(2);
    expect(rel(out.metrics.cdnv, report.metrics.cdnv!)).toBeLessThan(1e-9);
  });
});

describe('ncscope stats: normalization is fixed in phase 1', () => {
  it('stats means --normalize → spread inherits it → analyze --stats equals analyze --normalize; conflicts are named', async () => {
    const out = (name: string) => join(tmp.dir, name);
    const means = await runCli(['stats', 'means', '--features', g('features'), '--labels', g('labels'), '--normalize', 'features', '--temperature', '3', '-o', out('nm.json')]);
    expect(means.stdout).toMatch(/normalized \(features, τ = 3\)/);
    const spread = await runCli(['stats', 'spread', '--means', out('nm.json'), '--features', g('features'), '--labels', g('labels'), '--weights', g('weights'), '--bias', g('bias'), '--engine', 'js', '-o', out('ns.json')]);
    expect(spread.code).toBe(0);
    const fromStats = await json(['analyze', '--stats', out('ns.json'), '--weights', g('weights'), '--bias', g('bias')]);
    const direct = await json(['analyze', ...inputs, '--normalize', 'features', '--temperature', '3']);
    for (const [k, v] of Object.entries(direct.metrics)) expect(rel(fromStats.metrics[k], v as number), k).toBeLessThan(1e-9);
    expect(fromStats.conventions.temperature).toBe(3);
    const conflict = await runCli(['analyze', '--stats', out('ns.json'), '--normalize', 'none']);
    expect(conflict.code).toBe(2);
    expect(conflict.stderr).toMatch(/computed with normalization features \(τ = 3\)/);
    await runCli(['stats', 'means', '--features', g('features'), '--labels', g('labels'), '-o', out('raw.json')]);
    const mixed = await runCli(['stats', 'merge', out('nm.json'), out('raw.json'), '-o', out('mixed.json')]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/normalized as none into statistics normalized as features \(τ = 3\)|normalized as features \(τ = 3\) into statistics normalized as none/);
  });
});

describe('degenerate geometry', () => {
  const zeros = tmp.write('zeros.npy', encodeNpy(new Float32Array(60 * 4), [60, 4]));
  const labels = tmp.write('zl.npy', encodeNpy(Int32Array.from({ length: 60 }, (_, i) => i % 3), [60]));

  it('is flagged at the top of --json with null ratios and a warning; --strict exits with 3 after printing', async () => {
    const out = await json(['analyze', '--features', zeros, '--labels', labels]);
    expect(out.degenerate).toBe(true);
    expect(out.metrics.nc1).toBeNull();
    expect(out.warnings.join(' ')).toMatch(/degenerate geometry/);
    const table = await runCli(['analyze', '--features', zeros, '--labels', labels, '--engine', 'js']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/DEGENERATE GEOMETRY/);
    const strict = await runCli(['analyze', '--features', zeros, '--labels', labels, '--engine', 'js', '--json', '--strict']);
    expect(strict.code).toBe(3);
    expect(JSON.parse(strict.stdout).degenerate).toBe(true);
    expect(strict.stderr).toMatch(/^ncscope: --strict: degenerate geometry/);
    // A healthy input passes --strict.
    expect((await runCli(['analyze', ...inputs, '--engine', 'js', '--strict'])).code).toBe(0);
  });
});

describe('ncscope report: the imbalance view', () => {
  it('draws minority/majority trends and the per-class NC1 and norms against class size', async () => {
    const lines: string[] = [];
    for (let step = 0; step < 3; step++) {
      // Classifier rows of the two smallest classes drift together over the steps (minority collapse).
      const w = Float32Array.from(W.data as Float32Array);
      const D = f.header.shape[1];
      const K = w.length / D;
      const counts = Array.from({ length: K }, (_, k) => (l.data as Int32Array).filter((y) => y === k).length);
      const order = counts.map((c, k) => [c, k]).sort((a, c) => a[0] - c[0]).map(([, k]) => k);
      const [a, c] = order;
      for (let t = 0; t < D; t++) {
        const mid = (w[a * D + t] + w[c * D + t]) / 2;
        w[a * D + t] += (step / 2) * 0.8 * (mid - w[a * D + t]);
        w[c * D + t] += (step / 2) * 0.8 * (mid - w[c * D + t]);
      }
      // The two smallest classes are the minority.
      const minorityBelow = Math.max(counts[a], counts[c]) + 0.5;
      const { report } = await analyze([{ features: f.data as Float32Array, labels: l.data as Int32Array }], { classifier: { weights: w, bias: b.data as Float32Array }, minorityBelow });
      expect(report.imbalance!.minorityCount).toBe(2);
      lines.push(JSON.stringify(toMeasurement(report, { step, run: 'imbalanced' })));
    }
    const log = tmp.write('imb.jsonl', lines.join('\n') + '\n');
    const html = join(tmp.dir, 'imb.html');
    const r = await runCli(['report', log, '-o', html]);
    expect(r.code).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/<section id="imbalance">/);
    expect(page).toMatch(/id="imbalance-cos-w"/);
    expect(page).toMatch(/id="snapshot-1-imbalance-nc1"/);
    expect(page).toMatch(/id="snapshot-1-imbalance-weight-norms"/);
    expect(page).toMatch(/Imbalance: minority collapse/);
    // The minority cosine of W rises over the steps, and the page's numbers say so.
    const data = JSON.parse(page.match(/<script type="application\/json" id="ncscope-data">(.*?)<\/script>/s)![1]);
    const cos = data.runs[0].measurements.map((m: { imbalance: { minorityCosineWeights: number } }) => m.imbalance.minorityCosineWeights);
    expect(cos[2]).toBeGreaterThan(cos[0]);
  });
});

describe('ncscope onnx: layer-wise alignment, normalization, --strict', () => {
  const fx = (name: string) => join(fileURLToPath(new URL('../../onnx/test/fixtures/', import.meta.url)), name);
  const data = ['--inputs', fx('mlp-inputs.npy'), '--labels', fx('mlp-labels.npy')];

  it('--tensor per hidden layer: each entry names the Gemm/MatMul that reads it and its alignment; the trend shows it', async () => {
    const out = await json(['onnx', fx('mlp-matmul-layers.onnx'), ...data, '--tensor', '/act1/Relu_output_0', '--tensor', '/act2/Relu_output_0', '--normalize', 'features']);
    expect(out.degenerate).toBe(false);
    expect(out.checkpoints.map((c: { tensor: string; consumer: { kind: string; outputs: number } }) => [c.tensor, c.consumer.kind, c.consumer.outputs])).toEqual([
      ['/act1/Relu_output_0', 'MatMul', 16],
      ['/act2/Relu_output_0', 'Gemm', 4],
    ]);
    for (const c of out.checkpoints) {
      expect(c.metrics.subspaceAlignment).toBeGreaterThan(0);
      expect(c.conventions.normalize).toBe('features');
    }
    const text = await runCli(['onnx', fx('mlp-matmul-layers.onnx'), ...data, '--tensor', '/act1/Relu_output_0', '--engine', 'js']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/next layer {2}MatMul "\/fc2\/MatMul" \(16 outputs/);
    expect(text.stdout).toMatch(/align\./);
  });
});
