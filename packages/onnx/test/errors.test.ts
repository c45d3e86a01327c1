import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NcInputError } from '@ncscope/core';
import {
  DataType,
  FeatureExtractor,
  OnnxModel,
  analyzeModel,
  arrayInput,
  decodeModel,
  encodeModel,
  modelProto,
  nodeProto,
  tensorProto,
  valueInfoProto,
  type TensorProto,
} from '../src/index.js';
import { concat, fixture, inputOf, maxScaledDiff, npy, tempDir } from './helpers.js';

/** Runs `f` and returns the NcInputError it throws (fails the test otherwise). */
async function caught(f: () => unknown): Promise<NcInputError> {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(NcInputError);
    return e as NcInputError;
  }
  throw new Error('expected an NcInputError, nothing was thrown');
}

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const labels = npy('mlp-labels.npy').data as Int32Array;

describe('named errors', () => {
  it('corrupt, truncated, empty and non-ONNX files: BAD_MODEL naming the file', async () => {
    const good = readFileSync(fixture('mlp-softmax.onnx'));
    const cases: [string, Uint8Array][] = [
      ['random.onnx', Uint8Array.from({ length: 300 }, (_, i) => (i * 7919 + 13) % 251)],
      ['truncated.onnx', good.subarray(0, Math.floor(good.length / 2))],
      ['empty.onnx', new Uint8Array(0)],
      ['array.onnx', readFileSync(fixture('mlp-labels.npy'))],
    ];
    for (const [name, bytes] of cases) {
      const path = join(tmp.dir, name);
      writeFileSync(path, bytes);
      const e = await caught(() => OnnxModel.open(path));
      expect(e.code, name).toBe('BAD_MODEL');
      expect(e.message).toContain(path);
    }
    const missing = await caught(() => OnnxModel.open(join(tmp.dir, 'nope.onnx')));
    expect([missing.code, missing.message]).toEqual(['BAD_MODEL', expect.stringContaining('ENOENT')]);
  });

  it('a FIFO, /dev/zero or a folder as the model: BAD_MODEL naming what it is, without reading it', async () => {
    const fifo = join(tmp.dir, 'pipe.onnx');
    execFileSync('mkfifo', [fifo]);
    for (const [path, what] of [[fifo, 'a named pipe (FIFO)'], ['/dev/zero', 'a character device'], [tmp.dir, 'a folder']] as const) {
      const e = await caught(() => OnnxModel.open(path));
      expect([e.code, e.message]).toEqual(['BAD_MODEL', expect.stringContaining(`${path}: cannot read the model file (${what}`)]);
    }
  });

  it('an initializer whose dims claim more than its data holds: BAD_MODEL before anything of that size is allocated', async () => {
    const model = decodeModel(readFileSync(fixture('mlp-softmax.onnx')));
    const w = model.graph!.initializer.find((t) => t.name === 'head.weight')!;
    w.dims = [4, 2 ** 40]; // 8 TiB of float64 if believed
    const path = join(tmp.dir, 'lying-dims.onnx');
    writeFileSync(path, encodeModel(model));
    const e = await caught(() => OnnxModel.open(path).classifier());
    expect([e.code, e.message]).toEqual(['BAD_MODEL', expect.stringMatching(/tensor "head\.weight": dims \[4, 1099511627776\] of float32? need \d+ bytes, data has 256 bytes/)]);
  });

  it('unknown tensor name: UNKNOWN_TENSOR with similar names and the inspect hint', async () => {
    const model = OnnxModel.open(fixture('cnn-flatten.onnx'));
    const e = await caught(() => FeatureExtractor.create(model, { tensors: ['/relu1/Relu'] }));
    expect(e.code).toBe('UNKNOWN_TENSOR');
    expect(e.message).toContain('"/relu1/Relu"');
    expect(e.message).toContain('/relu1/Relu_output_0');
    expect(e.message).toContain('ncscope onnx inspect');
    const viaAnalyze = await caught(() => analyzeModel(model, inputOf('cnn-inputs.npy'), { labels: npy('cnn-labels.npy').data, tensors: ['nope'] }));
    expect(viaAnalyze.code).toBe('UNKNOWN_TENSOR');
    expect((await caught(() => FeatureExtractor.create(model, { inputName: 'x' }))).code).toBe('UNKNOWN_TENSOR');
  });

  it('constants, graph inputs and integer values are refused as features', async () => {
    const model = OnnxModel.open(fixture('cnn-flatten.onnx'));
    expect((await caught(() => model.checkTensors(['fc.weight']))).message).toContain('initializer');
    expect((await caught(() => model.checkTensors(['input']))).message).toContain('graph input');
    const withShape = modelProto({
      node: [nodeProto('Shape', ['x'], ['s']), nodeProto('Relu', ['x'], ['y'])],
      input: [valueInfoProto('x', DataType.FLOAT, ['N', 3])],
      output: [valueInfoProto('y', DataType.FLOAT, ['N', 3])],
    });
    const e = await caught(() => OnnxModel.open(encodeModel(withShape)).checkTensors(['s']));
    expect([e.code, e.message]).toEqual(['BAD_OPTION', expect.stringContaining('int64')]);
  });

  it('wrong input shape: SHAPE naming the input file and both shapes', async () => {
    const cnn = OnnxModel.open(fixture('cnn-flatten.onnx'));
    const e = await caught(() => analyzeModel(cnn, inputOf('mlp-inputs.npy'), { labels }));
    expect(e.code).toBe('SHAPE');
    expect(e.message).toContain('mlp-inputs.npy: input shape [120, 10] does not fit model input "input" [batch, 1, 8, 8]');
    const x = npy('cnn-inputs.npy');
    const e2 = await caught(() => analyzeModel(cnn, arrayInput(x.data, [90, 1, 4, 16], 'wide.npy'), { labels: npy('cnn-labels.npy').data }));
    expect(e2.message).toContain('dimension 2: 4 ≠ 8');
  });

  it('labels count ≠ inputs count: SHAPE before any inference', async () => {
    const e = await caught(() => analyzeModel(fixture('mlp-softmax.onnx'), inputOf('mlp-inputs.npy'), { labels: labels.subarray(0, 100) }));
    expect([e.code, e.message]).toEqual(['SHAPE', 'mlp-inputs.npy has 120 samples but the labels have 100; they must match row for row']);
  });

  it('a label out of range names the tensor and the input row', async () => {
    const bad = Int32Array.from(labels);
    bad[77] = 9;
    const e = await caught(() => analyzeModel(fixture('mlp-softmax.onnx'), inputOf('mlp-inputs.npy'), { labels: bad, batchSize: 50 }));
    expect(e.code).toBe('BAD_LABEL');
    expect(e.where.row).toBe(77);
    expect(e.message).toContain('tensor "/act2/Relu_output_0": row 77:');
  });

  it('no linear classifier: NO_CLASSIFIER with the remedy of naming a tensor; naming the tensor works', async () => {
    const model = OnnxModel.open(fixture('mlp-no-classifier.onnx'));
    const e = await caught(() => analyzeModel(model, inputOf('mlp-inputs.npy'), { labels }));
    expect(e.code).toBe('NO_CLASSIFIER');
    expect(e.remedies).toEqual([{ option: 'tensors', purpose: 'to name the feature tensor' }]);
    expect(e.message).toContain('pass tensors to name the feature tensor');
    expect(e.message).toContain('comes from Relu "/act2/Relu"');
    const r = await analyzeModel(model, inputOf('mlp-inputs.npy'), { labels, tensors: ['/act2/Relu_output_0'] });
    expect(r.tensors[0].report.metrics.nc1).toBeGreaterThan(0);
    expect(r.tensors[0].classifier).toBeUndefined();
  });

  it('several inputs: BAD_OPTION asking for --input-name; a fed input leaving others empty is refused', async () => {
    const two = encodeModel(
      modelProto({
        node: [nodeProto('Add', ['a', 'b'], ['s']), nodeProto('Relu', ['s'], ['r'])],
        input: [valueInfoProto('a', DataType.FLOAT, ['N', 2]), valueInfoProto('b', DataType.FLOAT, ['N', 2])],
        output: [valueInfoProto('r', DataType.FLOAT, ['N', 2])],
      }),
    );
    const model = OnnxModel.open(two, { name: 'two-inputs.onnx' });
    const e = await caught(() => FeatureExtractor.create(model, { tensors: ['r'] }));
    expect([e.code, e.message]).toEqual(['BAD_OPTION', expect.stringContaining('2 inputs (a, b); choose one with --input-name')]);
    expect((await caught(() => FeatureExtractor.create(model, { tensors: ['r'], inputName: 'a' }))).message).toContain('"b" would be left without values');
  });

  it('bad options: pool mode, batch size, duplicate tensors', async () => {
    const model = OnnxModel.open(fixture('mlp-softmax.onnx'));
    expect((await caught(() => FeatureExtractor.create(model, { pool: 'max' as never }))).code).toBe('BAD_OPTION');
    expect((await caught(() => FeatureExtractor.create(model, { batchSize: 0 }))).code).toBe('BAD_OPTION');
    expect((await caught(() => FeatureExtractor.create(model, { tensors: ['logits', 'logits'] as never }))).code).toBe('BAD_OPTION');
  });
});

describe('external data (models over 2 GB keep their weights in files next to the model)', () => {
  /** Moves every initializer of a fixture into one external file `weights.bin` next to a new model file. */
  function externalize(dir: string, source: string, location = 'weights.bin'): string {
    const model = decodeModel(readFileSync(fixture(source)));
    const chunks: Uint8Array[] = [];
    let offset = 0;
    for (const t of model.graph!.initializer as (TensorProto & { dataLocation: number })[]) {
      const raw = Uint8Array.prototype.slice.call(t.rawData) as Uint8Array;
      chunks.push(raw);
      t.externalData = [
        { key: 'location', value: location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(raw.byteLength) },
      ];
      t.dataLocation = 1;
      t.rawData = new Uint8Array(0);
      offset += raw.byteLength;
    }
    writeFileSync(join(dir, 'weights.bin'), Buffer.concat(chunks));
    const path = join(dir, `ext-${source}`);
    writeFileSync(path, encodeModel(model));
    return path;
  }

  it('reads W, b from the external file and points onnxruntime at the model directory', async () => {
    const path = externalize(tmp.dir, 'mlp-gemm-transb1.onnx');
    const model = OnnxModel.open(path);
    expect(model.externalData).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias', 'head.weight', 'head.bias']);
    // The files behind them, each once (what tools that write files must not overwrite); none known from bytes alone.
    expect(model.externalFiles).toEqual([join(tmp.dir, 'weights.bin')]);
    expect(OnnxModel.open(readFileSync(path)).externalFiles).toEqual([]);
    const inline = OnnxModel.open(fixture('mlp-gemm-transb1.onnx'));
    expect(Array.from(model.classifier().weights)).toEqual(Array.from(inline.classifier().weights));
    const ex = await FeatureExtractor.create(model);
    const blocks: Float32Array[] = [];
    for await (const b of ex.run(inputOf('mlp-inputs.npy'))) blocks.push(b.features[0].data as Float32Array);
    await ex.release();
    expect(maxScaledDiff(concat(blocks), npy('mlp-features.npy').data)).toBeLessThanOrEqual(1e-5);
  });

  it('missing external file, a location outside the model directory, or bytes without a directory: BAD_MODEL', async () => {
    const sub = tempDir();
    try {
      const path = externalize(sub.dir, 'mlp-softmax.onnx', 'missing.bin');
      const e = await caught(() => OnnxModel.open(path).classifier());
      expect([e.code, e.message]).toEqual(['BAD_MODEL', expect.stringContaining('cannot read external data file "missing.bin"')]);
      const escape = externalize(sub.dir, 'mlp-softmax.onnx', '../weights.bin');
      expect((await caught(() => OnnxModel.open(escape).classifier())).message).toContain("leaves the model's directory");
      // An external length that disagrees with the dims, or a range past the end of the file: refused, never read whole.
      const lying = decodeModel(readFileSync(externalize(sub.dir, 'mlp-softmax.onnx')));
      const head = lying.graph!.initializer.find((t) => t.name === 'head.weight')!;
      head.externalData = head.externalData.map((e) => (e.key === 'length' ? { key: 'length', value: String(2 ** 40) } : e));
      writeFileSync(join(sub.dir, 'lying-length.onnx'), encodeModel(lying));
      expect((await caught(() => OnnxModel.open(join(sub.dir, 'lying-length.onnx')).classifier())).message).toMatch(/tensor "head\.weight": its dims need 256 bytes, its external data "weights\.bin" declares 1099511627776/);
      head.externalData = head.externalData.map((e) => (e.key === 'length' ? { key: 'length', value: '256' } : e.key === 'offset' ? { key: 'offset', value: String(2 ** 40) } : e));
      writeFileSync(join(sub.dir, 'lying-offset.onnx'), encodeModel(lying));
      expect((await caught(() => OnnxModel.open(join(sub.dir, 'lying-offset.onnx')).classifier())).message).toMatch(/cannot read external data file "weights\.bin" of tensor "head\.weight" \(truncated: needs bytes 1099511627776\.\.\d+, the file has \d+\)/);
      const fromBytes = OnnxModel.open(readFileSync(externalize(sub.dir, 'mlp-softmax.onnx')), { name: 'bytes.onnx' });
      expect((await caught(() => fromBytes.classifier())).message).toContain('open the model from its path');
      expect((await caught(() => FeatureExtractor.create(fromBytes))).code).toBe('BAD_MODEL');
    } finally {
      sub.cleanup();
    }
  });
});
