/** A 64-bit FNV-1a digest (hex) of float64 arrays: identifies the exact means/classifier a spread phase used. */
export function fingerprint(...arrays: ArrayLike<number>[]): string {
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  const buf = new Float64Array(1);
  const bytes = new Uint8Array(buf.buffer);
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      buf[0] = a[i];
      for (let b = 0; b < 8; b++) {
        h1 = Math.imul(h1 ^ bytes[b], 0x01000193);
        h2 = Math.imul(h2 ^ bytes[b], 0x5bd1e995);
      }
    }
    h1 = Math.imul(h1 ^ a.length, 0x01000193);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}
