import type { FloatArray } from '../types.js';

/**
 * The space the spread phase's scatter lives in (DESIGN.md "choose the smaller space"):
 * - `'means'` (K ≤ D): coordinates p = M_s r against the K shifted class means, scatter Σ p pᵀ (K × K);
 * - `'features'` (D < K): the residual r itself, scatter Σ r rᵀ = S_W (D × D).
 * Both hold the within-class covariance seen from the span of the class means exactly; the smaller is chosen.
 */
export type ScatterSpace = 'means' | 'features';

/**
 * Everything a spread kernel needs, as plain numbers (no statistics types: the engine layer sits below them).
 * For row i of a chunk with centre index c_i:
 *
 *   r_i = h_i − centres[c_i]                       (residual, formed in float64 or with a hi + lo float32 split)
 *   b_i = M_s r_i  ('means' space)  or  r_i  ('features' space)        (the row's coordinates, length m)
 *   ‖r_i‖²,  Σ_i b_i b_iᵀ (m × m),  and with `quadratic`: q_i = ‖T b_i‖²  (T = quadratic.map, rows × m)
 *
 * With `decisions` (only when the centres are the class means, so c_i is the class y_i):
 *   NCC_i = argmin over present k of ‖h_i − μ_k‖²,  CLF_i = argmax_k (W h_i + b)_k,  CLFNB_i = argmax_k (W h_i)_k,
 * computed in 'means' space from Z = R [M_s; W]ᵀ with K × K tables indexed by y (residual form, accurate when
 * features are collapsed), and in 'features' space from Z = X [M_s; W]ᵀ with X = H − s and K-vector offsets
 * (no K × K table). Ties go to the lowest class index.
 */
export interface SpreadPlan {
  readonly K: number;
  readonly D: number;
  readonly space: ScatterSpace;
  /** m: K ('means') or D ('features'). */
  readonly m: number;
  /** Residual centres, J × D float64 (the class means μ_k for the standard spread phase, J = K). */
  readonly centres: Float64Array;
  readonly J: number;
  /** s: the class-uniform mean of the present classes' means (D). */
  readonly shift: Float64Array;
  /** M_s: μ_k − s, K × D (zero rows for classes without samples). */
  readonly shiftedMeans: Float64Array;
  /** Per-row quadratic form q_i = ‖T b_i‖², T row-major `rows × m` (float64). */
  readonly quadratic?: { readonly map: Float64Array; readonly rows: number };
  readonly decisions?: SpreadDecisions;
  /**
   * With rows in a working frame (x = (h − o)·2^−e, statistics/frame.ts): ‖o‖·2^−e, the size of the origin term the
   * classifier offsets carry; the tie bound of the decisions adds it to every anchor norm. Absent: 0.
   */
  readonly anchorOffsetNorm?: number;
}

/** Tables for the NCC and classifier decisions (see {@link SpreadPlan}). */
export interface SpreadDecisions {
  /** Classes with samples in phase 1 (NCC never picks another). */
  readonly present: Uint8Array;
  /** 'means' space: ‖μ_y − μ_k‖² at [y, k], K × K. */
  readonly pairDistSq?: Float64Array;
  /** 'features' space: ‖m_k‖² (K). */
  readonly meanSqNorms?: Float64Array;
  readonly classifier?: {
    /** W, K × D as given. */
    readonly weights: FloatArray;
    /** 'means': w_k·μ_y + b_k at [y, k] (K × K); 'features': w_k·s + b_k (K). */
    readonly offset: Float64Array;
    /** The same without the bias. */
    readonly offsetNoBias: Float64Array;
    /** b (K; zeros without a bias). */
    readonly bias: Float64Array;
  };
}

/**
 * The factors of the rounding bound within which classifier scores count as tied, (D + 2)·ε·max‖w_k‖·(‖x‖ + ‖c‖):
 * max_k ‖w_k‖ (0 without a classifier) and ‖c‖ of the point rows are taken relative to when the scores are
 * assembled — per class μ_y ('means' space, K values) or the shift s ('features', one value). Every spread kernel
 * applies the same rule (lowest index within the bound of the row's best) with the ε of its precision.
 */
export function decisionTieFactors(plan: SpreadPlan): { maxWeightNorm: number; anchorNorms: Float64Array } {
  const { K, D, space } = plan;
  const W = plan.decisions?.classifier?.weights;
  let maxWeightNorm = 0;
  if (W) {
    for (let k = 0; k < K; k++) {
      let n = 0;
      for (let t = 0; t < D; t++) n += W[k * D + t] ** 2;
      maxWeightNorm = Math.max(maxWeightNorm, Math.sqrt(n));
    }
  }
  const anchors = space === 'means' ? plan.centres : plan.shift;
  const anchorNorms = new Float64Array(space === 'means' ? K : 1);
  for (let a = 0; a < anchorNorms.length; a++) {
    let n = 0;
    for (let t = 0; t < D; t++) n += anchors[a * D + t] ** 2;
    anchorNorms[a] = Math.sqrt(n) + (plan.anchorOffsetNorm ?? 0);
  }
  return { maxWeightNorm, anchorNorms };
}
