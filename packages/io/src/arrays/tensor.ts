import { decodeNpyData, type NpyDtype } from '@ncscope/core';
import { NcInputError } from '@ncscope/core';
import type { ByteStore } from '../file/byte-store.js';

/** Element types the readers decode: NumPy's (see core's NpyDtype) plus bfloat16 from safetensors. */
export type ElementType = NpyDtype | 'bf16';

/** What a decoded read gives: floats keep their width (float16/bfloat16 widen to Float32Array), integers Int32Array when they fit. */
export type DecodedArray = Float32Array | Float64Array | Int32Array;

const ITEM_SIZE: Record<ElementType, number> = { f2: 2, bf16: 2, f4: 4, f8: 8, i1: 1, i2: 2, i4: 4, i8: 8, u1: 1, u2: 2, u4: 4, u8: 8, b1: 1 };

/** Human names for messages. */
export const TYPE_NAMES: Record<ElementType, string> = {
  f2: 'float16', bf16: 'bfloat16', f4: 'float32', f8: 'float64', i1: 'int8', i2: 'int16', i4: 'int32', i8: 'int64',
  u1: 'uint8', u2: 'uint16', u4: 'uint32', u8: 'uint64', b1: 'bool',
};

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Layout of one dense array inside a {@link ByteStore}. */
export interface TensorLayout {
  dtype: ElementType;
  littleEndian: boolean;
  /** Storage order: C (row-major) or Fortran (column-major, NumPy `fortran_order`). */
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the first element in the store. */
  dataOffset: number;
}

/**
 * One named array in a file (a `.npy`, an `.npz` member or a safetensors tensor), read in row ranges.
 * `where` names it in messages: `feats.npy`, `run.npz: member 'labels'`, `model.safetensors: tensor 'fc.weight'`.
 * Rows are along the first axis; a 1-D array has one element per row.
 */
export class Tensor {
  readonly itemSize: number;
  /** Elements per row (product of shape[1:]; 1 for 1-D). */
  readonly rowSize: number;

  constructor(
    readonly where: string,
    private readonly store: ByteStore,
    readonly layout: TensorLayout,
  ) {
    const { shape, fortranOrder, dtype, dataOffset } = layout;
    this.itemSize = ITEM_SIZE[dtype];
    this.rowSize = shape.slice(1).reduce((a, b) => a * b, 1);
    if (fortranOrder && shape.length > 2) {
      throw NcInputError.at('BAD_FILE', { source: where }, `Fortran-ordered arrays with more than 2 dimensions are not supported; save it with np.ascontiguousarray`);
    }
    const need = dataOffset + this.elementCount * this.itemSize;
    if (store.size < need) {
      throw NcInputError.at('BAD_FILE', { source: where }, `truncated: shape (${shape.join(', ')}) ${TYPE_NAMES[dtype]} needs ${need} bytes, the file has ${store.size}`);
    }
  }

  get shape(): number[] {
    return this.layout.shape;
  }

  get rows(): number {
    return this.layout.shape.length === 0 ? 1 : this.layout.shape[0];
  }

  get elementCount(): number {
    return this.layout.shape.reduce((a, b) => a * b, 1);
  }

  get typeName(): string {
    return TYPE_NAMES[this.layout.dtype];
  }

  get isFloat(): boolean {
    return this.layout.dtype === 'f2' || this.layout.dtype === 'f4' || this.layout.dtype === 'f8' || this.layout.dtype === 'bf16';
  }

  /** Shape as text, e.g. "(600, 12)". */
  get shapeText(): string {
    return `(${this.layout.shape.join(', ')}${this.layout.shape.length === 1 ? ',' : ''})`;
  }

  /**
   * Rows [start, start + count) as a row-major typed array (count × rowSize elements).
   * Fortran-ordered 2-D arrays are read column by column (one read per column) and transposed.
   * With `scratch` (a buffer of at least count × rowSize × itemSize bytes at offset 0), C-ordered data are read into
   * it and the result may be a view of it: valid until the caller reuses the scratch.
   */
  async readRows(start: number, count: number, scratch?: Uint8Array): Promise<DecodedArray> {
    const { dataOffset, fortranOrder, shape } = this.layout;
    const item = this.itemSize;
    if (!fortranOrder || shape.length < 2) {
      const bytes = await this.store.read(dataOffset + start * this.rowSize * item, count * this.rowSize * item, scratch);
      return this.decode(bytes);
    }
    const [rows, cols] = shape;
    const dtype = this.layout.dtype;
    const result = dtype === 'f4' || dtype === 'f2' || dtype === 'bf16' ? new Float32Array(count * cols) : new Float64Array(count * cols);
    for (let c = 0; c < cols; c++) {
      const column = this.decode(await this.store.read(dataOffset + (c * rows + start) * item, count * item));
      for (let r = 0; r < count; r++) result[r * cols + c] = column[r];
    }
    return result;
  }

  /** Bytes of the array's data region as stored (`offset` from its first element), for fingerprints. */
  get dataBytes(): number {
    return this.elementCount * this.itemSize;
  }

  /** `length` raw bytes of the data region from `offset` (0 = the first element), as stored. */
  readDataBytes(offset: number, length: number): Promise<Uint8Array> {
    return this.store.read(this.layout.dataOffset + offset, length);
  }

  /** The whole array, row-major. */
  readAll(): Promise<DecodedArray> {
    return this.readRows(0, this.rows);
  }

  private decode(bytes: Uint8Array): DecodedArray {
    const { dtype, littleEndian } = this.layout;
    const n = bytes.byteLength / this.itemSize;
    // The stores hand out fresh buffers at offset 0: same-endian float32/float64 are viewed without a copy.
    if (littleEndian === HOST_LITTLE_ENDIAN && bytes.byteOffset === 0) {
      if (dtype === 'f4') return new Float32Array(bytes.buffer, 0, n);
      if (dtype === 'f8') return new Float64Array(bytes.buffer, 0, n);
    }
    if (dtype === 'bf16') {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(i * 2, littleEndian) << 16;
      return out;
    }
    return decodeNpyData(bytes, { dtype, littleEndian, itemSize: this.itemSize }, this.where);
  }
}
