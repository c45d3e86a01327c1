/**
 * @ncscope/ufm — the unconstrained features model (UFM) lab: the models most Neural Collapse theory is stated on,
 * simulated exactly in float64 and measured with @ncscope/core's reports. See README.md.
 */
export { simulateUfm, type UfmOptions, type UfmResult } from './simulate.js';
export { problemBytes, resolveProblem, type ProblemShape, DEFAULT_LAMBDA, DEFAULT_TAU, type BiasMode, type ExtendedOptions, type GraphOptions, type NormalizedOptions, type Problem, type ProblemOptions } from './problem.js';
export { DEFAULT_ALPHA, DEFAULT_GAMMA, isShiftInvariant, lossLabel, meanLoss, resolveLoss, rowLoss, type LossInput, type LossSpec, type ResolvedLoss, type RowLoss } from './losses.js';
export { closedForm, closedForms, type ClosedForm } from './closed-forms.js';
export { hessianSummary, MAX_HESSIAN_PARAMETERS, type HessianSummary } from './hessian.js';
export { minimize, type MinimizeOptions, type MinimizeResult, type OptimizerName } from './optimize/minimize.js';
export { orthogonalFrameError, uncentredClassMeans } from './metrics/orthogonal-frame.js';
export { minorityCollapse, type MinorityCollapse } from './metrics/minority-collapse.js';
export { featureReport, logitMeans } from './report.js';
export { normalSampler } from './random.js';
export { bilinearObjective } from './model/bilinear.js';
export { extendedObjective } from './model/extended.js';
export { makeLayout, type Block, type Layout } from './model/layout.js';
export type { Objective } from './model/objective.js';
export { sphereManifold, type SphereManifold } from './model/sphere.js';
