import { parseNpyHeader } from '@ncscope/core';
import { NcInputError } from '@ncscope/core';
import type { ByteStore } from '../file/byte-store.js';
import { Tensor } from './tensor.js';

/** Largest .npy header read (1 MiB: a hundred times NumPy's default limit). */
const MAX_NPY_HEADER = 1 << 20;

/**
 * Opens a NumPy `.npy` array held in `store` (a file, or a member of an `.npz`): reads only the header
 * (parsed by core's `parseNpyHeader`: versions 1–3, any byte order, C or Fortran order) and checks that the
 * data region is complete. Rows are then read on demand.
 */
export async function openNpy(store: ByteStore, where = store.name): Promise<Tensor> {
  if (store.size < 10) throw NcInputError.at('BAD_FILE', { source: where }, `not a NumPy .npy file (only ${store.size} bytes)`);
  const head = await store.read(0, Math.min(store.size, 12));
  const major = head[6];
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  // Header length: u16 at byte 8 (version 1) or u32 (versions 2, 3). parseNpyHeader validates the rest.
  const headerEnd = major === 1 ? 10 + view.getUint16(8, true) : head.byteLength >= 12 ? 12 + view.getUint32(8, true) : 12;
  // Version 2/3 headers may declare up to 4 GiB; a real one is a short dict (NumPy itself refuses > 10,000 bytes
  // unless told otherwise). Read only what a plausible header needs.
  if (headerEnd > MAX_NPY_HEADER) throw NcInputError.at('BAD_FILE', { source: where }, `not a valid .npy file: header length ${headerEnd - 12} bytes is implausible (at most ${MAX_NPY_HEADER})`);
  const bytes = await store.read(0, Math.min(store.size, headerEnd));
  const header = parseNpyHeader(bytes, where); // NcInputError naming `where` on bad magic, version, dtype or shape
  return new Tensor(where, store, {
    dtype: header.dtype,
    littleEndian: header.littleEndian,
    fortranOrder: header.fortranOrder,
    shape: header.shape,
    dataOffset: header.dataOffset,
  });
}

/** True when the bytes start with the `.npy` magic string "\x93NUMPY". */
export function isNpy(head: Uint8Array): boolean {
  return head.length >= 6 && head[0] === 0x93 && head[1] === 0x4e && head[2] === 0x55 && head[3] === 0x4d && head[4] === 0x50 && head[5] === 0x59;
}
