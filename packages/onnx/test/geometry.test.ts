/**
 * Issue 10 in @ncscope/onnx: the subspace alignment of every analysed tensor read by a Gemm or MatMul with a constant
 * weight (Rangamani et al. 2023), on an MLP whose hidden layers are Gemm (mlp-gemm-transb1) or MatMul + Add
 * (mlp-matmul-layers) — the same trained weights — against core analyze on the features tfjs computed, with the weights
 * tfjs held; and normalized features passed through.
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '@ncscope/core';
import { FeatureExtractor, OnnxModel, analyzeModel } from '../src/index.js';
import { concat, fixture, inputOf, npy, reference, relDiff } from './helpers.js';

const labels = npy('mlp-labels.npy').data as Int32Array;
const tensors = ['/act1/Relu_output_0', '/act2/Relu_output_0'];

/** Features of the given tensors, extracted with the library's extractor (float32, as onnxruntime computed them). */
async function extract(model: OnnxModel): Promise<Float32Array[]> {
  const ex = await FeatureExtractor.create(model, { tensors });
  const blocks: Float32Array[][] = tensors.map(() => []);
  for await (const b of ex.run(inputOf('mlp-inputs.npy'))) b.features.forEach((f, t) => blocks[t].push(f.data as Float32Array));
  await ex.release();
  return blocks.map((bs) => Float32Array.from(concat(bs)));
}

describe('layer-wise subspace alignment in ONNX graphs', () => {
  for (const file of ['mlp-gemm-transb1.onnx', 'mlp-matmul-layers.onnx']) {
    it(`${file}: each hidden activation's alignment with the layer that reads it equals core analyze with that weight`, async () => {
      const model = OnnxModel.open(fixture(file));
      const result = await analyzeModel(model, inputOf('mlp-inputs.npy'), { labels, tensors });
      const [act1, act2] = result.tensors;
      const kind = file.includes('matmul') ? 'MatMul' : 'Gemm';
      expect(act1.consumer).toMatchObject({ kind, outputs: 16 });
      expect(act2.consumer).toMatchObject({ kind: 'Gemm', node: '/head/Gemm', outputs: 4 });
      expect(act1.report.consumer).toEqual({ name: act1.consumer!.node, outputs: 16 });
      const features = await extract(model);
      const fc2 = reference.mlp.fc2!;
      const want1 = await analyze([{ features: features[0], labels }], { consumer: { weights: Float64Array.from(fc2.W), outputs: fc2.out } });
      const c = model.classifier();
      const want2 = await analyze([{ features: features[1], labels }], { classifier: { weights: c.weights, bias: c.bias }, consumer: { weights: c.weights, outputs: 4 } });
      const a1 = act1.report.metrics.subspaceAlignment!;
      const a2 = act2.report.metrics.subspaceAlignment!;
      // fc2's weight as tfjs held it (the graph stores the same float32 values): ≤ 1e-6.
      expect(relDiff(a1, want1.report.metrics.subspaceAlignment)).toBeLessThan(1e-6);
      expect(relDiff(a2, want2.report.metrics.subspaceAlignment)).toBeLessThan(1e-6);
      expect(relDiff(a2, act2.report.metrics.subspaceAlignmentWeights)).toBeLessThan(1e-12);
      for (const a of [a1, a2]) {
        expect(a).toBeGreaterThan(0);
        expect(a).toBeLessThanOrEqual(1);
      }
      // The same tensors through onnxruntime's features and tfjs's: a trained network's last layer aligns better.
      expect(a2).toBeGreaterThan(0.5);
    });
  }

  it('Gemm and MatMul + Add graphs of the same weights give the same alignments', async () => {
    const [gemm, matmul] = await Promise.all(['mlp-gemm-transb1.onnx', 'mlp-matmul-layers.onnx'].map((f) => analyzeModel(fixture(f), inputOf('mlp-inputs.npy'), { labels, tensors })));
    for (let t = 0; t < 2; t++) expect(relDiff(gemm.tensors[t].report.metrics.subspaceAlignment, matmul.tensors[t].report.metrics.subspaceAlignment)).toBeLessThan(1e-5);
  });

  it("a tensor no linear node reads gets none; alignment: 'none' skips them all", async () => {
    const none = await analyzeModel(fixture('mlp-no-classifier.onnx'), inputOf('mlp-inputs.npy'), { labels, tensors });
    expect(none.tensors[0].report.metrics.subspaceAlignment).toBeDefined();
    expect(none.tensors[1].report.metrics.subspaceAlignment).toBeUndefined();
    const skipped = await analyzeModel(fixture('mlp-gemm-transb1.onnx'), inputOf('mlp-inputs.npy'), { labels, tensors, alignment: 'none' });
    expect(skipped.tensors.every((t) => t.report.metrics.subspaceAlignment === undefined && t.consumer === undefined)).toBe(true);
  });
});

describe('normalized features through analyzeModel', () => {
  it('equal core analyze with the same normalization on the extracted features', async () => {
    const model = OnnxModel.open(fixture('mlp-gemm-transb1.onnx'));
    const r = await analyzeModel(model, inputOf('mlp-inputs.npy'), { labels, normalize: 'features-and-classifier', temperature: 3 });
    const [, act2] = await extract(model);
    const c = model.classifier();
    const want = await analyze([{ features: act2, labels }], { classifier: { weights: c.weights, bias: c.bias }, normalize: 'features-and-classifier', temperature: 3, consumer: { weights: c.weights, outputs: 4 } });
    expect(r.tensors[0].report.conventions).toMatchObject({ normalize: 'features-and-classifier', temperature: 3 });
    for (const [k, v] of Object.entries(want.report.metrics)) expect(relDiff((r.tensors[0].report.metrics as Record<string, number>)[k], v as number), k).toBeLessThan(1e-9);
    await expect(analyzeModel(model, inputOf('mlp-inputs.npy'), { labels, temperature: 3 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
  });
});
