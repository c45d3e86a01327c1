import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze, computeReport, forEachPairTile, jsEngine, MeansAccumulator, mulberry32, parseNpy, residualPlan, runSpreadChunk, SpreadAccumulator, type ProductEngine, type AnalyzeResult } from '@ncscope/core';
import { createOnnxProductEngine } from './onnx-product-engine.js';

const golden = join(dirname(fileURLToPath(import.meta.url)), '../../../../test/fixtures/golden');
const npy = (set: string, f: string) => parseNpy(new Uint8Array(readFileSync(join(golden, set, f)))).data;

let engine: ProductEngine;
beforeAll(async () => { engine = await createOnnxProductEngine(); });
afterAll(async () => { await engine.dispose?.(); });

const prng = mulberry32;

function expectSameResult(a: AnalyzeResult, b: AnalyzeResult, rel: number) {
  expect(b.means.counts).toEqual(a.means.counts);
  expect(b.spread.counts).toEqual(a.spread.counts);
  expect(b.spread.nccCorrect).toEqual(a.spread.nccCorrect);
  expect(b.spread.classifierCorrect).toEqual(a.spread.classifierCorrect);
  expect(b.spread.nccClassifierMismatch).toEqual(a.spread.nccClassifierMismatch);
  expect(b.spread.nccClassifierMismatchNoBias).toEqual(a.spread.nccClassifierMismatchNoBias);
  for (const [k, v] of Object.entries(a.report.metrics)) {
    const w = (b.report.metrics as Record<string, number>)[k];
    expect(Math.abs(w - v), `${k}: ${w} vs ${v}`).toBeLessThanOrEqual(rel * Math.max(Math.abs(v), 1e-12));
  }
  const pa = a.report.perClass?.nc1PerClass;
  const pb = b.report.perClass?.nc1PerClass;
  expect(pb?.length).toBe(pa?.length);
  pa?.forEach((v, k) => expect(Math.abs(pb![k] - v), `nc1PerClass[${k}]`).toBeLessThanOrEqual(rel * Math.max(Math.abs(v), 1e-12)));
}

describe('onnxruntime product engine', () => {
  it('matmul and matmulNT equal the JS engine (float32 and float64)', async () => {
    const r = prng(1);
    for (const T of [Float32Array, Float64Array]) {
      const a = T.from({ length: 37 * 19 }, () => r() - 0.5);
      const b = T.from({ length: 19 * 11 }, () => r() - 0.5);
      const c = await engine.matmul(a, b, 37, 19, 11);
      const ref = jsEngine.matmul(a, b, 37, 19, 11) as Float64Array;
      const tol = T === Float32Array ? 1e-5 : 1e-13;
      for (let i = 0; i < ref.length; i++) expect(Math.abs(c[i] - ref[i])).toBeLessThan(tol);
      // A · Bᵀ with B given n × k (Gemm transB), in the input's precision.
      const bt = T.from({ length: 11 * 19 }, (_, i) => b[(i % 19) * 11 + Math.floor(i / 19)]);
      const nt = await engine.matmulNT!(a, bt, 37, 19, 11);
      expect(nt).toBeInstanceOf(T);
      for (let i = 0; i < ref.length; i++) expect(Math.abs(nt[i] - ref[i])).toBeLessThan(tol);
    }
  });

  for (const set of ['balanced', 'imbalanced']) {
    it(`fused kernels reproduce the JS path and the golden values on ${set}`, async () => {
      const features = npy(set, 'features.npy') as Float32Array;
      const labels = npy(set, 'labels.npy') as Int32Array;
      const classifier = { weights: npy(set, 'weights.npy') as Float32Array, bias: npy(set, 'bias.npy') as Float32Array };
      // Uneven batches and a small chunk size exercise subarray views and several kernel calls per batch.
      const D = features.length / labels.length;
      const cut = 123;
      const batches = [
        { features: features.subarray(0, cut * D), labels: labels.subarray(0, cut) },
        { features: features.subarray(cut * D), labels: labels.subarray(cut) },
      ];
      const js = await analyze(batches, { classifier, engine: jsEngine, chunkRows: 100 });
      const ort = await analyze(batches, { classifier, engine, chunkRows: 100 });
      expectSameResult(js, ort, 1e-5);
      const expected = JSON.parse(readFileSync(join(golden, set, 'expected-class-mean.json'), 'utf8'));
      expect(Math.abs(ort.report.metrics.nc1! - expected.nc1)).toBeLessThan(1e-6 * expected.nc1);
      // float64 input goes through the double graphs and must agree to near machine precision.
      const f64 = [{ features: Float64Array.from(features), labels }];
      const c64 = { weights: Float64Array.from(classifier.weights), bias: Float64Array.from(classifier.bias) };
      expectSameResult(await analyze(f64, { classifier: c64, engine: jsEngine }), await analyze(f64, { classifier: c64, engine }), 1e-11);
    });
  }

  it('class sums are exact and repeatable on large chunks (guards against racy parallel scatter-adds)', async () => {
    const r = prng(11);
    const rows = 4096, D = 512, K = 100;
    const features = Float32Array.from({ length: rows * D }, () => r() - 0.5);
    const labels = Int32Array.from({ length: rows }, () => Math.floor(r() * K));
    const exact = new Float64Array(K * D);
    for (let i = 0; i < rows; i++) for (let t = 0; t < D; t++) exact[labels[i] * D + t] += features[i * D + t];
    for (let rep = 0; rep < 6; rep++) {
      const sums = await engine.classSums!({ features, labels, start: 0, rows, D, K });
      let worst = 0;
      for (let i = 0; i < exact.length; i++) worst = Math.max(worst, Math.abs(sums[i] - exact[i]));
      expect(worst).toBeLessThan(1e-9);
    }
  });

  it("D < K and D ≥ K on the same data: both scatter spaces, both engines, float32 and float64 agree", async () => {
    const r = prng(5);
    const N = 900, D = 12, K = 9;
    const centres = Float64Array.from({ length: K * D }, () => 2 * (r() - 0.5));
    const features = new Float32Array(N * D);
    const labels = new Int32Array(N);
    for (let i = 0; i < N; i++) {
      const y = i % K;
      labels[i] = y;
      for (let t = 0; t < D; t++) features[i * D + t] = 3 + centres[y * D + t] + 0.4 * (r() - 0.5);
    }
    const weights = Float32Array.from({ length: K * D }, (_, i) => centres[i] + 0.1 * (r() - 0.5));
    const bias = Float32Array.from({ length: K }, () => 0.1 * (r() - 0.5));
    for (const f64 of [false, true]) {
      const feats = f64 ? Float64Array.from(features) : features;
      const clf = f64 ? { weights: Float64Array.from(weights), bias: Float64Array.from(bias) } : { weights, bias };
      const batches = [{ features: feats, labels }];
      // K = 9 ≤ D = 12: 'means' is the natural space; 'features' is forced. Then the first 6 features only: D < K.
      const ref = await analyze(batches, { classifier: clf, engine: jsEngine, chunkRows: 128 });
      expect(ref.spread.space).toBe('means');
      for (const space of ['means', 'features'] as const) {
        for (const e of [jsEngine, engine]) {
          const got = await analyze(batches, { classifier: clf, engine: e, chunkRows: 128, space });
          expect(got.spread.space).toBe(space);
          expectSameResult(ref, got, f64 ? 1e-10 : 2e-5);
        }
      }
      const D2 = 6;
      const narrow = (f64 ? Float64Array : Float32Array).from({ length: N * D2 }, (_, i) => feats[Math.floor(i / D2) * D + (i % D2)]);
      const w2 = (f64 ? Float64Array : Float32Array).from({ length: K * D2 }, (_, i) => clf.weights[Math.floor(i / D2) * D + (i % D2)]);
      const nb = [{ features: narrow, labels }];
      const ref2 = await analyze(nb, { classifier: { weights: w2, bias: clf.bias }, engine: jsEngine });
      expect(ref2.spread.space).toBe('features');
      expect(ref2.spread.scatter.length).toBe(D2 * D2);
      for (const space of ['features', 'means'] as const) {
        const got = await analyze(nb, { classifier: { weights: w2, bias: clf.bias }, engine, chunkRows: 200, space });
        expectSameResult(ref2, got, f64 ? 1e-10 : 2e-5);
      }
    }
  });

  it('rows of zeros (a dead ReLU) under an unbiased classifier tie exactly: every path takes the lowest class, both spaces and precisions', async () => {
    const r = prng(8);
    const N = 240, D = 8, K = 5;
    const centres = Float64Array.from({ length: K * D }, () => 1 + 2 * r());
    const labels = Int32Array.from({ length: N }, (_, i) => i % K);
    const zero = (i: number) => i % 7 === 3;
    const values = Float64Array.from({ length: N * D }, (_, j) => {
      const i = Math.floor(j / D);
      return zero(i) ? 0 : Math.max(0, centres[labels[i] * D + (j % D)] + 0.3 * (r() - 0.5));
    });
    const w = Float64Array.from({ length: K * D }, () => r() - 0.5);
    for (const T of [Float32Array, Float64Array]) {
      const features = T.from(values);
      const classifier = { weights: T.from(w), bias: new T(K) };
      const means = new MeansAccumulator({ K }).add({ features, labels }).statistics;
      for (const space of ['means', 'features'] as const) {
        const plan = (await SpreadAccumulator.create(means, { classifier, space })).reference;
        const chunk = { features, labels, start: 0, rows: N, D, K };
        const js = await runSpreadChunk(jsEngine, chunk, plan);
        const ort = await runSpreadChunk(engine, chunk, plan);
        const decisions = (o: typeof js) => [Array.from(o.classifier!, Number), Array.from(o.classifierNoBias!, Number)];
        const [clf, clfNb] = decisions(ort);
        for (let i = 0; i < N; i++) if (zero(i)) expect([clf[i], clfNb[i]], `${T.name} ${space} row ${i}`).toEqual([0, 0]);
        expect(decisions(ort), `${T.name} ${space}`).toEqual(decisions(js));
        // The rule is not vacuous: the other rows are not all class 0.
        expect(new Set(clf).size).toBeGreaterThan(1);
      }
    }
  });

  it('residual plans (other centres, no decisions, the Σ_B⁺ map) give the JS kernel\'s per-row values', async () => {
    const r = prng(9);
    const N = 300, D = 7, K = 5;
    const features = Float32Array.from({ length: N * D }, () => r() - 0.5);
    const labels = Int32Array.from({ length: N }, (_, i) => i % K);
    const means = new MeansAccumulator().add({ features, labels }).statistics;
    for (const space of ['means', 'features'] as const) {
      const acc = await SpreadAccumulator.create(means, { space });
      const centres = Float64Array.from({ length: 3 * D }, () => r() - 0.5);
      const plan = residualPlan(acc.reference, centres, 3);
      const idx = Int32Array.from({ length: N }, (_, i) => i % 3);
      const chunk = { features, labels: idx, start: 10, rows: 250, D, K };
      const a = await runSpreadChunk(jsEngine, chunk, plan);
      const b = await runSpreadChunk(engine, chunk, plan);
      expect(b.ncc).toBeUndefined();
      for (let i = 0; i < 250; i++) {
        expect(Math.abs(Number(b.rowSquaredNorms[i]) - a.rowSquaredNorms[i])).toBeLessThan(1e-5 * a.rowSquaredNorms[i]);
        expect(Math.abs(Number(b.quadratic![i]) - a.quadratic![i])).toBeLessThan(1e-4 * a.quadratic![i] + 1e-6);
      }
    }
  });

  it('keeps float32 precision for features far from the origin and skips empty classes', async () => {
    const r = prng(7);
    const N = 600, D = 16, K = 5;
    const features = new Float32Array(N * D);
    const labels = new Int32Array(N);
    const centres = Float64Array.from({ length: K * D }, () => 1000 + 5 * r());
    for (let i = 0; i < N; i++) {
      const y = [0, 1, 3, 4][i % 4]; // class 2 has no samples
      labels[i] = y;
      for (let t = 0; t < D; t++) features[i * D + t] = centres[y * D + t] + 0.01 * (r() - 0.5);
    }
    const js = await analyze([{ features, labels }], { K, engine: jsEngine });
    const ort = await analyze([{ features, labels }], { K, engine });
    expect(ort.report.perClass.classes).toEqual([0, 1, 3, 4]);
    expectSameResult(js, ort, 1e-4);
  });
});

describe('pair products in a worker thread', () => {
  let inWorker: ProductEngine;
  let onThread: ProductEngine;
  beforeAll(async () => {
    inWorker = await createOnnxProductEngine({ pairWorker: true });
    onThread = await createOnnxProductEngine({ pairWorker: false });
  });
  afterAll(async () => {
    await inWorker.dispose?.();
    await onThread.dispose?.();
  });

  /** Every tile of X Zᵀ as one dense K × Kz array (symmetric products fill both triangles). */
  async function dense(e: ProductEngine, X: Float64Array, Z: Float64Array, K: number, Kz: number, D: number, tile: number) {
    const out = new Float64Array(K * Kz);
    const seen: string[] = [];
    await forEachPairTile(e, X, Z, K, Kz, D, async (t) => {
      seen.push(`${t.rowStart},${t.colStart}`);
      // A slow visitor: later tiles are computed while this one is being read.
      await new Promise((resolve) => setTimeout(resolve, 2));
      for (let i = 0; i < t.rows; i++) for (let j = 0; j < t.cols; j++) {
        out[(t.rowStart + i) * Kz + t.colStart + j] = t.values[i * t.cols + j];
        if (t.symmetric) out[(t.colStart + j) * Kz + t.rowStart + i] = t.values[i * t.cols + j];
      }
    }, tile);
    return { out, seen };
  }

  it('gives the tiles of the calling thread, bit for bit, in the same order, and the float64 product', async () => {
    const r = prng(21);
    // Tiles of 64 × 64 × 2,100 are above core's SMALL_PRODUCT: the engine computes them (in the worker or not).
    const K = 203, Kz = 150, D = 2100;
    const X = Float64Array.from({ length: K * D }, () => r() - 0.5);
    const Z = Float64Array.from({ length: Kz * D }, () => r() - 0.5);
    const naive = (A: Float64Array, B: Float64Array, n: number, m: number) => {
      const out = new Float64Array(n * m);
      for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) { let s = 0; for (let t = 0; t < D; t++) s += A[i * D + t] * B[j * D + t]; out[i * m + j] = s; }
      return out;
    };
    for (const [A, B, n, m] of [[X, X, K, K], [X, Z, K, Kz]] as const) {
      const a = await dense(inWorker, A, B, n, m, D, 64);
      const b = await dense(onThread, A, B, n, m, D, 64);
      expect(a.seen).toEqual(b.seen);
      expect(a.seen.length).toBeGreaterThan(4);
      let differ = 0;
      for (let i = 0; i < a.out.length; i++) if (!Object.is(a.out[i], b.out[i])) differ++;
      expect(differ).toBe(0);
      const ref = naive(A, B, n, m);
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(a.out[i] - ref[i]));
      expect(worst).toBeLessThan(1e-12);
    }
  });

  it('gives the same report as the calling thread and the JS engine (tiles of 96 rows, each above the small-product size)', async () => {
    const r = prng(22);
    const N = 500, D = 1000, K = 200;
    const centres = Float64Array.from({ length: K * D }, () => r() - 0.5);
    const labels = Int32Array.from({ length: N }, (_, i) => (i * 7) % K);
    const features = Float64Array.from({ length: N * D }, (_, j) => 1.5 + centres[labels[Math.floor(j / D)] * D + (j % D)] + 0.2 * (r() - 0.5));
    const classifier = { weights: Float64Array.from(centres, (c) => c + 0.05 * (r() - 0.5)), bias: Float64Array.from({ length: K }, () => 0.1 * r()) };
    let sources = 0;
    const counted: ProductEngine = { ...inWorker, pairProducts: (...a) => { sources++; return inWorker.pairProducts!(...a); } };
    const { means, spread } = await analyze([{ features, labels }], { classifier, engine: onThread });
    // zhou centres W: its uncentred products are the centred tiles plus a rank-one shift (core's pairs.ts).
    for (const preset of ['ncscope', 'zhou'] as const) {
      const options = { classifier, pairTile: 96, preset, alignmentLimit: 0 };
      const a = await computeReport(means, spread, { ...options, engine: counted });
      const b = await computeReport(means, spread, { ...options, engine: onThread });
      const ref = await computeReport(means, spread, { ...options, engine: jsEngine });
      expect(a.metrics).toEqual(b.metrics);
      expect(a.imbalance).toEqual(b.imbalance);
      for (const [k, v] of Object.entries(ref.metrics)) {
        const w = (a.metrics as Record<string, number>)[k];
        expect(Math.abs(w - v), `${preset} ${k}: ${w} vs ${v}`).toBeLessThanOrEqual(1e-10 * Math.max(Math.abs(v), 1e-12));
      }
    }
    expect(sources).toBeGreaterThan(0);
  });

  it('a failing worker rejects the pass with its reason and the engine keeps working', async () => {
    const e = await createOnnxProductEngine({ pairWorker: true });
    const r = prng(23);
    const D = 5, K = 40;
    const X = Float64Array.from({ length: K * D }, () => r());
    const source = await e.pairProducts!(X, X, K, K, D);
    expect(source).toBeDefined();
    // Rows outside X: onnxruntime refuses the shape in the worker, and the tile's promise says so.
    await expect(source!.tile(0, 10, 0, 1000)).rejects.toThrow(/pair-product worker/);
    const ok = await source!.tile(0, 3, 0, 3);
    expect(Math.abs(ok[1] - (X[0] * X[5] + X[1] * X[6] + X[2] * X[7] + X[3] * X[8] + X[4] * X[9]))).toBeLessThan(1e-15);
    await source!.release();
    await e.dispose?.();
    await expect((async () => (await e.pairProducts!(X, X, K, K, D))?.tile(0, 2, 0, 2))()).resolves.toHaveLength(4);
    await e.dispose?.();
  });
});
