import { NcInputError } from '@ncscope/core';
import type { ByteStore } from '../file/byte-store.js';
import { Tensor, type ElementType } from './tensor.js';

/** safetensors dtype names → element types (all little-endian, C order). */
const DTYPES: Record<string, ElementType> = {
  F64: 'f8', F32: 'f4', F16: 'f2', BF16: 'bf16', I64: 'i8', I32: 'i4', I16: 'i2', I8: 'i1',
  U64: 'u8', U32: 'u4', U16: 'u2', U8: 'u1', BOOL: 'b1',
};

/** One tensor's entry in a safetensors header. */
export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Largest header ncscope accepts (the format's reference implementation caps it at 100 MB). */
const MAX_HEADER = 100_000_000;

/**
 * Reads the header of a `.safetensors` file (https://github.com/huggingface/safetensors): an unsigned 64-bit
 * little-endian length n, then n bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?}`,
 * then the raw little-endian tensor bytes, offsets relative to byte 8 + n. Checks every entry fits the file.
 */
export async function readSafetensorsHeader(store: ByteStore): Promise<{ dataStart: number; tensors: Map<string, SafetensorsEntry> }> {
  const bad = (what: string) => NcInputError.at('BAD_FILE', { source: store.name }, `not a valid .safetensors file: ${what}`);
  if (store.size < 8) throw bad(`only ${store.size} bytes`);
  const lenBytes = await store.read(0, 8);
  const n = new DataView(lenBytes.buffer).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER)) throw bad(`header length ${n} is implausible`);
  const headerLength = Number(n);
  if (8 + headerLength > store.size) throw bad(`truncated: the header needs ${8 + headerLength} bytes, the file has ${store.size}`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(await store.read(8, headerLength)));
  } catch (e) {
    throw bad(`header is not JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('header is not a JSON object');
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, SafetensorsEntry>();
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const v = value as Partial<SafetensorsEntry>;
    const ok =
      typeof v === 'object' && v !== null && typeof v.dtype === 'string' &&
      Array.isArray(v.shape) && v.shape.every((d) => Number.isInteger(d) && d >= 0) &&
      Array.isArray(v.data_offsets) && v.data_offsets.length === 2 && v.data_offsets.every((d) => Number.isInteger(d) && d >= 0);
    if (!ok) throw bad(`tensor '${name}' needs dtype, shape and data_offsets`);
    tensors.set(name, v as SafetensorsEntry);
  }
  return { dataStart, tensors };
}

/** Opens tensor `name` of a safetensors file; checks its dtype, that its byte range matches its shape and lies in the file. */
export function openSafetensor(store: ByteStore, dataStart: number, name: string, entry: SafetensorsEntry): Tensor {
  const where = `${store.name}: tensor '${name}'`;
  const dtype = DTYPES[entry.dtype];
  if (!dtype) throw NcInputError.at('BAD_FILE', { source: where }, `dtype ${entry.dtype} is not supported (floats F16/BF16/F32/F64, integers, BOOL)`);
  const [begin, end] = entry.data_offsets;
  const tensor = new Tensor(where, store, { dtype, littleEndian: true, fortranOrder: false, shape: entry.shape, dataOffset: dataStart + begin });
  if (end - begin !== tensor.elementCount * tensor.itemSize) {
    throw NcInputError.at('BAD_FILE', { source: where }, `data_offsets [${begin}, ${end}] hold ${end - begin} bytes but shape (${entry.shape.join(', ')}) ${entry.dtype} needs ${tensor.elementCount * tensor.itemSize}`);
  }
  return tensor;
}
