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
  /**
   * Why it stopped: 'tolerance'; 'max-iterations'; 'line-search' (no acceptable step within float64 precision);
   * 'stalled' (L-BFGS: neither f nor the best gradient norm improved in 50 iterations, even after clearing its
   * memory — the float64 floor of this problem lies above the tolerance); 'stopped' (by onIteration); 'non-finite'.
   */
  stop: 'tolerance' | 'max-iterations' | 'line-search' | 'stalled' | 'stopped' | 'non-finite';
}

const ARMIJO = 1e-4;
const CURVATURE = 0.9;

/**
 * Minimizes the objective from θ (modified in place).
 *
 * - `gd` with `step`: θ ← θ − η ∇f (on spheres: θ ← R(θ − η P∇f)); exactly what the papers' gradient-flow analyses
 *   discretize, so iteration counts compare across losses at equal η.
 * - `gd` without `step`, and `lbfgs`: a line search that accepts the Armijo condition f(θ + t d) ≤ f(θ) + 10⁻⁴ t ∇fᵀd
 *   where f changes by more than 10⁻¹⁰|f|, and — where it does not, near a minimum — Hager & Zhang's approximate
 *   Wolfe condition on the directional derivative (0.9 ∇fᵀd ≤ ∇f(θ + t d)ᵀd ≤ −0.8 ∇fᵀd), lengthening or
 *   shortening the step by it, so gradient norms far below √ε·|f| are reached.
 * - `lbfgs`: two-loop recursion with the last `memory` pairs (s, y), skipping pairs with sᵀy ≤ 10⁻¹²‖s‖‖y‖; on spheres
 *   the pairs and the direction are projected on the current tangent space (vector transport by projection).
 * - L-BFGS stops as 'stalled' when for 50 iterations f has not fallen by more than 10⁻¹⁴|f| and the gradient norm
 *   has not gone below its best, twice (the memory is cleared after the first time): the tolerance is under what
 *   float64 resolves for this problem. Gradient descent runs its iterations as asked.
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
  /**
   * Step length from t0; returns the accepted step, or 0 when none is acceptable. Where f changes by more than
   * 10⁻¹⁰|f|, Armijo backtracking. Below that, rounding in f (logsumexp − z_y cancels, sums of many penalty terms;
   * seen at 4·10⁻¹⁴|f|) can drown the change, and the directional
   * derivative decides (Hager & Zhang's approximate Wolfe conditions): accept when 0.9·∇fᵀd ≤ ∇f(θ + td)ᵀd ≤ −0.8·∇fᵀd,
   * lengthen the step while the slope is still steeper than 0.9·∇fᵀd, shorten it once it turns up too far — by
   * doubling until bracketed, then bisecting.
   */
  const lineSearch = (t0: number, slope: number): { t: number; f: number } => {
    let t = t0;
    let lo = 0;
    let hi = Infinity;
    const resolution = 1e-10 * Math.abs(f);
    for (let tries = 0; tries < 100; tries++) {
      const ft = move(t);
      let longer = false;
      if (Number.isFinite(ft)) {
        if (Math.abs(ft - f) > resolution) {
          if (ft <= f + ARMIJO * t * slope) return { t, f: ft };
        } else {
          const s = slopeAtTrial();
          if (s >= CURVATURE * slope && s <= -0.8 * slope) return { t, f: ft };
          longer = s < CURVATURE * slope;
        }
      }
      if (longer) {
        lo = t;
        t = hi === Infinity ? 2 * t : 0.5 * (lo + hi);
      } else {
        hi = t;
        t = 0.5 * (lo + hi);
      }
      if (hi !== Infinity && hi - lo <= 1e-12 * hi) break;
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

  const PATIENCE = 50;
  let bestF = f;
  let bestGradient = gnorm;
  let sinceProgress = 0;
  let restarted = false;
  for (let it = 1; it <= options.maxIterations; it++) {
    if (gnorm <= options.tolerance) return result(it - 1, 'tolerance');
    if (sinceProgress >= PATIENCE) {
      // Stale curvature pairs can stall L-BFGS near a minimum: restart from the gradient once before giving up.
      if (restarted) return result(it - 1, 'stalled');
      restarted = true;
      sinceProgress = 0;
      S.length = Y.length = rho.length = 0;
    }
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
    if (options.method === 'lbfgs') {
      const progressed = f < bestF - 1e-14 * Math.abs(bestF) || gnorm < bestGradient;
      bestF = Math.min(bestF, f);
      bestGradient = Math.min(bestGradient, gnorm);
      sinceProgress = progressed ? 0 : sinceProgress + 1;
    }
    if (!(await notify(it))) return result(it, 'stopped');
  }
  return result(options.maxIterations, gnorm <= options.tolerance ? 'tolerance' : 'max-iterations');
}
