import { describe, expect, it } from 'vitest';
import { decodeNpyData, halfToFloat, parseNpy, parseNpyHeader } from '../src/formats/npy.js';

/** A minimal .npy writer (version 1) for these tests: header dict padded to 64 bytes, then raw bytes. */
function npy(descr: string, shape: number[], data: Uint8Array, fortran = false): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  dict += ' '.repeat(Math.ceil((11 + dict.length) / 64) * 64 - 11 - dict.length) + '\n';
  const out = new Uint8Array(10 + dict.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, dict.length, true);
  out.set(new TextEncoder().encode(dict), 10);
  out.set(data, 10 + dict.length);
  return out;
}

function bytesOf(n: number, set: (v: DataView, i: number) => void, size: number): Uint8Array {
  const b = new Uint8Array(n * size);
  const v = new DataView(b.buffer);
  for (let i = 0; i < n; i++) set(v, i);
  return b;
}

describe('npy float16 and bool', () => {
  it('halfToFloat decodes normals, subnormals, zeros, infinities and NaN exactly', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x3555)).toBe(0.333251953125);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x03ff)).toBe(1023 * 2 ** -24);
    expect(halfToFloat(0x0000)).toBe(0);
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });

  it('parses <f2 and >f2 into Float32Array, |b1 into 0/1', () => {
    const bits = [0x3c00, 0xc000, 0x3800, 0x0001];
    for (const le of [true, false]) {
      const { data, header } = parseNpy(npy(le ? '<f2' : '>f2', [2, 2], bytesOf(4, (v, i) => v.setUint16(i * 2, bits[i], le), 2)));
      expect(header.dtype).toBe('f2');
      expect(data).toBeInstanceOf(Float32Array);
      expect(Array.from(data)).toEqual([1, -2, 0.5, 2 ** -24]);
    }
    const { data } = parseNpy(npy('|b1', [3], Uint8Array.from([1, 0, 1])));
    expect(Array.from(data)).toEqual([1, 0, 1]);
  });
});

describe('npy decoding fast path', () => {
  it('same-endian f4/f8/i4 equal the DataView decoding and never alias the input', () => {
    const values = [1.5, -2.25, 3e-7, 1e30, -0, 42];
    for (const [descr, size, set] of [
      ['<f4', 4, (v: DataView, i: number) => v.setFloat32(i * 4, values[i], true)],
      ['<f8', 8, (v: DataView, i: number) => v.setFloat64(i * 8, values[i], true)],
      ['<i4', 4, (v: DataView, i: number) => v.setInt32(i * 4, Math.trunc(values[i] % 1000), true)],
    ] as const) {
      const raw = bytesOf(values.length, set, size);
      // Misaligned copy inside a larger buffer: the decoder must not depend on the input's alignment.
      const padded = new Uint8Array(raw.length + 3);
      padded.set(raw, 3);
      const input = padded.subarray(3);
      const h = parseNpyHeader(npy(descr, [values.length], raw));
      const out = decodeNpyData(input, h);
      const view = new DataView(raw.buffer);
      const expected = values.map((_, i) => (descr === '<f4' ? view.getFloat32(i * 4, true) : descr === '<f8' ? view.getFloat64(i * 8, true) : view.getInt32(i * 4, true)));
      expect(Array.from(out)).toEqual(expected);
      input.fill(0);
      expect(Array.from(out)).toEqual(expected);
    }
  });

  it('Fortran-ordered 2-D arrays come back row-major', () => {
    // 2 × 3 matrix [[1, 2, 3], [4, 5, 6]] stored column by column: 1 4 2 5 3 6
    const stored = [1, 4, 2, 5, 3, 6];
    const { data } = parseNpy(npy('>f8', [2, 3], bytesOf(6, (v, i) => v.setFloat64(i * 8, stored[i], false), 8), true));
    expect(Array.from(data)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
