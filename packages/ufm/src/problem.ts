import { DEFAULT_MAX_BYTES, NcInputError, classTableBytes, formatBytes } from '@ncscope/core';
import { isShiftInvariant, resolveLoss, type LossInput, type ResolvedLoss } from './losses.js';

/** How the classifier's bias enters: absent, with the penalty (λ_b/2)‖b‖², or free (λ_b = 0). */
export type BiasMode = 'none' | 'regularized' | 'free';

/** Features and classifier rows on spheres (Yaras et al. 2022): ‖h_i‖ = τ_h, ‖w_k‖ = τ_w. */
export interface NormalizedOptions {
  /** Radius of every feature vector h_i (default 2). */
  tauH?: number;
  /** Radius of every classifier row w_k (default 2). */
  tauW?: number;
}

/** The extended UFM of Tirer & Bruna 2022: logits W σ(W₁ H) + b with σ = ReLU. */
export interface ExtendedOptions {
  /** Rows of W₁, the width of σ(W₁H) (default D). */
  hidden?: number;
  /** λ on W₁ (default λ_W). */
  lambdaW1?: number;
}

/**
 * The graph UFM of Kothapalli, Tirer & Bruna 2023: logits W₁ h_i + W₂ (HÂ)_i + b, where Â is the normalized
 * adjacency matrix of a stochastic block model graph whose blocks are the classes.
 */
export interface GraphOptions {
  /** Edge probability between two nodes of the same class. */
  p: number;
  /** Edge probability between two nodes of different classes. */
  q: number;
  /** Seed of the graph (default 1). */
  seed?: number;
  /**
   * A regular SBM instead: every node has round(p·(n − 1)) neighbours in its class and round(q·n) in each other
   * (core's generator; needs balanced classes) — the condition for exact collapse in the paper.
   */
  regular?: boolean;
  /** 'mean' (default): S = D⁻¹A, the paper's Â = AD⁻¹; 'symmetric': D^{−1/2} A D^{−1/2}. */
  normalization?: 'mean' | 'symmetric';
}

/** The problem a UFM run minimises; see {@link UfmOptions} for the meaning of each field. */
export interface ProblemOptions {
  K: number;
  D: number;
  /** Samples per class (balanced); or give `counts`. */
  n?: number;
  /** Samples of each class, length K (imbalanced; the layer-peeled setting of Fang et al. 2021). */
  counts?: readonly number[];
  loss: LossInput;
  /** λ_W (default 1e-3). */
  lambdaW?: number;
  /** λ_H (default 1e-3). */
  lambdaH?: number;
  /** λ_b with bias 'regularized' (default λ_W). */
  lambdaB?: number;
  /** Default 'regularized'. */
  bias?: BiasMode;
  /** `true` for radii 2 and 2, or the radii. The λ_W, λ_H terms are constant on the spheres and dropped. */
  normalized?: boolean | NormalizedOptions;
  extended?: boolean | ExtendedOptions;
  graph?: GraphOptions;
  /**
   * Memory bound in bytes of the simulation's tables (default core's 8 GiB, `DEFAULT_MAX_BYTES`): a problem whose
   * estimate ({@link problemBytes}) exceeds it is refused with TOO_LARGE — naming K, N and the largest K that fits —
   * before anything is allocated. The CLI passes this machine's memory.
   */
  maxBytes?: number;
}

/** The problem with every default filled in and checked. */
export interface Problem {
  K: number;
  D: number;
  N: number;
  counts: number[];
  /** Class of each sample: class-major (the first n_0 samples are class 0, …). */
  labels: Int32Array;
  loss: ResolvedLoss;
  lambdaW: number;
  lambdaH: number;
  /** 0 unless bias is 'regularized'. */
  lambdaB: number;
  bias: BiasMode;
  normalized?: { tauH: number; tauW: number };
  extended?: { hidden: number; lambdaW1: number };
  graph?: { p: number; q: number; seed: number; regular: boolean; normalization: 'mean' | 'symmetric' };
}

export const DEFAULT_LAMBDA = 1e-3;
export const DEFAULT_TAU = 2;

/** The {@link ProblemShape} of options (the graph's edges as the SBM's expectation for balanced classes). */
function shapeOf(options: ProblemOptions, K: number, D: number, N: number): ProblemShape {
  const o = options.extended && options.extended !== true ? options.extended : {};
  const hidden = options.extended ? (typeof o.hidden === 'number' && o.hidden > 0 ? o.hidden : D) : undefined;
  let edges: number | undefined;
  if (options.graph) {
    const p = Number(options.graph.p) || 0;
    const q = Number(options.graph.q) || 0;
    edges = N * N * (p / K + (q * (K - 1)) / K);
  }
  return { K, D, N, hidden, edges };
}

function bad(message: string): NcInputError {
  return new NcInputError('BAD_OPTION', message);
}

function positiveInteger(value: unknown, name: string): number {
  if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= 1)) throw bad(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return value;
}

function nonNegative(value: number | undefined, name: string, fallback: number): number {
  const v = value ?? fallback;
  if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw bad(`${name} must be a finite number ≥ 0, got ${JSON.stringify(value)}`);
  return v;
}

/** The sizes that set a simulation's memory: K, D, N = Σ n_k, and the variant's extra widths. */
export interface ProblemShape {
  K: number;
  D: number;
  N: number;
  /** Width of σ(W₁H) in the extended model. */
  hidden?: number;
  /** Expected edges of the graph model's SBM. */
  edges?: number;
}

/**
 * Bytes of the float64 tables a simulation holds at once, estimated before allocating: the logits, their gradient
 * and the Hessian-vector scratch (4 N × K), the parameter vector θ (P = K·D + N·D + K, plus W₁ and W₂ in the
 * variants) with the optimizer's gradient, trial, direction and L-BFGS pairs (26 P), the variants' N × width
 * activations (3 N × width), 16 bytes per graph edge, and the final report's copy of H (N × D) with core's analysis
 * tables (`classTableBytes`, with the classifier).
 */
export function problemBytes(shape: ProblemShape): number {
  const { K, D, N } = shape;
  const hidden = shape.hidden ?? 0;
  const P = K * (hidden || D) + N * D + K + hidden * D + (shape.edges !== undefined ? K * D : 0);
  const width = Math.max(hidden, shape.edges !== undefined ? D : 0);
  return 8 * (4 * N * K + 26 * P + 3 * N * width + N * D) + 16 * (shape.edges ?? 0) + classTableBytes({ K, D, classifier: true });
}

/** TOO_LARGE unless the problem's tables ({@link problemBytes}) fit `maxBytes`; the message names the largest K that fits at this D and n. */
function checkProblemSize(shape: ProblemShape, perClass: number | undefined, maxBytes: number | undefined): void {
  const bound = maxBytes ?? DEFAULT_MAX_BYTES;
  if (!(typeof bound === 'number' && bound > 0)) throw bad(`maxBytes must be a positive number of bytes, got ${JSON.stringify(maxBytes)}`);
  const bytes = problemBytes(shape);
  if (bytes <= bound) return;
  let largest = '';
  if (perClass !== undefined) {
    const fits = (K: number) => problemBytes({ ...shape, K, N: K * perClass, edges: shape.edges === undefined ? undefined : (shape.edges * (K * perClass) ** 2) / shape.N ** 2 }) <= bound;
    let lo = 1;
    let hi = 2;
    while (fits(hi) && hi < 2 ** 40) hi *= 2;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (fits(mid)) lo = mid;
      else hi = mid;
    }
    largest = lo >= 2 ? `; at D = ${shape.D} and n = ${perClass} per class the bound is K ≤ ${lo.toLocaleString('en')}` : `; even K = 2 does not fit at D = ${shape.D} and n = ${perClass}`;
  }
  throw new NcInputError(
    'TOO_LARGE',
    `K = ${shape.K.toLocaleString('en')} classes, N = ${shape.N.toLocaleString('en')} samples, D = ${shape.D}: the simulation needs about ${formatBytes(bytes)} ` +
      `(four N × K logit tables alone are ${formatBytes(32 * shape.N * shape.K)}), more than the ${formatBytes(bound)} allowed${largest}`,
  );
}

/** Resolves and checks the options of a UFM problem; every error is an NcInputError('BAD_OPTION') naming the option. */
export function resolveProblem(options: ProblemOptions): Problem {
  const K = positiveInteger(options.K, 'K');
  if (K < 2) throw new NcInputError('TOO_FEW_CLASSES', `K must be at least 2, got ${K}`);
  const D = positiveInteger(options.D, 'D');
  let counts: number[];
  if (options.counts !== undefined) {
    if (options.n !== undefined) throw bad('give either n (samples per class) or counts (one per class), not both');
    if (!Array.isArray(options.counts) || options.counts.length !== K) throw bad(`counts must list one sample count per class (K = ${K}), got ${JSON.stringify(options.counts)}`);
    counts = options.counts.map((c, k) => positiveInteger(c, `counts[${k}]`));
  } else {
    if (options.n === undefined) throw bad('give n (samples per class) or counts (one per class)');
    const n = positiveInteger(options.n, 'n');
    // The size is checked before the K-long counts (and everything after them) are allocated.
    checkProblemSize(shapeOf(options, K, D, K * n), n, options.maxBytes);
    counts = new Array(K).fill(n);
  }
  const N = counts.reduce((a, b) => a + b, 0);
  if (options.counts !== undefined) checkProblemSize(shapeOf(options, K, D, N), undefined, options.maxBytes);
  const labels = new Int32Array(N);
  for (let k = 0, i = 0; k < K; k++) for (let j = 0; j < counts[k]; j++) labels[i++] = k;

  const loss = resolveLoss(options.loss);
  const bias = options.bias ?? 'regularized';
  if (bias !== 'none' && bias !== 'regularized' && bias !== 'free') throw bad(`bias must be none, regularized or free, got ${JSON.stringify(bias)}`);
  const lambdaW = nonNegative(options.lambdaW, 'lambdaW', DEFAULT_LAMBDA);
  const lambdaH = nonNegative(options.lambdaH, 'lambdaH', DEFAULT_LAMBDA);
  if (bias !== 'regularized' && options.lambdaB !== undefined && options.lambdaB !== 0) {
    throw bad(`lambdaB = ${options.lambdaB} needs bias 'regularized' (bias is '${bias}')`);
  }
  const lambdaB = bias === 'regularized' ? nonNegative(options.lambdaB, 'lambdaB', lambdaW) : 0;

  const problem: Problem = { K, D, N, counts, labels, loss, lambdaW, lambdaH, lambdaB, bias };
  const variants = (['normalized', 'extended', 'graph'] as const).filter((v) => options[v] !== undefined && options[v] !== false);
  if (variants.length > 1) throw bad(`the ${variants.join(' and ')} variants cannot be combined; choose one`);

  if (options.normalized) {
    const o = options.normalized === true ? {} : options.normalized;
    const radius = (v: number | undefined, name: string) => {
      const r = v ?? DEFAULT_TAU;
      if (!(typeof r === 'number' && Number.isFinite(r) && r > 0)) throw bad(`${name} must be a finite number > 0, got ${JSON.stringify(v)}`);
      return r;
    };
    problem.normalized = { tauH: radius(o.tauH, 'normalized.tauH'), tauW: radius(o.tauW, 'normalized.tauW') };
  } else if (isShiftInvariant(loss) && loss.kind !== 'ls' && (lambdaW === 0 || lambdaH === 0)) {
    throw bad(`${loss.kind === 'ce' ? 'cross-entropy' : 'focal loss'} with ${lambdaW === 0 ? 'lambdaW' : 'lambdaH'} = 0 has no minimizer (the loss keeps falling as ‖W‖‖H‖ grows): use λ > 0 or the normalized variant`);
  }
  if (options.extended) {
    const o = options.extended === true ? {} : options.extended;
    const hidden = positiveInteger(o.hidden ?? D, 'extended.hidden');
    problem.extended = { hidden, lambdaW1: nonNegative(o.lambdaW1, 'extended.lambdaW1', lambdaW) };
  }
  if (options.graph) {
    const { p, q } = options.graph;
    const prob = (v: number, name: string) => {
      if (!(typeof v === 'number' && v >= 0 && v <= 1)) throw bad(`graph.${name} must be a probability in [0, 1], got ${JSON.stringify(v)}`);
      return v;
    };
    const normalization = options.graph.normalization ?? 'mean';
    if (normalization !== 'mean' && normalization !== 'symmetric') throw bad(`graph.normalization must be mean or symmetric, got ${JSON.stringify(normalization)}`);
    const seed = options.graph.seed ?? 1;
    if (!Number.isSafeInteger(seed)) throw bad(`graph.seed must be an integer, got ${JSON.stringify(options.graph.seed)}`);
    if (options.graph.regular && counts.some((c) => c !== counts[0])) throw bad('a regular SBM (graph.regular) needs balanced classes');
    problem.graph = { p: prob(p, 'p'), q: prob(q, 'q'), seed, regular: options.graph.regular ?? false, normalization };
  }
  return problem;
}
