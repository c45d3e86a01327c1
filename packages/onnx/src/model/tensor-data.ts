import { readFileSync } from 'node:fs';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { halfToFloat, NcInputError } from '@ncscope/core';
import { DataType, dataTypeName, toInt, type TensorProto } from '../proto/onnx.js';

/** A constant tensor as ncscope holds it: float values widened to float64, row-major, with its dims. */
export interface ConstTensor {
  dims: number[];
  data: Float64Array;
  /** The ONNX element type it was stored as. */
  dataType: number;
}

/** Where to find external data files: the directory of the model file (undefined for models opened from bytes). */
export interface TensorDataContext {
  baseDir?: string;
  source: string;
}

/** Whether a tensor keeps its values in an external file (models over 2 GB, or exported with external data). */
export function isExternal(t: TensorProto): boolean {
  return t.dataLocation === 1;
}

/** The `location`, `offset`, `length` entries of an external tensor. */
export function externalInfo(t: TensorProto): { location: string; offset: number; length?: number } {
  const get = (k: string) => t.externalData.find((e) => e.key === k)?.value;
  const location = get('location');
  if (!location) throw new NcInputError('BAD_MODEL', `tensor "${t.name}" is marked external but has no location`);
  const length = get('length');
  return { location, offset: Number(get('offset') ?? 0), length: length === undefined ? undefined : Number(length) };
}

/**
 * The raw little-endian bytes of a tensor: `raw_data`, or the slice of its external file. Always a fresh copy with
 * its own aligned ArrayBuffer — under Node, protobufjs hands out `raw_data` as a Buffer view into a shared pool at an
 * arbitrary offset, so a typed-array view on it would be misaligned or see foreign bytes.
 */
function rawBytes(t: TensorProto, ctx: TensorDataContext): Uint8Array | undefined {
  if (isExternal(t)) {
    const { location, offset, length } = externalInfo(t);
    if (ctx.baseDir === undefined) {
      throw new NcInputError('BAD_MODEL', `${ctx.source}: tensor "${t.name}" keeps its data in the external file "${location}"; open the model from its path (not from bytes) so the file next to it can be read`, { source: ctx.source });
    }
    const file = normalize(join(ctx.baseDir, location));
    const rel = relative(ctx.baseDir, file);
    if (isAbsolute(location) || rel.startsWith('..' + sep) || rel === '..') {
      throw new NcInputError('BAD_MODEL', `${ctx.source}: external data location "${location}" of tensor "${t.name}" leaves the model's directory`, { source: ctx.source });
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new NcInputError('BAD_MODEL', `${ctx.source}: cannot read external data file "${location}" of tensor "${t.name}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { source: ctx.source });
    }
    const end = length === undefined ? bytes.length : offset + length;
    if (end > bytes.length) throw new NcInputError('BAD_MODEL', `${ctx.source}: external data file "${location}" is truncated (tensor "${t.name}" needs bytes ${offset}..${end}, file has ${bytes.length})`, { source: ctx.source });
    return Uint8Array.prototype.slice.call(bytes, offset, end);
  }
  if (t.rawData && t.rawData.length > 0) return Uint8Array.prototype.slice.call(t.rawData);
  return undefined;
}

/**
 * Decodes a float tensor (float32, float64, float16, bfloat16) stored in raw_data, external data, or the typed
 * repeated fields, into float64 values. Integer tensors are decoded too (they appear as shapes and perms).
 */
export function decodeTensor(t: TensorProto, ctx: TensorDataContext): ConstTensor {
  const dims = t.dims.map((d) => toInt(d));
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = rawBytes(t, ctx);
  const out = new Float64Array(count);
  const where = `${ctx.source}: tensor "${t.name}"`;
  const need = (bytesPer: number) => {
    if (raw && raw.byteLength !== count * bytesPer) {
      throw new NcInputError('BAD_MODEL', `${where}: dims [${dims.join(', ')}] of ${dataTypeName(t.dataType)} need ${count * bytesPer} bytes, data has ${raw.byteLength}`, { source: ctx.source });
    }
  };
  const fromList = (list: ArrayLike<number | { toNumber(): number }>) => {
    if (list.length !== count) throw new NcInputError('BAD_MODEL', `${where}: dims [${dims.join(', ')}] need ${count} values, found ${list.length}`, { source: ctx.source });
    for (let i = 0; i < count; i++) {
      const v = list[i];
      out[i] = typeof v === 'number' ? v : v.toNumber();
    }
  };
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  switch (t.dataType) {
    case DataType.FLOAT:
      if (view) { need(4); for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true); } else fromList(t.floatData);
      break;
    case DataType.DOUBLE:
      if (view) { need(8); for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true); } else fromList(t.doubleData);
      break;
    case DataType.FLOAT16:
      if (view) { need(2); for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true)); } else { fromList(t.int32Data); for (let i = 0; i < count; i++) out[i] = halfToFloat(out[i]); }
      break;
    case DataType.BFLOAT16: {
      const f = new DataView(new ArrayBuffer(4));
      const conv = (u: number) => { f.setUint32(0, u << 16, true); return f.getFloat32(0, true); };
      if (view) { need(2); for (let i = 0; i < count; i++) out[i] = conv(view.getUint16(i * 2, true)); } else { fromList(t.int32Data); for (let i = 0; i < count; i++) out[i] = conv(out[i]); }
      break;
    }
    case DataType.INT64:
      if (view) { need(8); for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true)); } else fromList(t.int64Data);
      break;
    case DataType.INT32:
      if (view) { need(4); for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true); } else fromList(t.int32Data);
      break;
    default:
      throw new NcInputError('BAD_MODEL', `${where}: element type ${dataTypeName(t.dataType)} is not supported here (float32/float64/float16/bfloat16 weights, int32/int64 shapes)`, { source: ctx.source });
  }
  return { dims, data: out, dataType: t.dataType };
}
