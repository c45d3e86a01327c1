import { betweenClassSpectrum, buildContext, weightsGram, type ContextOptions, type NcContext } from '../context.js';
import type { ResolvedConventions } from '../conventions.js';
import { cdnv, classVariances } from '../metrics/cdnv.js';
import { cosinesFromGram } from '../metrics/cosines.js';
import { equiangularityMeans, equiangularityWeights } from '../metrics/equiangularity.js';
import { equinormMeans, equinormWeights } from '../metrics/equinorm.js';
import { etfErrorMeans, etfErrorWeights } from '../metrics/etf-error.js';
import { maxAngleMeans, maxAngleWeights } from '../metrics/max-angle.js';
import { nc1 } from '../metrics/nc1.js';
import { nc1Quotient } from '../metrics/nc1-quotient.js';
import { nc3SelfDuality } from '../metrics/nc3-self-duality.js';
import { nc3Zhu } from '../metrics/nc3-zhu.js';
import { classifierAccuracy, nc4NccMismatch, nccAccuracy } from '../metrics/nc4.js';
import { centralPathMetrics, type CentralPathOptions } from '../heads/central-path.js';
import type { MeansStatistics } from '../statistics/means.js';
import type { ScatterStatistics } from '../statistics/scatter.js';
import type { SpreadStatistics } from '../statistics/spread.js';

/** The metric values of a report. Keys are stable: the CLI's `--json`, the tfjs logs and JSONL use them. */
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
}

/** Per-class quantities behind the metrics, in the order of `classes`, for tables and plots. */
export interface NcPerClass {
  classes: number[];
  counts: number[];
  /** ‖μ̃_k‖. */
  meanNorms: number[];
  /** v_k = (1/n_k) Σ ‖h − μ_k‖² (with the spread phase). */
  variances?: number[];
  /** NCC recall per class (with the spread phase). */
  nccRecall?: number[];
  /** ‖w_k‖ (with a classifier). */
  weightNorms?: number[];
  /** cos(μ̃_k, μ̃_l), K × K as nested rows; the simplex ETF has −1/(K−1) off the diagonal. */
  cosineMeans: number[][];
  /** cos(w_k, w_l) (with a classifier). */
  cosineWeights?: number[][];
  /** Coordinates of μ̃_k on the top two principal directions of the centred means (M̃ = U S Vᵀ → U S). */
  meansProjection2d: [number, number][];
}

/** A full NC report. Schema id `ncscope.report/1`; every report records the conventions it used. */
export interface NcReport {
  schema: 'ncscope.report/1';
  N: number;
  D: number;
  K: number;
  /** Rank of Σ_B kept by the pseudo-inverse cutoff. */
  rank: number;
  conventions: ResolvedConventions & { pinvCutoff: number };
  metrics: NcMetrics;
  perClass: NcPerClass;
  /** Notes a reader should see: excluded empty classes, D < K − 1, … */
  warnings: string[];
}

/** Computes every metric the context supports. */
export function reportFromContext(ctx: NcContext): NcReport {
  const spectrum = betweenClassSpectrum(ctx);
  const hasW = ctx.weights !== undefined;
  const s = ctx.spread;
  const metrics: NcMetrics = {
    equinormMeans: equinormMeans(ctx),
    equiangularityMeans: equiangularityMeans(ctx),
    maxAngleMeans: maxAngleMeans(ctx),
    etfErrorMeans: etfErrorMeans(ctx),
  };
  if (s) {
    metrics.nc1 = nc1(ctx);
    metrics.nc1Quotient = nc1Quotient(ctx);
    metrics.cdnv = cdnv(ctx);
  }
  if (hasW) {
    metrics.equinormWeights = equinormWeights(ctx);
    metrics.equiangularityWeights = equiangularityWeights(ctx);
    metrics.maxAngleWeights = maxAngleWeights(ctx);
    metrics.etfErrorWeights = etfErrorWeights(ctx);
    metrics.nc3SelfDuality = nc3SelfDuality(ctx);
    metrics.nc3Zhu = nc3Zhu(ctx);
  }
  if (s?.nccClassifierMismatch !== undefined) metrics.nc4NccMismatch = nc4NccMismatch(ctx);
  if (s) metrics.nccAccuracy = nccAccuracy(ctx);
  if (s?.classifierCorrect !== undefined) metrics.classifierAccuracy = classifierAccuracy(ctx);

  const { K, D } = ctx;
  const toRows = (m: Float64Array) => Array.from({ length: K }, (_, a) => Array.from(m.subarray(a * K, (a + 1) * K)));
  const perClass: NcPerClass = {
    classes: ctx.classes,
    counts: Array.from(ctx.counts),
    meanNorms: Array.from({ length: K }, (_, k) => Math.sqrt(ctx.meansGram[k * K + k])),
    cosineMeans: toRows(cosinesFromGram(ctx.meansGram, K)),
    meansProjection2d: projection2d(ctx),
  };
  if (s) {
    perClass.variances = Array.from(classVariances(ctx));
    perClass.nccRecall = Array.from({ length: K }, (_, k) => s.nccConfusion[k * K + k] / ctx.counts[k]);
  }
  if (ctx.weights) {
    const gw = weightsGram(ctx, 'perClass');
    perClass.weightNorms = Array.from({ length: K }, (_, k) => Math.sqrt(gw[k * K + k]));
    perClass.cosineWeights = toRows(cosinesFromGram(gw, K));
  }
  const warnings: string[] = [];
  if (ctx.emptyClasses.length) warnings.push(`excluded class${ctx.emptyClasses.length > 1 ? 'es' : ''} with no samples: ${ctx.emptyClasses.join(', ')}`);
  if (D < K - 1) warnings.push(`D = ${D} < K − 1 = ${K - 1}: the class means cannot form a simplex ETF; Σ_B has rank at most ${D}`);
  else if (spectrum.rank < K - 1) warnings.push(`Σ_B has rank ${spectrum.rank} < K − 1 = ${K - 1}: some class means are (nearly) affinely dependent`);
  return {
    schema: 'ncscope.report/1',
    N: ctx.N,
    D,
    K,
    rank: spectrum.rank,
    conventions: { ...ctx.conventions, pinvCutoff: spectrum.cutoff },
    metrics,
    perClass,
    warnings,
  };
}

/** Top-two principal coordinates of the centred means: column j of U scaled by √Λ_j, largest first. */
function projection2d(ctx: NcContext): [number, number][] {
  const { values, vectors } = betweenClassSpectrum(ctx);
  const K = ctx.K;
  const col = (j: number) => (j >= 0 ? Math.sqrt(Math.max(0, values[j])) : 0);
  const s1 = col(K - 1);
  const s2 = col(K - 2);
  return Array.from({ length: K }, (_, k) => [vectors[k * K + K - 1] * s1, K >= 2 ? vectors[k * K + K - 2] * s2 : 0]);
}

/**
 * Builds the context and the full report from statistics in one call. With `centralPath` (single-pass scatter
 * statistics of the same samples, and λ) and a classifier, adds the MSE central-path metrics (heads/central-path.ts).
 */
export function computeReport(
  means: MeansStatistics,
  spread: SpreadStatistics | undefined,
  options: ContextOptions & { centralPath?: CentralPathOptions & { scatter: ScatterStatistics } } = {},
): NcReport {
  const { centralPath, ...contextOptions } = options;
  const report = reportFromContext(buildContext(means, spread, contextOptions));
  if (centralPath && options.classifier) Object.assign(report.metrics, centralPathMetrics(centralPath.scatter, options.classifier, centralPath, means));
  return report;
}
