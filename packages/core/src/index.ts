/**
 * @ncscope/core — exact, streaming, mergeable Neural Collapse statistics and metrics.
 * No ML framework: plain typed arrays in, numbers out. See README.md for the formulas and conventions.
 */
export type { Batch, Classifier, FloatArray, LabelArray } from './types.js';
export { NcInputError, type NcErrorCode } from './errors.js';
export { PRESETS, resolveConventions, type ConventionOptions, type GlobalMeanConvention, type PresetName, type ResolvedConventions } from './conventions.js';
export { jsEngine, type KernelChunk, type ProductEngine, type SpreadKernelOutput } from './engine/product-engine.js';
export { jsSpreadChunk } from './statistics/spread-kernel.js';
export { MeansAccumulator, classMeans, type MeansAccumulatorOptions, type MeansStatistics } from './statistics/means.js';
export {
  SpreadAccumulator,
  checkClassifier,
  spreadReference,
  type SpreadAccumulatorOptions,
  type SpreadPartial,
  type SpreadReference,
  type SpreadStatistics,
} from './statistics/spread.js';
export { parseStatistics, serializeStatistics, type StatisticsFile } from './statistics/serialize.js';
export { fingerprint } from './statistics/fingerprint.js';
export { betweenClassSpectrum, buildContext, type BetweenClassSpectrum, type ContextOptions, type NcContext } from './context.js';
export { nc1 } from './metrics/nc1.js';
export { nc1Quotient } from './metrics/nc1-quotient.js';
export { cdnv, classVariances } from './metrics/cdnv.js';
export { equinorm, equinormMeans, equinormWeights } from './metrics/equinorm.js';
export { equiangularity, equiangularityMeans, equiangularityWeights } from './metrics/equiangularity.js';
export { maxAngle, maxAngleMeans, maxAngleWeights } from './metrics/max-angle.js';
export { cosineMatrix } from './metrics/cosines.js';
export { etfError, etfErrorMeans, etfErrorWeights } from './metrics/etf-error.js';
export { nc3SelfDuality } from './metrics/nc3-self-duality.js';
export { nc3Zhu } from './metrics/nc3-zhu.js';
export { classifierAccuracy, nc4NccMismatch, nccAccuracy } from './metrics/nc4.js';
export { computeReport, reportFromContext, type NcMetrics, type NcPerClass, type NcReport } from './report/report.js';
export { toMeasurement, type NcMeasurement } from './report/measurement.js';
export { analyze, type AnalyzeOptions, type AnalyzeResult, type BatchSource } from './analyze.js';
export { symmetricEigen } from './linalg/symmetric-eigen.js';
export { multiplyTransposed } from './linalg/dense.js';
export * from "./formats/npy.js";
export { ScatterAccumulator, parseScatter, scatterMeans, scatterSpread, serializeScatter, singlePassReport, type ScatterAccumulatorOptions, type ScatterStatistics } from './statistics/scatter.js';
export { labelSmoothingTargets, leastSquaresClassifier, type LeastSquaresClassifier, type LeastSquaresOptions } from './heads/least-squares.js';
export { centralPath, centralPathMetrics, type CentralPath, type CentralPathOptions } from './heads/central-path.js';
export { choleskyFactor, choleskySolveRows, type CholeskyFailure } from './linalg/cholesky.js';
export { mulberry32 } from './random.js';
export { stochasticBlockModel, type RegularDegrees, type SbmGraph, type SbmOptions } from './graph/sbm.js';
export { adjacencyMatrix, collapseConditionGap, neighbourFractions, normalizedAdjacency, type AdjacencyNormalization, type GraphPattern } from './graph/adjacency.js';
export { csrMultiply, csrToDense, type CsrMatrix } from './graph/csr.js';
