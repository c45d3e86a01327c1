import { describe, expect, it } from 'vitest';
import { encodeNpy, parseNpy } from '../src/formats/npy.js';

describe('encodeNpy', () => {
  it('round-trips every dtype it writes through parseNpy, with 64-byte aligned data', () => {
    const cases = [
      { data: Float32Array.of(1.5, -2, 3.25, 0, 1e-30, -7), shape: [2, 3], descr: 'f4' },
      { data: Float64Array.of(Math.PI, -1e300, 5e-324), shape: [3], descr: 'f8' },
      { data: Int32Array.of(0, -1, 2147483647, -2147483648), shape: [4], descr: 'i4' },
      { data: BigInt64Array.of(0n, 9n, -3n), shape: [3], descr: 'i8' },
    ] as const;
    for (const c of cases) {
      const bytes = encodeNpy(c.data, c.shape);
      const { header, data } = parseNpy(bytes);
      expect(header.dtype).toBe(c.descr);
      expect(header.shape).toEqual(c.shape);
      expect(header.dataOffset % 64).toBe(0);
      expect(Array.from(data)).toEqual(Array.from(c.data, Number));
    }
  });
  it('refuses a shape that does not match the data', () => {
    expect(() => encodeNpy(new Float32Array(5), [2, 3])).toThrow(/6 elements, data has 5/);
  });
});
