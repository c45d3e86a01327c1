/**
 * A minimal ONNX model writer for the engine's own small graphs, encoded directly in protobuf wire format
 * (field numbers from onnx.proto: ModelProto, GraphProto, NodeProto, AttributeProto, ValueInfoProto,
 * TypeProto, TensorShapeProto). No schema library: these graphs are a dozen nodes with symbolic dimensions.
 */

/** ONNX TensorProto.DataType codes used by the engine. */
export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;
export const ONNX_DOUBLE = 11;

function varint(n: number): number[] {
  if (n < 0 || !Number.isInteger(n)) throw new RangeError(`graph builder: varint needs a non-negative integer, got ${n}`);
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function field(no: number, payload: number | Uint8Array | string): number[] {
  if (typeof payload === 'number') return [...varint(no << 3), ...varint(payload)];
  const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  return [...varint((no << 3) | 2), ...varint(bytes.length), ...bytes];
}

const message = (...fields: number[][]) => Uint8Array.from(fields.flat());

/** Node attribute values: an integer (INT), a list of integers (INTS) or a string (STRING). */
export type AttributeValue = number | number[] | string;

/** NodeProto { input*, output*, name, op_type, attribute* }. */
export function node(opType: string, inputs: string[], outputs: string[], attributes: Record<string, AttributeValue> = {}): Uint8Array {
  const attrs = Object.entries(attributes).map(([name, v]) =>
    field(5, Array.isArray(v)
      ? message(field(1, name), ...v.map((x) => field(8, x)), field(20, 7))
      : typeof v === 'string'
        ? message(field(1, name), field(4, v), field(20, 3))
        : message(field(1, name), field(3, v), field(20, 2))),
  );
  return message(...inputs.map((i) => field(1, i)), ...outputs.map((o) => field(2, o)), field(3, `${opType}_${outputs[0]}`), field(4, opType), ...attrs);
}

/** ValueInfoProto for a tensor with symbolic (string) or fixed (number) dimensions. */
export function tensorValue(name: string, elemType: number, dims: (string | number)[]): Uint8Array {
  const shape = message(...dims.map((d) => field(1, typeof d === 'number' ? message(field(1, d)) : message(field(2, d)))));
  const tensorType = message(field(1, elemType), field(2, shape));
  return message(field(1, name), field(2, message(field(1, tensorType))));
}

/** ModelProto (IR version 8, default-domain opset 16) around one graph. */
export function model(name: string, nodes: Uint8Array[], inputs: Uint8Array[], outputs: Uint8Array[]): Uint8Array {
  const graph = message(
    ...nodes.map((n) => field(1, n)),
    field(2, name),
    ...inputs.map((i) => field(11, i)),
    ...outputs.map((o) => field(12, o)),
  );
  return message(field(1, 8), field(2, 'ncscope'), field(7, graph), field(8, message(field(1, ''), field(2, 16))));
}
