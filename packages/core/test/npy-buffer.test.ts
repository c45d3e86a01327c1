import { describe, expect, it } from 'vitest';
import { parseNpy } from '../src/index.js';

/** A .npy file as bytes: format 1.0 header padded to 64 bytes, then little-endian data. */
function npyBytes(descr: string, shape: number[], data: Uint8Array): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}

describe('parseNpy on a Node Buffer (what readFileSync returns)', () => {
  it('decodes the data region, not the bytes at the start of the underlying buffer', () => {
    const values = Float32Array.of(1.5, -2, 3.25, 4);
    const file = npyBytes('<f4', [2, 2], new Uint8Array(values.buffer));
    // Buffer.prototype.slice returns a view (not a copy): decoding must not reinterpret file.buffer from offset 0.
    for (const bytes of [Buffer.from(file), Buffer.concat([Buffer.alloc(3), Buffer.from(file)]).subarray(3)]) {
      expect(Array.from(parseNpy(bytes).data)).toEqual(Array.from(values));
    }
    const ints = Int32Array.of(7, -1, 0);
    expect(Array.from(parseNpy(Buffer.from(npyBytes('<i4', [3], new Uint8Array(ints.buffer)))).data)).toEqual([7, -1, 0]);
    const dbl = Float64Array.of(0.1, 1e300);
    expect(Array.from(parseNpy(Buffer.from(npyBytes('<f8', [2], new Uint8Array(dbl.buffer)))).data)).toEqual([0.1, 1e300]);
  });
});
