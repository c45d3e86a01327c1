/**
 * Pillow's resampling (`Image.resize`, libImaging/Resample.c), ported operation for operation so that a resized
 * image equals the one PIL — and so torchvision's `Resize` on PIL images — makes, bit for bit: a separable
 * convolution whose support widens with the scale factor when shrinking (antialiasing), coefficients computed in
 * float64, normalized to sum 1, turned into fixed-point integers with 22 fractional bits, and applied to 8-bit
 * samples with a rounding bias, horizontal pass first (rounded to 8 bits), then the vertical pass.
 */

/** Resampling filters with Pillow's definitions and supports. */
export type ResampleFilter = 'bilinear' | 'bicubic' | 'lanczos';

interface Filter {
  f(x: number): number;
  support: number;
}

const FILTERS: Record<ResampleFilter, Filter> = {
  bilinear: {
    support: 1,
    f(x) {
      if (x < 0) x = -x;
      return x < 1 ? 1 - x : 0;
    },
  },
  bicubic: {
    support: 2,
    f(x) {
      const a = -0.5;
      if (x < 0) x = -x;
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
  lanczos: {
    support: 3,
    f(x) {
      return -3 <= x && x < 3 ? sinc(x) * sinc(x / 3) : 0;
    },
  },
};

function sinc(x: number): number {
  if (x === 0) return 1;
  x *= Math.PI;
  return Math.sin(x) / x;
}

/** Fractional bits of the fixed-point coefficients: 32 − 8 − 2, as in Pillow. */
const PRECISION_BITS = 22;

/** One axis' taps: output i reads `count[i]` inputs from `first[i]` with integer weights `k[i·ksize …]`. */
interface Taps {
  ksize: number;
  first: Int32Array;
  count: Int32Array;
  k: Int32Array;
}

/** Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for an axis of `inSize` samples resized to `outSize`. */
function taps(inSize: number, outSize: number, filter: Filter): Taps {
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const k = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      w[x] = filter.f((x + xmin - center + 0.5) * ss);
      ww += w[x];
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? w[x] / ww : w[x];
      k[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    first[xx] = xmin;
    count[xx] = xmax;
  }
  return { ksize, first, count, k };
}

/** Pillow's clip8: the fixed-point sum shifted down, clamped to 0 … 255. */
function clip8(v: number): number {
  const s = v >> PRECISION_BITS;
  return s < 0 ? 0 : s > 255 ? 255 : s;
}

/**
 * Resizes interleaved 8-bit pixels (`channels` samples per pixel, row-major) from `width × height` to
 * `outWidth × outHeight` exactly as Pillow's `Image.resize(size, filter)` does for an 'RGB' or 'L' image
 * (no box, no reducing gap). Returns the input when the size does not change.
 */
export function resizePixels(
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  outWidth: number,
  outHeight: number,
  filterName: ResampleFilter = 'bilinear',
): Uint8Array {
  if (outWidth === width && outHeight === height) return src;
  const filter = FILTERS[filterName];
  const needH = outWidth !== width;
  const needV = outHeight !== height;
  const vt = taps(height, outHeight, filter);
  const half = 1 << (PRECISION_BITS - 1);
  let img = src;
  let rowOffset = 0; // first source row held by `img`
  if (needH) {
    const ht = taps(width, outWidth, filter);
    // Only the rows the vertical pass reads (Pillow's ybox_first … ybox_last).
    const y0 = needV ? vt.first[0] : 0;
    const y1 = needV ? vt.first[outHeight - 1] + vt.count[outHeight - 1] : height;
    const rows = y1 - y0;
    const out = new Uint8Array(outWidth * rows * channels);
    for (let y = 0; y < rows; y++) {
      const inRow = (y + y0) * width * channels;
      const outRow = y * outWidth * channels;
      for (let xx = 0; xx < outWidth; xx++) {
        const xmin = ht.first[xx];
        const n = ht.count[xx];
        const kb = xx * ht.ksize;
        const o = outRow + xx * channels;
        if (channels === 3) {
          // The three samples of a pixel in one pass over the taps (same sums, fewer loop iterations).
          let s0 = half;
          let s1 = half;
          let s2 = half;
          let p = inRow + xmin * 3;
          for (let x = 0; x < n; x++, p += 3) {
            const k = ht.k[kb + x];
            s0 += img[p] * k;
            s1 += img[p + 1] * k;
            s2 += img[p + 2] * k;
          }
          out[o] = clip8(s0);
          out[o + 1] = clip8(s1);
          out[o + 2] = clip8(s2);
          continue;
        }
        for (let c = 0; c < channels; c++) {
          let s = half;
          let p = inRow + xmin * channels + c;
          for (let x = 0; x < n; x++, p += channels) s += img[p] * ht.k[kb + x];
          out[o + c] = clip8(s);
        }
      }
    }
    img = out;
    rowOffset = y0;
    width = outWidth;
  }
  if (!needV) return img;
  const stride = width * channels;
  const out = new Uint8Array(stride * outHeight);
  // Row by row: each tap adds a whole input row into integer sums (sequential reads; integer sums in any order
  // are the same sums, so the result is Pillow's).
  const acc = new Int32Array(stride);
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = vt.first[yy] - rowOffset;
    const n = vt.count[yy];
    const kb = yy * vt.ksize;
    acc.fill(half);
    for (let y = 0; y < n; y++) {
      const k = vt.k[kb + y];
      const base = (ymin + y) * stride;
      for (let i = 0; i < stride; i++) acc[i] += img[base + i] * k;
    }
    const outRow = yy * stride;
    for (let i = 0; i < stride; i++) out[outRow + i] = clip8(acc[i]);
  }
  return out;
}
