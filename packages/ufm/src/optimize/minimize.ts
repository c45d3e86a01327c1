import { dot } from '../model/dense.js';
import type { Objective } from '../model/objective.js';
import type { SphereManifold } from '../model/sphere.js';

/** Full-batch optimizers of the UFM, in float64. */
export type OptimizerName = 'lbfgs' | 'gd';

export interface MinimizeOptions {
  /** 'lbfgs' (default) or 'gd' (gradient descent). */
  method: OptimizerName;
  maxIterations: number;
  /** Stop once the (Riemannian) gradient norm ‖∇f‖₂ is at most this. */
  tolerance: number;
  /** Gradient descent with this fixed step; without it, gradient descent backtracks (Armijo) from a growing step. */
  step?: number;
  /** L-BFGS memory (default 10). */
  memory?: number;
  /** Rows constrained to spheres (the normalized UFM): Riemannian steps, projected gradients, retraction. */
  manifold?: SphereManifold;
  /** Called at iteration 0 and after every iteration with the current point. Return `false` to stop. */
  onIteration?: (iteration: number, theta: Float64Array, f: number, gradientNorm: number) => boolean | void | Promise<boolean | void>;
}

export interface MinimizeResult {
  iterations: number;
  converged: boolean;
  f: number;
  gradientNorm: number;
  /** Evaluations of f and ∇f together. */
  evaluations: number;
  /** Why it stopped: 'tolerance', 'max-iterations', 'line-search' (no acceptable step within float64 precision), 'stopped', 'non-finite'. */
  stop: 'tolerance' | 'max-iterations' | 'line-search' | 'stopped' | 'non-finite';
}

const ARMIJO = 1e-4;
const CURVATURE = 0.9;

/**
 * Minimizes the objective from θ (modified in place).
 *
 * - `gd` with `step`: θ ← θ − η ∇f (on spheres: θ ← R(θ − η P∇f)); exactly what the papers' gradient-flow analyses
 *   discretize, so iteration counts compare across losses at equal η.
 * - `gd` without `step`, and `lbfgs`: a backtracking line search that accepts the Armijo condition
 *   f(θ + t d) ≤ f(θ) + 10⁻⁴ t ∇fᵀd, or — once f's changes drop below float64 resolution near a minimum — Hager &
 *   Zhang's approximate Wolfe condition on the directional derivative (0.9 ∇fᵀd ≤ ∇f(θ + t d)ᵀd ≤ −0.8 ∇fᵀd with
 *   f(θ + t d) ≤ f(θ) + 10⁻¹⁴|f(θ)|), so gradient norms far below √ε·|f| are reached.
 * - `lbfgs`: two-loop recursion with the last `memory` pairs (s, y), skipping pairs with sᵀy ≤ 10⁻¹²‖s‖‖y‖; on spheres
 *   the pairs and the direction are projected on the current tangent space (vector transport by projection).
 */
export async function minimize(objective: Objective, theta: Float64Array, options: MinimizeOptions): Promise<MinimizeResult> {
  const P = theta.length;
  const manifold = options.manifold;
  const grad = new Float64Array(P);
  let evaluations = 0;
  const evaluate = (x: Float64Array, g: Float64Array) => {
    evaluations++;
    const f = objective.evaluate(x, g);
    manifold?.project(x, g);
    return f;
  };
  if (manifold) manifold.retract(theta);
  let f = evaluate(theta, grad);
  let gnorm = Math.sqrt(dot(grad, grad));
  const result = (iterations: number, stop: MinimizeResult['stop']): MinimizeResult => ({
    iterations,
    converged: gnorm <= options.tolerance,
    f,
    gradientNorm: gnorm,
    evaluations,
    stop,
  });
  const notify = async (iteration: number) => {
    const r = options.onIteration?.(iteration, theta, f, gnorm);
    return (r instanceof Promise ? await r : r) !== false;
  };
  if (!(await notify(0))) return result(0, 'stopped');
  if (!Number.isFinite(f) || !Number.isFinite(gnorm)) return result(0, 'non-finite');

  const trial = new Float64Array(P);
  const trialGrad = new Float64Array(P);
  const direction = new Float64Array(P);
  const transported = new Float64Array(P);

  /** θ + t d (retracted on spheres) into `trial`, with f and ∇f there. */
  const move = (t: number) => {
    for (let j = 0; j < P; j++) trial[j] = theta[j] + t * direction[j];
    if (manifold) manifold.retract(trial);
    return evaluate(trial, trialGrad);
  };
  /** The directional derivative at the trial point along d (transported by projection on spheres). */
  const slopeAtTrial = () => {
    if (!manifold) return dot(trialGrad, direction);
    transported.set(direction);
    manifold.project(trial, transported);
    return dot(trialGrad, transported);
  };
  /** Backtracking from t0; returns the accepted step, or 0 when none is acceptable. */
  const lineSearch = (t0: number, slope: number): { t: number; f: number } => {
    let t = t0;
    for (let tries = 0; tries < 80; tries++) {
      const ft = move(t);
      if (Number.isFinite(ft)) {
        if (ft <= f + ARMIJO * t * slope) return { t, f: ft };
        if (ft <= f + 1e-14 * Math.abs(f)) {
          const s = slopeAtTrial();
          if (s >= CURVATURE * slope && s <= -0.8 * slope) return { t, f: ft };
        }
      }
      t *= 0.5;
    }
    return { t: 0, f };
  };

  const accept = (ft: number) => {
    theta.set(trial);
    grad.set(trialGrad);
    f = ft;
    gnorm = Math.sqrt(dot(grad, grad));
  };

  const m = options.memory ?? 10;
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(m);
  let step = options.step;
  let gdStep = 1;

  for (let it = 1; it <= options.maxIterations; it++) {
    if (gnorm <= options.tolerance) return result(it - 1, 'tolerance');
    if (options.method === 'gd' && step !== undefined) {
      for (let j = 0; j < P; j++) direction[j] = -grad[j];
      const ft = move(step);
      if (!Number.isFinite(ft)) return result(it - 1, 'non-finite');
      accept(ft);
    } else if (options.method === 'gd') {
      for (let j = 0; j < P; j++) direction[j] = -grad[j];
      const { t, f: ft } = lineSearch(Math.min(gdStep * 2, 1e6), -gnorm * gnorm);
      if (t === 0) return result(it - 1, 'line-search');
      gdStep = t;
      accept(ft);
    } else {
      // Two-loop recursion: direction = −H_k ∇f.
      if (manifold) for (let i = 0; i < S.length; i++) {
        manifold.project(theta, S[i]);
        manifold.project(theta, Y[i]);
        const sy = dot(S[i], Y[i]);
        rho[i] = sy > 1e-12 * Math.sqrt(dot(S[i], S[i]) * dot(Y[i], Y[i])) ? 1 / sy : 0;
      }
      for (let j = 0; j < P; j++) direction[j] = -grad[j];
      for (let i = S.length - 1; i >= 0; i--) {
        alpha[i] = rho[i] * dot(S[i], direction);
        for (let j = 0; j < P; j++) direction[j] -= alpha[i] * Y[i][j];
      }
      let gamma = 1 / Math.max(gnorm, 1);
      if (S.length) {
        const last = S.length - 1;
        const yy = dot(Y[last], Y[last]);
        if (rho[last] > 0 && yy > 0) gamma = 1 / (rho[last] * yy);
      }
      for (let j = 0; j < P; j++) direction[j] *= gamma;
      for (let i = 0; i < S.length; i++) {
        const beta = rho[i] * dot(Y[i], direction);
        for (let j = 0; j < P; j++) direction[j] += (alpha[i] - beta) * S[i][j];
      }
      if (manifold) manifold.project(theta, direction);
      let slope = dot(grad, direction);
      if (!(slope < 0)) {
        // Not a descent direction (stale curvature pairs): restart from the gradient.
        S.length = Y.length = rho.length = 0;
        for (let j = 0; j < P; j++) direction[j] = -grad[j] / Math.max(gnorm, 1);
        slope = dot(grad, direction);
      }
      let { t, f: ft } = lineSearch(1, slope);
      if (t === 0 && S.length) {
        S.length = Y.length = rho.length = 0;
        for (let j = 0; j < P; j++) direction[j] = -grad[j] / Math.max(gnorm, 1);
        ({ t, f: ft } = lineSearch(1, dot(grad, direction)));
      }
      if (t === 0) return result(it - 1, 'line-search');
      const s = new Float64Array(P);
      const y = new Float64Array(P);
      if (manifold) {
        for (let j = 0; j < P; j++) s[j] = t * direction[j];
        manifold.project(trial, s);
        y.set(grad);
        manifold.project(trial, y);
        for (let j = 0; j < P; j++) y[j] = trialGrad[j] - y[j];
      } else {
        for (let j = 0; j < P; j++) {
          s[j] = trial[j] - theta[j];
          y[j] = trialGrad[j] - grad[j];
        }
      }
      accept(ft);
      const sy = dot(s, y);
      if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
        if (S.length === m) {
          S.shift();
          Y.shift();
          rho.shift();
        }
        S.push(s);
        Y.push(y);
        rho.push(1 / sy);
      }
    }
    if (!(await notify(it))) return result(it, 'stopped');
  }
  return result(options.maxIterations, gnorm <= options.tolerance ? 'tolerance' : 'max-iterations');
}
