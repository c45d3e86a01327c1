import protobuf from 'protobufjs';
import { NcInputError } from '@ncscope/core';
import { ONNX_PROTO } from './onnx-schema.js';

/** An int64 as protobufjs decodes it: a number, or a Long when the `long` package is present (it is, in Node). */
export type Int64 = number | { low: number; high: number; unsigned: boolean; toNumber(): number };

/** ONNX `TensorProto.DataType` values ncscope names. */
export const DataType = {
  UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16,
} as const;

const TYPE_NAMES: Record<number, string> = {
  0: 'undefined', 1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
  17: 'float8e4m3fn', 18: 'float8e4m3fnuz', 19: 'float8e5m2', 20: 'float8e5m2fnuz', 21: 'uint4', 22: 'int4', 23: 'float4e2m1',
  24: 'float8e8m0',
};

/** Readable name of an ONNX element type ("float32", "int64", …), as onnxruntime-node names tensor types. */
export function dataTypeName(t: number): string {
  return TYPE_NAMES[t] ?? `type ${t}`;
}

/** Float element types whose values ncscope can read as features or classifier weights. */
export function isFloatType(t: number): boolean {
  return t === DataType.FLOAT || t === DataType.DOUBLE || t === DataType.FLOAT16 || t === DataType.BFLOAT16;
}

// The decoded messages, in protobufjs' camelCase. Only the fields ncscope reads are typed; every other field is
// still present on the decoded objects and survives re-encoding because the schema is complete.

export interface StringStringEntryProto { key: string; value: string }
export interface TensorProto {
  dims: Int64[];
  dataType: number;
  floatData: number[];
  int32Data: number[];
  int64Data: Int64[];
  doubleData: number[];
  uint64Data: Int64[];
  name: string;
  rawData: Uint8Array;
  externalData: StringStringEntryProto[];
  dataLocation: number;
}
export interface AttributeProto {
  name: string;
  type: number;
  f: number;
  i: Int64;
  s: Uint8Array;
  t?: TensorProto | null;
  /** A subgraph (GRAPH attributes: If branches, Loop and Scan bodies). */
  g?: GraphProto | null;
  graphs: GraphProto[];
  floats: number[];
  ints: Int64[];
}
export interface NodeProto {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain: string;
  attribute: AttributeProto[];
}
export interface DimensionProto { dimValue?: Int64 | null; dimParam?: string | null; value?: 'dimValue' | 'dimParam' }
export interface TypeProto {
  tensorType?: { elemType: number; shape?: { dim: DimensionProto[] } | null } | null;
  value?: string;
}
export interface ValueInfoProto { name: string; type?: TypeProto | null }
export interface GraphProto {
  node: NodeProto[];
  name: string;
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
}
export interface OperatorSetIdProto { domain: string; version: Int64 }
export interface ModelProto {
  irVersion: Int64;
  opsetImport: OperatorSetIdProto[];
  producerName: string;
  producerVersion: string;
  graph?: GraphProto | null;
}

let root: protobuf.Root | undefined;

/** The parsed schema (lazily, once). */
export function onnxRoot(): protobuf.Root {
  root ??= protobuf.parse(ONNX_PROTO, { keepCase: false }).root;
  return root;
}

/** The protobufjs type of a message, e.g. `onnxType('ModelProto')`, to build messages with `.create` / `.fromObject`. */
export function onnxType(name: string): protobuf.Type {
  return onnxRoot().lookupType(`onnx.${name}`);
}

/**
 * Decodes a serialized ModelProto. Corrupt or truncated bytes, and bytes that decode but hold no graph, give a
 * NcInputError with code BAD_MODEL naming `source`.
 */
export function decodeModel(bytes: Uint8Array, source = 'model'): ModelProto {
  let model: ModelProto;
  try {
    model = onnxType('ModelProto').decode(bytes) as unknown as ModelProto;
  } catch (e) {
    throw new NcInputError('BAD_MODEL', `${source}: not a readable ONNX model (${(e as Error).message})`, { source });
  }
  const g = model.graph;
  if (!g || (g.node.length === 0 && g.output.length === 0)) {
    throw new NcInputError('BAD_MODEL', `${source}: not an ONNX model (no graph with nodes and outputs)`, { source });
  }
  if (toInt(model.irVersion) < 3 || model.opsetImport.length === 0) {
    throw new NcInputError('BAD_MODEL', `${source}: not an ONNX model (IR version ${toInt(model.irVersion)}, ${model.opsetImport.length} opset imports)`, { source });
  }
  return model;
}

/** Serializes a ModelProto (decoded or built with {@link onnxType}). */
export function encodeModel(model: ModelProto): Uint8Array {
  return onnxType('ModelProto').encode(model as unknown as protobuf.Message).finish();
}

/** An int64 field as a JS number; refuses values beyond 2^53. */
export function toInt(v: Int64 | string | null | undefined): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  const n = v.toNumber();
  if (!Number.isSafeInteger(n)) throw new NcInputError('BAD_MODEL', `int64 value ${n} does not fit a double exactly`);
  return n;
}

/** The opset version the model imports for the default ONNX domain ("" or "ai.onnx"), or 0. */
export function defaultOpset(model: ModelProto): number {
  const e = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  return e ? toInt(e.version) : 0;
}
