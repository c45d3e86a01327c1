import { NcInputError, symmetricEigen } from '@ncscope/core';
import { isShiftInvariant } from './losses.js';
import { dot } from './model/dense.js';
import type { Layout } from './model/layout.js';
import type { Objective } from './model/objective.js';
import type { SphereManifold } from './model/sphere.js';
import type { Problem } from './problem.js';

/** The Hessian at a minimizer, restricted to the directions that are not symmetries of the objective. */
export interface HessianSummary {
  /**
   * λ_max / λ_min of the restricted Hessian; Infinity when λ_min ≤ 1000·P·ε·λ_max (numerically singular: the minimizer
   * is not strict even up to the removed symmetries, or θ is not a minimizer).
   */
  conditionNumber: number;
  minEigenvalue: number;
  maxEigenvalue: number;
  /** Dimension of the space the Hessian was restricted to (parameters minus removed directions). */
  dimension: number;
  /** Parameters in all. */
  parameters: number;
  /** Directions removed: rotations (and the bias shift, and the spheres' normals) — the rank of their span. */
  removed: { rotations: number; biasShift: number; sphereNormals: number };
  /** The restricted spectrum, ascending. */
  eigenvalues: number[];
  /** max |H − Hᵀ| of the assembled Hessian before symmetrizing, relative to max |H| (a consistency check; ~1e−16). */
  asymmetry: number;
}

/** Largest parameter count for which {@link hessianSummary} assembles the dense Hessian (O(P²) memory, O(P³) time). */
export const MAX_HESSIAN_PARAMETERS = 2500;

/**
 * The Hessian of the objective at θ (a minimizer), restricted to the orthogonal complement of the directions along
 * which the objective is constant, and its condition number — the comparison Guo et al. 2024 make between CE and LS.
 *
 * Assembly: column j is the exact Hessian-vector product ∇²f(θ) e_j (model/bilinear.ts), so the matrix is exact up to
 * rounding; it is symmetrized. On the spheres of the normalized model it is the Riemannian Hessian
 * P ∇²f P − diag(⟨x_r, ∇f⟩/τ_r²) P (P: projection on the tangent space; the second term, per row r, is the
 * Weingarten correction), and the rows' normal directions x_r are removed.
 *
 * Removed directions (the minimizers form a manifold along them, so the Hessian vanishes there):
 * - rotations: the objective depends on W, W₂ and H only through products of rows, so (w_k, h_i) → (Q w_k, Q h_i) for
 *   orthogonal Q leaves it unchanged. The tangent directions at θ are A w_k, A h_i for skew A; we take A = E_pq − E_qp
 *   for every pair p < q of feature coordinates (D(D−1)/2 vectors; rotations that fix the point give zero vectors);
 * - the bias shift b → b + t·1 with a free bias and a shift-invariant (softmax) loss;
 * - on spheres, each constrained row's normal (not a feasible direction).
 * These vectors are orthonormalized (Gram–Schmidt, twice, dropping those whose remainder is below 10⁻⁹ of their
 * norm) into Q (P × r), and the spectrum is that of (I − QQᵀ) ∇²f (I − QQᵀ) + σ QQᵀ with σ below every eigenvalue:
 * the r smallest eigenvalues are exactly σ and are dropped; the other P − r are the restricted Hessian's. Since the
 * gradient vanishes along the symmetry orbit, ∇²f maps those directions to 0 and the restricted spectrum equals the
 * nonzero spectrum of ∇²f whenever the minimizer is strict up to symmetry.
 */
export function hessianSummary(objective: Objective, theta: Float64Array, problem: Problem, manifold?: SphereManifold): HessianSummary {
  const layout = objective.layout;
  const P = layout.size;
  if (!objective.hessianTimes) {
    throw new NcInputError('BAD_OPTION', 'the Hessian is not defined for the extended model (its ReLU is not twice differentiable where a pre-activation is 0, as at its minimizers)');
  }
  if (P > MAX_HESSIAN_PARAMETERS) {
    throw new NcInputError('BAD_OPTION', `the Hessian has ${P} × ${P} entries (K·D + N·D + …): use at most ${MAX_HESSIAN_PARAMETERS} parameters (smaller K, D or n)`);
  }
  const hess = new Float64Array(P * P);
  const e = new Float64Array(P);
  const col = new Float64Array(P);
  let weingarten: Float64Array | undefined;
  if (manifold) {
    const g = new Float64Array(P);
    objective.evaluate(theta, g);
    weingarten = manifold.normalComponents(theta, g);
  }
  for (let j = 0; j < P; j++) {
    e.fill(0);
    e[j] = 1;
    if (manifold) manifold.project(theta, e);
    objective.hessianTimes(theta, e, col);
    if (manifold && weingarten) {
      manifold.project(theta, col);
      let r = 0;
      for (const { block } of manifold.blocks) {
        for (let row = 0; row < block.rows; row++, r++) {
          const o = block.offset + row * block.cols;
          for (let t = 0; t < block.cols; t++) col[o + t] -= weingarten[r] * e[o + t];
        }
      }
    }
    for (let i = 0; i < P; i++) hess[i * P + j] = col[i];
  }
  let asym = 0;
  let scale = 0;
  for (let i = 0; i < P; i++) {
    for (let j = 0; j < P; j++) {
      scale = Math.max(scale, Math.abs(hess[i * P + j]));
      if (j > i) asym = Math.max(asym, Math.abs(hess[i * P + j] - hess[j * P + i]));
    }
  }
  for (let i = 0; i < P; i++) {
    for (let j = i + 1; j < P; j++) {
      const m = 0.5 * (hess[i * P + j] + hess[j * P + i]);
      hess[i * P + j] = hess[j * P + i] = m;
    }
  }

  const basis: Float64Array[] = [];
  const add = (v: Float64Array) => {
    const norm0 = Math.sqrt(dot(v, v));
    if (norm0 === 0) return false;
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        const c = dot(q, v);
        for (let j = 0; j < P; j++) v[j] -= c * q[j];
      }
    }
    const norm = Math.sqrt(dot(v, v));
    if (norm <= 1e-9 * norm0) return false;
    for (let j = 0; j < P; j++) v[j] /= norm;
    basis.push(v);
    return true;
  };
  let sphereNormals = 0;
  if (manifold) {
    for (const { block } of manifold.blocks) {
      for (let row = 0; row < block.rows; row++) {
        const v = new Float64Array(P);
        const o = block.offset + row * block.cols;
        for (let t = 0; t < block.cols; t++) v[o + t] = theta[o + t];
        if (add(v)) sphereNormals++;
      }
    }
  }
  let biasShift = 0;
  if (layout.b && problem.bias === 'free' && isShiftInvariant(problem.loss)) {
    const v = new Float64Array(P);
    for (let k = 0; k < layout.K; k++) v[layout.b.offset + k] = 1;
    if (add(v)) biasShift++;
  }
  let rotations = 0;
  for (const v of rotationGenerators(layout, theta)) if (add(v)) rotations++;

  // (I − QQᵀ) H (I − QQᵀ) + σ QQᵀ.
  const r = basis.length;
  let frob = 0;
  for (let j = 0; j < P * P; j++) frob += hess[j] * hess[j];
  const sigma = -1 - 2 * Math.sqrt(frob);
  const HQ = basis.map((q) => {
    const out = new Float64Array(P);
    for (let i = 0; i < P; i++) out[i] = dot(hess.subarray(i * P, (i + 1) * P), q);
    return out;
  });
  const QtHQ = new Float64Array(r * r);
  for (let a = 0; a < r; a++) for (let c = 0; c < r; c++) QtHQ[a * r + c] = dot(basis[a], HQ[c]);
  // H − HQ Qᵀ − Q (HQ)ᵀ + Q (QᵀHQ) Qᵀ + σ QQᵀ.
  const QM = basis.map((_, a) => {
    const out = new Float64Array(P);
    for (let c = 0; c < r; c++) {
      const m = QtHQ[a * r + c] + (a === c ? sigma : 0);
      if (m !== 0) for (let i = 0; i < P; i++) out[i] += m * basis[c][i];
    }
    return out;
  });
  for (let a = 0; a < r; a++) {
    const q = basis[a];
    const hq = HQ[a];
    const qm = QM[a];
    for (let i = 0; i < P; i++) {
      const row = i * P;
      const qi = q[i];
      const hqi = hq[i];
      for (let j = 0; j < P; j++) hess[row + j] += -hqi * q[j] - qi * hq[j] + qi * qm[j];
    }
  }
  const { values } = symmetricEigen(hess, P);
  const kept = Array.from(values.subarray(r));
  const min = kept[0];
  const max = kept[kept.length - 1];
  return {
    conditionNumber: min > 1000 * P * Number.EPSILON * Math.abs(max) ? max / min : Infinity,
    minEigenvalue: min,
    maxEigenvalue: max,
    dimension: P - r,
    parameters: P,
    removed: { rotations, biasShift, sphereNormals },
    eigenvalues: kept,
    asymmetry: scale > 0 ? asym / scale : 0,
  };
}

/** Tangent vectors of the rotation orbit at θ: for each p < q, (A x) on every row x of W, W₂ and H, A = E_pq − E_qp. */
function rotationGenerators(layout: Layout, theta: Float64Array): Float64Array[] {
  const D = layout.D;
  const blocks = [layout.W, layout.H, ...(layout.W2 ? [layout.W2] : [])];
  const out: Float64Array[] = [];
  for (let p = 0; p < D; p++) {
    for (let q = p + 1; q < D; q++) {
      const v = new Float64Array(layout.size);
      for (const block of blocks) {
        for (let row = 0; row < block.rows; row++) {
          const o = block.offset + row * block.cols;
          v[o + p] = theta[o + q];
          v[o + q] = -theta[o + p];
        }
      }
      out.push(v);
    }
  }
  return out;
}
