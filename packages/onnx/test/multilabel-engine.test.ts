/**
 * Multi-label statistics on the onnxruntime engine: the label-set residuals run through the fused spread kernel with a
 * residual plan (J set means as centres, no decisions), the class and set sums through the fused class-sums kernel.
 * Both must give the JS engine's report on the golden multi-label set (float32 products, so to ~1e-6).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeMultiLabel, parseNpy, type ProductEngine } from '@ncscope/core';
import { createOnnxProductEngine } from '../src/engine/onnx-product-engine.js';

const golden = join(dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/golden/multilabel');
const npy = (f: string) => parseNpy(new Uint8Array(readFileSync(join(golden, f))));

let engine: ProductEngine;
beforeAll(async () => { engine = await createOnnxProductEngine(); });
afterAll(async () => { await engine.dispose?.(); });

describe('multi-label statistics on the onnxruntime engine', () => {
  it('give the JS engine\'s report on the golden set, in both scatter spaces', async () => {
    const f = npy('features.npy');
    const y = npy('labels.npy');
    const K = y.header.shape[1];
    const D = f.header.shape[1];
    const batches = [0, 500, 1000].map((start) => {
      const end = Math.min(1200, start + 500);
      return { features: (f.data as Float32Array).subarray(start * D, end * D), labels: (y.data as Int32Array).subarray(start * K, end * K) };
    });
    for (const space of ['means', 'features'] as const) {
      const js = await analyzeMultiLabel(batches, { K, space, chunkRows: 128 });
      const onnx = await analyzeMultiLabel(batches, { K, space, engine, chunkRows: 128 });
      expect(onnx.means.sets.counts).toEqual(js.means.sets.counts);
      expect(onnx.spread.sets.counts).toEqual(js.spread.sets.counts);
      const a = js.report.multiLabel;
      const b = onnx.report.multiLabel;
      const close = (x: number, w: number, what: string) => expect(Math.abs(x - w), `${space} ${what}: ${x} vs ${w}`).toBeLessThanOrEqual(2e-6 * Math.abs(w) + 1e-9);
      close(b.labelSetNc1!, a.labelSetNc1!, 'labelSetNc1');
      close(b.tagWiseAngle!, a.tagWiseAngle!, 'tagWiseAngle');
      close(onnx.report.metrics.nc1!, js.report.metrics.nc1!, 'nc1');
      b.sets!.forEach((s, i) => close(s.variance!, a.sets![i].variance!, `variance {${s.labels}}`));
    }
  });
});
