import type { Layout } from './layout.js';

/**
 * A smooth (or, for the extended model, piecewise smooth) objective on the flat parameter vector θ.
 * `evaluate` returns f(θ) and, given `grad`, overwrites it with the Euclidean gradient ∇f(θ).
 */
export interface Objective {
  readonly layout: Layout;
  evaluate(theta: Float64Array, grad?: Float64Array): number;
  /** out ← ∇²f(θ) v, exact (absent where f is not twice differentiable, e.g. the ReLU of the extended model). */
  hessianTimes?(theta: Float64Array, v: Float64Array, out: Float64Array): void;
  /** The logits (N × K) at θ, a new array. */
  logits(theta: Float64Array): Float64Array;
  /** The data term (1/N) Σ_i ℓ(z_i, y_i) at θ, without the penalties. */
  dataLoss(theta: Float64Array): number;
}
