import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DataType, GraphIndex, OnnxModel, decodeModel, decodeTensor, encodeModel, onnxType, toInt, type ModelProto, type TensorProto } from '../src/index.js';
import { fixture } from './helpers.js';

const ctx = { source: 'test' };

describe('vendored ONNX schema (protobufjs 7)', () => {
  it('decode → encode reproduces every fixture byte for byte', () => {
    for (const f of ['mlp-gemm-transb1.onnx', 'mlp-matmul-add.onnx', 'cnn-flatten.onnx']) {
      const bytes = readFileSync(fixture(f));
      expect(Buffer.from(encodeModel(decodeModel(bytes, f))).equals(bytes), f).toBe(true);
    }
  });

  it('keeps fields newer than the onnx-proto package (ONNX 1.10) through decode → edit → encode', () => {
    // Fields added after ONNX 1.10: NodeProto.overload (8), metadata_props (9), device_configurations (10);
    // ValueInfoProto.metadata_props (4); ModelProto.configuration (26); TensorProto.metadata_props (16).
    const Model = onnxType('ModelProto');
    const model = Model.fromObject({
      irVersion: 10,
      opsetImport: [{ domain: '', version: 21 }],
      configuration: [{ name: 'two-gpus', numDevices: 2, device: ['cuda:0', 'cuda:1'] }],
      graph: {
        name: 'g',
        node: [
          {
            opType: 'Relu', input: ['x'], output: ['h'], name: 'relu', overload: 'v2',
            metadataProps: [{ key: 'origin', value: 'torch' }],
            deviceConfigurations: [{ configurationId: 'two-gpus', pipelineStage: 1, shardingSpec: [{ tensorName: 'x', device: [0, 1] }] }],
          },
          { opType: 'Identity', input: ['h'], output: ['y'], name: 'id' },
        ],
        initializer: [{ name: 'unused', dims: [1], dataType: 1, floatData: [1], metadataProps: [{ key: 'k', value: 'v' }] }],
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: 3 }] } } }, metadataProps: [{ key: 'units', value: 'px' }] }],
        output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
      },
    });
    const bytes = Model.encode(model).finish();
    const edited = OnnxModel.open(bytes, { name: 'new-fields.onnx' }).withOutputs(['h']);
    const back = Model.toObject(Model.decode(edited), { longs: Number }) as Record<string, any>;
    expect(back.configuration).toEqual([{ name: 'two-gpus', numDevices: 2, device: ['cuda:0', 'cuda:1'] }]);
    const relu = back.graph.node[0];
    expect([relu.overload, relu.metadataProps, relu.deviceConfigurations[0].pipelineStage]).toEqual(['v2', [{ key: 'origin', value: 'torch' }], 1]);
    expect(relu.deviceConfigurations[0].shardingSpec[0].device).toEqual([0, 1]);
    expect(back.graph.input[0].metadataProps).toEqual([{ key: 'units', value: 'px' }]);
    expect(back.graph.initializer[0].metadataProps).toEqual([{ key: 'k', value: 'v' }]);
    expect(back.graph.output.map((o: { name: string }) => o.name)).toEqual(['h']); // the edit itself
  });

  it('int64 fields arrive as Long and are read as numbers', () => {
    const m = decodeModel(readFileSync(fixture('cnn-flatten.onnx')));
    const dims = m.graph!.initializer.find((t) => t.name === 'conv2.weight')!.dims;
    expect(typeof dims[0]).toBe('object'); // Long under Node: what PyTorch exports look like too
    expect(dims.map((d) => toInt(d))).toEqual([8, 4, 3, 3]);
  });
});

describe('tensor data in every storage form', () => {
  const T = onnxType('TensorProto');
  const mk = (o: Record<string, unknown>) => T.decode(T.encode(T.fromObject(o)).finish()) as unknown as TensorProto;

  it('float_data, double_data, raw float16/bfloat16/float64, int64 raw — and raw_data views into a shared buffer', () => {
    expect(Array.from(decodeTensor(mk({ name: 'f', dims: [2], dataType: DataType.FLOAT, floatData: [1.5, -2] }), ctx).data)).toEqual([1.5, -2]);
    expect(Array.from(decodeTensor(mk({ name: 'd', dims: [2], dataType: DataType.DOUBLE, doubleData: [0.1, 1e300] }), ctx).data)).toEqual([0.1, 1e300]);
    const half = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3555]).buffer); // 1, −2, 0.333…
    expect(Array.from(decodeTensor(mk({ name: 'h', dims: [3], dataType: DataType.FLOAT16, rawData: half }), ctx).data)).toEqual([1, -2, 0.333251953125]);
    const bf = new Uint8Array(new Uint16Array([0x3f80, 0xc040]).buffer); // 1, −3
    expect(Array.from(decodeTensor(mk({ name: 'b', dims: [2], dataType: DataType.BFLOAT16, rawData: bf }), ctx).data)).toEqual([1, -3]);
    const f64 = new Uint8Array(Float64Array.of(3.25, -7).buffer);
    expect(Array.from(decodeTensor(mk({ name: 'w', dims: [1, 2], dataType: DataType.DOUBLE, rawData: f64 }), ctx).data)).toEqual([3.25, -7]);
    const i64 = new Uint8Array(BigInt64Array.of(1n, 0n).buffer);
    expect(Array.from(decodeTensor(mk({ name: 'p', dims: [2], dataType: DataType.INT64, rawData: i64 }), ctx).data)).toEqual([1, 0]);
    // raw_data at an odd offset of a larger buffer (as protobufjs hands out Node Buffers from a pool).
    const pool = new Uint8Array(64);
    pool.set(new Uint8Array(Float32Array.of(0.5, 4).buffer), 3);
    const view = { name: 'v', dims: [2], dataType: DataType.FLOAT, rawData: pool.subarray(3, 11), externalData: [], dataLocation: 0, floatData: [], int32Data: [], int64Data: [], doubleData: [], uint64Data: [] } as unknown as TensorProto;
    expect(Array.from(decodeTensor(view, ctx).data)).toEqual([0.5, 4]);
  });

  it('size mismatches and unsupported types are BAD_MODEL', () => {
    expect(() => decodeTensor(mk({ name: 'x', dims: [3], dataType: DataType.FLOAT, rawData: new Uint8Array(8) }), ctx)).toThrow(/need 12 bytes/);
    expect(() => decodeTensor(mk({ name: 's', dims: [1], dataType: DataType.STRING, stringData: [new Uint8Array(1)] }), ctx)).toThrow(/not supported/);
  });
});

describe('graph lookups', () => {
  function index(graph: Record<string, unknown>): GraphIndex {
    const m = onnxType('ModelProto').fromObject({ irVersion: 8, opsetImport: [{ version: 13 }], graph }) as unknown as ModelProto;
    return new GraphIndex(decodeModel(encodeModel(m)).graph!, ctx);
  }

  it('element types from declarations and node semantics (no shape inference)', () => {
    const g = index({
      node: [
        { opType: 'Relu', input: ['x'], output: ['r'] },
        { opType: 'Cast', input: ['r'], output: ['c'], attribute: [{ name: 'to', type: 2, i: DataType.DOUBLE }] },
        { opType: 'Shape', input: ['c'], output: ['s'] },
        { opType: 'Greater', input: ['c', 'c'], output: ['g'] },
        { opType: 'Dropout', input: ['c'], output: ['d', 'mask'] },
        { opType: 'MaxPool', input: ['x'], output: ['p', 'idx'] },
      ],
      input: [{ name: 'x', type: { tensorType: { elemType: DataType.FLOAT16 } } }],
      output: [{ name: 'd' }],
    });
    expect(['r', 'c', 's', 'g', 'd', 'mask', 'p', 'idx'].map((n) => g.elemType(n))).toEqual([
      DataType.FLOAT16, DataType.DOUBLE, DataType.INT64, DataType.BOOL, DataType.DOUBLE, DataType.BOOL, DataType.FLOAT16, DataType.INT64,
    ]);
  });

  it('constants through Constant, Identity, Cast and an N-d Transpose', () => {
    const data = Float32Array.from({ length: 24 }, (_, i) => i);
    const g = index({
      node: [
        { opType: 'Constant', input: [], output: ['k'], attribute: [{ name: 'value', type: 4, t: { dims: [2, 3, 4], dataType: 1, rawData: new Uint8Array(data.buffer) } }] },
        { opType: 'Identity', input: ['k'], output: ['ki'] },
        { opType: 'Transpose', input: ['ki'], output: ['kt'], attribute: [{ name: 'perm', type: 7, ints: [2, 0, 1] }] },
        { opType: 'Constant', input: [], output: ['f'], attribute: [{ name: 'value_floats', type: 6, floats: [1, 2] }] },
        { opType: 'Relu', input: ['x'], output: ['r'] },
      ],
      input: [{ name: 'x', type: { tensorType: { elemType: 1 } } }],
      output: [{ name: 'r' }],
    });
    const kt = g.constant('kt')!;
    expect(kt.dims).toEqual([4, 2, 3]);
    // out[a][b][c] = in[b][c][a]
    for (let a = 0; a < 4; a++) for (let b = 0; b < 2; b++) for (let c = 0; c < 3; c++) expect(kt.data[(a * 2 + b) * 3 + c]).toBe(b * 12 + c * 4 + a);
    expect(g.constantOrigin('kt')).toBe('Transpose(Identity(Constant(k)))');
    expect(Array.from(g.constant('f')!.data)).toEqual([1, 2]);
    expect(g.constant('r')).toBeUndefined();
  });
});
