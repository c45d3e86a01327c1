import { resolveConventions, type ConventionOptions, type ResolvedConventions } from './conventions.js';
import { NcInputError } from './errors.js';
import { multiplyTransposed } from './linalg/dense.js';
import { symmetricEigen } from './linalg/symmetric-eigen.js';
import { classMeans, type MeansStatistics } from './statistics/means.js';
import { checkClassifier, type SpreadStatistics } from './statistics/spread.js';
import type { Classifier } from './types.js';

/**
 * Everything the metric functions read: K- and K×D-sized quantities derived once from the statistics,
 * restricted to the classes that have samples. Build it with {@link buildContext}; metrics never see batches.
 *
 * Notation (DESIGN.md): μ_k class means, μ_G global mean, M̃ rows μ̃_k = μ_k − μ_G, W rows w_k.
 */
export interface NcContext {
  /** Number of classes with samples (the K of every formula). */
  K: number;
  D: number;
  /** N = Σ n_k. */
  N: number;
  /** Original class indices of the K classes kept, ascending. */
  classes: number[];
  /** Classes with no samples (excluded). */
  emptyClasses: number[];
  counts: Float64Array;
  conventions: ResolvedConventions;
  /** μ_k, K × D. */
  means: Float64Array;
  /** μ_G under the chosen convention. */
  globalMean: Float64Array;
  /** M̃, K × D. */
  centredMeans: Float64Array;
  /** M̃ M̃ᵀ, K × K. */
  meansGram: Float64Array;
  /** Spread-phase data (absent when only phase 1 was run). */
  spread?: {
    /** Σ_{y_i=k} ‖h_i − μ_k‖², length K. */
    withinSS: Float64Array;
    /** M̃ Σ_W M̃ᵀ, K × K. */
    C: Float64Array;
    /** (true, NCC) counts restricted to the kept classes, K × K. */
    nccConfusion: Float64Array;
    /** Samples of kept classes whose NCC decision differs from the classifier's (with or without bias per conventions). */
    nccClassifierMismatch?: number;
    /** Correct classifier decisions (argmax over all classifier rows). */
    classifierCorrect?: number;
  };
  /** Classifier rows of the kept classes, K × D (as given), and bias. NC3 and decisions use these. */
  weights?: Float64Array;
  bias?: Float64Array;
  /** The rows the NC2 classifier metrics read: `weights`, centred (minus the mean row) under conventions.centreWeights (Zhou et al.). */
  nc2Weights?: Float64Array;
  /** Lazily computed, shared by several metrics (see betweenClassSpectrum, weightsGram, weightsMeansProduct). */
  cache: { spectrum?: BetweenClassSpectrum; weightsGram?: Float64Array; weightsMeans?: Float64Array };
}

/** Eigen-decomposition of M̃M̃ᵀ = U Λ Uᵀ and the rank kept by the pseudo-inverse cutoff. */
export interface BetweenClassSpectrum {
  /** Λ ascending (eigenvalues of M̃M̃ᵀ; Σ_B's nonzero eigenvalues are Λ/K). */
  values: Float64Array;
  /** U, K × K row-major, column j for values[j]. */
  vectors: Float64Array;
  /** Number of eigenvalues kept: Λ_j > cutoff. */
  rank: number;
  /** Absolute cutoff on Σ_B's eigenvalues: pinvRtol · λ_max(Σ_B). */
  cutoff: number;
}

/** Options of {@link buildContext}. */
export interface ContextOptions extends ConventionOptions {
  classifier?: Classifier;
}

/** Builds the metric context from phase-1 (and optionally phase-2) statistics. */
export function buildContext(means: MeansStatistics, spread: SpreadStatistics | undefined, options: ContextOptions = {}): NcContext {
  const { K: Kall, D } = means;
  const classes: number[] = [];
  const emptyClasses: number[] = [];
  for (let k = 0; k < Kall; k++) (means.counts[k] > 0 ? classes : emptyClasses).push(k);
  const conventions = resolveConventions(options, D, classes.length);
  if (classes.length === 0) throw new NcInputError('NO_DATA', 'no samples: every class is empty');
  if (emptyClasses.length > 0 && conventions.emptyClasses === 'error') {
    throw new NcInputError('EMPTY_CLASS', `class${emptyClasses.length > 1 ? 'es' : ''} ${emptyClasses.join(', ')} have no samples (pass emptyClasses: 'exclude' to measure the others)`);
  }
  if (classes.length < 2) throw new NcInputError('TOO_FEW_CLASSES', `neural collapse needs at least 2 classes with samples; found ${classes.length} (class ${classes[0]})`);
  const K = classes.length;
  const muAll = classMeans(means);
  const counts = Float64Array.from(classes, (k) => means.counts[k]);
  const N = counts.reduce((a, b) => a + b, 0);
  const mu = new Float64Array(K * D);
  classes.forEach((k, i) => mu.set(muAll.subarray(k * D, (k + 1) * D), i * D));
  // μ_G = Σ_k w_k μ_k with w = 1/K (class) or n_k/N (sample).
  const w = Float64Array.from(counts, (n) => (conventions.globalMean === 'class' ? 1 / K : n / N));
  const globalMean = new Float64Array(D);
  for (let i = 0; i < K; i++) for (let t = 0; t < D; t++) globalMean[t] += w[i] * mu[i * D + t];
  const centred = new Float64Array(K * D);
  for (let i = 0; i < K; i++) for (let t = 0; t < D; t++) centred[i * D + t] = mu[i * D + t] - globalMean[t];
  const ctx: NcContext = {
    K, D, N, classes, emptyClasses, counts, conventions, means: mu, globalMean,
    centredMeans: centred,
    meansGram: multiplyTransposed(centred, centred, K, K, D),
    cache: {},
  };
  if (spread) ctx.spread = restrictSpread(means, spread, classes, w, conventions.nc4Bias);
  if (options.classifier) {
    checkClassifier(options.classifier, Kall, D);
    const W = new Float64Array(K * D);
    classes.forEach((k, i) => { for (let t = 0; t < D; t++) W[i * D + t] = options.classifier!.weights[k * D + t]; });
    ctx.weights = W;
    ctx.nc2Weights = W;
    if (conventions.centreWeights) {
      const Wc = W.slice();
      for (let t = 0; t < D; t++) {
        let m = 0;
        for (let i = 0; i < K; i++) m += W[i * D + t];
        m /= K;
        for (let i = 0; i < K; i++) Wc[i * D + t] -= m;
      }
      ctx.nc2Weights = Wc;
    }
    const b = options.classifier.bias;
    ctx.bias = b ? Float64Array.from(classes, (k) => b[k]) : new Float64Array(K);
  }
  return ctx;
}

/**
 * Restricts phase-2 sums to the kept classes and converts the projected scatter to C = M̃ Σ_W M̃ᵀ:
 * with shifted means M_s (any common shift) and Q = I − 1wᵀ, M̃ = Q M_s, so C = Q (Σ_i p_i p_iᵀ / N) Qᵀ.
 */
function restrictSpread(means: MeansStatistics, spread: SpreadStatistics, classes: number[], w: Float64Array, nc4Bias: boolean): NonNullable<NcContext['spread']> {
  if (spread.K !== means.K || spread.D !== means.D) {
    throw new NcInputError('STATS_MISMATCH', `spread statistics are K = ${spread.K}, D = ${spread.D} but means are K = ${means.K}, D = ${means.D}`);
  }
  for (let k = 0; k < means.K; k++) {
    if (spread.counts[k] !== means.counts[k]) {
      throw new NcInputError('STATS_MISMATCH', `class ${k}: the spread phase saw ${spread.counts[k]} samples but the means phase ${means.counts[k]}; both phases must read the same data`);
    }
  }
  const Kall = means.K;
  const K = classes.length;
  const N = classes.reduce((a, k) => a + means.counts[k], 0);
  const S = new Float64Array(K * K);
  const conf = new Float64Array(K * K);
  classes.forEach((a, i) => classes.forEach((b, j) => {
    S[i * K + j] = spread.projectedScatter[a * Kall + b] / N;
    conf[i * K + j] = spread.nccConfusion[a * Kall + b];
  }));
  // C = Q S Qᵀ with Q = I − 1 wᵀ: (QS)_ij = S_ij − Σ_l w_l S_lj.
  const colW = new Float64Array(K);
  for (let j = 0; j < K; j++) for (let l = 0; l < K; l++) colW[j] += w[l] * S[l * K + j];
  const QS = new Float64Array(K * K);
  for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) QS[i * K + j] = S[i * K + j] - colW[j];
  const rowW = new Float64Array(K);
  for (let i = 0; i < K; i++) for (let l = 0; l < K; l++) rowW[i] += QS[i * K + l] * w[l];
  const C = new Float64Array(K * K);
  for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) C[i * K + j] = QS[i * K + j] - rowW[i];
  const out: NonNullable<NcContext['spread']> = {
    withinSS: Float64Array.from(classes, (k) => spread.withinSS[k]),
    C,
    nccConfusion: conf,
  };
  if (spread.classifierConfusion) {
    out.nccClassifierMismatch = nc4Bias ? spread.nccClassifierMismatch : spread.nccClassifierMismatchNoBias;
    let correct = 0;
    for (const k of classes) correct += spread.classifierConfusion[k * Kall + k];
    out.classifierCorrect = correct;
  }
  return out;
}

/** Eigen-decomposition of M̃M̃ᵀ with the pseudo-inverse cutoff of the conventions (cached on the context). */
export function betweenClassSpectrum(ctx: NcContext): BetweenClassSpectrum {
  if (ctx.cache.spectrum) return ctx.cache.spectrum;
  const { values, vectors } = symmetricEigen(ctx.meansGram, ctx.K);
  const lambdaMax = Math.max(0, values[ctx.K - 1]) / ctx.K;
  const cutoff = ctx.conventions.pinvRtol * lambdaMax;
  let rank = 0;
  for (let j = 0; j < ctx.K; j++) if (values[j] / ctx.K > cutoff) rank++;
  ctx.cache.spectrum = { values, vectors, rank, cutoff };
  return ctx.cache.spectrum;
}

/** W Wᵀ (K × K) of the NC2 classifier rows (centred under conventions.centreWeights), computed once per context. */
export function weightsGram(ctx: NcContext, metric: string): Float64Array {
  requireWeights(ctx, metric);
  const W = ctx.nc2Weights!;
  return (ctx.cache.weightsGram ??= multiplyTransposed(W, W, ctx.K, ctx.K, ctx.D));
}

/** W M̃ᵀ (K × K) with W as given (NC3), computed once per context. */
export function weightsMeansProduct(ctx: NcContext, metric: string): Float64Array {
  const W = requireWeights(ctx, metric);
  return (ctx.cache.weightsMeans ??= multiplyTransposed(W, ctx.centredMeans, ctx.K, ctx.K, ctx.D));
}

/** Throws a clear error when a metric needs the spread phase or a classifier and the context lacks it. */
export function requireSpread(ctx: NcContext, metric: string): NonNullable<NcContext['spread']> {
  if (!ctx.spread) throw new NcInputError('BAD_OPTION', `${metric} needs the spread phase (within-class statistics); run both phases`);
  return ctx.spread;
}
export function requireWeights(ctx: NcContext, metric: string): Float64Array {
  if (!ctx.weights) throw new NcInputError('BAD_OPTION', `${metric} needs the classifier weights W (K × D)`);
  return ctx.weights;
}
