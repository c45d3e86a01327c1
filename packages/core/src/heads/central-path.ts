import { NcInputError } from '../errors.js';
import type { MeansStatistics } from '../statistics/means.js';
import type { ScatterStatistics } from '../statistics/scatter.js';
import type { Classifier } from '../types.js';
import { assertFinite } from '../validate/batch.js';
import { leastSquaresClassifier, moments, resolveTargets, type LeastSquaresClassifier } from './least-squares.js';

/** Options of {@link centralPath}. */
export interface CentralPathOptions {
  /** Ridge λ ≥ 0 of the regularised MSE loss (the last layer's weight decay). */
  lambda: number;
  /** Class targets, K × K_out (default one-hot); see {@link leastSquaresClassifier}. */
  targets?: ArrayLike<number>;
}

/** The MSE loss of a classifier split as on Han, Papyan & Donoho's central path. All terms ≥ 0. */
export interface CentralPath {
  /** L_NC1 = ½ Tr(W_LS Σ_W W_LSᵀ): the within-class variability the LS classifier still sees. */
  lNC1: number;
  /** L_NC2/3 = ½ Σ_k π_k ‖W_LS μ_k + b_LS − t_k‖² + (λ/2)(‖W_LS‖² + ‖b_LS‖²). Includes `ridgeLS`. */
  lNC23: number;
  /** L⊥ = ½ ‖[W − W_LS, b − b_LS]‖²_A: the distance of (W, b) from the LS classifier (see {@link centralPath}). */
  lPerp: number;
  /** The regularised MSE loss of (W, b), evaluated directly from the statistics; = lNC1 + lNC23 + lPerp. */
  loss: number;
  /** L_LS = lNC1 + lNC23: the loss the LS classifier would have on these features. */
  lossLS: number;
  /** The ridge part of lNC23, (λ/2)(‖W_LS‖² + ‖b_LS‖²), for readers who place it elsewhere. */
  ridgeLS: number;
  /** The least-squares classifier the split is taken against. */
  leastSquares: LeastSquaresClassifier;
}

/**
 * The decomposition of the regularised MSE loss along the central path (Han, Papyan & Donoho 2022, ICLR):
 * for features H and a linear classifier (W, b),
 *
 *   L(W, b) = (1/2N) Σ_i ‖W h_i + b − t_{y_i}‖² + (λ/2)(‖W‖² + ‖b‖²) = L_NC1 + L_NC2/3 + L⊥.
 *
 * Derivation (π_k = n_k/N; weighted form, valid for imbalanced classes). Within class k the residuals split into
 * a centred part and a class-mean part whose cross term sums to zero, so for ANY (W, b)
 *
 *   L(W, b) = ½ Tr(W Σ_W Wᵀ) + ½ Σ_k π_k ‖W μ_k + b − t_k‖² + (λ/2)(‖W‖² + ‖b‖²),   Σ_W = S_W / N.
 *
 * L is a quadratic in Θ = [W b] with Hessian A = [[Σ_T + μ_Gμ_Gᵀ + λI, μ_G], [μ_Gᵀ, 1 + λ]] (the features'
 * augmented second moment plus ridge), minimised by the LS classifier Θ_LS. Hence exactly
 *
 *   L(Θ) = L(Θ_LS) + ½ Tr((Θ − Θ_LS) A (Θ − Θ_LS)ᵀ),
 *   L⊥ = ½ [ Tr(ΔW Σ_W ΔWᵀ) + Σ_k π_k ‖ΔW μ_k + Δb‖² + λ(‖ΔW‖² + ‖Δb‖²) ]   (Δ = Θ − Θ_LS),
 *
 * and L(Θ_LS) splits by the first identity into L_NC1 = ½ Tr(W_LS Σ_W W_LSᵀ) (zero under NC1) and
 * L_NC2/3 = ½ Σ_k π_k ‖W_LS μ_k + b_LS − t_k‖² + ridge (the class means' fit: small when the means form a simplex
 * ETF the classifier is dual to). For balanced classes π_k = 1/K and the class term is Han et al.'s
 * (1/2K)‖W_LS M + b_LS 1ᵀ − I‖²; for imbalanced classes each class term carries its frequency n_k/N, because the
 * loss is an average over samples. We put the LS classifier's ridge penalty in L_NC2/3 (reported separately as
 * `ridgeLS`) so that the three terms add up to the loss. Each term is computed directly (L⊥ from Δ, not as a
 * difference), so all are non-negative and accurate when small.
 *
 * `classifier` has K_out rows (K_out = columns of the targets, K by default) and the statistics' D columns.
 */
export function centralPath(stats: ScatterStatistics, classifier: Classifier, options: CentralPathOptions): CentralPath {
  const { K, D } = stats;
  const { outputs: Ko, T } = resolveTargets(options.targets, K);
  const { weights, bias } = classifier;
  if (weights.length !== Ko * D) {
    throw new NcInputError('SHAPE', `classifier weights have ${weights.length} values; expected K_out × D = ${Ko} × ${D} = ${Ko * D} (rows are classes)`);
  }
  if (bias && bias.length !== Ko) throw new NcInputError('SHAPE', `classifier bias has ${bias.length} values; expected K_out = ${Ko}`);
  assertFinite(weights, D, 'classifier weights');
  if (bias) assertFinite(bias, 1, 'classifier bias');
  const ls = leastSquaresClassifier(stats, options);
  const lambda = options.lambda;
  const { pi, N } = moments(stats);
  const W = Float64Array.from(weights);
  const b = bias ? Float64Array.from(bias) : new Float64Array(Ko);
  const dW = new Float64Array(Ko * D);
  for (let i = 0; i < dW.length; i++) dW[i] = W[i] - ls.weights[i];
  const db = Float64Array.from(b, (v, j) => v - ls.bias[j]);
  const zeroT = new Float64Array(K * Ko);

  const lNC1 = 0.5 * withinQuadratic(stats.withinScatter, ls.weights, Ko, D) / N;
  const ridgeLS = 0.5 * lambda * (sumSq(ls.weights) + sumSq(ls.bias));
  const lNC23 = 0.5 * meansResidual(stats, pi, ls.weights, ls.bias, T, Ko) + ridgeLS;
  const lPerp = 0.5 * (withinQuadratic(stats.withinScatter, dW, Ko, D) / N + meansResidual(stats, pi, dW, db, zeroT, Ko) + lambda * (sumSq(dW) + sumSq(db)));
  const loss = 0.5 * (withinQuadratic(stats.withinScatter, W, Ko, D) / N + meansResidual(stats, pi, W, b, T, Ko) + lambda * (sumSq(W) + sumSq(b)));
  return { lNC1, lNC23, lPerp, loss, lossLS: lNC1 + lNC23, ridgeLS, leastSquares: ls };
}

/**
 * The central-path terms as report metrics (`centralPathNC1`, `centralPathNC23`, `centralPathPerp`,
 * `centralPathLoss`). With `means`, checks first that the scatter statistics come from the same samples.
 */
export function centralPathMetrics(
  stats: ScatterStatistics,
  classifier: Classifier,
  options: CentralPathOptions,
  means?: MeansStatistics,
): { centralPathNC1: number; centralPathNC23: number; centralPathPerp: number; centralPathLoss: number } {
  if (means) {
    if (means.K !== stats.K || means.D !== stats.D) {
      throw new NcInputError('STATS_MISMATCH', `scatter statistics are K = ${stats.K}, D = ${stats.D} but means are K = ${means.K}, D = ${means.D}`);
    }
    for (let k = 0; k < stats.K; k++) {
      if (means.counts[k] !== stats.counts[k]) {
        throw new NcInputError('STATS_MISMATCH', `class ${k}: the scatter statistics saw ${stats.counts[k]} samples but the means phase ${means.counts[k]}; both must read the same data`);
      }
    }
  }
  const cp = centralPath(stats, classifier, options);
  return { centralPathNC1: cp.lNC1, centralPathNC23: cp.lNC23, centralPathPerp: cp.lPerp, centralPathLoss: cp.loss };
}

/** Σ_j w_jᵀ S w_j for the rows w_j of W (m × D); S is read row by row once for all m rows of W. */
function withinQuadratic(S: Float64Array, W: Float64Array, m: number, D: number): number {
  const SW = new Float64Array(m * D); // row j = (S w_j)ᵀ = w_jᵀ S (S symmetric)
  for (let r = 0; r < D; r++) {
    const row = r * D;
    for (let j = 0; j < m; j++) {
      const f = W[j * D + r];
      if (f === 0) continue;
      const o = j * D;
      for (let c = 0; c < D; c++) SW[o + c] += f * S[row + c];
    }
  }
  let total = 0;
  for (let i = 0; i < m * D; i++) total += W[i] * SW[i];
  return total;
}

/** Σ_k π_k ‖W μ_k + b − t_k‖² (classes with π_k = 0 contribute nothing). */
function meansResidual(stats: ScatterStatistics, pi: Float64Array, W: Float64Array, b: Float64Array, T: Float64Array, m: number): number {
  const { K, D } = stats;
  let total = 0;
  for (let k = 0; k < K; k++) {
    if (pi[k] === 0) continue;
    const mu = stats.means.subarray(k * D, (k + 1) * D);
    let s = 0;
    for (let j = 0; j < m; j++) {
      let z = b[j] - T[k * m + j];
      for (let t = 0; t < D; t++) z += W[j * D + t] * mu[t];
      s += z * z;
    }
    total += pi[k] * s;
  }
  return total;
}

function sumSq(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}
