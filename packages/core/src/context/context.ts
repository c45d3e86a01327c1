import { resolveConventions, type ConventionOptions, type ResolvedConventions } from '../conventions.js';
import { jsEngine } from '../engine/js-engine.js';
import type { ProductEngine } from '../engine/product-engine.js';
import type { ScatterSpace } from '../engine/spread-plan.js';
import { NcInputError } from '../errors.js';
import { betweenClass, betweenClassCached, betweenClassKey, type BetweenClass, type SpectralRoute } from '../geometry/between-class.js';
import { fingerprint } from '../statistics/fingerprint.js';
import { centreMeans } from '../geometry/centring.js';
import { classMeans, type MeansStatistics } from '../statistics/means.js';
import { normalizedClassifier, type Normalization } from '../statistics/normalization.js';
import { checkClassifier, type SpreadStatistics } from '../statistics/spread.js';
import type { Classifier } from '../types.js';

/**
 * Everything the metric functions read: K-, D- and K × D-sized quantities derived once from the statistics, restricted
 * to the classes that have samples. Build it with `await buildContext(…)`; metrics never see batches, and nothing of
 * size K × K is stored unless the scatter lives in the K-dimensional 'means' space (K ≤ D). Pairwise quantities are
 * streamed in tiles (context/pairs.ts).
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
  /** Where the K-sized algebra and pair tiles run (float64 products). */
  engine: ProductEngine;
  /** μ_k, K × D. */
  means: Float64Array;
  /** Weights w_k of μ_G = Σ w_k μ_k under the conventions. */
  globalWeights: Float64Array;
  /** μ_G under the chosen convention. */
  globalMean: Float64Array;
  /** M̃, K × D. */
  centredMeans: Float64Array;
  /** ‖μ̃_k‖² (K). */
  meanNormsSq: Float64Array;
  /** Σ_B in the smaller space with its pseudo-inverse (geometry/between-class.ts). */
  between: BetweenClass;
  /** Spread-phase data (absent when only phase 1 was run). */
  spread?: {
    /** Σ_{y_i=k} ‖h_i − μ_k‖², length K. */
    withinSS: Float64Array;
    /** The space of `within` (= between.space). */
    space: ScatterSpace;
    /** The within-class covariance seen in that space: 'means' C = M̃ Σ_W M̃ᵀ (K × K), 'features' Σ_W (D × D). */
    within: Float64Array;
    /** Samples of each kept class whose nearest class centre is its own (K). */
    nccCorrect: Float64Array;
    /** Samples of kept classes whose NCC decision differs from the classifier's (with or without bias per conventions). */
    nccClassifierMismatch?: number;
    /** Correct classifier decisions (argmax over all classifier rows). */
    classifierCorrect?: number;
    /**
     * Rows whose decisions were counted: N, or the size of the sample they were counted on (the statistics'
     * decisionCounts, summed over the kept classes). NC4 and the accuracies are fractions of these rows.
     */
    decisionRows: number;
    /** Per kept class, the rows whose decisions were counted (the class counts without a sample). */
    decisionCounts: Float64Array;
    /** Σ_{y_i=k} r_iᵀ Σ_B⁺ r_i of the kept classes, when the statistics hold it for this context's Σ_B⁺. */
    nc1Sums?: Float64Array;
    /** Why per-class NC1 is unavailable, when the statistics hold it for other conventions. */
    nc1SumsNote?: string;
  };
  /** The statistics' feature normalization (Yaras et al. 2022), absent for raw features; W is normalized under 'features-and-classifier'. */
  normalization?: Normalization & { zeroRows: number };
  /**
   * The class-size threshold of the imbalance section: classes with n_k < minorityBelow are the minority
   * (default: half the largest class count). `explicit` when the caller gave it.
   */
  minorityBelow: { value: number; explicit: boolean };
  /** Classifier rows of the kept classes, K × D (as given, or w_k/‖w_k‖ under 'features-and-classifier'), and bias. NC3 and decisions use these. */
  weights?: Float64Array;
  bias?: Float64Array;
  /** The rows the NC2 classifier metrics read: `weights`, centred (minus the mean row) under conventions.centreWeights (Zhou et al.). */
  nc2Weights?: Float64Array;
  /** Rows per side of the pair tiles (default 2048). */
  pairTile?: number;
  /** Memoised results shared by several metrics (pair reductions, product norms). */
  cache: Map<unknown, Promise<unknown>>;
}

/** Options of {@link buildContext}. */
export interface ContextOptions extends ConventionOptions {
  classifier?: Classifier;
  /** Engine for the K-sized algebra and the pair tiles (float64); default the portable {@link jsEngine}. */
  engine?: ProductEngine;
  /** Force the spectral route of Σ_B⁺ (tests compare both); default: Cholesky when Σ_B is safely full-rank. */
  spectralRoute?: 'auto' | SpectralRoute;
  /** Rows per side of the tiles pair products are streamed in (default 2048: 32 MiB per tile). */
  pairTile?: number;
  /**
   * Classes with fewer samples than this are the minority of the imbalance section (Fang et al. 2021); default half
   * the largest class count. Giving it adds the section even when every class has the same count.
   */
  minorityBelow?: number;
}

/** Builds the metric context from phase-1 (and optionally phase-2) statistics. */
export async function buildContext(means: MeansStatistics, spread: SpreadStatistics | undefined, options: ContextOptions = {}): Promise<NcContext> {
  const { K: Kall, D } = means;
  const classes: number[] = [];
  const emptyClasses: number[] = [];
  for (let k = 0; k < Kall; k++) (means.counts[k] > 0 ? classes : emptyClasses).push(k);
  const conventions = resolveConventions(options, D, classes.length);
  if (classes.length === 0) throw new NcInputError('NO_DATA', 'no samples: every class is empty');
  if (emptyClasses.length > 0 && conventions.emptyClasses === 'error') {
    throw NcInputError.at('EMPTY_CLASS', {}, `class${emptyClasses.length > 1 ? 'es' : ''} ${emptyClasses.join(', ')} ${emptyClasses.length > 1 ? 'have' : 'has'} no samples`, [
      { option: 'emptyClasses', value: 'exclude', purpose: 'to measure the others' },
    ]);
  }
  if (classes.length < 2) throw new NcInputError('TOO_FEW_CLASSES', `neural collapse needs at least 2 classes with samples; found ${classes.length} (class ${classes[0]})`);
  if (spread && (spread.K !== means.K || spread.D !== means.D)) {
    throw new NcInputError('STATS_MISMATCH', `spread statistics are K = ${spread.K}, D = ${spread.D} but means are K = ${means.K}, D = ${means.D}`);
  }
  if (options.classifier) checkClassifier(options.classifier, Kall, D);
  if (options.minorityBelow !== undefined && !(typeof options.minorityBelow === 'number' && Number.isFinite(options.minorityBelow) && options.minorityBelow > 0)) {
    throw new NcInputError('BAD_OPTION', `minorityBelow must be a positive number of samples, got ${options.minorityBelow}`);
  }
  const engine = options.engine ?? jsEngine;
  const cm = centreMeans(classMeans(means), means.counts, D, conventions.globalMean);
  const { K, N, counts, centred } = cm;
  const meanNormsSq = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let s = 0;
    for (let t = 0; t < D; t++) s += centred[k * D + t] ** 2;
    meanNormsSq[k] = s;
  }
  const space: ScatterSpace = spread ? spread.space : K <= D ? 'means' : 'features';
  const bcOptions = { space, rtol: conventions.pinvRtol, route: options.spectralRoute };
  let key: string | undefined;
  if (spread) {
    // The spread phase must have used these very means; its fingerprint also keys the Σ_B⁺ its set-up computed.
    const fp = fingerprint(means.counts, means.sums);
    if (fp !== spread.meansFingerprint) throw new NcInputError('STATS_MISMATCH', 'the spread statistics were computed against other class means than these (run phase 2 against the merged means it is reported with)');
    key = betweenClassKey(fp, conventions.globalMean, bcOptions, engine);
  }
  const between = await betweenClassCached(key, () => betweenClass(engine, centred, cm.weights, K, D, bcOptions));
  let largest = 0;
  for (let k = 0; k < K; k++) largest = Math.max(largest, counts[k]);
  const ctx: NcContext = {
    K, D, N, classes, emptyClasses, counts, conventions, engine,
    means: cm.means, globalWeights: cm.weights, globalMean: cm.globalMean, centredMeans: centred, meanNormsSq, between,
    pairTile: options.pairTile,
    minorityBelow: options.minorityBelow !== undefined ? { value: options.minorityBelow, explicit: true } : { value: largest / 2, explicit: false },
    cache: new Map(),
  };
  if (means.normalization) ctx.normalization = { ...means.normalization };
  if (spread) ctx.spread = restrictSpread(means, spread, ctx);
  if (options.classifier) {
    const given = normalizedClassifier(options.classifier, means.normalization, D);
    const W = new Float64Array(K * D);
    classes.forEach((k, i) => { for (let t = 0; t < D; t++) W[i * D + t] = given.weights[k * D + t]; });
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
 * Restricts phase-2 sums to the kept classes and converts the scatter to the within-class covariance in the operator's
 * space: 'features' — Σ_W = S_W / N; 'means' — with shifted means M_s (any common shift) and Q = I − 1wᵀ, M̃ = Q M_s,
 * so C = Q (Σ_i p_i p_iᵀ / N) Qᵀ.
 */
function restrictSpread(means: MeansStatistics, spread: SpreadStatistics, ctx: NcContext): NonNullable<NcContext['spread']> {
  for (let k = 0; k < means.K; k++) {
    if (spread.counts[k] !== means.counts[k]) {
      throw new NcInputError('STATS_MISMATCH', `class ${k}: the spread phase saw ${spread.counts[k]} samples but the means phase ${means.counts[k]}; both phases must read the same data`);
    }
  }
  const { classes, N } = ctx;
  const within = withinCovariance(ctx, spread.scatter, means.K, N);
  const out: NonNullable<NcContext['spread']> = {
    withinSS: Float64Array.from(classes, (k) => spread.withinSS[k]),
    space: spread.space,
    within,
    nccCorrect: Float64Array.from(classes, (k) => spread.nccCorrect[k]),
    decisionRows: N,
    decisionCounts: Float64Array.from(classes, (k) => means.counts[k]),
  };
  if (spread.decisionCounts) {
    out.decisionCounts = Float64Array.from(classes, (k) => spread.decisionCounts![k]);
    out.decisionRows = out.decisionCounts.reduce((a, b) => a + b, 0);
  }
  if (spread.classifierCorrect) {
    out.nccClassifierMismatch = ctx.conventions.nc4Bias ? spread.nccClassifierMismatch : spread.nccClassifierMismatchNoBias;
    let correct = 0;
    for (const k of classes) correct += spread.classifierCorrect[k];
    out.classifierCorrect = correct;
  }
  const pc = spread.perClassNc1;
  if (pc) {
    const c = pc.conventions;
    if (c.globalMean === ctx.conventions.globalMean && c.rank === ctx.between.rank) {
      out.nc1Sums = Float64Array.from(classes, (k) => pc.sums[k]);
    } else {
      out.nc1SumsNote = `per-class NC1 omitted: the statistics hold it for a ${c.globalMean === 'class' ? 'class-uniform' : 'sample-weighted'} global mean with rank ${c.rank}, `
        + `this report uses ${ctx.conventions.globalMean === 'class' ? 'class-uniform' : 'sample-weighted'} with rank ${ctx.between.rank} (rerun the spread phase with these conventions)`;
    }
  }
  return out;
}

/**
 * A spread-phase scatter (of the statistics' space and class indexing, `Kall` classes) divided by `N` and seen in the
 * context's operator space: 'features' — the D × D matrix / N; 'means' — restricted to the kept classes and
 * congruent with Q = I − 1wᵀ (M̃ = Q M_s for any common shift of the means), C = Q (S/N) Qᵀ. What nc1Trace reads.
 */
export function withinCovariance(ctx: Pick<NcContext, 'classes' | 'K' | 'globalWeights' | 'between'>, scatter: ArrayLike<number>, Kall: number, N: number): Float64Array {
  if (ctx.between.space === 'features') return Float64Array.from(scatter, (v) => v / N);
  const { classes, K } = ctx;
  const w = ctx.globalWeights;
  const S = new Float64Array(K * K);
  classes.forEach((a, i) => classes.forEach((b, j) => { S[i * K + j] = scatter[a * Kall + b] / N; }));
  // C = Q S Qᵀ with Q = I − 1 wᵀ: (QS)_ij = S_ij − Σ_l w_l S_lj, then (QS)Qᵀ likewise on rows.
  const colW = new Float64Array(K);
  for (let l = 0; l < K; l++) { const wl = w[l]; for (let j = 0; j < K; j++) colW[j] += wl * S[l * K + j]; }
  for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) S[i * K + j] -= colW[j];
  const rowW = new Float64Array(K);
  for (let i = 0; i < K; i++) { let s = 0; for (let l = 0; l < K; l++) s += S[i * K + l] * w[l]; rowW[i] = s; }
  for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) S[i * K + j] -= rowW[i];
  return S;
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

/** Memoises an async computation on the context under `key` (an object or string unique to the computation). */
export function memo<T>(ctx: NcContext, key: unknown, compute: () => Promise<T>): Promise<T> {
  let p = ctx.cache.get(key) as Promise<T> | undefined;
  if (!p) ctx.cache.set(key, (p = compute()));
  return p;
}
