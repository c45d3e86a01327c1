import { metricCatalogue, withAliases } from '../catalogue/catalogue.js';
import '../catalogue/nc-metrics.js';
import { buildContext, type ContextOptions, type NcContext } from '../context/context.js';
import { pairTileSize, productRows, reducePairs, type PairReduction } from '../context/pairs.js';
import type { ResolvedConventions } from '../conventions.js';
import { principalCoordinates } from '../geometry/between-class.js';
import { cdnv, classVariances } from '../metrics/cdnv.js';
import { cosineMatrixMeansReduction, cosineMatrixWeightsReduction } from '../metrics/cosines.js';
import { equiangularityMeans, equiangularityWeights } from '../metrics/equiangularity.js';
import { equinormMeans, equinormWeights } from '../metrics/equinorm.js';
import { etfErrorMeans, etfErrorWeights, etfWeightsMeansReduction } from '../metrics/etf-error.js';
import { maxAngleMeans, maxAngleWeights } from '../metrics/max-angle.js';
import { nc1 } from '../metrics/nc1.js';
import { nc1PerClass } from '../metrics/nc1-per-class.js';
import { nc1Quotient } from '../metrics/nc1-quotient.js';
import { nc3SelfDuality } from '../metrics/nc3-self-duality.js';
import { nc3Zhu } from '../metrics/nc3-zhu.js';
import { meansSummaryReduction, weightsSummaryReduction } from '../metrics/pair-summary.js';
import { classifierAccuracy, nc4NccMismatch, nccAccuracy } from '../metrics/nc4.js';
import { centralPathMetrics, type CentralPathOptions } from '../heads/central-path.js';
import { degeneracy } from '../metrics/degenerate.js';
import { gnc2, gnc2Reduction } from '../metrics/gnc2.js';
import { groupCosineMeansReduction, groupCosineWeightsReduction, hasImbalance, imbalance, type NcImbalance } from '../metrics/imbalance.js';
import { nc0 } from '../metrics/nc0.js';
import { nc1Svd } from '../metrics/nc1-svd.js';
import { orthoFrameMeans, orthoFrameMeansReduction, orthoFrameWeights, orthoFrameWeightsReduction } from '../metrics/orthogonal-frame.js';
import { subspaceAlignment, subspaceAlignmentWeights } from '../metrics/subspace-alignment.js';
import { unc3, unc3Cos } from '../metrics/unc3.js';
import type { FeatureNormalization } from '../statistics/normalization.js';
import type { FloatArray } from '../types.js';
import type { MeansStatistics } from '../statistics/means.js';
import type { ScatterStatistics } from '../statistics/scatter.js';
import type { SpreadStatistics } from '../statistics/spread.js';

/**
 * The metric values of a report. Keys are stable: the CLI's `--json`, the tfjs logs and JSONL use them. Every key has
 * an entry in the metric catalogue (`metricCatalogue()`: label, formula, paper, …); renamed keys stay for one release
 * as aliases carrying the same value.
 */
export interface NcMetrics {
  nc1?: number;
  nc1Quotient?: number;
  cdnv?: number;
  equinormMeans: number;
  equiangularityMeans: number;
  maxAngleMeans: number;
  etfErrorMeans: number;
  equinormWeights?: number;
  equiangularityWeights?: number;
  maxAngleWeights?: number;
  etfErrorWeights?: number;
  nc3SelfDuality?: number;
  nc3Zhu?: number;
  nc4NccMismatch?: number;
  nccAccuracy?: number;
  classifierAccuracy?: number;
  /** MSE central path (Han, Papyan & Donoho 2022), with `centralPath` scatter statistics and a classifier: L_NC1. */
  centralPathNC1?: number;
  /** L_NC2/3 (includes the LS classifier's ridge penalty). */
  centralPathNC23?: number;
  /** L⊥: distance of (W, b) from the least-squares classifier. */
  centralPathPerp?: number;
  /** The regularised MSE loss of (W, b) = L_NC1 + L_NC2/3 + L⊥. */
  centralPathLoss?: number;
  /** NC1 with Σ_B inverted on its top K − 1 eigenvalues (Han et al. 2022's "svd" form; rhubarbwu's `nc1_svd`). */
  nc1Svd?: number;
  /** Generalized NC2 (Liu et al. 2023), rhubarbwu's `kernel_stats`: mean and variance over pairs of the log, Riesz and distance kernels of the normalized centred means. */
  gnc2LogMean?: number;
  gnc2LogVar?: number;
  gnc2RieszMean?: number;
  gnc2RieszVar?: number;
  gnc2DistMean?: number;
  gnc2DistVar?: number;
  /**
   * @deprecated The same number as `maxAngleMeans` (mean over k ≠ l of |cos(μ̃_k, μ̃_l) + 1/(K−1)|), under the name
   * rhubarbwu/neural-collapse uses: an alias of it, kept for one release.
   */
  coherence?: number;
  /** Orthogonal-frame distance ‖G/‖G‖_F − I/√K‖_F of the uncentred means (G = MMᵀ) and of W as given. */
  orthoFrameMeans?: number;
  orthoFrameWeights?: number;
  /** UNC3: variance over classes (n − 1) of ⟨w_k, μ̃_k⟩ (rhubarbwu's README recipe), and of cos(w_k, μ̃_k). */
  unc3?: number;
  unc3Cos?: number;
  /** ‖Σ_k w_k‖: the classifier rows sum to zero at NC. */
  nc0?: number;
  /** Rangamani et al. 2023: mean singular value of V_rᵀU between the top-r input subspace of W and the class-mean subspace. */
  subspaceAlignmentWeights?: number;
  /** The same for the next layer's weight that consumes these features (`consumer` of the report). */
  subspaceAlignment?: number;
}

/**
 * Per-class quantities behind the metrics, in the order of `classes`, for tables and plots. Present in a report while
 * K ≤ `perClassLimit` (default 4096); the K × K cosine matrices only while K ≤ `perClassMatrixLimit` (default 256).
 */
export interface NcPerClass {
  classes: number[];
  counts: number[];
  /** ‖μ̃_k‖. */
  meanNorms: number[];
  /** v_k = (1/n_k) Σ ‖h − μ_k‖² (with the spread phase). */
  variances?: number[];
  /** NCC recall per class (with the spread phase). */
  nccRecall?: number[];
  /** NC1_c = Tr(Σ_c Σ_B⁺) (with the spread phase, when its sums match this report's Σ_B⁺; see metrics/nc1-per-class.ts). */
  nc1PerClass?: number[];
  /** ‖w_k‖ (with a classifier). */
  weightNorms?: number[];
  /** cos(μ̃_k, μ̃_l), K × K as nested rows; the simplex ETF has −1/(K−1) off the diagonal (K ≤ perClassMatrixLimit). */
  cosineMeans?: number[][];
  /** cos(w_k, w_l) (with a classifier; K ≤ perClassMatrixLimit). */
  cosineWeights?: number[][];
  /** Coordinates of μ̃_k on the top two principal directions of the centred means (M̃ = U S Vᵀ → U S). */
  meansProjection2d: [number, number][];
}

/** Distribution of one per-class quantity over the classes: quantiles (nearest rank) and the mean. */
export interface Distribution {
  min: number;
  p05: number;
  p25: number;
  median: number;
  p75: number;
  p95: number;
  max: number;
  mean: number;
}

/** What replaces `perClass` past `perClassLimit` classes: each per-class quantity as a {@link Distribution}. */
export interface NcPerClassSummary {
  K: number;
  counts: Distribution;
  meanNorms: Distribution;
  variances?: Distribution;
  nccRecall?: Distribution;
  nc1PerClass?: Distribution;
  weightNorms?: Distribution;
}

/** The conventions a report used: the resolved options, the cutoff applied, and the statistics' feature normalization. */
export type ReportConventions = ResolvedConventions & {
  pinvCutoff: number;
  /** Feature normalization of the statistics (Yaras et al. 2022); 'none' for raw features. */
  normalize: FeatureNormalization;
  /** τ of the normalized features τ·h/‖h‖ (only when normalized). */
  temperature?: number;
};

/** A full NC report. Schema id `ncscope.report/1`; every report records the conventions it used. */
export interface NcReport {
  schema: 'ncscope.report/1';
  N: number;
  D: number;
  K: number;
  /** Rank of Σ_B kept by the pseudo-inverse cutoff. */
  rank: number;
  conventions: ReportConventions;
  /**
   * True when the class-mean geometry is degenerate (all-zero features, one distinct feature vector, coinciding class
   * means): the ratios that divide by it are NaN (null in JSON) and a warning says why — this is not collapse.
   */
  degenerate: boolean;
  metrics: NcMetrics;
  /** Minority collapse (Fang et al. 2021): present when class counts differ or minorityBelow was given. */
  imbalance?: NcImbalance;
  /** The layer consuming these features whose weight `metrics.subspaceAlignment` measures against. */
  consumer?: { name?: string; outputs: number };
  /** Per-class data while K ≤ perClassLimit (see {@link NcPerClass}). */
  perClass?: NcPerClass;
  /** Past perClassLimit classes: distributions of the per-class quantities instead. */
  perClassSummary?: NcPerClassSummary;
  /** Notes a reader should see: excluded empty classes, D < K − 1, summarised per-class data, … */
  warnings: string[];
}

/** Size rules for the per-class block of a report. */
export interface PerClassOptions {
  /** Largest K with per-class vectors and the 2-D projection in the report (default 4096); beyond, distributions. */
  perClassLimit?: number;
  /** Largest K with the K × K cosine matrices (default 256). */
  perClassMatrixLimit?: number;
  /**
   * Largest K for which the report computes the subspace alignments (default 256, the size rule of the K × K cosine
   * matrices): they need the top K − 1 eigenvectors of a K × K Gram and the eigenvalues of an r × r matrix
   * (r = K − 1), solved in plain TypeScript — ~0.1 s at K = 100, ~1.3 s at 256, ~18 s at 512 on a loaded 2-core
   * machine (bench/geometry.bench.ts). Above it they are left out with a warning; `subspaceAlignment(ctx, …)`
   * computes them at any size.
   */
  alignmentLimit?: number;
  /**
   * A linear map A that consumes these features (the next layer's weight, out × D row-major — PyTorch
   * `nn.Linear.weight` layout): adds `metrics.subspaceAlignment` and `report.consumer`.
   */
  consumer?: LinearConsumer;
}

/** A linear map z = A h consuming the measured features: `weights` is out × D row-major. */
export interface LinearConsumer {
  weights: FloatArray;
  outputs: number;
  /** Layer or node name, recorded in the report. */
  name?: string;
}

export const DEFAULT_PER_CLASS_LIMIT = 4096;
export const DEFAULT_PER_CLASS_MATRIX_LIMIT = 256;
export const DEFAULT_ALIGNMENT_LIMIT = 256;


/**
 * Computes every metric the context supports. Pairwise metrics share one tiled pass per pair product (M̃M̃ᵀ, WWᵀ,
 * WM̃ᵀ) on the context's engine; nothing K × K is held beyond one tile unless K ≤ perClassMatrixLimit.
 */
export async function reportFromContext(ctx: NcContext, options: PerClassOptions = {}): Promise<NcReport> {
  const perClassLimit = options.perClassLimit ?? DEFAULT_PER_CLASS_LIMIT;
  const matrixLimit = options.perClassMatrixLimit ?? DEFAULT_PER_CLASS_MATRIX_LIMIT;
  const hasW = ctx.weights !== undefined;
  const s = ctx.spread;
  const { K, D } = ctx;
  const withMatrices = K <= Math.min(matrixLimit, perClassLimit);
  // Every reduction the report needs, so each product is streamed once.
  const withImbalance = hasImbalance(ctx);
  const reductions: PairReduction<any, any>[] = [meansSummaryReduction, gnc2Reduction, orthoFrameMeansReduction];
  if (withMatrices) reductions.push(cosineMatrixMeansReduction);
  if (withImbalance) reductions.push(groupCosineMeansReduction);
  if (hasW) {
    reductions.push(weightsSummaryReduction);
    // nc3Zhu streams W M̃ᵀ only while it fits one tile (else a closed form, metrics/nc3-zhu.ts).
    if (K <= pairTileSize(ctx)) reductions.push(etfWeightsMeansReduction);
    reductions.push(orthoFrameWeightsReduction);
    if (withMatrices) reductions.push(cosineMatrixWeightsReduction);
    if (withImbalance) reductions.push(groupCosineWeightsReduction);
  }
  await reducePairs(ctx, reductions);
  const alignmentLimit = options.alignmentLimit ?? DEFAULT_ALIGNMENT_LIMIT;
  const withAlignment = K <= alignmentLimit;

  const metrics: NcMetrics = {
    equinormMeans: await equinormMeans(ctx),
    equiangularityMeans: await equiangularityMeans(ctx),
    maxAngleMeans: await maxAngleMeans(ctx),
    etfErrorMeans: await etfErrorMeans(ctx),
  };
  if (s) {
    metrics.nc1 = await nc1(ctx);
    metrics.nc1Quotient = await nc1Quotient(ctx);
    metrics.cdnv = await cdnv(ctx);
  }
  if (hasW) {
    metrics.equinormWeights = await equinormWeights(ctx);
    metrics.equiangularityWeights = await equiangularityWeights(ctx);
    metrics.maxAngleWeights = await maxAngleWeights(ctx);
    metrics.etfErrorWeights = await etfErrorWeights(ctx);
    metrics.nc3SelfDuality = await nc3SelfDuality(ctx);
    metrics.nc3Zhu = await nc3Zhu(ctx);
  }
  if (s?.nccClassifierMismatch !== undefined) metrics.nc4NccMismatch = await nc4NccMismatch(ctx);
  if (s) metrics.nccAccuracy = await nccAccuracy(ctx);
  if (s?.classifierCorrect !== undefined) metrics.classifierAccuracy = await classifierAccuracy(ctx);
  // The metrics other NC codebases report (parity; each a function in metrics/ citing its source).
  if (s) metrics.nc1Svd = await nc1Svd(ctx);
  const g = await gnc2(ctx);
  Object.assign(metrics, {
    gnc2LogMean: g.logMean, gnc2LogVar: g.logVar, gnc2RieszMean: g.rieszMean, gnc2RieszVar: g.rieszVar, gnc2DistMean: g.distMean, gnc2DistVar: g.distVar,
  });
  metrics.orthoFrameMeans = await orthoFrameMeans(ctx);
  if (hasW) {
    metrics.orthoFrameWeights = await orthoFrameWeights(ctx);
    metrics.unc3 = await unc3(ctx);
    metrics.unc3Cos = await unc3Cos(ctx);
    metrics.nc0 = await nc0(ctx);
    if (withAlignment) metrics.subspaceAlignmentWeights = await subspaceAlignmentWeights(ctx);
  }
  if (options.consumer && withAlignment) metrics.subspaceAlignment = await subspaceAlignment(ctx, options.consumer.weights, options.consumer.outputs);

  const warnings: string[] = [];
  const degenerate = degeneracy(ctx);
  if (degenerate.degenerate) {
    warnings.push(`degenerate geometry: ${degenerate.reason}. This is not neural collapse: the ratios that divide by the between-class geometry (NC1, CDNV, NC2 of the means, NC3, GNC2, alignment) are undefined and reported as NaN (null in JSON)`);
    // The catalogue marks the metrics that divide by the between-class geometry.
    for (const e of metricCatalogue({ section: 'metrics' })) if (e.degenerateNaN && metrics[e.key as keyof NcMetrics] !== undefined) metrics[e.key as keyof NcMetrics] = NaN;
  }
  if ((hasW || options.consumer) && !withAlignment) {
    warnings.push(`K = ${K} > ${alignmentLimit}: the subspace alignment is left out (an r × r eigenproblem with r = K − 1); raise alignmentLimit to compute it`);
  }
  if (ctx.normalization && ctx.normalization.zeroRows > 0) {
    warnings.push(`${ctx.normalization.zeroRows} feature row${ctx.normalization.zeroRows > 1 ? 's' : ''} had zero norm and stayed at 0 under normalization (h/‖h‖ is undefined there)`);
  }
  if (ctx.emptyClasses.length) warnings.push(`excluded class${ctx.emptyClasses.length > 1 ? 'es' : ''} with no samples: ${ctx.emptyClasses.join(', ')}`);
  if (D < K - 1) warnings.push(`D = ${D} < K − 1 = ${K - 1}: the class means cannot form a simplex ETF; Σ_B has rank at most ${D}`);
  else if (ctx.between.rank < K - 1) warnings.push(`Σ_B has rank ${ctx.between.rank} < K − 1 = ${K - 1}: some class means are (nearly) affinely dependent`);
  if (s?.nc1SumsNote) warnings.push(s.nc1SumsNote);
  if (s && s.decisionRows !== ctx.N) {
    warnings.push(`NC4, NCC and classifier accuracy (and NCC recall) counted on a sample of ${s.decisionRows} of the ${ctx.N} samples`);
  }

  // Per-class vectors (K numbers each).
  const vectors: Record<string, ArrayLike<number>> = {
    counts: ctx.counts,
    meanNorms: Float64Array.from(ctx.meanNormsSq, Math.sqrt),
  };
  if (s) {
    vectors.variances = classVariances(ctx);
    vectors.nccRecall = Float64Array.from({ length: K }, (_, k) => s.nccCorrect[k] / s.decisionCounts[k]);
    const pc = await nc1PerClass(ctx);
    if (pc) vectors.nc1PerClass = degenerate.degenerate ? pc.map(() => NaN) : pc;
  }
  if (hasW) vectors.weightNorms = Float64Array.from(productRows(ctx, 'weights').xNormsSq, Math.sqrt);

  const report: NcReport = {
    schema: 'ncscope.report/1',
    N: ctx.N,
    D,
    K,
    rank: ctx.between.rank,
    conventions: {
      ...ctx.conventions,
      pinvCutoff: ctx.between.cutoff,
      normalize: ctx.normalization?.mode ?? 'none',
      ...(ctx.normalization ? { temperature: ctx.normalization.temperature } : {}),
    },
    degenerate: degenerate.degenerate,
    metrics: withAliases(metrics),
    warnings,
  };
  if (withImbalance) {
    const section = await imbalance(ctx, { classLists: K <= perClassLimit });
    if (degenerate.degenerate) {
      for (const key of ['minorityCosineMeans', 'minorityCosineMeansStd', 'majorityCosineMeans', 'majorityCosineMeansStd', 'normRatioMeans', 'nc1Minority', 'nc1Majority'] as const) {
        if (section[key] !== undefined) section[key] = NaN;
      }
    }
    report.imbalance = section;
  }
  if (options.consumer) report.consumer = { ...(options.consumer.name !== undefined ? { name: options.consumer.name } : {}), outputs: options.consumer.outputs };
  if (K <= perClassLimit) {
    const proj = await principalCoordinates(ctx.engine, ctx.between, ctx.centredMeans);
    const perClass: NcPerClass = {
      classes: ctx.classes,
      counts: Array.from(ctx.counts),
      meanNorms: Array.from(vectors.meanNorms),
      meansProjection2d: Array.from({ length: K }, (_, k) => [proj[2 * k], proj[2 * k + 1]] as [number, number]),
    };
    for (const key of ['variances', 'nccRecall', 'nc1PerClass', 'weightNorms'] as const) if (vectors[key]) perClass[key] = Array.from(vectors[key]);
    if (withMatrices) {
      const [cm] = await reducePairs(ctx, [cosineMatrixMeansReduction]);
      perClass.cosineMeans = rowsOf(degenerate.degenerate ? (cm as Float64Array).map(() => NaN) : (cm as Float64Array), K);
      if (hasW) perClass.cosineWeights = rowsOf((await reducePairs(ctx, [cosineMatrixWeightsReduction]))[0] as Float64Array, K);
    } else {
      warnings.push(`K = ${K} > ${matrixLimit}: the K × K cosine matrices are left out of perClass (equiangularity and max-angle summarise them)`);
    }
    report.perClass = perClass;
  } else {
    const summary = { K } as NcPerClassSummary;
    for (const [key, v] of Object.entries(vectors)) (summary as unknown as Record<string, Distribution>)[key] = distribution(v);
    report.perClassSummary = summary;
    warnings.push(`K = ${K} > ${perClassLimit}: per-class values are summarised as distributions (perClassSummary); raise perClassLimit for all of them`);
  }
  return report;
}

function rowsOf(m: Float64Array, K: number): number[][] {
  return Array.from({ length: K }, (_, a) => Array.from(m.subarray(a * K, (a + 1) * K)));
}

/** Nearest-rank quantiles and mean of a vector. */
export function distribution(values: ArrayLike<number>): Distribution {
  const v = Float64Array.from(values).sort();
  const n = v.length;
  const q = (p: number) => v[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))];
  let s = 0;
  for (let i = 0; i < n; i++) s += v[i];
  return { min: v[0], p05: q(0.05), p25: q(0.25), median: q(0.5), p75: q(0.75), p95: q(0.95), max: v[n - 1], mean: s / n };
}

/** Options of {@link computeReport}: the context's, the per-class size rules, and the optional central-path terms. */
export interface ReportOptions extends ContextOptions, PerClassOptions {
  /** Single-pass scatter statistics of the same samples and λ: adds the MSE central-path metrics (with a classifier). */
  centralPath?: CentralPathOptions & { scatter: ScatterStatistics };
}

/**
 * Builds the context and the full report from statistics in one call. With `centralPath` (single-pass scatter
 * statistics of the same samples, and λ) and a classifier, adds the MSE central-path metrics (heads/central-path.ts).
 */
export async function computeReport(means: MeansStatistics, spread: SpreadStatistics | undefined, options: ReportOptions = {}): Promise<NcReport> {
  const { perClassLimit, perClassMatrixLimit, alignmentLimit, consumer, centralPath, ...contextOptions } = options;
  const report = await reportFromContext(await buildContext(means, spread, contextOptions), { perClassLimit, perClassMatrixLimit, alignmentLimit, consumer });
  if (centralPath && options.classifier) Object.assign(report.metrics, centralPathMetrics(centralPath.scatter, options.classifier, centralPath, means));
  return report;
}
