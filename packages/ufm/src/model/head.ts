import { meanLoss, type RowLoss } from '../losses.js';
import type { Block } from './layout.js';
import type { Objective } from './objective.js';

/** Z_i += b for every row i of Z (N × K), when the model has a bias. */
export function addBias(Z: Float64Array, theta: ArrayLike<number>, b: Block | undefined, N: number, K: number): void {
  if (!b) return;
  for (let i = 0; i < N; i++) for (let k = 0; k < K; k++) Z[i * K + k] += theta[b.offset + k];
}

/** out_b += Σ_i G_i + λ_b x_b: the bias block of a gradient (G = ∂f/∂Z, x = θ) or of a Hessian-vector product (G = dG, x = v). */
export function addBiasGradient(G: Float64Array, x: ArrayLike<number>, out: Float64Array, b: Block | undefined, N: number, K: number, lambdaB: number): void {
  if (!b) return;
  for (let i = 0; i < N; i++) for (let k = 0; k < K; k++) out[b.offset + k] += G[i * K + k];
  for (let k = 0; k < K; k++) out[b.offset + k] += lambdaB * x[b.offset + k];
}

/** The `logits` and `dataLoss` members of an objective whose `forward(θ)` fills Z. */
export function logitAccessors(forward: (theta: Float64Array) => void, Z: Float64Array, row: RowLoss, labels: Int32Array): Pick<Objective, 'logits' | 'dataLoss'> {
  return {
    logits(theta) {
      forward(theta);
      return Z.slice();
    },
    dataLoss(theta) {
      forward(theta);
      return meanLoss(row, Z, labels);
    },
  };
}
