/**
 * The ONNX model behind the product engine: one MatMul node, C = A · B, with symbolic dimensions
 * (m, k, n) so one session serves every shape. Encoded directly as protobuf wire format — the model is
 * five messages deep and needs no schema library.
 *
 * ModelProto { ir_version = 8, producer_name, graph, opset_import { domain "", version 13 } }
 * GraphProto { node { input A, B; output C; op_type MatMul }, name, input A[m,k], B[k,n], output C[m,n] }
 */

/** ONNX TensorProto.DataType codes used here. */
export const ONNX_FLOAT = 1;
export const ONNX_DOUBLE = 11;

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function field(no: number, wire: 0 | 2, payload: number | Uint8Array | string): number[] {
  const key = varint((no << 3) | wire);
  if (wire === 0) return [...key, ...varint(payload as number)];
  const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : (payload as Uint8Array);
  return [...key, ...varint(bytes.length), ...bytes];
}

const msg = (...fields: number[][]) => Uint8Array.from(fields.flat());

function valueInfo(name: string, elemType: number, dims: string[]): Uint8Array {
  const shape = msg(...dims.map((d) => field(1, 2, msg(field(2, 2, d)))));
  const tensorType = msg(field(1, 0, elemType), field(2, 2, shape));
  const type = msg(field(1, 2, tensorType));
  return msg(field(1, 2, name), field(2, 2, type));
}

/** Serialized ModelProto computing C = A · B for the given element type. */
export function matmulModel(elemType: number): Uint8Array {
  const node = msg(field(1, 2, 'A'), field(1, 2, 'B'), field(2, 2, 'C'), field(3, 2, 'product'), field(4, 2, 'MatMul'));
  const graph = msg(
    field(1, 2, node),
    field(2, 2, 'ncscope_product'),
    field(11, 2, valueInfo('A', elemType, ['m', 'k'])),
    field(11, 2, valueInfo('B', elemType, ['k', 'n'])),
    field(12, 2, valueInfo('C', elemType, ['m', 'n'])),
  );
  const opset = msg(field(1, 2, ''), field(2, 0, 13));
  return msg(field(1, 0, 8), field(2, 2, 'ncscope'), field(7, 2, graph), field(8, 2, opset));
}
