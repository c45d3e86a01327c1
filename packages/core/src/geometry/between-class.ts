import { choleskyWithInverse, columnGram, multiply, rowGram } from '../engine/algebra.js';
import type { ProductEngine } from '../engine/product-engine.js';
import type { ScatterSpace } from '../engine/spread-plan.js';
import { transpose } from '../linalg/gemm.js';
import { denseMatvec, topEigenpairs } from '../linalg/lanczos.js';
import { symmetricEigen } from '../linalg/symmetric-eigen.js';

/** How Σ_B⁺ is applied: a Cholesky factorisation when Σ_B is safely full-rank in its span, else an eigendecomposition. */
export type SpectralRoute = 'cholesky' | 'eigen';

/**
 * Σ_B = M̃ᵀM̃/K in the smaller of the two spaces its spectrum lives in, with the pseudo-inverse cutoff applied:
 * - `'means'` (K ≤ D): the K × K Gram G = M̃M̃ᵀ. Its nonzero eigenvalues are K·λ(Σ_B); it always has the null
 *   vector ν = w/‖w‖ (wᵀM̃ = 0 for the global-mean weights w), and Σ_B⁺ = K·M̃ᵀ G⁺² M̃.
 * - `'features'` (D < K): B = M̃ᵀM̃ = K·Σ_B (D × D), and Σ_B⁺ = K·B⁺.
 *
 * Route `'cholesky'` (the usual case): when G + c·ννᵀ (c = λ_max(G)) or B is positive definite with its smallest
 * eigenvalue above τ·λ_max (τ = max(1e-8, 100·rtol)), the pseudo-inverse keeps every direction of the span, and
 * G⁺ = (G + cννᵀ)⁻¹ − ννᵀ/c, B⁺ = B⁻¹ exactly — so a blocked Cholesky with inverse (products on the engine)
 * replaces the O(n³) eigendecomposition, with the same result. λ_min is estimated by inverse iteration, whose estimate
 * can only be too large, so τ sits many orders above the cutoff. Route `'eigen'` (rank-deficient or ill-conditioned
 * Σ_B): a full symmetric eigendecomposition, eigenvalues below the cutoff dropped.
 * λ_max (for the cutoff) and the two leading eigenvectors (for the 2-D view) come from Lanczos in both routes' place.
 */
export interface BetweenClass {
  readonly space: ScatterSpace;
  /** Classes with samples. */
  readonly K: number;
  readonly D: number;
  /** n = K ('means') or D ('features'). */
  readonly n: number;
  readonly route: SpectralRoute;
  /** λ_max(Σ_B). */
  readonly lambdaMax: number;
  /** Absolute cutoff on Σ_B's eigenvalues (rtol · λ_max). */
  readonly cutoff: number;
  /** Eigenvalues of Σ_B kept by the pseudo-inverse. */
  readonly rank: number;
  /** The n × n operator: G ('means') or B ('features'). */
  readonly gram: Float64Array;
  /** 'means': the global-mean weights w (K). */
  readonly weights: Float64Array;
  /** Cholesky route: 'means' (G + cννᵀ)⁻¹; 'features' the inverse factor L⁻¹ of B = L Lᵀ. */
  readonly inverse?: Float64Array;
  /** Eigen route: eigenvalues (ascending, of G or B) and eigenvectors (columns, n × n). */
  readonly eigen?: { values: Float64Array; vectors: Float64Array };
  /** The two leading eigenpairs of the operator (descending values, unit vectors of length n). */
  readonly leading: { values: Float64Array; vectors: Float64Array[] };
}

/** Options of {@link betweenClass}. */
export interface BetweenClassOptions {
  space: ScatterSpace;
  /** Relative pseudo-inverse cutoff (conventions.pinvRtol). */
  rtol: number;
  /** Force a route (tests compare both); default: Cholesky when safe. */
  route?: 'auto' | SpectralRoute;
}

/**
 * Builds {@link BetweenClass} for centred means M̃ (K × D) whose global mean used the weights w (Σ w = 1).
 * Work on the engine: the Gram (K²D or KD² flops) and the Cholesky with inverse (~n³).
 */
export async function betweenClass(engine: ProductEngine, centred: Float64Array, weights: Float64Array, K: number, D: number, options: BetweenClassOptions): Promise<BetweenClass> {
  const { space, rtol } = options;
  const n = space === 'means' ? K : D;
  const gram = space === 'means' ? await rowGram(engine, centred, K, D) : await columnGram(engine, centred, K, D);
  let trace = 0;
  for (let i = 0; i < n; i++) trace += gram[i * n + i];
  const base = { space, K, D, n, gram, weights };
  if (!(trace > 0)) {
    // All class means coincide: Σ_B = 0, nothing to invert.
    return { ...base, route: 'eigen', lambdaMax: 0, cutoff: 0, rank: 0, eigen: { values: new Float64Array(n), vectors: identity(n) }, leading: { values: new Float64Array(Math.min(2, n)), vectors: [] } };
  }
  const leading = topEigenpairs(denseMatvec(gram, n), n, 2);
  const lambdaMaxOp = leading.values[0];
  const lambdaMax = lambdaMaxOp / K;
  const cutoff = rtol * lambdaMax;
  if (options.route !== 'eigen') {
    const chol = await choleskyRoute(engine, gram, weights, space, n, lambdaMaxOp, rtol);
    if (chol) return { ...base, route: 'cholesky', lambdaMax, cutoff, rank: space === 'means' ? K - 1 : D, inverse: chol, leading };
    if (options.route === 'cholesky') throw new Error(`betweenClass: the Cholesky route was forced but Σ_B is not safely full-rank in its ${space} span`);
  }
  const eigen = symmetricEigen(gram, n);
  let rank = 0;
  for (let j = 0; j < n; j++) if (eigen.values[j] / K > cutoff) rank++;
  const top = (j: number) => Float64Array.from({ length: n }, (_, i) => eigen.vectors[i * n + j]);
  const lead = { values: Float64Array.from({ length: Math.min(2, n) }, (_, r) => eigen.values[n - 1 - r]), vectors: Array.from({ length: Math.min(2, n) }, (_, r) => top(n - 1 - r)) };
  return { ...base, route: 'eigen', lambdaMax: Math.max(0, eigen.values[n - 1]) / K, cutoff: (rtol * Math.max(0, eigen.values[n - 1])) / K, rank, eigen, leading: lead };
}

/** The Cholesky route's inverse, or undefined when the factorisation fails or the smallest eigenvalue is too small. */
async function choleskyRoute(engine: ProductEngine, gram: Float64Array, weights: Float64Array, space: ScatterSpace, n: number, lambdaMax: number, rtol: number): Promise<Float64Array | undefined> {
  const A = gram.slice();
  if (space === 'means') {
    // A = G + c ννᵀ with ν = w/‖w‖ and c = λ_max: positive definite iff G has rank K − 1.
    let ww = 0;
    for (let i = 0; i < n; i++) ww += weights[i] * weights[i];
    const c = lambdaMax / ww;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A[i * n + j] += c * weights[i] * weights[j];
  }
  const f = await choleskyWithInverse(engine, A, n);
  if (!('L' in f)) return undefined;
  const tau = Math.max(1e-8, 100 * rtol);
  if (!(smallestEigenvalueEstimate(f.Linv, n) > tau * lambdaMax)) return undefined;
  if (space === 'features') return f.Linv;
  // (G + cννᵀ)⁻¹ = L⁻ᵀ L⁻¹.
  return multiply(engine, transpose(f.Linv, n, n), f.Linv, n, n, n);
}

/**
 * An estimate of λ_min(A) from L⁻¹ (A = L Lᵀ): inverse iteration x ← A⁻¹x from a fixed start, 8 steps; returns
 * xᵀx / xᵀA⁻¹x, which is ≥ λ_min and converges to it fast when λ_min is small (the case that matters).
 */
export function smallestEigenvalueEstimate(Linv: Float64Array, n: number): number {
  let x = Float64Array.from({ length: n }, (_, i) => 1 + ((i * 2654435761) % 997) / 997);
  let est = Infinity;
  for (let it = 0; it < 8; it++) {
    const y = applyInverse(Linv, n, x);
    let xx = 0, xy = 0;
    for (let i = 0; i < n; i++) {
      xx += x[i] * x[i];
      xy += x[i] * y[i];
    }
    est = xx / xy;
    let ny = 0;
    for (let i = 0; i < n; i++) ny += y[i] * y[i];
    ny = Math.sqrt(ny);
    if (!(ny > 0) || !Number.isFinite(ny)) return 0;
    x = y.map((v) => v / ny);
  }
  return est;
}

/** A⁻¹ x = L⁻ᵀ (L⁻¹ x) with L⁻¹ lower triangular. */
function applyInverse(Linv: Float64Array, n: number, x: Float64Array): Float64Array {
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const r = i * n;
    for (let k = 0; k <= i; k++) s += Linv[r + k] * x[k];
    z[i] = s;
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const zi = z[i];
    if (zi === 0) continue;
    const r = i * n;
    for (let k = 0; k <= i; k++) y[k] += Linv[r + k] * zi;
  }
  return y;
}

function identity(n: number): Float64Array {
  const I = new Float64Array(n * n);
  for (let i = 0; i < n; i++) I[i * n + i] = 1;
  return I;
}

/**
 * NC1 = Tr(Σ_W Σ_B⁺)/K from the within-class covariance seen in the operator's space:
 * 'means' — C = M̃ Σ_W M̃ᵀ (K × K), NC1 = Tr(G⁺ C G⁺); 'features' — Σ_W (D × D), NC1 = Tr(Σ_W B⁺).
 * Cholesky route: Tr(A⁻¹ C A⁻¹) = ⟨A⁻¹C, A⁻¹⟩ (C ν = 0 makes the ννᵀ terms vanish), Tr(L⁻¹ Σ_W L⁻ᵀ) = ⟨L⁻¹Σ_W, L⁻¹⟩;
 * eigen route: Σ_{j kept} u_jᵀ C u_j / Λ_j²  or  Σ_{j kept} v_jᵀ Σ_W v_j / Λ_j — each one product on the engine.
 */
export async function nc1Trace(engine: ProductEngine, bc: BetweenClass, within: Float64Array): Promise<number> {
  const { n, K } = bc;
  if (bc.rank === 0) return NaN;
  if (bc.route === 'cholesky') {
    const X = bc.inverse!;
    const XC = await multiply(engine, X, within, n, n, n);
    let s = 0;
    for (let i = 0; i < n * n; i++) s += XC[i] * X[i];
    return s;
  }
  const { values, vectors } = bc.eigen!;
  const kept: number[] = [];
  for (let j = 0; j < n; j++) if (values[j] / K > bc.cutoff) kept.push(j);
  const r = kept.length;
  const U = new Float64Array(n * r);
  for (let i = 0; i < n; i++) kept.forEach((j, c) => (U[i * r + c] = vectors[i * n + j]));
  const CU = await multiply(engine, within, U, n, n, r);
  let total = 0;
  kept.forEach((j, c) => {
    let q = 0;
    for (let i = 0; i < n; i++) q += U[i * r + c] * CU[i * r + c];
    const lam = values[j];
    total += bc.space === 'means' ? q / (lam * lam) : q / lam;
  });
  return total;
}

/**
 * A map T (rows × n) with ‖T b‖² = rᵀ Σ_B⁺ r for a residual r with coordinates b in the operator's space:
 * - 'means': b = M_s r, the coordinates against ANY common shift of the kept means (M̃ = Q M_s, Q = I − 1wᵀ), and
 *   Σ_B⁺ = K·M̃ᵀG⁺²M̃ gives T = √K·G⁺Q (Cholesky: √K·(G + cννᵀ)⁻¹Q, as G⁺x = (G + cννᵀ)⁻¹x for x ⊥ ν;
 *   eigen: √K·Λ_r⁻¹U_rᵀQ);
 * - 'features': b = r, T = √K·L⁻¹ (Cholesky, B = LLᵀ) or √K·Λ_r^{-1/2}V_rᵀ (eigen).
 */
export function quadraticMap(bc: BetweenClass): { map: Float64Array; rows: number } {
  const { n, K } = bc;
  const sk = Math.sqrt(K);
  let map: Float64Array;
  let rows: number;
  if (bc.route === 'cholesky') {
    map = Float64Array.from(bc.inverse!, (v) => v * sk);
    rows = n;
  } else {
    const { values, vectors } = bc.eigen!;
    const kept: number[] = [];
    for (let j = 0; j < n; j++) if (values[j] / K > bc.cutoff) kept.push(j);
    rows = kept.length;
    map = new Float64Array(rows * n);
    kept.forEach((j, r) => {
      const f = bc.space === 'means' ? sk / values[j] : sk / Math.sqrt(values[j]);
      for (let i = 0; i < n; i++) map[r * n + i] = f * vectors[i * n + j];
    });
  }
  if (bc.space === 'means') {
    // T Q = T − (T 1) wᵀ.
    const w = bc.weights;
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += map[r * n + i];
      for (let i = 0; i < n; i++) map[r * n + i] -= s * w[i];
    }
  }
  return { map, rows };
}

/**
 * Coordinates of the centred means on the top `count` principal directions of M̃ (M̃ = U S Vᵀ → columns of U S),
 * K × count row-major: 'means' — u_j √Λ_j; 'features' — M̃ v_j.
 */
export async function principalCoordinates(engine: ProductEngine, bc: BetweenClass, centred: Float64Array): Promise<Float64Array> {
  const { K, D } = bc;
  const count = 2;
  const out = new Float64Array(K * count);
  const { values, vectors } = bc.leading;
  for (let j = 0; j < Math.min(count, vectors.length); j++) {
    const v = vectors[j];
    if (bc.space === 'means') {
      const s = Math.sqrt(Math.max(0, values[j]));
      for (let k = 0; k < K; k++) out[k * count + j] = v[k] * s;
    } else {
      const c = await multiply(engine, centred, v, K, D, 1);
      for (let k = 0; k < K; k++) out[k * count + j] = c[k];
    }
  }
  return out;
}
