import { meanLoss, rowLoss } from '../losses.js';
import type { Problem } from '../problem.js';
import { addAB, addABt, addAtB, squaredNorm } from './dense.js';
import { addBias, addBiasGradient, logitAccessors } from './head.js';
import type { Layout } from './layout.js';
import type { Objective } from './objective.js';
import { addSparseTimes, addSparseTransposeTimes, type SparseMatrix } from './sparse.js';

/**
 * The UFM objective whose logits are bilinear in the classifier and the features:
 *
 *   plain:  z_i = W h_i + b
 *   graph:  z_i = W h_i + W₂ (S H)_i + b   (S H: each node's aggregated neighbours; S = Âᵀ for the papers' H Â)
 *
 *   f(θ) = (1/N) Σ_i ℓ(z_i, y_i) + (λ_W/2)(‖W‖² + ‖W₂‖²) + (λ_H/2)‖H‖² + (λ_b/2)‖b‖².
 *
 * With G = ∂f/∂Z (row i: ∇ℓ(z_i)/N) and F = S H:
 *   ∇_W = Gᵀ H + λ_W W,  ∇_{W₂} = Gᵀ F + λ_W W₂,  ∇_H = G W + Sᵀ (G W₂) + λ_H H,  ∇_b = Σ_i g_i + λ_b b.
 * Hessian-vector products are exact: for a direction (dW, dH, db, dW₂), dZ = dH Wᵀ + H dWᵀ + dF W₂ᵀ + F dW₂ᵀ + 1 dbᵀ
 * with dF = S dH, dG_i = ∇²ℓ(z_i) dZ_i / N, and
 *   d∇_W = dGᵀ H + Gᵀ dH + λ_W dW,  d∇_{W₂} = dGᵀ F + Gᵀ dF + λ_W dW₂,
 *   d∇_H = dG W + G dW + Sᵀ(dG W₂ + G dW₂) + λ_H dH,  d∇_b = Σ_i dG_i + λ_b db.
 *
 * In the normalized variant the λ_W, λ_H penalties are constant on the spheres and left out (`penalties: false`).
 */
export function bilinearObjective(problem: Problem, layout: Layout, operator?: SparseMatrix, penalties = true): Objective {
  const { K, D, N } = layout;
  const { labels } = problem;
  const lambdaW = penalties ? problem.lambdaW : 0;
  const lambdaH = penalties ? problem.lambdaH : 0;
  const lambdaB = problem.lambdaB;
  const row = rowLoss(problem.loss, K);
  const Wo = layout.W.offset;
  const Ho = layout.H.offset;
  const b = layout.b;
  const W2 = layout.W2;
  if ((W2 === undefined) !== (operator === undefined)) throw new Error('bilinearObjective: W₂ and the graph operator go together');
  const Z = new Float64Array(N * K);
  const G = new Float64Array(N * K);
  const F = operator ? new Float64Array(N * D) : undefined;
  const T = operator ? new Float64Array(N * D) : undefined;
  const dZ = new Float64Array(N * K);
  const dG = new Float64Array(N * K);
  const dF = operator ? new Float64Array(N * D) : undefined;

  /** Z (and F) at θ. */
  const forward = (theta: Float64Array) => {
    Z.fill(0);
    addABt(theta, theta, Z, N, K, D, 1, Ho, Wo);
    if (operator && F && W2) {
      F.fill(0);
      addSparseTimes(operator, theta, F, D, 1, Ho);
      addABt(F, theta, Z, N, K, D, 1, 0, W2.offset);
    }
    addBias(Z, theta, b, N, K);
  };
  const penalty = (theta: Float64Array) =>
    0.5 * lambdaW * (squaredNorm(theta, Wo, K * D) + (W2 ? squaredNorm(theta, W2.offset, K * D) : 0)) +
    0.5 * lambdaH * squaredNorm(theta, Ho, N * D) +
    (b ? 0.5 * lambdaB * squaredNorm(theta, b.offset, K) : 0);

  return {
    layout,
    evaluate(theta, grad) {
      forward(theta);
      const data = meanLoss(row, Z, labels, grad ? G : undefined);
      if (grad) {
        grad.fill(0);
        addAtB(G, theta, grad, N, K, D, 1, 0, Ho, Wo);
        addAB(G, theta, grad, N, K, D, 1, 0, Wo, Ho);
        if (operator && F && T && W2) {
          addAtB(G, F, grad, N, K, D, 1, 0, 0, W2.offset);
          T.fill(0);
          addAB(G, theta, T, N, K, D, 1, 0, W2.offset);
          addSparseTransposeTimes(operator, T, grad, D, 1, 0, Ho);
          for (let j = 0; j < K * D; j++) grad[W2.offset + j] += lambdaW * theta[W2.offset + j];
        }
        for (let j = 0; j < K * D; j++) grad[Wo + j] += lambdaW * theta[Wo + j];
        for (let j = 0; j < N * D; j++) grad[Ho + j] += lambdaH * theta[Ho + j];
        addBiasGradient(G, theta, grad, b, N, K, lambdaB);
      }
      return data + penalty(theta);
    },
    hessianTimes(theta, v, out) {
      forward(theta);
      meanLoss(row, Z, labels, G);
      dZ.fill(0);
      addABt(v, theta, dZ, N, K, D, 1, Ho, Wo);
      addABt(theta, v, dZ, N, K, D, 1, Ho, Wo);
      if (operator && F && dF && T && W2) {
        dF.fill(0);
        addSparseTimes(operator, v, dF, D, 1, Ho);
        addABt(dF, theta, dZ, N, K, D, 1, 0, W2.offset);
        addABt(F, v, dZ, N, K, D, 1, 0, W2.offset);
      }
      addBias(dZ, v, b, N, K);
      dG.fill(0);
      for (let i = 0; i < N; i++) row.hessianTimes(Z, i * K, labels[i], dZ, dG, 1 / N);
      out.fill(0);
      addAtB(dG, theta, out, N, K, D, 1, 0, Ho, Wo);
      addAtB(G, v, out, N, K, D, 1, 0, Ho, Wo);
      addAB(dG, theta, out, N, K, D, 1, 0, Wo, Ho);
      addAB(G, v, out, N, K, D, 1, 0, Wo, Ho);
      if (operator && F && dF && T && W2) {
        addAtB(dG, F, out, N, K, D, 1, 0, 0, W2.offset);
        addAtB(G, dF, out, N, K, D, 1, 0, 0, W2.offset);
        T.fill(0);
        addAB(dG, theta, T, N, K, D, 1, 0, W2.offset);
        addAB(G, v, T, N, K, D, 1, 0, W2.offset);
        addSparseTransposeTimes(operator, T, out, D, 1, 0, Ho);
        for (let j = 0; j < K * D; j++) out[W2.offset + j] += lambdaW * v[W2.offset + j];
      }
      for (let j = 0; j < K * D; j++) out[Wo + j] += lambdaW * v[Wo + j];
      for (let j = 0; j < N * D; j++) out[Ho + j] += lambdaH * v[Ho + j];
      addBiasGradient(dG, v, out, b, N, K, lambdaB);
    },
    ...logitAccessors(forward, Z, row, labels),
  };
}
