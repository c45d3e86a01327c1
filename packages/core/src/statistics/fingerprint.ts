/**
 * A 64-bit FNV-1a digest (hex) of float64 arrays: identifies the exact means/classifier a spread phase used. Each
 * value is hashed as its 8 float64 bytes in the host's byte order, then the array's length; statistics files store
 * these digests, so the value for given arrays must never change.
 */
export function fingerprint(...arrays: ArrayLike<number>[]): string {
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (const a of arrays) {
    // One flat loop over the bytes (a Float64Array is read in place, anything else as its float64 copy).
    const f = a instanceof Float64Array ? a : Float64Array.from(a);
    const bytes = new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      h1 = Math.imul(h1 ^ b, 0x01000193);
      h2 = Math.imul(h2 ^ b, 0x5bd1e995);
    }
    h1 = Math.imul(h1 ^ a.length, 0x01000193);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}
