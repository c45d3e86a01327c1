/**
 * Small writers for the test fixtures: `.npy` (versions 1 and 2, any byte order, C or Fortran order),
 * `.npz` (fflate's zipSync, stored or deflated) and `.safetensors`. Written from the format specs, independently
 * of the readers under test.
 */
import { zipSync } from 'fflate';

/** Element encoders keyed by NumPy kind+size. */
const ENCODERS: Record<string, { size: number; set: (v: DataView, at: number, x: number | bigint, le: boolean) => void }> = {
  f2: { size: 2, set: (v, at, x, le) => v.setUint16(at, floatToHalf(Number(x)), le) },
  f4: { size: 4, set: (v, at, x, le) => v.setFloat32(at, Number(x), le) },
  f8: { size: 8, set: (v, at, x, le) => v.setFloat64(at, Number(x), le) },
  i1: { size: 1, set: (v, at, x) => v.setInt8(at, Number(x)) },
  u1: { size: 1, set: (v, at, x) => v.setUint8(at, Number(x)) },
  b1: { size: 1, set: (v, at, x) => v.setUint8(at, Number(x) ? 1 : 0) },
  i2: { size: 2, set: (v, at, x, le) => v.setInt16(at, Number(x), le) },
  u2: { size: 2, set: (v, at, x, le) => v.setUint16(at, Number(x), le) },
  i4: { size: 4, set: (v, at, x, le) => v.setInt32(at, Number(x), le) },
  u4: { size: 4, set: (v, at, x, le) => v.setUint32(at, Number(x), le) },
  i8: { size: 8, set: (v, at, x, le) => v.setBigInt64(at, BigInt(x), le) },
  u8: { size: 8, set: (v, at, x, le) => v.setBigUint64(at, BigInt(x), le) },
};

/** float → IEEE binary16 bits, for values exactly representable as normal halves (or 0). */
export function floatToHalf(x: number): number {
  if (x === 0) return Object.is(x, -0) ? 0x8000 : 0;
  const sign = x < 0 ? 0x8000 : 0;
  const a = Math.abs(x);
  const e = Math.floor(Math.log2(a));
  const mant = Math.round((a / 2 ** e - 1) * 1024);
  return sign | ((e + 15) << 10) | mant;
}

/** Raw element bytes of `values` (given in storage order). */
export function encodeElements(values: ArrayLike<number | bigint>, kind: string, littleEndian: boolean): Uint8Array {
  const enc = ENCODERS[kind];
  if (!enc) throw new Error(`test writer: unknown kind ${kind}`);
  const out = new Uint8Array(values.length * enc.size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) enc.set(view, i * enc.size, values[i], littleEndian);
  return out;
}

export interface NpyOptions {
  /** NumPy descr, e.g. '<f4', '>i8', '|u1'. */
  descr: string;
  shape: number[];
  /** Write in Fortran (column-major) order; `values` are always given in C (row-major) order. */
  fortran?: boolean;
  /** Format version (1: u16 header length, 2: u32). */
  version?: 1 | 2;
}

/** A whole `.npy` file. */
export function npyBytes(values: ArrayLike<number | bigint>, o: NpyOptions): Uint8Array {
  const kind = o.descr.slice(1);
  const le = o.descr[0] !== '>';
  let stored: ArrayLike<number | bigint> = values;
  if (o.fortran && o.shape.length === 2) {
    const [r, c] = o.shape;
    stored = Array.from({ length: r * c }, (_, i) => values[(i % r) * c + Math.floor(i / r)]);
  }
  const shape = o.shape.length === 1 ? `(${o.shape[0]},)` : `(${o.shape.join(', ')})`;
  let dict = `{'descr': '${o.descr}', 'fortran_order': ${o.fortran ? 'True' : 'False'}, 'shape': ${shape}, }`;
  const version = o.version ?? 1;
  const prefix = version === 1 ? 10 : 12;
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  dict = dict + ' '.repeat(total - prefix - dict.length - 1) + '\n';
  const head = new Uint8Array(prefix + dict.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const hv = new DataView(head.buffer);
  if (version === 1) hv.setUint16(8, dict.length, true);
  else hv.setUint32(8, dict.length, true);
  head.set(new TextEncoder().encode(dict), prefix);
  const data = encodeElements(stored, kind, le);
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  out.set(data, head.length);
  return out;
}

/** An `.npz` archive of `.npy` members (names without the suffix); level 0 = stored, else deflated. */
export function npzBytes(members: Record<string, Uint8Array>, level: 0 | 6 = 0): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0 | 6 }]> = {};
  for (const [k, v] of Object.entries(members)) files[`${k}.npy`] = [v, { level }];
  return zipSync(files);
}

export interface SafeTensor {
  dtype: string;
  shape: number[];
  /** Raw little-endian bytes (use encodeElements). */
  data: Uint8Array;
}

/** A `.safetensors` file: u64 LE header length, JSON header, then the tensors' bytes in order. */
export function safetensorsBytes(tensors: Record<string, SafeTensor>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    offset += t.data.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const jsonBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + jsonBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);
  out.set(jsonBytes, 8);
  let p = 8 + jsonBytes.length;
  for (const t of Object.values(tensors)) {
    out.set(t.data, p);
    p += t.data.length;
  }
  return out;
}
