/**
 * @ncscope/core — exact, streaming, mergeable Neural Collapse statistics and metrics.
 * No ML framework: plain typed arrays in, numbers out. See README.md for the formulas and conventions.
 *
 * Layers (imports point down only; test/layers.test.ts checks it): types/errors/formats → linalg → engine →
 * conventions/validate → geometry → statistics → heads → context → metrics → report → driver → analyze → multilabel.
 */
export type { Batch, Classifier, FloatArray, LabelArray } from './types.js';
export {
  metricCatalogue,
  metricEntry,
  metricFormula,
  metricGroups,
  metricKeys,
  metricNote,
  registerMetricGroup,
  withAliases,
  type BetterDirection,
  type FormulaConventions,
  type MetricEntry,
  type MetricFormat,
  type MetricGroupEntry,
  type MetricNeed,
} from './catalogue/catalogue.js';
import './catalogue/nc-metrics.js';
export { NcInputError, formatPosition, formatRemedies, librarySpelling, type NcErrorCode, type NcErrorLocation, type NcMismatch, type NcRemedy, type OptionSpelling } from './errors.js';
export {
  GAP_REMEDIES,
  MAX_K_FROM_LABELS,
  badLabel,
  countLabels,
  countsFromClassCounts,
  decideClassCount,
  isClassIndex,
  labelProblem,
  type ClassCount,
  type ClassCountOptions,
  type LabelCounts,
  type StatedK,
} from './validate/labels.js';
export { PRESETS, resolveConventions, type ConventionOptions, type GlobalMeanConvention, type PresetName, type ResolvedConventions } from './conventions.js';
export type { KernelChunk, PairProductSource, ProductEngine, SpreadKernelOutput } from './engine/product-engine.js';
export { decisionTieFactors, type ScatterSpace, type SpreadDecisions, type SpreadPlan } from './engine/spread-plan.js';
export { jsEngine } from './engine/js-engine.js';
export {
  AUTO_ENGINE_MIN_WORK,
  engineNames,
  registerEngine,
  releaseEngine,
  selectEngine,
  spreadWork,
  type EngineFactory,
  type EngineFactoryOptions,
  type SelectEngineOptions,
  type SelectedEngine,
} from './engine/registry.js';
export { jsSpreadChunk } from './engine/js-spread-kernel.js';
export { choleskyWithInverse, columnGram, multiply, multiplyNT, rowGram, type CholeskyInverse } from './engine/algebra.js';
export { DEFAULT_TILE, firstPairColumn, forEachPairTile, type PairTile } from './engine/pair-tiles.js';
export { betweenClass, nc1Trace, principalCoordinates, quadraticMap, type BetweenClass, type BetweenClassOptions, type SpectralRoute } from './geometry/between-class.js';
export { centreMeans, type CentredMeans } from './geometry/centring.js';
export { KERNEL_AFTER_ROWS, MeansAccumulator, classMeans, type MeansAccumulatorOptions, type MeansStatistics } from './statistics/means.js';
export {
  SpreadAccumulator,
  addSpreadStatistics,
  checkClassifier,
  checkMergeable,
  defaultChunkRows,
  residualPlan,
  runSpreadChunk,
  spreadReference,
  type PerClassNc1Conventions,
  type SpreadAccumulatorOptions,
  type SpreadPartial,
  type SpreadReference,
  type SpreadReferenceOptions,
  type SpreadStatistics,
} from './statistics/spread.js';
export { withSampledDecisions } from './statistics/sampled-decisions.js';
export { MULTI_LABEL_MARKER, STATISTICS_VERSION, parseStatistics, serializeStatistics, statisticsFromJson, statisticsJson, type StatisticsFile } from './statistics/serialize.js';
export { fingerprint } from './statistics/fingerprint.js';
export {
  coversRows,
  describeCoverageGaps,
  describePart,
  mergeShardCoverage,
  shardCoverageGaps,
  shardRows,
  type CoverageGap,
  type InputCoverage,
  type ShardInput,
  type ShardPart,
  type ShardRecord,
} from './statistics/shards.js';
export { buildContext, memo, requireSpread, requireWeights, withinCovariance, type ContextOptions, type NcContext } from './context/context.js';
export { densePairProduct, pairTileSize, productNorm, productRows, reducePair, reducePairs, type PairProduct, type PairReduction } from './context/pairs.js';
export {
  describeNormalization,
  normalizeRows,
  normalizedClassifier,
  resolveNormalization,
  type FeatureNormalization,
  type Normalization,
  type NormalizationOptions,
} from './statistics/normalization.js';
export { nc1 } from './metrics/nc1.js';
export { nc1Svd } from './metrics/nc1-svd.js';
export { gnc2, gnc2DistMean, gnc2DistVar, gnc2LogMean, gnc2LogVar, gnc2Reduction, gnc2RieszMean, gnc2RieszVar, type Gnc2Statistics } from './metrics/gnc2.js';
export { unc3, unc3Cos } from './metrics/unc3.js';
export { nc0 } from './metrics/nc0.js';
export { orthoFrameMeans, orthoFrameMeansReduction, orthoFrameWeights, orthoFrameWeightsReduction } from './metrics/orthogonal-frame.js';
export { subspaceAlignment, subspaceAlignmentWeights } from './metrics/subspace-alignment.js';
export { groupCosineMeansReduction, groupCosineWeightsReduction, hasImbalance, imbalance, minorityMask, type NcImbalance } from './metrics/imbalance.js';
export { DEGENERATE_RTOL, degeneracy, type Degeneracy } from './metrics/degenerate.js';
export { nc1PerClass } from './metrics/nc1-per-class.js';
export { nc1Quotient } from './metrics/nc1-quotient.js';
export { cdnv, classVariances } from './metrics/cdnv.js';
export { equinorm, equinormMeans, equinormWeights } from './metrics/equinorm.js';
export { equiangularity, equiangularityMeans, equiangularityWeights } from './metrics/equiangularity.js';
export { maxAngle, maxAngleMeans, maxAngleWeights } from './metrics/max-angle.js';
export { cosineMatrix, cosineMatrixReduction, type CosineStatistics } from './metrics/cosines.js';
export { meansSummaryReduction, pairSummaryReduction, weightsSummaryReduction, type PairSummary } from './metrics/pair-summary.js';
export { etfError, etfErrorMeans, etfErrorWeights, etfReduction } from './metrics/etf-error.js';
export { nc3SelfDuality } from './metrics/nc3-self-duality.js';
export { nc3Zhu } from './metrics/nc3-zhu.js';
export { classifierAccuracy, nc4NccMismatch, nccAccuracy } from './metrics/nc4.js';
export {
  DEFAULT_ALIGNMENT_LIMIT,
  DEFAULT_PER_CLASS_LIMIT,
  DEFAULT_PER_CLASS_MATRIX_LIMIT,
  computeReport,
  distribution,
  reportFromContext,
  type Distribution,
  type LinearConsumer,
  type NcMetrics,
  type NcPerClass,
  type NcPerClassSummary,
  type NcReport,
  type PerClassOptions,
  type ReportConventions,
  type ReportOptions,
} from './report/report.js';
export { singlePassReport } from './report/single-pass.js';
export { toMeasurement, type NcMeasurement } from './report/measurement.js';
export type { MultiLabelNcReport, MultiLabelReport, MultiLabelSet, NcMlabAngles } from './report/multi-label.js';
export {
  addTiming,
  passIterable,
  runPasses,
  timed,
  zeroTiming,
  type BatchPosition,
  type PassName,
  type PassSink,
  type PassSource,
  type PassesResult,
  type PhaseTiming,
  type RunPassesOptions,
} from './driver/passes.js';
export { analyze, singleLabelSink, statedClassCounts, type AnalyzeOptions, type AnalyzeResult, type BatchSource } from './analyze.js';
// Multi-label Neural Collapse (Li et al. 2023): multilabel/.
export { isLabelLists, setKey, type LabelLists, type MultiHotArray, type MultiLabelBatch } from './multilabel/labels.js';
export { MultiLabelMeansAccumulator, compareSets, setsFingerprint, type LabelSetSums, type MultiLabelMeansStatistics } from './multilabel/means.js';
export { MultiLabelSpreadAccumulator, addMultiLabelSpread, checkMultiLabelMergeable, type LabelSetSpread, type MultiLabelSpreadStatistics } from './multilabel/spread.js';
export { angleDegrees, tagWiseGeometry, tagWiseSummary, type TagWiseGeometry, type TagWiseSet } from './multilabel/tag-wise.js';
export { labelSetNc1 } from './multilabel/label-set-nc1.js';
export { ncMlabAngles } from './multilabel/nc-mlab.js';
export { DEFAULT_MIN_SET_COUNT, checkMultiLabelOptions, computeMultiLabelReport, type MultiLabelOptions, type MultiLabelReportOptions } from './multilabel/report.js';
export { analyzeMultiLabel, multiLabelSink, type MultiLabelAnalyzeOptions, type MultiLabelAnalyzeResult, type MultiLabelBatchSource } from './multilabel/analyze.js';
export { parseAnyStatistics, parseMultiLabelStatistics, serializeMultiLabelStatistics, type AnyStatisticsFile, type MultiLabelStatisticsFile } from './multilabel/serialize.js';
export { symmetricEigen } from './linalg/symmetric-eigen.js';
export { topEigenpairs, type TopEigenpairs } from './linalg/lanczos.js';
export { gemm, gemmNT, transpose, transposeInto } from './linalg/gemm.js';
export { multiplyTransposed } from './linalg/dense.js';
export * from './formats/npy.js';
export {
  TENSORBOARD_FILE_VERSION, crc32c, encodeTensorBoardEvent, encodeTensorBoardFileHeader, encodeTensorBoardRecord, encodeTensorBoardScalars, maskCrc32c,
  tensorBoardEventFileName, tensorBoardScalarsFromLogs, type TensorBoardEvent, type TensorBoardLogScalars, type TensorBoardScalar,
} from './formats/tensorboard.js';
export { ScatterAccumulator, parseScatter, scatterMeans, scatterSpread, serializeScatter, type ScatterAccumulatorOptions, type ScatterStatistics } from './statistics/scatter.js';
export { labelSmoothingTargets, leastSquaresClassifier, type LeastSquaresClassifier, type LeastSquaresOptions } from './heads/least-squares.js';
export { centralPath, centralPathMetrics, type CentralPath, type CentralPathOptions } from './heads/central-path.js';
export { choleskyFactor, choleskySolveRows, type CholeskyFailure } from './linalg/cholesky.js';
export { mulberry32 } from './random.js';
export { stochasticBlockModel, type RegularDegrees, type SbmGraph, type SbmOptions } from './graph/sbm.js';
export { adjacencyMatrix, collapseConditionGap, neighbourFractions, normalizedAdjacency, type AdjacencyNormalization, type GraphPattern } from './graph/adjacency.js';
export { csrMultiply, csrToDense, type CsrMatrix } from './graph/csr.js';
// Out-of-distribution detection from the same statistics (NECO, NCI, NC5 beside MSP, energy, Mahalanobis, ViM): ood/.
export { DETECTION_METRICS, detectionMetrics, rankScores, rocCurve, type DetectionMetricName, type DetectionMetrics, type RankedScores } from './ood/detection.js';
export {
  DEFAULT_NCI_ALPHA,
  NECO_VARIANCE_SHARE,
  OOD_SCORE_NAMES,
  checkOodParams,
  defaultVimDim,
  type OodParams,
  type OodScoreName,
} from './ood/params.js';
export { fitMoments, fitScatterOf, standardScale, type FitMoments, type OodFitStatistics } from './ood/fit-matrices.js';
export { OodDetector, VimFitAccumulator, vimOrigin, type ChunkScores, type OodBatch, type OodDetectorOptions, type ResolvedOodParams, type VimFitSums } from './ood/detector.js';
export { OodSetScorer, type OodSetScores } from './ood/scorer.js';
export { fitGlobalMean, nc5, type Nc5, type Nc5GlobalMean } from './ood/nc5.js';
export { evaluateOod, fitStatistics, type FitStatisticsOptions, type OodBatchSource, type OodEvaluation, type OodEvaluationOptions } from './ood/evaluate.js';
