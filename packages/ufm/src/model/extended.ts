import { meanLoss, rowLoss } from '../losses.js';
import type { Problem } from '../problem.js';
import { addAB, addABt, addAtB, squaredNorm } from './dense.js';
import { addBias, addBiasGradient, logitAccessors } from './head.js';
import type { Layout } from './layout.js';
import type { Objective } from './objective.js';

/**
 * The extended UFM of Tirer & Bruna 2022: one more layer with ReLU between the free features and the classifier,
 *
 *   z_i = W σ(W₁ h_i) + b,   f = (1/N) Σ_i ℓ(z_i, y_i) + (λ_W/2)‖W‖² + (λ_{W₁}/2)‖W₁‖² + (λ_H/2)‖H‖² + (λ_b/2)‖b‖²,
 *
 * W₁ hidden × D, W K × hidden. With A = H W₁ᵀ, R = σ(A), G = ∂f/∂Z:
 *   ∇_W = Gᵀ R + λ_W W,  ∇_A = (G W) ∘ 1[A > 0],  ∇_{W₁} = ∇_Aᵀ H + λ_{W₁} W₁,  ∇_H = ∇_A W₁ + λ_H H.
 * The ReLU's derivative at 0 is taken as 0. f is not twice differentiable where a pre-activation is 0, so there is
 * no Hessian-vector product.
 */
export function extendedObjective(problem: Problem, layout: Layout): Objective & { hidden(theta: Float64Array): Float64Array } {
  const { K, D, N } = layout;
  const W1 = layout.W1;
  if (!W1 || !problem.extended) throw new Error('extendedObjective: the layout has no W₁');
  const Dh = W1.rows;
  const { labels, lambdaW, lambdaH, lambdaB } = problem;
  const lambdaW1 = problem.extended.lambdaW1;
  const row = rowLoss(problem.loss, K);
  const Wo = layout.W.offset;
  const Ho = layout.H.offset;
  const b = layout.b;
  const A = new Float64Array(N * Dh);
  const R = new Float64Array(N * Dh);
  const Z = new Float64Array(N * K);
  const G = new Float64Array(N * K);
  const dA = new Float64Array(N * Dh);

  const forward = (theta: Float64Array) => {
    A.fill(0);
    addABt(theta, theta, A, N, Dh, D, 1, Ho, W1.offset);
    for (let j = 0; j < A.length; j++) R[j] = A[j] > 0 ? A[j] : 0;
    Z.fill(0);
    addABt(R, theta, Z, N, K, Dh, 1, 0, Wo);
    addBias(Z, theta, b, N, K);
  };

  return {
    layout,
    evaluate(theta, grad) {
      forward(theta);
      const data = meanLoss(row, Z, labels, grad ? G : undefined);
      if (grad) {
        grad.fill(0);
        addAtB(G, R, grad, N, K, Dh, 1, 0, 0, Wo);
        dA.fill(0);
        addAB(G, theta, dA, N, K, Dh, 1, 0, Wo);
        for (let j = 0; j < dA.length; j++) if (!(A[j] > 0)) dA[j] = 0;
        addAtB(dA, theta, grad, N, Dh, D, 1, 0, Ho, W1.offset);
        addAB(dA, theta, grad, N, Dh, D, 1, 0, W1.offset, Ho);
        for (let j = 0; j < K * Dh; j++) grad[Wo + j] += lambdaW * theta[Wo + j];
        for (let j = 0; j < Dh * D; j++) grad[W1.offset + j] += lambdaW1 * theta[W1.offset + j];
        for (let j = 0; j < N * D; j++) grad[Ho + j] += lambdaH * theta[Ho + j];
        addBiasGradient(G, theta, grad, b, N, K, lambdaB);
      }
      return (
        data +
        0.5 * lambdaW * squaredNorm(theta, Wo, K * Dh) +
        0.5 * lambdaW1 * squaredNorm(theta, W1.offset, Dh * D) +
        0.5 * lambdaH * squaredNorm(theta, Ho, N * D) +
        (b ? 0.5 * lambdaB * squaredNorm(theta, b.offset, K) : 0)
      );
    },
    ...logitAccessors(forward, Z, row, labels),
    /** σ(W₁ H) at θ (N × hidden), a new array: the features the classifier reads. */
    hidden(theta) {
      forward(theta);
      return R.slice();
    },
  };
}
