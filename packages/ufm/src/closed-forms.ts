import { rowLoss, type ResolvedLoss } from './losses.js';
import { resolveProblem, type Problem, type ProblemOptions } from './problem.js';

/**
 * What a paper's theorem predicts for the global minimizer of a UFM problem: the mean logit at the true class
 * and at the others (over samples), the squared Frobenius norms of W and H, and the geometry.
 */
export interface ClosedForm {
  /** Where the prediction comes from (paper, and the derivation when ncscope filled a gap). */
  source: string;
  /** Geometry of the minimizer: class means and classifier rows. */
  structure: 'simplex ETF' | 'orthogonal frame' | 'ETF + common offset' | 'zero';
  logits: { trueMean: number; otherMean: number };
  norms: { W: number; H: number };
  /** The scalars of the formula (c, δ, β for MSE; p, the true-class logit, for the softmax losses). */
  parameters: Record<string, number>;
}

/**
 * The closed-form (or one-dimensional) global minimizer of a UFM problem where the papers give one, else null.
 *
 * **MSE** (k = 1, any M; balanced; bias none, regularized or free; D ≥ K). Write the loss as (a/2)‖z − M e_y‖², so
 * a = 2/K for ncscope's (1/K)‖z − M e_y‖² (the tfjs loss) and a = 1 for the papers' ½‖z − e_y‖². Minimizing over W, H
 * with WH = Z fixed gives √(λ_Wλ_H)‖Z‖_* (nuclear norm), and at the minimizer λ_W‖W‖² = λ_H‖H‖² = √(λ_Wλ_H)‖Z‖_*. The
 * problem is jointly convex in (Z, b), and splits along Ỹ (one-hot minus 1/K, singular values √n) and along 11ᵀ:
 *   Z = c Ỹ + δ 11ᵀ,  b = β 1,  with  s = √(λ_Wλ_H K N),
 *   c = max(0, M − s/a)                                             (Tirer & Bruna 2022; Zhou et al. 2022)
 *   β = a(M/K − δ)/(a + λ_b),  δ = max(0, M/K − s/(K a_eff)),  a_eff = aλ_b/(a + λ_b)   (ncscope's derivation)
 * so bias none (λ_b = ∞) gives δ = c/K and Z = cY: the issue's c = 1 − K√(nλ_Wλ_H) at a = 1, an orthogonal frame;
 * bias free (λ_b = 0) gives δ = 0, β = M/K: a simplex ETF; a regularized bias gives the ETF exactly when
 * λ_b/(a + λ_b) ≤ s/M, otherwise an ETF plus a common offset along 1. ‖Z‖_* = c(K−1)√n + δ√(KN).
 * Imbalanced counts with bias none: soft-thresholding of Y row by row, z_{i,y} = max(0, M − s_N/(a√n_y)) with
 * s_N = N√(λ_Wλ_H), other logits 0; classes below the threshold collapse to zero (orthogonal frame otherwise).
 *
 * **CE, LS, FL** (balanced, D ≥ K − 1, any bias; Zhu et al. 2021 for CE, Zhou et al. 2022 for LS and FL): the
 * minimizer is a simplex ETF with h_i ∥ w_{y_i}, logits p at the true class and −p/(K−1) elsewhere, b = 0 (a free bias
 * keeps its initial mean, which simulateUfm starts at 0), λ_W K‖w‖² = λ_H N‖h‖², and p minimizes the scalar
 *   ℓ(p·u) + p √(λ_Wλ_H K N),  u = e_y − (1 − e_y)/(K − 1),
 * solved here to float64 precision (grid for the global minimum, then bisection on the derivative).
 * ‖W‖² = p√(λ_H N K/λ_W), ‖H‖² = p√(λ_W N K/λ_H).
 *
 * **Normalized** (Yaras et al. 2022; CE, FL, and LS while its target margin is out of reach; balanced, D ≥ K − 1):
 * the ETF on the spheres, logits τ_hτ_w and −τ_hτ_w/(K−1), ‖W‖² = Kτ_w², ‖H‖² = Nτ_h². Label smoothing's loss is
 * smallest at the logit margin z_y − z_j = log((1 − α + α/K)/(α/K)); when the ETF's margin τ_hτ_w K/(K−1) exceeds it,
 * many configurations reach that margin (the minimizer is not unique and need not collapse): null.
 *
 * Extended and graph models: null (their minimizers are characterized structurally, not in closed form here).
 */
export function closedForm(problem: Problem): ClosedForm | null {
  const { K, D, N, counts, loss } = problem;
  if (problem.extended || problem.graph) return null;
  const balanced = counts.every((c) => c === counts[0]);
  if (problem.normalized) {
    if (loss.kind === 'mse' || !balanced || D < K - 1) return null;
    const { tauH, tauW } = problem.normalized;
    const p = tauH * tauW;
    if (loss.kind === 'ls' && loss.alpha > 0 && (p * K) / (K - 1) > Math.log((1 - loss.alpha + loss.alpha / K) / (loss.alpha / K))) return null;
    return {
      source: 'Yaras et al. 2022: on the spheres the global minimizers are simplex ETFs with h_i = (τ_h/τ_w) w_{y_i}',
      structure: 'simplex ETF',
      logits: { trueMean: p, otherMean: -p / (K - 1) },
      norms: { W: K * tauW * tauW, H: N * tauH * tauH },
      parameters: { p },
    };
  }
  if (loss.kind === 'mse') return mseClosedForm(problem, balanced);
  if (!balanced || D < K - 1) return null;
  return softmaxClosedForm(problem, loss);
}

/** MSE closed forms (see {@link closedForm}). */
function mseClosedForm(problem: Problem, balanced: boolean): ClosedForm | null {
  const { K, D, N, counts, lambdaW, lambdaH, lambdaB, bias } = problem;
  const loss = problem.loss as Extract<ResolvedLoss, { kind: 'mse' }>;
  if (loss.scale !== 1) return null;
  const M = loss.M;
  const a = 2 / K;
  const root = Math.sqrt(lambdaW * lambdaH);
  const wOverH = Math.sqrt(lambdaH / lambdaW);
  if (!balanced) {
    if (bias !== 'none' || D < K) return null;
    const sN = N * root;
    const c = counts.map((n) => Math.max(0, M - sN / (a * Math.sqrt(n))));
    const nuclear = counts.reduce((s, n, k) => s + Math.sqrt(n) * c[k], 0);
    return {
      source: 'soft-thresholding of the one-hot matrix (nuclear-norm shrinkage, Tirer & Bruna 2022), row by row for imbalanced counts',
      structure: c.every((x) => x > 0) ? 'orthogonal frame' : 'zero',
      logits: { trueMean: counts.reduce((s, n, k) => s + n * c[k], 0) / N, otherMean: 0 },
      norms: { W: wOverH * nuclear, H: nuclear / wOverH },
      parameters: Object.fromEntries(c.map((x, k) => [`c${k}`, x])),
    };
  }
  const n = counts[0];
  const s = root * Math.sqrt(K * N);
  const c = Math.max(0, M - s / a);
  let delta: number;
  let beta: number;
  if (bias === 'none') {
    delta = Math.max(0, M / K - s / (K * a));
    beta = 0;
  } else if (bias === 'free') {
    delta = 0;
    beta = M / K;
  } else {
    const aEff = (a * lambdaB) / (a + lambdaB);
    delta = aEff > 0 ? Math.max(0, M / K - s / (K * aEff)) : 0;
    beta = (a * (M / K - delta)) / (a + lambdaB);
  }
  if (delta > 0 && D < K) return null;
  const nuclear = c * (K - 1) * Math.sqrt(n) + delta * Math.sqrt(K * N);
  const structure = c === 0 && delta === 0 ? 'zero' : delta === 0 ? 'simplex ETF' : Math.abs(delta - c / K) <= 1e-15 * Math.max(1, c) ? 'orthogonal frame' : 'ETF + common offset';
  return {
    source: 'nuclear-norm shrinkage of Y (Tirer & Bruna 2022; Zhou et al. 2022: c = 1 − K√(nλ_Wλ_H) for ½‖z − e_y‖² without bias); bias terms derived in ncscope (closed-forms.ts)',
    structure,
    logits: { trueMean: c * (1 - 1 / K) + delta + beta, otherMean: -c / K + delta + beta },
    norms: { W: wOverH * nuclear, H: nuclear / wOverH },
    parameters: { c, delta, beta, a },
  };
}

/** The CE / LS / FL minimizer: a simplex ETF whose scale p solves a scalar problem (see {@link closedForm}). */
function softmaxClosedForm(problem: Problem, loss: ResolvedLoss): ClosedForm {
  const { K, N, lambdaW, lambdaH } = problem;
  const s = Math.sqrt(lambdaW * lambdaH * K * N);
  const row = rowLoss(loss, K);
  const u = Float64Array.from({ length: K }, (_, k) => (k === 0 ? 1 : -1 / (K - 1)));
  const z = new Float64Array(K);
  const g = new Float64Array(K);
  const at = (p: number) => {
    for (let k = 0; k < K; k++) z[k] = p * u[k];
    g.fill(0);
    const value = row.value(z, 0, 0, g);
    let slope = 0;
    for (let k = 0; k < K; k++) slope += g[k] * u[k];
    return { f: value + s * p, df: slope + s };
  };
  // Bracket: the derivative turns positive for good once ℓ'(p) > −s (ℓ' → 0⁻ for CE and FL; LS has a finite optimum).
  let hi = 1;
  while (at(hi).df <= 0 && hi < 1e6) hi *= 2;
  // Global minimum on a grid (FL need not be convex in p), then bisection on f' inside the best cell.
  const cells = 4096;
  let best = 0;
  let bestF = at(0).f;
  for (let j = 1; j <= cells; j++) {
    const p = (hi * j) / cells;
    const f = at(p).f;
    if (f < bestF) {
      bestF = f;
      best = j;
    }
  }
  let p = 0;
  if (best > 0) {
    let lo = (hi * (best - 1)) / cells;
    let up = Math.min(hi, (hi * (best + 1)) / cells);
    if (at(lo).df < 0 && at(up).df > 0) {
      for (let it = 0; it < 200 && up - lo > 1e-17 * up; it++) {
        const mid = 0.5 * (lo + up);
        if (at(mid).df < 0) lo = mid;
        else up = mid;
      }
      p = 0.5 * (lo + up);
    } else {
      p = (hi * best) / cells;
    }
  }
  return {
    source: `simplex ETF with logits p and −p/(K−1), p = argmin ℓ(p·u) + p√(λ_Wλ_H K N) (${loss.kind === 'ce' ? 'Zhu et al. 2021' : 'Zhou et al. 2022'})`,
    structure: p > 0 ? 'simplex ETF' : 'zero',
    logits: { trueMean: p, otherMean: -p / (K - 1) },
    norms: { W: p * Math.sqrt((lambdaH * N * K) / lambdaW), H: p * Math.sqrt((lambdaW * N * K) / lambdaH) },
    parameters: { p },
  };
}

/**
 * The closed form for a problem given by the options of `simulateUfm` (K, D, n or counts, loss, λ's, bias, variant),
 * without running anything: `closedForms({ K: 10, D: 16, n: 50, loss: 'mse', bias: 'none' })`. Null where none applies.
 */
export function closedForms(options: ProblemOptions): ClosedForm | null {
  return closedForm(resolveProblem(options));
}
