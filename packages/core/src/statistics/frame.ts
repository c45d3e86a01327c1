import type { FloatArray } from '../types.js';

/**
 * The working frame of float64 statistics: every row is summed as x = (h − o)·2^−e, with o a reference row and e an
 * integer exponent, so that float64 input far from the origin or at extreme scales keeps full precision.
 *
 * - **Why.** Class sums of rows at an offset c lose the digits the offset occupies: at +1e12 a float64 sum resolves
 *   ~1e-4, so class means 1 apart were known to 4 digits and the report called the data degenerate. Squares of
 *   rows ×1e−160 underflow to 0 and rows ×1e150 overflow in the Gram of the Gram. Every metric but a few reported
 *   sizes is invariant under a shift and a scaling of all rows, so computing on x is exact for them, and the sizes
 *   (norms ×2^e, variances ×2^2e) are converted back.
 * - **When.** Only float64 rows get a frame, and only when they need one (float32 rows are summed in float64 far
 *   below their own resolution, their squares cannot leave float64's range, and ordinary float64 rows keep their
 *   results bit for bit). The first rows an accumulator sums decide: a shift o = their column mean when the rows sit
 *   more than {@link FRAME_OFFSET_RATIO} times their own spread from the origin (it takes two rows to see that), and
 *   e = ⌊log₂ max|h − o|⌋ when that lies outside 2^±{@link FRAME_EXPONENT_FREE} (else 0). A power of two scales
 *   exactly; h − o is rounded relative to the difference itself, which is what keeps the digits.
 * - **Merging.** Statistics in different frames convert exactly up to rounding of the difference of the origins:
 *   Σ(h − o₂)2^−e₂ = 2^(e₁−e₂)·Σ(h − o₁)2^−e₁ + n·(o₁ − o₂)·2^−e₂.
 */
export interface StatisticsFrame {
  /** o, length D: subtracted from every (normalized) row before it is summed. */
  readonly origin: Float64Array;
  /** e: the shifted rows are multiplied by 2^−e (0: no scaling). */
  readonly exponent: number;
}

/** Exponents within ±this are not applied: squares and fourth powers of such rows stay far inside float64's range. */
export const FRAME_EXPONENT_FREE = 32;

/**
 * Rows whose largest entry exceeds this many times their largest deviation from the column mean are shifted: the
 * class sums then lose no more than ~8 bits to the offset without a frame (√N·ε·256 relative to the spread), and
 * beyond it they would.
 */
export const FRAME_OFFSET_RATIO = 256;

/** 2^k for any integer k in float64's range of exponents (Math.pow is exact for powers of two, but 2 ** −1074 needs care). */
export function powerOfTwo(k: number): number {
  if (k > 1023) return Infinity;
  if (k >= -1022) return 2 ** k;
  return 2 ** (k + 600) * 2 ** -600;
}

/** x·2^k without intermediate overflow or underflow while the result is representable. */
export function scaleByPowerOfTwo(x: number, k: number): number {
  if (k > 1000) return x * powerOfTwo(1000) * powerOfTwo(k - 1000);
  if (k < -1000) return x * powerOfTwo(-1000) * powerOfTwo(k + 1000);
  return x * powerOfTwo(k);
}

/**
 * The frame of rows [start, start + rows) of float64 features (D columns), or undefined when they need none (see
 * {@link StatisticsFrame}). The column mean is taken on rows pre-scaled by a power of two, so rows near float64's
 * limits do not overflow it.
 */
export function chooseFrame(x: Float64Array, start: number, rows: number, D: number): StatisticsFrame | undefined {
  const from = start * D;
  const to = (start + rows) * D;
  let max = 0;
  for (let i = from; i < to; i++) {
    const a = Math.abs(x[i]);
    if (a > max) max = a;
  }
  if (!(max > 0) || !Number.isFinite(max)) return undefined; // all zero (nothing to gain), or non-finite (refused by the accumulator)
  const pre = -Math.floor(Math.log2(max));
  const mean = new Float64Array(D);
  for (let r = 0; r < rows; r++) for (let t = 0; t < D; t++) mean[t] += scaleByPowerOfTwo(x[from + r * D + t], pre);
  for (let t = 0; t < D; t++) mean[t] = scaleByPowerOfTwo(mean[t] / rows, -pre);
  let spread = 0;
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < D; t++) {
      // Scaled first, so the difference of two huge entries cannot overflow.
      const d = Math.abs(scaleByPowerOfTwo(x[from + r * D + t], pre) - scaleByPowerOfTwo(mean[t], pre));
      if (d > spread) spread = d;
    }
  }
  spread = scaleByPowerOfTwo(spread, -pre);
  const shifted = rows >= 2 && spread > 0 && max > FRAME_OFFSET_RATIO * spread;
  const size = shifted ? spread : max;
  const e = Math.floor(Math.log2(size));
  const exponent = Math.abs(e) <= FRAME_EXPONENT_FREE ? 0 : e;
  if (!shifted && exponent === 0) return undefined;
  return { origin: shifted ? mean : new Float64Array(D), exponent };
}

/** Whether two frames are the same (both absent, or equal origins and exponents bit for bit). */
export function sameFrame(a: StatisticsFrame | undefined, b: StatisticsFrame | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.exponent !== b.exponent || a.origin.length !== b.origin.length) return false;
  for (let t = 0; t < a.origin.length; t++) if (!Object.is(a.origin[t], b.origin[t])) return false;
  return true;
}

/**
 * Writes x = (h − o)·2^−e of rows [start, start + rows) into a reusable float64 scratch (valid until the next call).
 * With e > 0 (huge rows) h and o are scaled first, so h − o cannot overflow; with e ≤ 0 the difference is taken first
 * and then magnified, exactly.
 */
export class FrameTransform {
  private scratch: Float64Array | undefined;
  private readonly scale: number;
  private readonly scaledOrigin: Float64Array;

  constructor(readonly frame: StatisticsFrame) {
    this.scale = powerOfTwo(-frame.exponent);
    this.scaledOrigin = frame.exponent > 0 ? Float64Array.from(frame.origin, (o) => scaleByPowerOfTwo(o, -frame.exponent)) : frame.origin;
  }

  /** Rows [start, start + rows) of `x` in the frame, as a rows × D view of the scratch buffer. */
  apply(x: FloatArray, start: number, rows: number, D: number): Float64Array {
    const size = rows * D;
    if (!this.scratch || this.scratch.length < size) this.scratch = new Float64Array(size);
    const out = this.scratch.subarray(0, size);
    const o = this.scaledOrigin;
    const s = this.scale;
    const e = this.frame.exponent;
    const src = start * D;
    if (e === 0) {
      for (let r = 0; r < rows; r++) for (let t = 0; t < D; t++) out[r * D + t] = x[src + r * D + t] - o[t];
    } else if (e > 0) {
      for (let r = 0; r < rows; r++) for (let t = 0; t < D; t++) out[r * D + t] = x[src + r * D + t] * s - o[t];
    } else {
      for (let r = 0; r < rows; r++) for (let t = 0; t < D; t++) out[r * D + t] = (x[src + r * D + t] - o[t]) * s;
    }
    return out;
  }
}

/**
 * Class sums Σ_{y=k} (h − o_from)·2^−e_from converted to another frame (undefined: raw sums Σ h), in a new array:
 * 2^(e_from − e_to)·sums + n_k·(o_from − o_to)·2^−e_to.
 */
export function convertSums(sums: ArrayLike<number>, counts: ArrayLike<number>, K: number, D: number, from: StatisticsFrame | undefined, to: StatisticsFrame | undefined): Float64Array {
  const out = new Float64Array(K * D);
  const eFrom = from?.exponent ?? 0;
  const eTo = to?.exponent ?? 0;
  const shift = new Float64Array(D);
  for (let t = 0; t < D; t++) {
    const a = from ? from.origin[t] : 0;
    const b = to ? to.origin[t] : 0;
    // (a − b)·2^−eTo without overflow: scale first when eTo > 0.
    shift[t] = eTo > 0 ? scaleByPowerOfTwo(a, -eTo) - scaleByPowerOfTwo(b, -eTo) : scaleByPowerOfTwo(a - b, -eTo);
  }
  for (let k = 0; k < K; k++) {
    const n = counts[k];
    for (let t = 0; t < D; t++) out[k * D + t] = scaleByPowerOfTwo(sums[k * D + t], eFrom - eTo) + n * shift[t];
  }
  return out;
}
