import { describe, expect, it } from 'vitest';
import { NcInputError } from '../src/errors.js';
import { encodeNpy, parseNpy } from '../src/formats/npy.js';

describe('encodeNpy', () => {
  it('round-trips every dtype it writes through parseNpy, with 64-byte aligned data', () => {
    const cases = [
      { data: Float32Array.of(1.5, -2, 3.25, 0, 1e-30, -7), shape: [2, 3], descr: 'f4' },
      { data: Float64Array.of(Math.PI, -1e300, 5e-324), shape: [3], descr: 'f8' },
      { data: Int32Array.of(0, -1, 2147483647, -2147483648), shape: [4], descr: 'i4' },
      { data: BigInt64Array.of(0n, 9n, -3n), shape: [3], descr: 'i8' },
      // Every other typed array keeps its own dtype (an Int8Array used to fail with "Cannot convert 0 to a BigInt").
      { data: Int8Array.of(0, -128, 127, 5), shape: [2, 2], descr: 'i1' },
      { data: Uint8Array.of(0, 255, 7), shape: [3], descr: 'u1' },
      { data: Uint8ClampedArray.of(0, 255), shape: [2], descr: 'u1' },
      { data: Int16Array.of(-32768, 32767), shape: [2], descr: 'i2' },
      { data: Uint16Array.of(65535, 1), shape: [1, 2], descr: 'u2' },
      { data: Uint32Array.of(4294967295, 0), shape: [2], descr: 'u4' },
      { data: BigUint64Array.of(0n, 2n ** 53n - 1n), shape: [2], descr: 'u8' },
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
  it('refuses a shape that does not match the data, and what is not a typed array, with named SHAPE errors', () => {
    expect(() => encodeNpy(new Float32Array(5), [2, 3])).toThrow(/6 elements, data has 5/);
    const code = (f: () => unknown) => { try { f(); } catch (e) { return [(e as NcInputError).code, (e as Error).message]; } return undefined; };
    expect(code(() => encodeNpy(new Float32Array(5), [2, 3]))?.[0]).toBe('SHAPE');
    expect(code(() => encodeNpy([1, 2] as unknown as Float64Array, [2]))).toEqual(['SHAPE', expect.stringMatching(/must be a typed array.*got Array/)]);
    expect(code(() => encodeNpy(new Float64Array(2), [-1, -2]))).toEqual(['SHAPE', expect.stringMatching(/non-negative integers/)]);
  });
  it('writes an Int8Array as int8 (the bytes NumPy reads)', () => {
    const bytes = encodeNpy(new Int8Array([1, -2, 3, -4]), [2, 2]);
    const { header, data } = parseNpy(bytes);
    expect([header.dtype, header.shape, Array.from(data)]).toEqual(['i1', [2, 2], [1, -2, 3, -4]]);
    expect(Array.from(bytes.subarray(bytes.length - 4))).toEqual([1, 254, 3, 252]);
  });
});
