import { DataType, type AttributeProto, type GraphProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from './onnx.js';

/**
 * Small constructors for ONNX messages — what the fixture script and the tests use to write models, and what a
 * user needs to build a test model without Python. The objects are plain; `encodeModel` serializes them.
 */

/** A dense tensor (raw little-endian data) from a Float32Array, Float64Array, Int32Array or BigInt64Array. */
export function tensorProto(name: string, dims: readonly number[], data: Float32Array | Float64Array | Int32Array | BigInt64Array): TensorProto {
  const dataType = data instanceof Float32Array ? DataType.FLOAT : data instanceof Float64Array ? DataType.DOUBLE : data instanceof Int32Array ? DataType.INT32 : DataType.INT64;
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`tensorProto ${name}: dims [${dims.join(', ')}] need ${count} values, got ${data.length}`);
  // Explicit little-endian bytes (ONNX raw_data is little-endian on every platform).
  const raw = new Uint8Array(data.byteLength);
  raw.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return { name, dims: [...dims], dataType, rawData: raw } as unknown as TensorProto;
}

/**
 * Attribute values by JS type: number → INT if integer and `ints` not forced, else FLOAT; arrays; tensors; strings;
 * `{ graph }` for a subgraph (the branches of If, the body of Loop/Scan).
 */
export type AttributeValue = number | { float: number } | number[] | { floats: number[] } | string | TensorProto | { graph: Partial<GraphProto> & { node: NodeProto[] } };

function attribute(name: string, v: AttributeValue): AttributeProto {
  if (typeof v === 'number') return Number.isInteger(v) ? ({ name, type: 2, i: v } as unknown as AttributeProto) : ({ name, type: 1, f: v } as unknown as AttributeProto);
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) } as unknown as AttributeProto;
  if (Array.isArray(v)) return { name, type: 7, ints: v } as unknown as AttributeProto;
  if ('float' in v) return { name, type: 1, f: v.float } as unknown as AttributeProto;
  if ('floats' in v) return { name, type: 6, floats: v.floats } as unknown as AttributeProto;
  if ('graph' in v) return { name, type: 5, g: { name, initializer: [], input: [], output: [], valueInfo: [], ...v.graph } } as unknown as AttributeProto;
  return { name, type: 4, t: v } as unknown as AttributeProto;
}

/** A node of the default ONNX domain. */
export function nodeProto(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttributeValue> = {}, name = outputs[0]): NodeProto {
  return { opType, input: inputs, output: outputs, name, domain: '', attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) } as unknown as NodeProto;
}

/** A tensor value description; `shape` entries are sizes, or strings for symbolic (dynamic) dimensions. */
export function valueInfoProto(name: string, elemType: number, shape?: readonly (number | string)[]): ValueInfoProto {
  const tensorType: Record<string, unknown> = { elemType };
  if (shape) tensorType.shape = { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  return { name, type: { tensorType } } as unknown as ValueInfoProto;
}

/** A model around a graph, importing the default domain at `opset` (IR version 8 = ONNX 1.10+, read by every current runtime). */
export function modelProto(graph: Partial<GraphProto> & { node: NodeProto[] }, opset = 13, producer = 'ncscope'): ModelProto {
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    producerName: producer,
    producerVersion: '0',
    graph: { name: 'main', initializer: [], input: [], output: [], valueInfo: [], ...graph },
  } as unknown as ModelProto;
}
