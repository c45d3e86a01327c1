import { NcInputError } from '../errors.js';

/** NumPy dtypes ncscope reads (kind + bytes: float16/32/64, signed and unsigned integers of 1–8 bytes, bool). */
export type NpyDtype = 'f2' | 'f4' | 'f8' | 'i1' | 'i2' | 'i4' | 'i8' | 'u1' | 'u2' | 'u4' | 'u8' | 'b1';

/** Parsed `.npy` header (format versions 1–3). */
export interface NpyHeader {
  dtype: NpyDtype;
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the data after the header. */
  dataOffset: number;
  /** Bytes per element. */
  itemSize: number;
}

const SIZES: Record<NpyDtype, number> = { f2: 2, b1: 1, f4: 4, f8: 8, i1: 1, i2: 2, i4: 4, i8: 8, u1: 1, u2: 2, u4: 4, u8: 8 };

/**
 * Parses the header of a NumPy `.npy` file (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 * magic "\x93NUMPY", version, header length, then a Python dict literal with 'descr', 'fortran_order', 'shape'.
 * `bytes` needs only the first few hundred bytes. Errors name `source` (a file name) and the problem.
 */
export function parseNpyHeader(bytes: Uint8Array, source = 'array'): NpyHeader {
  const bad = (msg: string) => NcInputError.at('SHAPE', { source }, `${msg}`);
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || !magic.every((b, i) => bytes[i] === b)) throw bad('not a NumPy .npy file (bad magic bytes)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw bad('truncated .npy header');
    headerLen = view.getUint32(8, true);
    start = 12;
  } else throw bad(`unsupported .npy format version ${major}`);
  if (bytes.length < start + headerLen) throw bad('truncated .npy header');
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw bad(`malformed .npy header: ${text.trim()}`);
  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  if (!m) throw bad(`unsupported dtype '${descr}' (ncscope reads float16/32/64, integer and bool arrays)`);
  const dtype = `${m[2]}${m[3]}` as NpyDtype;
  if (!(dtype in SIZES)) throw bad(`unsupported dtype '${descr}'`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) throw bad(`malformed shape (${shapeText})`);
  return { dtype, littleEndian: m[1] !== '>', fortranOrder: fortran === 'True', shape, dataOffset: start + headerLen, itemSize: SIZES[dtype] };
}

/** Number of elements of a header's shape (1 for a 0-d array). */
export function npyElementCount(h: NpyHeader): number {
  return h.shape.reduce((a, b) => a * b, 1);
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Decodes the elements in `data` (a whole number of items of the header's dtype; a trailing partial item is
 * ignored) into a JS typed array: float32/float64 keep their width, float16 widens to Float32Array (exactly);
 * integers and bools become Int32Array when they fit, else Float64Array (int64/uint64 beyond 2^53 are refused).
 * Big-endian data is byte-swapped. Order is storage order. The result never aliases `data`.
 */
export function decodeNpyData(data: Uint8Array, h: Pick<NpyHeader, 'dtype' | 'littleEndian' | 'itemSize'>, source = 'array'): Float32Array | Float64Array | Int32Array {
  const n = Math.floor(data.byteLength / h.itemSize);
  const le = h.littleEndian;
  if (le === HOST_LITTLE_ENDIAN && (h.dtype === 'f4' || h.dtype === 'f8' || h.dtype === 'i4')) {
    // Same byte order as the host: one memcpy instead of a DataView loop. Uint8Array's own slice (a copy with a
    // fresh, aligned buffer): Node's Buffer.prototype.slice returns a view into the file's buffer instead.
    const bytes = Uint8Array.prototype.slice.call(data, 0, n * h.itemSize);
    if (h.dtype === 'f4') return new Float32Array(bytes.buffer, 0, n);
    if (h.dtype === 'f8') return new Float64Array(bytes.buffer, 0, n);
    return new Int32Array(bytes.buffer, 0, n);
  }
  const view = new DataView(data.buffer, data.byteOffset, n * h.itemSize);
  switch (h.dtype) {
    case 'f2': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, le));
      return out;
    }
    case 'b1': return Int32Array.from(data.subarray(0, n), (v) => (v ? 1 : 0));
    case 'f4': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, le);
      return out;
    }
    case 'f8': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, le);
      return out;
    }
    case 'i1': return Int32Array.from(new Int8Array(data.buffer, data.byteOffset, n));
    case 'u1': return Int32Array.from(data.subarray(0, n));
    case 'i2': return Int32Array.from({ length: n }, (_, i) => view.getInt16(i * 2, le));
    case 'u2': return Int32Array.from({ length: n }, (_, i) => view.getUint16(i * 2, le));
    case 'i4': return Int32Array.from({ length: n }, (_, i) => view.getInt32(i * 4, le));
    case 'u4': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getUint32(i * 4, le);
      return fitsInt32(out) ? Int32Array.from(out) : out;
    }
    case 'i8':
    case 'u8': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = h.dtype === 'i8' ? view.getBigInt64(i * 8, le) : view.getBigUint64(i * 8, le);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
          throw new NcInputError('BAD_LABEL', `${source}: element ${i} (${v}) does not fit in a double exactly`, { source, row: i });
        }
        out[i] = Number(v);
      }
      return fitsInt32(out) ? Int32Array.from(out) : out;
    }
  }
}

/** IEEE 754 binary16 bits → number (exact; subnormals, ±Inf and NaN included). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function fitsInt32(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] > 2147483647 || a[i] < -2147483648) return false;
  return true;
}

/** A whole in-memory `.npy` file: header plus data in C (row-major) order; Fortran-ordered 2-D arrays are transposed. */
export function parseNpy(bytes: Uint8Array, source = 'array'): { header: NpyHeader; data: Float32Array | Float64Array | Int32Array } {
  const header = parseNpyHeader(bytes, source);
  const count = npyElementCount(header);
  const need = header.dataOffset + count * header.itemSize;
  if (bytes.byteLength < need) {
    throw NcInputError.at('SHAPE', { source }, `truncated .npy data: shape (${header.shape.join(', ')}) needs ${need} bytes, file has ${bytes.byteLength}`);
  }
  let data = decodeNpyData(bytes.subarray(header.dataOffset, need), header, source);
  if (header.fortranOrder && header.shape.length >= 2) {
    if (header.shape.length > 2) throw NcInputError.at('SHAPE', { source }, `Fortran-ordered arrays with more than 2 dimensions are not supported; save with np.ascontiguousarray`);
    data = transpose(data, header.shape[1], header.shape[0]);
  }
  return { header, data };
}

/** Row-major (rows × cols) → row-major (cols × rows). */
function transpose<T extends Float32Array | Float64Array | Int32Array>(a: T, rows: number, cols: number): T {
  const out = new (a.constructor as new (n: number) => T)(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

/**
 * Encodes a C-order little-endian `.npy` file, format version 1.0
 * (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html): magic "\x93NUMPY", version 1.0,
 * uint16 header length, then the header dict padded with spaces and a newline so the data starts at a multiple
 * of 64 bytes. `np.load` and `torch.from_numpy(np.load(...))` read it directly; {@link parseNpy} reads it back.
 */
export function encodeNpy(data: Float32Array | Float64Array | Int32Array | BigInt64Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`encodeNpy: shape (${shape.join(', ')}) has ${count} elements, data has ${data.length}`);
  const descr = data instanceof Float32Array ? '<f4' : data instanceof Float64Array ? '<f8' : data instanceof Int32Array ? '<i4' : '<i8';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const bytes = new Uint8Array(10 + header.length + data.byteLength);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(bytes.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) bytes[10 + i] = header.charCodeAt(i);
  const view = new DataView(bytes.buffer, 10 + header.length);
  if (data instanceof Float32Array) for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  else if (data instanceof Float64Array) for (let i = 0; i < data.length; i++) view.setFloat64(i * 8, data[i], true);
  else if (data instanceof Int32Array) for (let i = 0; i < data.length; i++) view.setInt32(i * 4, data[i], true);
  else for (let i = 0; i < data.length; i++) view.setBigInt64(i * 8, data[i], true);
  return bytes;
}
