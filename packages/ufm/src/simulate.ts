import { NcInputError, toMeasurement, type ConventionOptions, type NcMeasurement, type NcReport } from '@ncscope/core';
import { closedForm, type ClosedForm } from './closed-forms.js';
import { hessianSummary, type HessianSummary } from './hessian.js';
import { lossLabel } from './losses.js';
import { minorityCollapse, type MinorityCollapse } from './metrics/minority-collapse.js';
import { orthogonalFrameError, uncentredClassMeans } from './metrics/orthogonal-frame.js';
import { bilinearObjective } from './model/bilinear.js';
import { squaredNorm } from './model/dense.js';
import { extendedObjective } from './model/extended.js';
import { graphOperator } from './model/graph.js';
import { blockValues, makeLayout, type Layout } from './model/layout.js';
import type { Objective } from './model/objective.js';
import { addSparseTimes, type SparseMatrix } from './model/sparse.js';
import { sphereManifold, type SphereManifold } from './model/sphere.js';
import { minimize, type MinimizeResult, type OptimizerName } from './optimize/minimize.js';
import { resolveProblem, type Problem, type ProblemOptions } from './problem.js';
import { normalSampler } from './random.js';
import { featureReport, logitMeans } from './report.js';

/** Options of {@link simulateUfm}: the problem (see {@link ProblemOptions}) and how to optimize and measure it. */
export interface UfmOptions extends ProblemOptions {
  /** Seed of the initialization (default 1): entries of W, H (W₁, W₂) i.i.d. N(0, initScale²/columns); b = 0. */
  seed?: number;
  /** Scale of the initialization (default 1: rows of norm ≈ 1). */
  initScale?: number;
  /** 'lbfgs' (default) or 'gd'. */
  optimizer?: OptimizerName;
  /** Fixed step of gradient descent (with optimizer 'gd'); without it gradient descent backtracks. */
  step?: number;
  /** Iteration cap (default 20,000). */
  maxIterations?: number;
  /** Stop when the (Riemannian) gradient norm is at most this (default 1e−10). */
  tolerance?: number;
  /** Measure NC every this many iterations (and at iteration 0 and the last); 0 or absent: only the final report. */
  every?: number;
  /** Called with each measurement line (`ncscope.measurement/1`), in order, as the run goes. */
  onMeasure?: (measurement: NcMeasurement) => void | Promise<void>;
  /** Name of the run in the measurement lines (default "ufm <loss>"). */
  run?: string;
  /** Also compute the Hessian at the final point, restricted to non-symmetry directions (small problems only). */
  hessian?: boolean;
  /** Conventions of the NC reports (default: core's `ncscope` preset). */
  conventions?: ConventionOptions;
}

/** The result of {@link simulateUfm}. Matrices are row-major float64: W K × D, H N × D (one row per sample). */
export interface UfmResult {
  problem: Problem;
  W: Float64Array;
  H: Float64Array;
  /** Bias (zeros with bias 'none'). */
  b: Float64Array;
  /** Class of each row of H (class-major). */
  labels: Int32Array;
  iterations: number;
  converged: boolean;
  /** Why the optimizer stopped (see MinimizeResult). */
  stop: MinimizeResult['stop'];
  /** The objective at the end (data term + penalties). */
  finalLoss: number;
  /** (1/N) Σ ℓ(z_i, y_i) at the end. */
  dataLoss: number;
  gradientNorm: number;
  /** The NC report of the features the classifier reads (H; σ(W₁H) in the extended model) with W and b. */
  report: NcReport;
  /** Reports per layer: `H` always; `σ(W₁H)` (extended) or `HÂ` (graph) too. */
  reports: Record<string, NcReport>;
  /** Measurement lines, in order (empty unless `every` > 0). */
  trajectory: NcMeasurement[];
  /** Mean logit at the true class and at the others. */
  logits: { trueMean: number; otherMean: number };
  /** Squared Frobenius norms ‖W‖², ‖H‖². */
  norms: { W: number; H: number };
  /** Orthogonal-frame errors (uncentred class means of the features the classifier reads, and W): 0 for an orthogonal frame. */
  orthogonalFrame: { means: number; weights: number };
  /** The paper's prediction for this problem, or null where there is none (see closedForm). */
  closedForm: ClosedForm | null;
  /** With `hessian: true`. */
  hessian?: HessianSummary;
  /** With unequal counts: minority collapse of the classifier rows. */
  minority?: MinorityCollapse | null;
  /** Extended model: W₁ (hidden × D) and σ(W₁H) (N × hidden). */
  extended?: { W1: Float64Array; features: Float64Array };
  /** Graph model: W₂ (K × D), the aggregation operator S (S H = the papers' H Â, row i: Σ_j Â_ji h_j). */
  graph?: { W2: Float64Array; operator: SparseMatrix; edges: number };
  seconds: number;
}

interface Built {
  layout: Layout;
  objective: Objective & { hidden?(theta: Float64Array): Float64Array };
  manifold?: SphereManifold;
  operator?: SparseMatrix;
  edges?: number;
}

function build(problem: Problem): Built {
  const { K, D, N } = problem;
  const bias = problem.bias !== 'none';
  if (problem.extended) {
    const layout = makeLayout({ K, D, N, bias, hidden: problem.extended.hidden });
    return { layout, objective: extendedObjective(problem, layout) };
  }
  if (problem.graph) {
    const { operator, edges } = graphOperator(problem);
    const layout = makeLayout({ K, D, N, bias, graph: true });
    return { layout, objective: bilinearObjective(problem, layout, operator), operator, edges };
  }
  const layout = makeLayout({ K, D, N, bias });
  if (problem.normalized) {
    const manifold = sphereManifold([
      { block: layout.W, radius: problem.normalized.tauW },
      { block: layout.H, radius: problem.normalized.tauH },
    ]);
    return { layout, objective: bilinearObjective(problem, layout, undefined, false), manifold };
  }
  return { layout, objective: bilinearObjective(problem, layout) };
}

/** Seeded initial θ: N(0, scale²/cols) entries for every matrix block, zero bias. */
function initialPoint(layout: Layout, seed: number, scale: number): Float64Array {
  const theta = new Float64Array(layout.size);
  const normal = normalSampler(seed);
  for (const block of [layout.W, layout.H, layout.W1, layout.W2]) {
    if (!block) continue;
    const s = scale / Math.sqrt(block.cols);
    for (let j = 0; j < block.rows * block.cols; j++) theta[block.offset + j] = s * normal();
  }
  return theta;
}

/**
 * Simulates the unconstrained features model: minimizes
 *   (1/N) Σ_i ℓ(W h_i + b, y_i) + (λ_W/2)‖W‖_F² + (λ_H/2)‖H‖_F² + (λ_b/2)‖b‖²
 * (or a variant: normalized, extended, graph; imbalanced counts) in float64 from a seeded random start, measuring
 * Neural Collapse with @ncscope/core along the way. Deterministic: the same options give the same bits.
 */
export async function simulateUfm(options: UfmOptions): Promise<UfmResult> {
  const started = performance.now();
  const problem = resolveProblem(options);
  const seed = options.seed ?? 1;
  if (!Number.isSafeInteger(seed)) throw new NcInputError('BAD_OPTION', `seed must be an integer, got ${JSON.stringify(options.seed)}`);
  const initScale = options.initScale ?? 1;
  if (!(initScale > 0 && Number.isFinite(initScale))) throw new NcInputError('BAD_OPTION', `initScale must be a finite number > 0, got ${JSON.stringify(options.initScale)}`);
  const maxIterations = options.maxIterations ?? 20_000;
  if (!(Number.isSafeInteger(maxIterations) && maxIterations >= 0)) throw new NcInputError('BAD_OPTION', `maxIterations must be an integer ≥ 0, got ${JSON.stringify(options.maxIterations)}`);
  const tolerance = options.tolerance ?? 1e-10;
  if (!(tolerance >= 0)) throw new NcInputError('BAD_OPTION', `tolerance must be a number ≥ 0, got ${JSON.stringify(options.tolerance)}`);
  const every = options.every ?? 0;
  if (!(Number.isSafeInteger(every) && every >= 0)) throw new NcInputError('BAD_OPTION', `every must be an integer ≥ 0, got ${JSON.stringify(options.every)}`);
  const method = options.optimizer ?? 'lbfgs';
  if (method !== 'lbfgs' && method !== 'gd') throw new NcInputError('BAD_OPTION', `optimizer must be lbfgs or gd, got ${JSON.stringify(method)}`);
  if (options.step !== undefined && !(options.step > 0 && Number.isFinite(options.step))) throw new NcInputError('BAD_OPTION', `step must be a finite number > 0, got ${JSON.stringify(options.step)}`);
  if (options.step !== undefined && method !== 'gd') throw new NcInputError('BAD_OPTION', "a fixed step needs optimizer 'gd' (L-BFGS chooses its own steps)");

  const built = build(problem);
  const { layout, objective, manifold } = built;
  const theta = initialPoint(layout, seed, initScale);
  const run = options.run ?? `ufm ${lossLabel(problem.loss)}`;
  const trajectory: NcMeasurement[] = [];
  let lastMeasured = -1;

  const snapshot = async (iteration: number, f: number, gradientNorm: number, measure: boolean) => {
    const s = state(theta, problem, built);
    const reports: Record<string, NcReport> = {};
    reports.H = await featureReport(s.H, problem.labels, problem.K, s.layerClassifiers.H, options.conventions);
    for (const [layer, data] of Object.entries(s.extraLayers)) reports[layer] = await featureReport(data.features, problem.labels, problem.K, data.classifier, options.conventions);
    if (measure) {
      const logs: Record<string, number> = {
        loss: f,
        dataLoss: objective.dataLoss(theta),
        gradientNorm,
        trueLogit: s.logits.trueMean,
        otherLogit: s.logits.otherMean,
        normW: s.norms.W,
        normH: s.norms.H,
      };
      const seconds = (performance.now() - started) / 1000;
      for (const [layer, report] of Object.entries(reports)) {
        const m = toMeasurement(report, { run, step: iteration, layer, seconds, logs });
        trajectory.push(m);
        await options.onMeasure?.(m);
      }
      lastMeasured = iteration;
    }
    return { ...s, reports };
  };

  const outcome = await minimize(objective, theta, {
    method,
    maxIterations,
    tolerance,
    step: options.step,
    manifold,
    onIteration: every > 0 ? (it, _theta, f, g) => (it % every === 0 ? snapshot(it, f, g, true).then(() => undefined) : undefined) : undefined,
  });
  const final = await snapshot(outcome.iterations, outcome.f, outcome.gradientNorm, every > 0 && lastMeasured !== outcome.iterations);
  const mainLayer = problem.extended ? 'σ(W₁H)' : 'H';
  const report = final.reports[mainLayer];
  const means = uncentredClassMeans(final.classifierFeatures, problem.labels, problem.K, final.classifierFeaturesDim);
  const result: UfmResult = {
    problem,
    W: blockValues(theta, layout.W),
    H: final.H,
    b: layout.b ? blockValues(theta, layout.b) : new Float64Array(problem.K),
    labels: problem.labels,
    iterations: outcome.iterations,
    converged: outcome.converged,
    stop: outcome.stop,
    finalLoss: outcome.f,
    dataLoss: objective.dataLoss(theta),
    gradientNorm: outcome.gradientNorm,
    report,
    reports: final.reports,
    trajectory,
    logits: final.logits,
    norms: final.norms,
    orthogonalFrame: {
      means: orthogonalFrameError(means, problem.K, final.classifierFeaturesDim),
      weights: orthogonalFrameError(blockValues(theta, layout.W), problem.K, layout.W.cols),
    },
    closedForm: closedForm(problem),
    seconds: 0,
  };
  if (problem.counts.some((c) => c !== problem.counts[0])) result.minority = minorityCollapse(report);
  if (layout.W1) result.extended = { W1: blockValues(theta, layout.W1), features: final.classifierFeatures };
  if (layout.W2 && built.operator) result.graph = { W2: blockValues(theta, layout.W2), operator: built.operator, edges: built.edges ?? 0 };
  if (options.hessian) result.hessian = hessianSummary(objective, theta, problem, manifold);
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

/** Features, logits and norms at θ, and the classifier each reported layer is read with. */
function state(theta: Float64Array, problem: Problem, built: Built) {
  const { layout, objective } = built;
  const H = blockValues(theta, layout.H);
  const W = blockValues(theta, layout.W);
  const b = layout.b ? blockValues(theta, layout.b) : undefined;
  const Z = objective.logits(theta);
  const logits = logitMeans(Z, problem.labels, problem.K);
  const norms = { W: squaredNorm(W), H: squaredNorm(H) };
  const extraLayers: Record<string, { features: Float64Array; classifier?: { weights: Float64Array; bias?: Float64Array } }> = {};
  let layerClassifiers: { H?: { weights: Float64Array; bias?: Float64Array } } = { H: { weights: W, bias: b } };
  let classifierFeatures = H;
  let classifierFeaturesDim = layout.D;
  if (problem.extended && objective.hidden) {
    const R = objective.hidden(theta);
    extraLayers['σ(W₁H)'] = { features: R, classifier: { weights: W, bias: b } };
    layerClassifiers = {};
    classifierFeatures = R;
    classifierFeaturesDim = layout.W.cols;
  } else if (layout.W2 && built.operator) {
    // Graph: logits W h_i + W₂ (SH)_i + b. H is reported with W (and b) as its classifier, SH with W₂.
    const SH = new Float64Array(layout.N * layout.D);
    addSparseTimes(built.operator, H, SH, layout.D);
    extraLayers['HÂ'] = { features: SH, classifier: { weights: blockValues(theta, layout.W2) } };
  }
  return { H, logits, norms, extraLayers, layerClassifiers, classifierFeatures, classifierFeaturesDim };
}
