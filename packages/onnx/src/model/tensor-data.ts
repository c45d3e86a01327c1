import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { halfToFloat, NcInputError } from '@ncscope/core';
import { DataType, dataTypeName, toInt, type TensorProto } from '../proto/onnx.js';
import { FileReadError, readRegularFileSync } from '@ncscope/io';

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
function rawBytes(t: TensorProto, ctx: TensorDataContext, expectedBytes: number): Uint8Array | undefined {
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
    if (length !== undefined && length !== expectedBytes) {
      throw new NcInputError('BAD_MODEL', `${ctx.source}: tensor "${t.name}": its dims need ${expectedBytes} bytes, its external data "${location}" declares ${length}`, { source: ctx.source });
    }
    // Only the tensor's own byte range is read (bounded by what its dims need), never the whole file.
    try {
      return readRegularFileSync(file, { offset, length: expectedBytes });
    } catch (e) {
      const why = e instanceof FileReadError ? e.reason : (e as Error).message;
      throw new NcInputError('BAD_MODEL', `${ctx.source}: cannot read external data file "${location}" of tensor "${t.name}" (${why})`, { source: ctx.source });
    }
  }
  if (t.rawData && t.rawData.length > 0) return Uint8Array.prototype.slice.call(t.rawData);
  return undefined;
}

/** Bytes per element of the types {@link decodeTensor} reads. */
const ELEMENT_BYTES: Partial<Record<number, number>> = {
  [DataType.FLOAT]: 4, [DataType.DOUBLE]: 8, [DataType.FLOAT16]: 2, [DataType.BFLOAT16]: 2, [DataType.INT64]: 8, [DataType.INT32]: 4,
};

/**
 * Decodes a float tensor (float32, float64, float16, bfloat16) stored in raw_data, external data, or the typed
 * repeated fields, into float64 values. Integer tensors are decoded too (they appear as shapes and perms).
 */
export function decodeTensor(t: TensorProto, ctx: TensorDataContext): ConstTensor {
  const dims = t.dims.map((d) => toInt(d));
  const count = dims.reduce((a, b) => a * b, 1);
  const where = `${ctx.source}: tensor "${t.name}"`;
  const bytesPer = ELEMENT_BYTES[t.dataType];
  if (bytesPer === undefined) {
    throw new NcInputError('BAD_MODEL', `${where}: element type ${dataTypeName(t.dataType)} is not supported here (float32/float64/float16/bfloat16 weights, int32/int64 shapes)`, { source: ctx.source });
  }
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0) || !Number.isSafeInteger(count * bytesPer)) {
    throw new NcInputError('BAD_MODEL', `${where}: dims [${dims.join(', ')}] are not a valid shape`, { source: ctx.source });
  }
  const raw = rawBytes(t, ctx, count * bytesPer);
  // Sizes are checked against the data present before anything is allocated: a lying dims field must not
  // allocate its declared size.
  const listLength = { [DataType.FLOAT]: t.floatData, [DataType.DOUBLE]: t.doubleData, [DataType.INT64]: t.int64Data }[t.dataType as number]?.length ?? t.int32Data.length;
  if (raw ? raw.byteLength !== count * bytesPer : listLength !== count) {
    const has = raw ? `data has ${raw.byteLength} bytes` : `found ${listLength} values`;
    throw new NcInputError('BAD_MODEL', `${where}: dims [${dims.join(', ')}] of ${dataTypeName(t.dataType)} need ${raw ? `${count * bytesPer} bytes` : `${count} values`}, ${has}`, { source: ctx.source });
  }
  const out = new Float64Array(count);
  const fromList = (list: ArrayLike<number | { toNumber(): number }>) => {
    for (let i = 0; i < count; i++) {
      const v = list[i];
      out[i] = typeof v === 'number' ? v : v.toNumber();
    }
  };
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  switch (t.dataType) {
    case DataType.FLOAT:
      if (view) for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      else fromList(t.floatData);
      break;
    case DataType.DOUBLE:
      if (view) for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      else fromList(t.doubleData);
      break;
    case DataType.FLOAT16:
      if (view) for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      else { fromList(t.int32Data); for (let i = 0; i < count; i++) out[i] = halfToFloat(out[i]); }
      break;
    case DataType.BFLOAT16: {
      const f = new DataView(new ArrayBuffer(4));
      const conv = (u: number) => { f.setUint32(0, u << 16, true); return f.getFloat32(0, true); };
      if (view) for (let i = 0; i < count; i++) out[i] = conv(view.getUint16(i * 2, true));
      else { fromList(t.int32Data); for (let i = 0; i < count; i++) out[i] = conv(out[i]); }
      break;
    }
    case DataType.INT64:
      if (view) for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      else fromList(t.int64Data);
      break;
    case DataType.INT32:
      if (view) for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
      else fromList(t.int32Data);
      break;
  }
  return { dims, data: out, dataType: t.dataType };
}
