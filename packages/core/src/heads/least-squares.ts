import { NcInputError } from '../errors.js';
import { choleskyFactor, choleskySolveRows } from '../linalg/cholesky.js';
import { addOuters } from '../linalg/outer.js';
import type { ScatterStatistics } from '../statistics/scatter.js';

/** Options of {@link leastSquaresClassifier}. */
export interface LeastSquaresOptions {
  /** Ridge λ ≥ 0 on both W and b (weight decay of the last layer). λ = 0 needs a non-singular Σ_T. */
  lambda: number;
  /**
   * Target of each class: K × K_out row-major, row k = the output vector samples of class k should produce.
   * Default: one-hot (the identity, K_out = K). {@link labelSmoothingTargets} gives MSE label smoothing.
   */
  targets?: ArrayLike<number>;
}

/** A least-squares classifier z = W h + b with the quantities it was solved from. */
export interface LeastSquaresClassifier {
  /** W, K_out × D row-major (PyTorch nn.Linear layout). */
  weights: Float64Array;
  /** b, length K_out. */
  bias: Float64Array;
  /** K_out: number of outputs (columns of the targets). */
  outputs: number;
  lambda: number;
}

/**
 * The ridge least-squares classifier of the features (DESIGN.md; Han, Papyan & Donoho 2022; Webb & Lowe 1990),
 * from sufficient statistics alone:
 *
 *   [W b] = argmin (1/2N) Σ_i ‖W h_i + b − t_{y_i}‖² + (λ/2)(‖W‖_F² + ‖b‖²),
 *
 * with t_k the target of class k (one-hot by default). With π_k = n_k/N, the sample mean μ_G = Σ_k π_k μ_k,
 * μ̃_k = μ_k − μ_G and Σ_T = S_W/N + Σ_k π_k μ̃_k μ̃_kᵀ, the normal equations in (W, b) reduce, after eliminating
 * b = (β − W μ_G)/(1+λ) with β = Σ_k π_k t_k, to the D × D system
 *
 *   W G = R,   G = Σ_T + (λ/(1+λ)) μ_G μ_Gᵀ + λ I,   R = Σ_k π_k t_k μ̃_kᵀ + (λ/(1+λ)) β μ_Gᵀ.
 *
 * For balanced one-hot classes this is exactly Han et al.'s closed form
 * W_LS = (1/K)(Mᵀ − 1μ_Gᵀ/(1+λ)) G⁻¹, b_LS = ((1/K)1 − W_LS μ_G)/(1+λ) (M the D × K matrix of class means).
 * G is assembled from centred quantities (no E[hhᵀ] − μμᵀ cancellation) and its condition is that of Σ_T + λI,
 * not of the raw second moment (which gains an eigenvalue ≈ ‖μ_G‖² when features sit far from the origin).
 * Solved by Cholesky (O(D³/3); ~1.1 s at D = 2048 on 2 cores), then K_out triangular solve pairs.
 *
 * Errors: NO_DATA without samples; SHAPE/NON_FINITE for bad targets; BAD_OPTION for λ < 0; SINGULAR when G is
 * not safely positive definite (λ = 0 with collapsed features, N ≤ D, or constant feature coordinates).
 */
export function leastSquaresClassifier(stats: ScatterStatistics, options: LeastSquaresOptions): LeastSquaresClassifier {
  const { K, D } = stats;
  const lambda = options.lambda;
  if (!(typeof lambda === 'number' && Number.isFinite(lambda) && lambda >= 0)) {
    throw new NcInputError('BAD_OPTION', `lambda must be a finite number ≥ 0, got ${lambda}`);
  }
  const { pi, N, globalMean: muG, centred } = moments(stats);
  const { T, outputs: Ko } = resolveTargets(options.targets, K);
  const c = lambda / (1 + lambda);
  // G = S_W/N + Σ_k π_k μ̃_k μ̃_kᵀ + c μ_G μ_Gᵀ + λ I (lower triangle only is read by the factorisation, fill all).
  const G = new Float64Array(D * D);
  for (let i = 0; i < D * D; i++) G[i] = stats.withinScatter[i] / N;
  const vectors: Float64Array[] = [];
  const weights: number[] = [];
  for (let k = 0; k < K; k++) if (pi[k] > 0) { vectors.push(centred.subarray(k * D, (k + 1) * D)); weights.push(pi[k]); }
  if (c > 0) { vectors.push(muG); weights.push(c); }
  addOuters(G, vectors, weights, D);
  for (let t = 0; t < D; t++) G[t * D + t] += lambda;
  // β_j = Σ_k π_k T[k][j];  R[j] = Σ_k π_k T[k][j] μ̃_k + c β_j μ_G.
  const beta = new Float64Array(Ko);
  const R = new Float64Array(Ko * D);
  for (let k = 0; k < K; k++) {
    if (pi[k] === 0) continue;
    for (let j = 0; j < Ko; j++) {
      const w = pi[k] * T[k * Ko + j];
      if (w === 0) continue;
      beta[j] += w;
      for (let t = 0; t < D; t++) R[j * D + t] += w * centred[k * D + t];
    }
  }
  if (c > 0) for (let j = 0; j < Ko; j++) for (let t = 0; t < D; t++) R[j * D + t] += c * beta[j] * muG[t];
  const fail = choleskyFactor(G, D);
  if (fail) {
    const why = lambda === 0
      ? `with lambda = 0 the features' total covariance Σ_T (D = ${D}, N = ${N}) is singular or numerically so`
        + ' (collapsed features, N ≤ D, or constant feature coordinates)'
      : `lambda = ${lambda} is too small for the scale of the features (pivot ${fail.pivot.toExponential(3)} at row ${fail.row})`;
    throw new NcInputError('SINGULAR', `least-squares classifier: ${why}; pass a ridge lambda > 0 (e.g. 1e-3 times the feature variance)`);
  }
  const W = choleskySolveRows(G, D, R, Ko);
  const bias = new Float64Array(Ko);
  for (let j = 0; j < Ko; j++) {
    let s = 0;
    for (let t = 0; t < D; t++) s += W[j * D + t] * muG[t];
    bias[j] = (beta[j] - s) / (1 + lambda);
  }
  return { weights: W, bias, outputs: Ko, lambda };
}

/**
 * Label-smoothing targets for MSE: t_k = (1 − ε) e_k + (ε/K) 1, K × K row-major.
 */
export function labelSmoothingTargets(K: number, epsilon: number): Float64Array {
  if (!(Number.isInteger(K) && K >= 1)) throw new NcInputError('BAD_OPTION', `K must be a positive integer, got ${K}`);
  if (!(epsilon >= 0 && epsilon <= 1)) throw new NcInputError('BAD_OPTION', `label smoothing epsilon must be in [0, 1], got ${epsilon}`);
  const T = new Float64Array(K * K).fill(epsilon / K);
  for (let k = 0; k < K; k++) T[k * K + k] += 1 - epsilon;
  return T;
}

/** π_k = n_k/N, N, the sample mean μ_G and centred means μ̃_k = μ_k − μ_G (0 rows for empty classes). */
export function moments(stats: ScatterStatistics): { pi: Float64Array; N: number; globalMean: Float64Array; centred: Float64Array } {
  const { K, D } = stats;
  let N = 0;
  for (let k = 0; k < K; k++) N += stats.counts[k];
  if (!(N > 0)) throw new NcInputError('NO_DATA', 'least-squares classifier: the statistics hold no samples');
  const pi = Float64Array.from(stats.counts, (n) => n / N);
  const muG = new Float64Array(D);
  for (let k = 0; k < K; k++) if (pi[k] > 0) for (let t = 0; t < D; t++) muG[t] += pi[k] * stats.means[k * D + t];
  const centred = new Float64Array(K * D);
  for (let k = 0; k < K; k++) if (pi[k] > 0) for (let t = 0; t < D; t++) centred[k * D + t] = stats.means[k * D + t] - muG[t];
  return { pi, N, globalMean: muG, centred };
}

/** Validated K × K_out targets (identity by default). */
export function resolveTargets(targets: ArrayLike<number> | undefined, K: number): { T: Float64Array; outputs: number } {
  if (targets === undefined) {
    const T = new Float64Array(K * K);
    for (let k = 0; k < K; k++) T[k * K + k] = 1;
    return { T, outputs: K };
  }
  if (targets.length === 0 || targets.length % K !== 0) {
    throw new NcInputError('SHAPE', `targets have ${targets.length} values; expected K × K_out with K = ${K} rows (one target vector per class)`);
  }
  const T = Float64Array.from(targets as ArrayLike<number>);
  for (let i = 0; i < T.length; i++) {
    if (!Number.isFinite(T[i])) throw new NcInputError('NON_FINITE', `targets row ${Math.floor(i / (T.length / K))}: value ${T[i]} is not finite`);
  }
  return { T, outputs: T.length / K };
}
