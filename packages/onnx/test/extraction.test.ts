import { describe, expect, it } from 'vitest';
import { FeatureExtractor, OnnxModel, arrayInput, type FeatureBatch, type InputArray } from '../src/index.js';
import { concat, fixture, inputOf, maxScaledDiff, npy, reference } from './helpers.js';

/** Runs an extractor over the input and returns each tensor's features concatenated, plus the batches seen. */
async function extract(model: OnnxModel, input: InputArray, options: Parameters<typeof FeatureExtractor.create>[1] = {}) {
  const ex = await FeatureExtractor.create(model, options);
  const batches: FeatureBatch[] = [];
  try {
    for await (const b of ex.run(input)) batches.push(b);
  } finally {
    await ex.release();
  }
  return { batches, features: ex.tensors.map((_, t) => concat(batches.map((b) => b.features[t].data))), D: batches[0].features.map((f) => f.D), ex };
}

const MLP_VARIANTS = [
  { file: 'mlp-gemm-transb1.onnx', kind: 'Gemm', weightsFrom: 'head.weight × alpha 0.5', biasFrom: 'head.bias × beta 2', output: 'logits' },
  { file: 'mlp-gemm-transb0.onnx', kind: 'Gemm', weightsFrom: 'head.weight_t (transposed, transB = 0)', biasFrom: 'head.bias', output: 'logits' },
  { file: 'mlp-matmul-add.onnx', kind: 'MatMul+Add', weightsFrom: 'Transpose(head.weight) (transposed, MatMul weight is D × K)', biasFrom: 'Identity(Constant(/head/Constant))', output: 'log_probs' },
  { file: 'mlp-softmax.onnx', kind: 'Gemm', weightsFrom: 'head.weight', biasFrom: 'head.bias', output: 'probs' },
] as const;

describe('default feature tensor and classifier W, b', () => {
  for (const v of MLP_VARIANTS) {
    it(`${v.file}: ${v.kind} found, W and b equal the trained head`, () => {
      const c = OnnxModel.open(fixture(v.file)).classifier();
      expect(c.featureTensor).toBe('/act2/Relu_output_0');
      expect(c.kind).toBe(v.kind);
      expect(c.output).toBe(v.output);
      expect([c.K, c.D]).toEqual([4, 16]);
      expect(c.weightsFrom).toBe(v.weightsFrom);
      expect(c.biasFrom).toBe(v.biasFrom);
      // alpha = 0.5, beta = 2 and the stored 2·W, b/2 are exact in binary: equality up to float32 rounding of the reference.
      expect(maxScaledDiff(c.weights, reference.mlp.W)).toBeLessThanOrEqual(1e-7);
      expect(maxScaledDiff(c.bias!, reference.mlp.b)).toBeLessThanOrEqual(1e-7);
    });
  }

  it('cnn-flatten.onnx: the Flatten output before Gemm(transB=1)', () => {
    const c = OnnxModel.open(fixture('cnn-flatten.onnx')).classifier();
    expect(c.featureTensor).toBe('/Flatten_output_0');
    expect([c.kind, c.K, c.D, c.weightsFrom, c.biasFrom]).toEqual(['Gemm', 3, 32, 'fc.weight', 'fc.bias']);
    expect(maxScaledDiff(c.weights, reference.cnn.W)).toBeLessThanOrEqual(1e-7);
    expect(maxScaledDiff(c.bias!, reference.cnn.b)).toBeLessThanOrEqual(1e-7);
  });

  it('inspect lists inputs, outputs, candidates with declared shapes, and marks the default', () => {
    const info = OnnxModel.open(fixture('cnn-flatten.onnx')).inspect();
    expect(info.inputs).toEqual([{ name: 'input', type: 'float32', shape: ['batch', 1, 8, 8] }]);
    expect(info.outputs).toEqual([{ name: 'logits', type: 'float32', shape: ['batch', 3] }]);
    expect(info.opset).toBe(13);
    expect(info.candidates.map((c) => c.op)).toEqual(['Conv', 'Relu', 'MaxPool', 'Conv', 'Relu', 'MaxPool', 'Flatten', 'Gemm']);
    expect(info.candidates.find((c) => c.name === '/relu1/Relu_output_0')).toMatchObject({ shape: ['batch', 4, 8, 8], D: 256 });
    expect(info.candidates.find((c) => c.name === '/conv2/Conv_output_0')?.shape).toBeUndefined();
    expect(info.classifier?.featureTensor).toBe('/Flatten_output_0');
    expect(info.classifier).not.toHaveProperty('weights');
  });
});

describe('features pulled through onnxruntime equal tfjs on the same weights', () => {
  const ref = npy('mlp-features.npy');
  for (const v of MLP_VARIANTS) {
    it(`${v.file}`, async () => {
      const { features, D, batches } = await extract(OnnxModel.open(fixture(v.file)), inputOf('mlp-inputs.npy'), { batchSize: 50 });
      expect(D).toEqual([16]);
      expect(features[0].length).toBe(120 * 16);
      expect(maxScaledDiff(features[0], ref.data)).toBeLessThanOrEqual(1e-5);
      // A fixed batch dimension (32 in mlp-matmul-add) wins over batchSize; the last batch is padded and trimmed.
      expect(batches.map((b) => b.rows)).toEqual(v.file === 'mlp-matmul-add.onnx' ? [32, 32, 32, 24] : [50, 50, 20]);
    });
  }

  it('cnn-flatten.onnx: Flatten features, the flattened pool2 map, and the averaged conv1 map in one run', async () => {
    const model = OnnxModel.open(fixture('cnn-flatten.onnx'));
    const flat = await extract(model, inputOf('cnn-inputs.npy'), { tensors: ['/Flatten_output_0', '/pool2/MaxPool_output_0'], batchSize: 64 });
    expect(flat.D).toEqual([32, 32]);
    expect(maxScaledDiff(flat.features[0], npy('cnn-features.npy').data)).toBeLessThanOrEqual(1e-5);
    expect(Array.from(flat.features[1])).toEqual(Array.from(flat.features[0])); // N×8×2×2 flattened = Flatten
    expect(flat.batches[0].features[1].dims).toEqual([64, 8, 2, 2]);
    const avg = await extract(model, inputOf('cnn-inputs.npy'), { tensors: ['/relu1/Relu_output_0'], pool: 'avg', batchSize: 64 });
    expect(avg.D).toEqual([4]);
    expect(maxScaledDiff(avg.features[0], npy('cnn-conv1-avg.npy').data)).toBeLessThanOrEqual(1e-5);
  });

  it('classifier logits W h + b computed in plain TS from the found W, b match the model output', async () => {
    for (const v of MLP_VARIANTS) {
      const model = OnnxModel.open(fixture(v.file));
      const c = model.classifier();
      const { features } = await extract(model, inputOf('mlp-inputs.npy'), { tensors: [c.featureTensor, c.output] });
      const [h, out] = [features[0], features[1]];
      for (let i = 0; i < 120; i++) {
        const z = Array.from({ length: 4 }, (_, k) => {
          let s = c.bias![k];
          for (let t = 0; t < 16; t++) s += c.weights[k * 16 + t] * h[i * 16 + t];
          return s;
        });
        const m = Math.max(...z);
        const lse = m + Math.log(z.reduce((s, x) => s + Math.exp(x - m), 0));
        const expected = v.output === 'probs' ? z.map((x) => Math.exp(x - lse)) : v.output === 'log_probs' ? z.map((x) => x - lse) : z;
        expect(maxScaledDiff(out.subarray(i * 4, i * 4 + 4), expected)).toBeLessThanOrEqual(1e-5);
      }
    }
  });

  it('batch size does not change the features; float64 and flat inputs are converted and reshaped', async () => {
    const model = OnnxModel.open(fixture('cnn-flatten.onnx'));
    const x = npy('cnn-inputs.npy');
    const base = (await extract(model, inputOf('cnn-inputs.npy'), { batchSize: 90 })).features[0];
    for (const batchSize of [1, 7, 1000]) {
      const { features, batches } = await extract(model, inputOf('cnn-inputs.npy'), { batchSize });
      expect(batches.length).toBe(Math.ceil(90 / batchSize));
      expect(maxScaledDiff(features[0], base)).toBeLessThanOrEqual(1e-6);
    }
    const flat64 = arrayInput(Float64Array.from(x.data), [90, 64], 'flat64');
    expect(maxScaledDiff((await extract(model, flat64, { batchSize: 30 })).features[0], base)).toBeLessThanOrEqual(1e-6);
  });

  it('a fixed batch dimension pads a short input to one full batch and drops the padded rows', async () => {
    const x = npy('mlp-inputs.npy');
    const five = arrayInput(x.data.subarray(0, 50), [5, 10], 'five');
    const { batches, features } = await extract(OnnxModel.open(fixture('mlp-matmul-add.onnx')), five);
    expect(batches.map((b) => [b.rows, b.features[0].dims[0]])).toEqual([[5, 32]]);
    expect(maxScaledDiff(features[0], npy('mlp-features.npy').data.subarray(0, 80))).toBeLessThanOrEqual(1e-5);
  });
});
