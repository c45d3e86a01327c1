import { describe, expect, it } from 'vitest';
import { analyze, type NcMetrics } from '@ncscope/core';
import { FeatureExtractor, OnnxModel, analyzeModel, type ModelProgress } from '../src/index.js';
import { concat, fixture, inputOf, npy, reference, relDiff } from './helpers.js';

function expectSameMetrics(a: NcMetrics, b: NcMetrics, tol: number): void {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const key of Object.keys(b) as (keyof NcMetrics)[]) {
    expect(relDiff(a[key], b[key]), `${key}: ${a[key]} vs ${b[key]}`).toBeLessThanOrEqual(tol);
  }
}

describe('analyzeModel', () => {
  const labels = npy('mlp-labels.npy').data as Int32Array;

  it('equals core analyze on the extracted features with the found W, b — and on tfjs features to float32 precision', async () => {
    const model = OnnxModel.open(fixture('mlp-gemm-transb1.onnx'));
    const result = await analyzeModel(model, inputOf('mlp-inputs.npy'), { labels, batchSize: 50 });
    expect(result.tensors).toHaveLength(1);
    const t = result.tensors[0];
    expect([t.tensor, t.N, t.D, t.K]).toEqual(['/act2/Relu_output_0', 120, 16, 4]);
    expect(t.classifier).toMatchObject({ kind: 'Gemm', weightsFrom: 'head.weight × alpha 0.5' });
    expect(result.cached).toBe(true);
    expect(result.runs).toBe(3); // one inference pass; pass 2 read the cache

    const ex = await FeatureExtractor.create(model, {});
    const blocks: Float32Array[] = [];
    for await (const b of ex.run(inputOf('mlp-inputs.npy'))) blocks.push(b.features[0].data as Float32Array);
    await ex.release();
    const c = model.classifier();
    // The default tensor is read by the classifier Gemm: its consumer (for the subspace alignment) is W itself.
    expect(t.consumer).toEqual({ node: '/head/Gemm', kind: 'Gemm', outputs: 4, weightsFrom: 'head.weight × alpha 0.5' });
    const direct = await analyze([{ features: Float32Array.from(concat(blocks)), labels }], { classifier: { weights: c.weights, bias: c.bias }, consumer: { weights: c.weights, outputs: c.K } });
    expectSameMetrics(t.report.metrics, direct.report.metrics, 1e-10);
    expect(t.report.metrics.classifierAccuracy).toBeGreaterThan(0.7);

    const tfjs = await analyze([{ features: npy('mlp-features.npy').data as Float32Array, labels }], {
      classifier: { weights: Float64Array.from(reference.mlp.W), bias: Float64Array.from(reference.mlp.b) },
      consumer: { weights: Float64Array.from(reference.mlp.W), outputs: 4 },
    });
    expectSameMetrics(t.report.metrics, tfjs.report.metrics, 1e-4);
  });

  it('the CNN: metrics of the Flatten features equal core analyze on the tfjs features', async () => {
    const cl = npy('cnn-labels.npy').data as Int32Array;
    const result = await analyzeModel(fixture('cnn-flatten.onnx'), inputOf('cnn-inputs.npy'), { labels: cl, batchSize: 32 });
    const tfjs = await analyze([{ features: npy('cnn-features.npy').data as Float32Array, labels: cl }], {
      classifier: { weights: Float64Array.from(reference.cnn.W), bias: Float64Array.from(reference.cnn.b) },
      consumer: { weights: Float64Array.from(reference.cnn.W), outputs: 3 },
    });
    expectSameMetrics(result.tensors[0].report.metrics, tfjs.report.metrics, 1e-4);
    expect(result.tensors[0].report.metrics.nc1).toBeLessThan(1); // trained: partly collapsed
  });

  it('re-running inference for pass 2 (cache limit 0) gives the same report as replaying cached features', async () => {
    const progress: ModelProgress[] = [];
    const rerun = await analyzeModel(fixture('mlp-softmax.onnx'), inputOf('mlp-inputs.npy'), { labels, batchSize: 40, cacheLimitBytes: 0, onProgress: (p) => progress.push(p) });
    const cached = await analyzeModel(fixture('mlp-softmax.onnx'), inputOf('mlp-inputs.npy'), { labels, batchSize: 40 });
    expect([rerun.cached, rerun.runs, cached.cached, cached.runs]).toEqual([false, 6, true, 3]);
    expectSameMetrics(rerun.tensors[0].report.metrics, cached.tensors[0].report.metrics, 1e-12);
    expect(progress.map((p) => `${p.phase}:${p.batch}/${p.batches}:${p.rows}`)).toEqual([
      'means:1/3:40', 'means:2/3:80', 'means:3/3:120', 'spread:1/3:40', 'spread:2/3:80', 'spread:3/3:120',
    ]);
  });

  it('layer-wise: several tensors in one pass; only the classifier input gets W, b', async () => {
    const cl = npy('cnn-labels.npy').data as Int32Array;
    const result = await analyzeModel(fixture('cnn-flatten.onnx'), inputOf('cnn-inputs.npy'), {
      labels: cl,
      tensors: ['/relu1/Relu_output_0', '/relu2/Relu_output_0', '/Flatten_output_0'],
      pool: 'avg',
    });
    expect(result.tensors.map((t) => [t.tensor, t.D, t.K, t.classifier?.kind])).toEqual([
      ['/relu1/Relu_output_0', 4, 3, undefined],
      ['/relu2/Relu_output_0', 8, 3, undefined],
      ['/Flatten_output_0', 32, 3, 'Gemm'],
    ]);
    expect(result.tensors[0].report.metrics.classifierAccuracy).toBeUndefined();
    expect(result.tensors[2].report.metrics.classifierAccuracy).toBeDefined();
    // Conv1 averaged per channel equals tfjs's conv1 output averaged.
    const ref = await analyze([{ features: npy('cnn-conv1-avg.npy').data as Float32Array, labels: cl }], {});
    expectSameMetrics(result.tensors[0].report.metrics, ref.report.metrics, 1e-4);
  });

  it("classifier: 'none' leaves out the W metrics; conventions pass through to the report", async () => {
    const r = await analyzeModel(fixture('mlp-gemm-transb0.onnx'), inputOf('mlp-inputs.npy'), { labels, classifier: 'none', preset: 'rhubarbwu' });
    expect(r.tensors[0].classifier).toBeUndefined();
    expect(r.tensors[0].report.metrics.etfErrorWeights).toBeUndefined();
    expect(r.tensors[0].report.conventions.preset).toBe('rhubarbwu');
  });

  it('a classifier given per tensor is used for that tensor; one for a tensor not analysed is refused', async () => {
    const model = OnnxModel.open(fixture('mlp-no-classifier.onnx'));
    const head = { weights: Float64Array.from(reference.mlp.W), bias: Float64Array.from(reference.mlp.b) };
    const r = await analyzeModel(model, inputOf('mlp-inputs.npy'), { labels, tensors: ['/act2/Relu_output_0'], classifier: { '/act2/Relu_output_0': head } });
    expect(r.tensors[0].classifier).toEqual({ K: 4, D: 16, weightsFrom: 'given', biasFrom: 'given', kind: 'given' });
    // The embedding model has no layer after the features; skip the alignment on the full model to compare like with like.
    const auto = await analyzeModel(fixture('mlp-gemm-transb1.onnx'), inputOf('mlp-inputs.npy'), { labels, alignment: 'none' });
    expect(r.tensors[0].consumer).toBeUndefined();
    expectSameMetrics(r.tensors[0].report.metrics, auto.tensors[0].report.metrics, 1e-6);
    await expect(analyzeModel(model, inputOf('mlp-inputs.npy'), { labels, tensors: ['/act2/Relu_output_0'], classifier: { '/act1/Relu_output_0': head } })).rejects.toThrow(/not among the analysed tensors/);
  });

  it("engine: 'auto' picks JS for tiny work; 'onnxruntime' (this package's product engine) agrees with it", async () => {
    const auto = await analyzeModel(fixture('mlp-softmax.onnx'), inputOf('mlp-inputs.npy'), { labels });
    const ort = await analyzeModel(fixture('mlp-softmax.onnx'), inputOf('mlp-inputs.npy'), { labels, engine: 'onnxruntime' });
    expect([auto.engine, ort.engine]).toEqual(['js', 'onnxruntime']);
    expectSameMetrics(ort.tensors[0].report.metrics, auto.tensors[0].report.metrics, 1e-6);
  });

  it('checkpoints trend: the early checkpoint is less collapsed than the trained one', async () => {
    const early = await analyzeModel(fixture('mlp-epoch01.onnx'), inputOf('mlp-inputs.npy'), { labels });
    const late = await analyzeModel(fixture('mlp-gemm-transb1.onnx'), inputOf('mlp-inputs.npy'), { labels });
    expect(late.tensors[0].report.metrics.nc1!).toBeLessThan(early.tensors[0].report.metrics.nc1!);
  });
});
