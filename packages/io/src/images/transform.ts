import type { ResampleFilter } from './resample.js';
import { resizePixels } from './resample.js';

/**
 * What turns a decoded image into a model input, mirroring torchvision's transforms on PIL images in this order:
 * `Resize → CenterCrop → Grayscale → ToTensor → Normalize` (the order of the usual evaluation pipeline).
 */
export interface ImageTransform {
  /**
   * `Resize(size)`: a number resizes the shorter side to it (the longer one to ⌊size · long / short⌋, as
   * torchvision computes it); `[height, width]` resizes to exactly that size. Omitted: no resize.
   */
  resize?: number | readonly [number, number];
  /** Resampling filter of the resize (torchvision's default: bilinear, antialiased when shrinking, as PIL does). */
  interpolation?: ResampleFilter;
  /** `CenterCrop([height, width])`; a crop larger than the image pads it with zeros first, as torchvision does. */
  centerCrop?: readonly [number, number];
  /** 3: RGB; 1: PIL's 'L' (ITU-R 601-2 luma, L = (19595·R + 38470·G + 7471·B + 2¹⁵) >> 16). Default 3. */
  channels?: 1 | 3;
  /** `Normalize(mean, std)`: one value per channel, or one for all. Default mean 0, std 1 (ToTensor only). */
  mean?: readonly number[];
  std?: readonly number[];
  /** Element order of each sample: 'nchw' (PyTorch, default) or 'nhwc' (channels last). */
  layout?: 'nchw' | 'nhwc';
}

/** An image as 8-bit RGB samples, interleaved, row-major (what PIL's `convert('RGB')` holds). */
export interface RgbImage {
  width: number;
  height: number;
  /** width · height · 3 bytes. */
  data: Uint8Array;
}

/** The transform with every default filled in. */
export interface ResolvedTransform {
  resize?: number | readonly [number, number];
  interpolation: ResampleFilter;
  centerCrop?: readonly [number, number];
  channels: 1 | 3;
  mean: Float32Array;
  std: Float32Array;
  layout: 'nchw' | 'nhwc';
}

/** Checks a transform and fills in its defaults; throws a RangeError naming the bad field. */
export function resolveTransform(t: ImageTransform = {}): ResolvedTransform {
  const channels = t.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw new RangeError(`channels must be 1 or 3, got ${String(channels)}`);
  const positive = (v: number, what: string) => {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${what} must be a positive integer, got ${v}`);
  };
  if (t.resize !== undefined) {
    if (typeof t.resize === 'number') positive(t.resize, 'resize');
    else t.resize.forEach((v) => positive(v, 'resize'));
  }
  t.centerCrop?.forEach((v) => positive(v, 'center crop'));
  const perChannel = (values: readonly number[] | undefined, fallback: number, what: string): Float32Array => {
    const v = values ?? [fallback];
    if (v.length !== 1 && v.length !== channels) throw new RangeError(`${what} needs 1 or ${channels} values for ${channels} channel${channels > 1 ? 's' : ''}, got ${v.length}`);
    if (v.some((x) => !Number.isFinite(x))) throw new RangeError(`${what} values must be finite numbers, got ${v.join(', ')}`);
    return Float32Array.from({ length: channels }, (_, c) => v[v.length === 1 ? 0 : c]);
  };
  const mean = perChannel(t.mean, 0, 'mean');
  const std = perChannel(t.std, 1, 'std');
  if (std.some((s) => s === 0)) throw new RangeError('std must not contain 0 (Normalize divides by it)');
  const layout = t.layout ?? 'nchw';
  if (layout !== 'nchw' && layout !== 'nhwc') throw new RangeError(`layout must be nchw or nhwc, got ${String(layout)}`);
  const interpolation = t.interpolation ?? 'bilinear';
  if (!['bilinear', 'bicubic', 'lanczos'].includes(interpolation)) throw new RangeError(`interpolation must be bilinear, bicubic or lanczos, got ${String(interpolation)}`);
  return { resize: t.resize, interpolation, centerCrop: t.centerCrop, channels, mean, std, layout };
}

/** torchvision's output size of `Resize(size)` for a `width × height` image, as [width, height]. */
export function resizedSize(width: number, height: number, resize: number | readonly [number, number]): [number, number] {
  if (typeof resize !== 'number') return [resize[1], resize[0]];
  const [short, long] = width <= height ? [width, height] : [height, width];
  const newLong = Math.trunc((resize * long) / short);
  return width <= height ? [resize, newLong] : [newLong, resize];
}

/** Python's round(): halves go to the even neighbour (torchvision's crop offsets use it). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** torchvision's `center_crop` on a PIL image: zero padding when the crop is larger, then the crop. */
export function centerCropPixels(img: RgbImage, cropH: number, cropW: number): RgbImage {
  let { width, height, data } = img;
  if (cropW > width || cropH > height) {
    const left = cropW > width ? Math.floor((cropW - width) / 2) : 0;
    const top = cropH > height ? Math.floor((cropH - height) / 2) : 0;
    const right = cropW > width ? Math.floor((cropW - width + 1) / 2) : 0;
    const bottom = cropH > height ? Math.floor((cropH - height + 1) / 2) : 0;
    const pw = width + left + right;
    const ph = height + top + bottom;
    const padded = new Uint8Array(pw * ph * 3);
    for (let y = 0; y < height; y++) padded.set(data.subarray(y * width * 3, (y + 1) * width * 3), ((y + top) * pw + left) * 3);
    width = pw;
    height = ph;
    data = padded;
    if (width === cropW && height === cropH) return { width, height, data };
  }
  const top = roundHalfEven((height - cropH) / 2);
  const left = roundHalfEven((width - cropW) / 2);
  const out = new Uint8Array(cropW * cropH * 3);
  for (let y = 0; y < cropH; y++) out.set(data.subarray(((y + top) * width + left) * 3, ((y + top) * width + left + cropW) * 3), y * cropW * 3);
  return { width: cropW, height: cropH, data: out };
}

/** The output size [height, width] of a transform for an image of `width × height`. */
export function outputSize(t: ResolvedTransform, width: number, height: number): [number, number] {
  let w = width;
  let h = height;
  if (t.resize !== undefined) [w, h] = resizedSize(w, h, t.resize);
  if (t.centerCrop) [h, w] = [t.centerCrop[0], t.centerCrop[1]];
  return [h, w];
}

/**
 * Applies the transform to an RGB image and writes the float32 sample into `out` at `offset`:
 * resize (Pillow's resampling), centre crop, luma, then `ToTensor` (uint8 / 255 in float32) and `Normalize`
 * ((x − mean) / std, each step rounded to float32, as torch computes it), in NCHW or NHWC order.
 * Returns the number of values written (channels · height · width).
 */
export function transformInto(img: RgbImage, t: ResolvedTransform, out: Float32Array, offset: number): number {
  let cur = img;
  if (t.resize !== undefined) {
    const [w, h] = resizedSize(cur.width, cur.height, t.resize);
    if (w !== cur.width || h !== cur.height) cur = { width: w, height: h, data: resizePixels(cur.data, cur.width, cur.height, 3, w, h, t.interpolation) };
  }
  if (t.centerCrop) cur = centerCropPixels(cur, t.centerCrop[0], t.centerCrop[1]);
  const { width, height, data } = cur;
  const P = width * height;
  const C = t.channels;
  const f = Math.fround;
  // Per channel and byte value, the normalized float32: a 256-entry table (same operations, same rounding).
  const table = new Float32Array(256 * C);
  for (let c = 0; c < C; c++) for (let v = 0; v < 256; v++) table[c * 256 + v] = f(f(f(v / 255) - t.mean[c]) / t.std[c]);
  if (C === 1) {
    for (let p = 0; p < P; p++) {
      const q = p * 3;
      out[offset + p] = table[(data[q] * 19595 + data[q + 1] * 38470 + data[q + 2] * 7471 + 0x8000) >> 16];
    }
  } else if (t.layout === 'nchw') {
    for (let p = 0; p < P; p++) {
      const q = p * 3;
      out[offset + p] = table[data[q]];
      out[offset + P + p] = table[256 + data[q + 1]];
      out[offset + 2 * P + p] = table[512 + data[q + 2]];
    }
  } else {
    for (let i = 0; i < P * 3; i += 3) {
      out[offset + i] = table[data[i]];
      out[offset + i + 1] = table[256 + data[i + 1]];
      out[offset + i + 2] = table[512 + data[i + 2]];
    }
  }
  return P * C;
}
