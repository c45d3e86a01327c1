import type { NcContext } from '../context/context.js';
import { scaleByPowerOfTwo } from '../statistics/frame.js';

/**
 * Below this ratio of the centred means' RMS norm to the features' RMS norm, Σ_B counts as numerically zero: float64
 * rounding of the class sums alone leaves the means ~1e-16 of the features' scale apart, and float32 features cannot
 * resolve separations below ~6e-8 of it, so anything at 1e4·ε₆₄ ≈ 2.2e-12 is rounding, not geometry.
 */
export const DEGENERATE_RTOL = 1e4 * 2 ** -52;

/** Whether the class-mean geometry is degenerate, and the scales that decided it. */
export interface Degeneracy {
  degenerate: boolean;
  /** Why, in words (absent when not degenerate). */
  reason?: string;
  /** RMS of ‖μ̃_k‖ over the classes, √(Tr Σ_B). */
  betweenScale: number;
  /** RMS of ‖h_i‖ over the samples (from the means alone when the spread phase is missing); of ‖h_i − o‖ in a working frame. */
  featureScale: number;
}

/**
 * Degenerate geometry is not collapse: all-zero features, a single distinct feature vector, or class means that
 * coincide make Σ_B vanish, and NC1 = Tr(Σ_W Σ_B⁺)/K would read 0 ("collapsed") or noise. Degenerate when fewer than two
 * class means are distinct, or when √(Tr Σ_B) ≤ {@link DEGENERATE_RTOL} · RMS‖h‖ (Σ_B numerically zero relative to the
 * features' scale). Reports then say so (`degenerate: true`, a warning) and give NaN (null in JSON) for the ratios that
 * divide by the between-class geometry.
 */
export function degeneracy(ctx: NcContext): Degeneracy {
  const { K, D, means, counts, N } = ctx;
  let distinct = false;
  for (let k = 1; k < K && !distinct; k++) {
    for (let t = 0; t < D; t++) {
      if (means[k * D + t] !== means[t]) {
        distinct = true;
        break;
      }
    }
  }
  let between = 0;
  for (let k = 0; k < K; k++) between += ctx.meanNormsSq[k];
  const betweenScale = Math.sqrt(between / K);
  let total = 0;
  for (let k = 0; k < K; k++) {
    let s = 0;
    for (let t = 0; t < D; t++) s += means[k * D + t] ** 2;
    total += counts[k] * s + (ctx.spread ? ctx.spread.withinSS[k] : 0);
  }
  const featureScale = Math.sqrt(total / N);
  // In a working frame (statistics/frame.ts) the scales are those of x = (h − o)·2^−e — the rounding of the class sums
  // is relative to them, not to ‖h‖ — and are given back in feature units.
  const e = ctx.frame?.exponent ?? 0;
  const scales = { betweenScale: scaleByPowerOfTwo(betweenScale, e), featureScale: scaleByPowerOfTwo(featureScale, e) };
  const rms = ctx.frame ? 'RMS ‖h − o‖ (o: the frame origin)' : 'RMS ‖h‖';
  if (!distinct) return { degenerate: true, reason: `all ${K} class means are identical`, ...scales };
  if (betweenScale <= DEGENERATE_RTOL * featureScale) {
    return { degenerate: true, reason: `the class means coincide to rounding (RMS ‖μ̃_k‖ = ${scales.betweenScale.toExponential(2)} against ${rms} = ${scales.featureScale.toExponential(2)}; Σ_B is numerically zero)`, ...scales };
  }
  return { degenerate: false, ...scales };
}

/** Whether the classifier's rows are degenerate, and the scales that decided it. */
export interface ClassifierDegeneracy {
  degenerate: boolean;
  /** Why, in words (absent when not degenerate). */
  reason?: string;
  /** RMS of ‖w_k − w̄‖ over the kept classes (w̄ the mean row). */
  spreadScale: number;
  /** RMS of ‖w_k‖. */
  rowScale: number;
}

/**
 * A classifier whose rows are all zero, or all equal (to rounding: RMS ‖w_k − w̄‖ ≤ {@link DEGENERATE_RTOL} · RMS ‖w_k‖),
 * has no geometry: its cosines and norm ratios are 0/0, and the products with the means read as agreement —
 * UNC3 = 0 "aligned alike", NC0 = 0 "rows sum to zero". Reports then flag it (`degenerateParts: ['classifier']`, a
 * warning) and give NaN (null in JSON) for the metrics of the classifier's geometry. Its decisions (NC4, classifier
 * accuracy) stay: they are what the classifier does. Undefined without a classifier.
 */
export function classifierDegeneracy(ctx: NcContext): ClassifierDegeneracy | undefined {
  const W = ctx.weights;
  if (!W) return undefined;
  const { K, D } = ctx;
  const mean = new Float64Array(D);
  for (let k = 0; k < K; k++) for (let t = 0; t < D; t++) mean[t] += W[k * D + t] / K;
  let rows = 0;
  let spread = 0;
  let distinct = false;
  for (let k = 0; k < K; k++) {
    for (let t = 0; t < D; t++) {
      const w = W[k * D + t];
      rows += w * w;
      spread += (w - mean[t]) ** 2;
      if (w !== W[t]) distinct = true;
    }
  }
  const rowScale = Math.sqrt(rows / K);
  const spreadScale = Math.sqrt(spread / K);
  if (rowScale === 0) return { degenerate: true, reason: `every classifier row is zero (W = 0)`, spreadScale, rowScale };
  if (!distinct) return { degenerate: true, reason: `all ${K} classifier rows are identical`, spreadScale, rowScale };
  if (spreadScale <= DEGENERATE_RTOL * rowScale) {
    return { degenerate: true, reason: `the classifier rows coincide to rounding (RMS ‖w_k − w̄‖ = ${spreadScale.toExponential(2)} against RMS ‖w_k‖ = ${rowScale.toExponential(2)})`, spreadScale, rowScale };
  }
  return { degenerate: false, spreadScale, rowScale };
}
