import { NcInputError } from '@ncscope/core';

/**
 * The losses the Neural Collapse papers compare, on one row of logits z ∈ R^K with true class y, in float64.
 * They are the formulas and parameters of `@ncscope/tfjs`'s `losses` (a cross-package test evaluates both on the
 * same logits), so a UFM run simulates exactly what a tfjs network trains on:
 *
 * - `ce`:  cross-entropy, ℓ = logsumexp(z) − z_y.
 * - `ls`:  label smoothing with α ∈ [0, 1): cross-entropy against t = (1 − α) e_y + α/K, ℓ = logsumexp(z) − tᵀz.
 * - `fl`:  focal loss with γ ≥ 0 (Lin et al. 2017): ℓ = −(1 − p_y)^γ log p_y, p = softmax(z); γ = 0 is `ce`.
 * - `mse`: Hui & Belkin's (2021) rescaled square loss, ℓ = (1/K)[k (z_y − M)² + Σ_{j≠y} z_j²]; k = M = 1 (the
 *          default) is (1/K)‖z − e_y‖², the mean over the K outputs — which is (2/K) times the ½‖z − e_y‖² of
 *          Tirer & Bruna 2022 and Zhou et al. 2022 (equivalently: their λ's are K/2 times ours; see closedForms).
 */
export type LossSpec =
  | { kind: 'ce' }
  | { kind: 'ls'; alpha: number }
  | { kind: 'fl'; gamma: number }
  | { kind: 'mse'; scale?: number; M?: number };

/** A loss by name (`ls` with α = 0.1, `fl` with γ = 2, `mse` with k = M = 1) or fully specified. */
export type LossInput = 'ce' | 'ls' | 'fl' | 'mse' | LossSpec;

/** A loss with every parameter filled in. */
export type ResolvedLoss =
  | { kind: 'ce' }
  | { kind: 'ls'; alpha: number }
  | { kind: 'fl'; gamma: number }
  | { kind: 'mse'; scale: number; M: number };

/** Default parameters when a loss is given by name: α = 0.1 (Guo et al. 2024), γ = 2 (Lin et al. 2017). */
export const DEFAULT_ALPHA = 0.1;
export const DEFAULT_GAMMA = 2;

/** Fills in defaults and checks the parameters' domains (a named BAD_OPTION error otherwise). */
export function resolveLoss(input: LossInput): ResolvedLoss {
  const spec: LossSpec = typeof input === 'string' ? ({ kind: input } as LossSpec) : input;
  switch (spec?.kind) {
    case 'ce':
      return { kind: 'ce' };
    case 'ls': {
      const alpha = (spec as { alpha?: number }).alpha ?? DEFAULT_ALPHA;
      if (!(typeof alpha === 'number' && alpha >= 0 && alpha < 1)) throw new NcInputError('BAD_OPTION', `label smoothing: alpha must be in [0, 1), got ${alpha}`);
      return { kind: 'ls', alpha };
    }
    case 'fl': {
      const gamma = (spec as { gamma?: number }).gamma ?? DEFAULT_GAMMA;
      if (!(typeof gamma === 'number' && gamma >= 0 && Number.isFinite(gamma))) throw new NcInputError('BAD_OPTION', `focal loss: gamma must be a finite number ≥ 0, got ${gamma}`);
      return { kind: 'fl', gamma };
    }
    case 'mse': {
      const scale = spec.scale ?? 1;
      const M = spec.M ?? 1;
      if (!(typeof scale === 'number' && scale > 0 && Number.isFinite(scale))) throw new NcInputError('BAD_OPTION', `mse: scale (k) must be a finite number > 0, got ${scale}`);
      if (!(typeof M === 'number' && Number.isFinite(M))) throw new NcInputError('BAD_OPTION', `mse: M must be a finite number, got ${M}`);
      return { kind: 'mse', scale, M };
    }
    default:
      throw new NcInputError('BAD_OPTION', `unknown loss ${JSON.stringify(typeof input === 'string' ? input : (input as { kind?: unknown })?.kind)}: use ce, ls, fl or mse`);
  }
}

/** A short label: "CE", "LS (α = 0.1)", "FL (γ = 2)", "MSE", "MSE (k = 15, M = 30)". */
export function lossLabel(loss: ResolvedLoss): string {
  switch (loss.kind) {
    case 'ce':
      return 'CE';
    case 'ls':
      return `LS (α = ${loss.alpha})`;
    case 'fl':
      return `FL (γ = ${loss.gamma})`;
    case 'mse':
      return loss.scale === 1 && loss.M === 1 ? 'MSE' : `MSE (k = ${loss.scale}, M = ${loss.M})`;
  }
}

/** Whether ℓ(z + c·1, y) = ℓ(z, y) for every c (the softmax losses): then a free bias has a flat direction b → b + c·1. */
export function isShiftInvariant(loss: ResolvedLoss): boolean {
  return loss.kind !== 'mse';
}

/**
 * Per-row evaluation of a loss: value, gradient and Hessian-vector products with respect to the logits.
 * Rows are read from `z` at offset `o` (length K); results are written at the same offset, multiplied by `scale`.
 */
export interface RowLoss {
  readonly loss: ResolvedLoss;
  readonly K: number;
  /** ℓ(z, y); adds scale · ∇_z ℓ to `grad` at offset o when given. */
  value(z: ArrayLike<number>, o: number, y: number, grad?: Float64Array, scale?: number): number;
  /** Adds scale · ∇²_z ℓ(z, y) u to `out` (u and out at offset o). */
  hessianTimes(z: ArrayLike<number>, o: number, y: number, u: ArrayLike<number>, out: Float64Array, scale: number): void;
}

/** Softmax of z[o..o+K) into p; returns logsumexp(z). */
function softmax(z: ArrayLike<number>, o: number, K: number, p: Float64Array): number {
  let max = -Infinity;
  for (let k = 0; k < K; k++) if (z[o + k] > max) max = z[o + k];
  let s = 0;
  for (let k = 0; k < K; k++) s += p[k] = Math.exp(z[o + k] - max);
  for (let k = 0; k < K; k++) p[k] /= s;
  return max + Math.log(s);
}

/** Adds scale · (diag p − p pᵀ) u (the Hessian of logsumexp) to out. */
function addSoftmaxHessianTimes(p: Float64Array, K: number, u: ArrayLike<number>, o: number, out: Float64Array, scale: number): void {
  let pu = 0;
  for (let k = 0; k < K; k++) pu += p[k] * u[o + k];
  for (let k = 0; k < K; k++) out[o + k] += scale * p[k] * (u[o + k] - pu);
}

/** Cross-entropy against t = (1 − α) e_y + α/K (α = 0: plain cross-entropy): ∇ = p − t, ∇² = diag p − ppᵀ. */
function smoothedCrossEntropy(loss: ResolvedLoss, K: number, alpha: number): RowLoss {
  const p = new Float64Array(K);
  const off = alpha / K;
  const on = 1 - alpha + off;
  return {
    loss,
    K,
    value(z, o, y, grad, scale = 1) {
      const lse = softmax(z, o, K, p);
      let tz = 0;
      for (let k = 0; k < K; k++) tz += (k === y ? on : off) * z[o + k];
      if (grad) for (let k = 0; k < K; k++) grad[o + k] += scale * (p[k] - (k === y ? on : off));
      return lse - tz;
    },
    hessianTimes(z, o, _y, u, out, scale) {
      softmax(z, o, K, p);
      addSoftmaxHessianTimes(p, K, u, o, out, scale);
    },
  };
}

/**
 * Focal loss f = −q^γ s with s = log p_y and q = 1 − p_y (computed as Σ_{j≠y} p_j, exact near p_y = 1).
 * With φ(s) = df/ds = q^γ (γ p_y r − 1) and r = s/q = log(1 − q)/q (→ −1 as q → 0):
 *   ∇_z f = φ (e_y − p),  ∇²_z f = φ' (e_y − p)(e_y − p)ᵀ − φ (diag p − ppᵀ),
 *   φ'(s) = γ p_y q^{γ−1} [(q − (γ − 1) p_y) r + 2].
 */
function focalLoss(loss: ResolvedLoss, K: number, gamma: number): RowLoss {
  const p = new Float64Array(K);
  const parts = (z: ArrayLike<number>, o: number, y: number) => {
    const lse = softmax(z, o, K, p);
    let q = 0;
    for (let k = 0; k < K; k++) if (k !== y) q += p[k];
    const s = z[o + y] - lse;
    const r = q > 0 ? Math.log1p(-q) / q : -1;
    const py = p[y];
    const qg = gamma === 0 ? 1 : q ** gamma;
    const phi = gamma === 0 ? -1 : qg * (gamma * py * r - 1);
    return { q, s, r, py, qg, phi };
  };
  return {
    loss,
    K,
    value(z, o, y, grad, scale = 1) {
      const { s, qg, phi } = parts(z, o, y);
      if (grad) for (let k = 0; k < K; k++) grad[o + k] += scale * phi * ((k === y ? 1 : 0) - p[k]);
      return -qg * s;
    },
    hessianTimes(z, o, y, u, out, scale) {
      const { q, r, py, phi } = parts(z, o, y);
      const dphi = gamma === 0 ? 0 : gamma * py * q ** (gamma - 1) * ((q - (gamma - 1) * py) * r + 2);
      let eu = u[o + y];
      for (let k = 0; k < K; k++) eu -= p[k] * u[o + k];
      for (let k = 0; k < K; k++) out[o + k] += scale * dphi * eu * ((k === y ? 1 : 0) - p[k]);
      addSoftmaxHessianTimes(p, K, u, o, out, -scale * phi);
    },
  };
}

/** Rescaled square loss (1/K)[k (z_y − M)² + Σ_{j≠y} z_j²]: ∇ = (2/K) w ∘ (z − M e_y), ∇² = (2/K) diag w, w_y = k, else 1. */
function squareLoss(loss: ResolvedLoss, K: number, k: number, M: number): RowLoss {
  return {
    loss,
    K,
    value(z, o, y, grad, scale = 1) {
      let v = 0;
      for (let j = 0; j < K; j++) {
        const w = j === y ? k : 1;
        const r = z[o + j] - (j === y ? M : 0);
        v += w * r * r;
        if (grad) grad[o + j] += (scale * 2 * w * r) / K;
      }
      return v / K;
    },
    hessianTimes(_z, o, y, u, out, scale) {
      for (let j = 0; j < K; j++) out[o + j] += (scale * 2 * (j === y ? k : 1) * u[o + j]) / K;
    },
  };
}

/** The per-row evaluator of a loss for K classes. */
export function rowLoss(input: LossInput, K: number): RowLoss {
  const loss = resolveLoss(input);
  switch (loss.kind) {
    case 'ce':
      return smoothedCrossEntropy(loss, K, 0);
    case 'ls':
      return smoothedCrossEntropy(loss, K, loss.alpha);
    case 'fl':
      return focalLoss(loss, K, loss.gamma);
    case 'mse':
      return squareLoss(loss, K, loss.scale, loss.M);
  }
}

/**
 * Mean loss (1/N) Σ_i ℓ(z_i, y_i) over the rows of Z (N × K, row-major). With `G`, writes G = ∂/∂Z of the mean
 * (row i: ∇ℓ(z_i, y_i)/N), overwriting it.
 */
export function meanLoss(row: RowLoss, Z: ArrayLike<number>, labels: ArrayLike<number>, G?: Float64Array): number {
  const N = labels.length;
  const K = row.K;
  if (G) G.fill(0);
  let total = 0;
  for (let i = 0; i < N; i++) total += row.value(Z, i * K, labels[i], G, 1 / N);
  return total / N;
}
