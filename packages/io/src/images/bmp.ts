import type { RgbImage } from './transform.js';

/** Thrown by {@link decodeBmp} for a file it cannot read; the caller names the file. */
export class BmpError extends Error {
  override readonly name = 'BmpError';
}

/** Whether the bytes start with a BMP signature ("BM"). */
export const isBmp = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d;

/**
 * Decodes a Windows bitmap to 8-bit RGB as Pillow's BmpImagePlugin + `convert('RGB')` does (libvips, behind sharp,
 * reads no BMP): uncompressed 1-, 4- and 8-bit palettes, 16-bit (5-5-5 or bit fields), 24- and 32-bit pixels
 * (alpha dropped), bottom-up or top-down rows padded to 4 bytes, the OS/2 core header and headers v3–v5.
 * Field values of fewer than 8 bits scale as Pillow's unpackers do: v · 255 / max, rounded down.
 * RLE-compressed bitmaps are refused (convert them to PNG).
 */
export function decodeBmp(b: Uint8Array): RgbImage {
  if (b.length < 26 || !isBmp(b)) throw new BmpError('not a BMP file');
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dataOffset = v.getUint32(10, true);
  const headerSize = v.getUint32(14, true);
  let width: number;
  let height: number;
  let bits: number;
  let compression = 0;
  let colours = 0;
  let paletteEntry = 4;
  if (headerSize === 12) {
    width = v.getUint16(18, true);
    height = v.getInt16(20, true);
    bits = v.getUint16(24, true);
    paletteEntry = 3;
  } else if (headerSize >= 40 && b.length >= 14 + 40) {
    width = v.getInt32(18, true);
    height = v.getInt32(22, true);
    bits = v.getUint16(28, true);
    compression = v.getUint32(30, true);
    colours = v.getUint32(46, true);
  } else throw new BmpError(`unsupported BMP header of ${headerSize} bytes`);
  const topDown = height < 0;
  height = Math.abs(height);
  if (width <= 0 || height <= 0) throw new BmpError(`bad size ${width} × ${height}`);
  if (compression === 1 || compression === 2) throw new BmpError('RLE-compressed BMP is not supported; convert it to PNG');
  let masks: [number, number, number] | undefined;
  if (compression === 3 || compression === 6) {
    const at = headerSize >= 52 ? 14 + 40 : 14 + headerSize;
    if (b.length < at + 12) throw new BmpError('truncated bit-field masks');
    masks = [v.getUint32(at, true), v.getUint32(at + 4, true), v.getUint32(at + 8, true)];
  } else if (compression !== 0) throw new BmpError(`unsupported BMP compression ${compression}`);
  if (![1, 4, 8, 16, 24, 32].includes(bits)) throw new BmpError(`unsupported ${bits} bits per pixel`);
  let palette: Uint8Array | undefined;
  if (bits <= 8) {
    const n = colours || 1 << bits;
    const at = 14 + headerSize;
    if (b.length < at + n * paletteEntry) throw new BmpError('truncated palette');
    palette = new Uint8Array(256 * 3);
    for (let i = 0; i < Math.min(n, 256); i++) {
      palette[i * 3] = b[at + i * paletteEntry + 2];
      palette[i * 3 + 1] = b[at + i * paletteEntry + 1];
      palette[i * 3 + 2] = b[at + i * paletteEntry];
    }
  }
  if (bits === 16 && !masks) masks = [0x7c00, 0x03e0, 0x001f];
  if (bits === 32 && !masks) masks = [0xff0000, 0xff00, 0xff];
  const stride = Math.floor((width * bits + 31) / 32) * 4;
  if (dataOffset + stride * height > b.length) throw new BmpError(`truncated: ${width} × ${height} pixels need ${dataOffset + stride * height} bytes, the file has ${b.length}`);
  const out = new Uint8Array(width * height * 3);
  const fields = masks?.map((m) => {
    let shift = 0;
    while (shift < 32 && ((m >>> shift) & 1) === 0) shift++;
    const max = shift >= 32 ? 0 : m >>> shift;
    return { m, shift, max };
  });
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    const o = y * width * 3;
    for (let x = 0; x < width; x++) {
      const q = o + x * 3;
      if (palette) {
        const idx = bits === 8 ? b[row + x] : bits === 4 ? (b[row + (x >> 1)] >> (x & 1 ? 0 : 4)) & 15 : (b[row + (x >> 3)] >> (7 - (x & 7))) & 1;
        out[q] = palette[idx * 3];
        out[q + 1] = palette[idx * 3 + 1];
        out[q + 2] = palette[idx * 3 + 2];
      } else if (bits === 24) {
        const p = row + x * 3;
        out[q] = b[p + 2];
        out[q + 1] = b[p + 1];
        out[q + 2] = b[p];
      } else {
        const px = bits === 16 ? v.getUint16(row + x * 2, true) : v.getUint32(row + x * 4, true);
        for (let c = 0; c < 3; c++) {
          const f = fields![c];
          const raw = f.max === 0 ? 0 : ((px & f.m) >>> f.shift);
          out[q + c] = f.max === 255 ? raw : f.max === 0 ? 0 : Math.floor((raw * 255) / f.max);
        }
      }
    }
  }
  return { width, height, data: out };
}

/** Width and height from a BMP header (no pixels read). */
export function bmpSize(b: Uint8Array): { width: number; height: number } {
  if (b.length < 26 || !isBmp(b)) throw new BmpError('not a BMP file');
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const headerSize = v.getUint32(14, true);
  if (headerSize === 12) return { width: v.getUint16(18, true), height: Math.abs(v.getInt16(20, true)) };
  return { width: v.getInt32(18, true), height: Math.abs(v.getInt32(22, true)) };
}
