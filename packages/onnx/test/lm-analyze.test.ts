import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '@ncscope/core';
import { LmFeatureRunner, analyzeLanguageModel, arrayCorpus, openLanguageModel, planTokens, tokenLimits, type LanguageModel, type TokenCorpus } from '../src/index.js';
import { relDiff, tempDir } from './helpers.js';
import { tinyLmOnnx, tinyLmWeights } from './lm-graphs.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const SHAPE = { V: 13, D: 8, H: 2, P: 16, F: 12 };
const W = tinyLmWeights(SHAPE, 11);

/** 40 sequences of 5…14 tokens from a seeded walk that favours some next tokens (so classes have several tokens), half left-padded. */
function corpus(): TokenCorpus {
  const r = mulberry32(3);
  const N = 40;
  const T = 14;
  const ids = new Int32Array(N * T).fill(0);
  const mask = new Uint8Array(N * T);
  for (let n = 0; n < N; n++) {
    const len = 5 + Math.floor(r() * 10);
    const off = n % 2 === 0 ? 0 : T - len;
    let tok = Math.floor(r() * SHAPE.V);
    for (let t = 0; t < len; t++) {
      ids[n * T + off + t] = tok;
      mask[n * T + off + t] = 1;
      tok = r() < 0.6 ? (tok * 5 + 3) % SHAPE.V : Math.floor(r() * SHAPE.V);
    }
  }
  return arrayCorpus(ids, [N, T], { mask, source: 'ids.npy', maskSource: 'mask.npy' });
}

/** Every measured token's features (float32 as the runner gives them) and labels. */
async function tokens(lm: LanguageModel, c: TokenCorpus, minCount = 1): Promise<{ X: Float64Array[]; y: number[] }> {
  const plan = await planTokens(c, tokenLimits(lm, lm.head!.K), { minCount });
  const runner = await LmFeatureRunner.create(lm, { batchSize: 4 });
  const X: Float64Array[] = [];
  const y: number[] = [];
  for await (const b of runner.run(c, plan)) {
    for (let i = 0; i < b.tokens; i++) {
      X.push(Float64Array.from(b.features.subarray(i * b.D, (i + 1) * b.D)));
      y.push(b.labels[i]);
    }
  }
  await runner.release();
  return { X, y };
}

/** Naive NC quantities straight from the definitions (class means of the present classes, decisions by brute force). */
function naive(X: Float64Array[], y: number[], Wt: Float64Array, b: Float64Array | undefined, K: number, D: number, exponent: number) {
  const classes = [...new Set(y)].sort((a, c) => a - c);
  const mu = new Map<number, Float64Array>();
  for (const k of classes) {
    const m = new Float64Array(D);
    let n = 0;
    X.forEach((x, i) => {
      if (y[i] !== k) return;
      n++;
      for (let d = 0; d < D; d++) m[d] += x[d];
    });
    mu.set(k, m.map((v) => v / n));
  }
  const dist2 = (a: ArrayLike<number>, c: ArrayLike<number>) => Array.from(a).reduce((s, v, d) => s + (v - c[d]) ** 2, 0);
  let ncc = 0;
  let clf = 0;
  let mismatch = 0;
  X.forEach((x, i) => {
    const near = classes.reduce((best, k) => (dist2(x, mu.get(k)!) < dist2(x, mu.get(best)!) ? k : best), classes[0]);
    let arg = 0;
    let top = -Infinity;
    for (let k = 0; k < K; k++) {
      let z = b ? b[k] : 0;
      for (let d = 0; d < D; d++) z += Wt[k * D + d] * x[d];
      if (z > top) { top = z; arg = k; }
    }
    if (near === y[i]) ncc++;
    if (arg === y[i]) clf++;
    if (arg !== near) mismatch++;
  });
  const v = new Map(classes.map((k) => {
    const rows = X.filter((_, i) => y[i] === k);
    return [k, rows.reduce((s, x) => s + dist2(x, mu.get(k)!), 0) / rows.length];
  }));
  let cdnv = 0;
  let pairs = 0;
  for (let a = 0; a < classes.length; a++) for (let c = a + 1; c < classes.length; c++) {
    const [ka, kc] = [classes[a], classes[c]];
    cdnv += (v.get(ka)! + v.get(kc)!) / (2 * dist2(mu.get(ka)!, mu.get(kc)!) ** exponent);
    pairs++;
  }
  return { N: X.length, classes: classes.length, nccAccuracy: ncc / X.length, classifierAccuracy: clf / X.length, nc4NccMismatch: mismatch / X.length, cdnv: cdnv / pairs };
}

describe('token-level NC of a causal LM (two passes over the model)', () => {
  for (const head of ['tied', 'untied'] as const) {
    it(`${head} head: N, D, K and the decision and CDNV metrics equal a naive computation on the same tokens`, async () => {
      const path = join(tmp.dir, `${head}.onnx`);
      writeFileSync(path, tinyLmOnnx(W, { positions: 'input', head, kv: 'none' }));
      const lm = openLanguageModel(path);
      const c = corpus();
      const result = await analyzeLanguageModel(lm, c, { batchSize: 5, cdnvExponent: 2 });
      const { X, y } = await tokens(lm, c);
      const ref = naive(X, y, head === 'tied' ? W.wte : W.head, head === 'tied' ? undefined : W.headBias, SHAPE.V, SHAPE.D, 2);
      const r = result.report;
      expect([r.N, r.D, r.K]).toEqual([ref.N, SHAPE.D, ref.classes]);
      expect(result.tokens).toBe(ref.N);
      expect(result.classifier).toMatchObject({ kind: head === 'tied' ? 'MatMul' : 'MatMul+Add', K: SHAPE.V, D: SHAPE.D });
      for (const key of ['nccAccuracy', 'classifierAccuracy', 'nc4NccMismatch'] as const) expect(r.metrics[key]).toBe(ref[key]);
      expect(relDiff(r.metrics.cdnv, ref.cdnv)).toBeLessThan(1e-9);
      expect(result.cached).toBe(true);
      expect(result.runs).toBe(8);
    });
  }

  it('batching and the pass-2 cache (or running the model again) do not change the metrics', async () => {
    const path = join(tmp.dir, 'batching.onnx');
    writeFileSync(path, tinyLmOnnx(W, { positions: 'input', head: 'tied', kv: 'none' }));
    const lm = openLanguageModel(path);
    const a = await analyzeLanguageModel(lm, corpus(), { batchSize: 40 });
    const b = await analyzeLanguageModel(lm, corpus(), { batchSize: 3, cacheLimitBytes: 0 });
    expect(b.cached).toBe(false);
    expect(b.runs).toBe(2 * 14);
    // nc1Svd inverts Σ_B on its top K − 1 = 12 eigenvalues, but with D = 8 at most 8 are not rounding noise: leave it out.
    for (const [key, value] of Object.entries(a.report.metrics)) {
      if (key !== 'nc1Svd') expect(relDiff(b.report.metrics[key as keyof typeof b.report.metrics] as number, value as number), key).toBeLessThan(1e-5);
    }
  });

  it('--min-count: only labels seen that often are classes; K stays the head\'s rows', async () => {
    const path = join(tmp.dir, 'min-count.onnx');
    writeFileSync(path, tinyLmOnnx(W, { positions: 'input', head: 'tied', kv: 'none' }));
    const lm = openLanguageModel(path);
    const c = corpus();
    const result = await analyzeLanguageModel(lm, c, { minCount: 20 });
    expect(result.plan.rare.labels).toBeGreaterThan(0);
    expect(result.report.N).toBe(result.plan.kept);
    expect(result.report.K).toBe(result.plan.labels);
    expect(result.means.K).toBe(SHAPE.V);
    const { X, y } = await tokens(lm, c, 20);
    expect(result.report.metrics.nccAccuracy).toBe(naive(X, y, W.wte, undefined, SHAPE.V, SHAPE.D, 1).nccAccuracy);
  });

  it('a shard of sequences measures exactly its tokens', async () => {
    const path = join(tmp.dir, 'shard.onnx');
    writeFileSync(path, tinyLmOnnx(W, { positions: 'input', head: 'tied', kv: 'none' }));
    const lm = openLanguageModel(path);
    const c = corpus();
    const plan = await planTokens(c, tokenLimits(lm, SHAPE.V));
    const first = await analyzeLanguageModel(lm, c, { plan, range: { end: 20 } });
    const second = await analyzeLanguageModel(lm, c, { plan, range: { start: 20 } });
    expect(first.tokens + second.tokens).toBe(plan.kept);
    expect(first.means.counts.reduce((s, v) => s + v, 0)).toBe(plan.keptBefore[20]);
  });

  for (const engine of ['js', 'onnxruntime'] as const) {
    it(`--decisions-sample (${engine} engine): NC4 and the accuracies from the seeded sample of tokens, the rest from every token`, async () => {
      const path = join(tmp.dir, `sample-${engine}.onnx`);
      writeFileSync(path, tinyLmOnnx(W, { positions: 'input', head: 'untied', kv: 'none' }));
      const lm = openLanguageModel(path);
      const c = corpus();
      const full = await analyzeLanguageModel(lm, c, { engine });
      const sampled = await analyzeLanguageModel(lm, c, { engine, decisionsSample: 60, seed: 3, batchSize: 7 });
      const again = await analyzeLanguageModel(lm, c, { engine, decisionsSample: 60, seed: 3, batchSize: 2, cacheLimitBytes: 0 });
      expect(sampled.spread.decisionCounts!.reduce((a, b) => a + b, 0)).toBe(60);
      expect(sampled.report.warnings).toContain(`NC4, NCC and classifier accuracy (and NCC recall) counted on a sample of 60 of the ${full.tokens} samples`);
      // The onnxruntime engine's spread graph without decisions rounds its float32 products differently.
      const tol = engine === 'js' ? 1e-12 : 1e-6;
      for (const key of ['nc1', 'cdnv', 'etfErrorMeans', 'nc3Zhu', 'unc3'] as const) expect(relDiff(sampled.report.metrics[key], full.report.metrics[key]), key).toBeLessThan(tol);
      for (const key of ['nccAccuracy', 'classifierAccuracy', 'nc4NccMismatch'] as const) expect(again.report.metrics[key], key).toBe(sampled.report.metrics[key]);
      // The sampled tokens' decisions, by brute force on their features.
      const { X, y } = await tokens(lm, c);
      const idx = Array.from(sampled.plan.sample!.indices);
      const ref = naive(X, y, W.head, W.headBias, SHAPE.V, SHAPE.D, 1);
      const mu = new Map<number, Float64Array>();
      for (const k of new Set(y)) {
        const rows = X.filter((_, i) => y[i] === k);
        mu.set(k, Float64Array.from({ length: SHAPE.D }, (_, d) => rows.reduce((s, x) => s + x[d], 0) / rows.length));
      }
      const dist2 = (a: Float64Array, b: Float64Array) => a.reduce((s, v, d) => s + (v - b[d]) ** 2, 0);
      let ncc = 0;
      for (const i of idx) {
        let best = -1;
        for (const [k, m] of mu) if (best < 0 || dist2(X[i], m) < dist2(X[i], mu.get(best)!)) best = k;
        if (best === y[i]) ncc++;
      }
      expect(sampled.report.metrics.nccAccuracy).toBeCloseTo(ncc / idx.length, 14);
      expect(ref.N).toBe(full.tokens);
    });
  }
});
