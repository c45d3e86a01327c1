import type { BatchSource } from '../analyze.js';
import { runPasses, type PassSource } from '../driver/passes.js';
import { NcInputError } from '../errors.js';
import { computeReport, type NcReport } from '../report/report.js';
import { MeansAccumulator, type MeansStatistics } from '../statistics/means.js';
import { SpreadAccumulator, type SpreadStatistics } from '../statistics/spread.js';
import type { Classifier } from '../types.js';
import type { ProductEngine } from '../engine/product-engine.js';
import { fitScatterOf, type OodFitStatistics } from './fit-matrices.js';
import { detectionMetrics, rankScores, type DetectionMetrics, type RankedScores } from './detection.js';
import { OodDetector, type OodBatch, type OodDetectorOptions, type ResolvedOodParams, type VimFitSums } from './detector.js';
import { fitGlobalMean, nc5, type Nc5, type Nc5GlobalMean } from './nc5.js';
import type { OodScoreName } from './params.js';
import { OodSetScorer, type OodSetScores } from './scorer.js';

/** Where unlabelled rows come from: an array of batches, or a function returning a fresh (async) iterable. */
export type OodBatchSource = PassSource<OodBatch>;

/** Options of {@link evaluateOod}. */
export interface OodEvaluationOptions extends OodDetectorOptions {
  /** Number of classes of the fit set; default the classifier's rows, else the largest label + 1. */
  K?: number;
  /** μ_G of NC5's centred form (default 'class', the class-uniform mean of the class means). */
  nc5GlobalMean?: Nc5GlobalMean;
  /** Fit statistics already summed (e.g. merged shards): skips the fit set's two statistics passes. */
  fitStatistics?: OodFitStatistics;
  /** Compute the fit set's NC report from the fit statistics (default true; needs the two-phase statistics). */
  fitReport?: boolean;
  /** ViM's fit-pass sums already summed (with `fitStatistics`): skips ViM's pass over the fit set. */
  vimSums?: VimFitSums;
  /** Called after each batch: the pass ('fit', 'vim', 'score'), the set, and rows done in that pass. */
  onProgress?: (pass: 'fit' | 'vim' | 'score', set: string, rows: number) => void;
}

/** The result of {@link evaluateOod}. */
export interface OodEvaluation {
  /** Detection metrics per score and OOD set: scores[score][oodName]. */
  scores: Partial<Record<OodScoreName, Record<string, DetectionMetrics>>>;
  /** NC5 per OOD set. */
  nc5: Record<string, Nc5>;
  /** The parameters used (defaults filled in, ViM's α, NECO's variance share, …) and NC5's μ_G convention. */
  params: ResolvedOodParams & { nc5GlobalMean: Nc5GlobalMean };
  /** The fit set's size and its scatter statistics (serializable with serializeScatter). */
  fit: { N: number; D: number; K: number; statistics: OodFitStatistics; vimSums?: VimFitSums; report?: NcReport };
  /** Per-row scores of the in-distribution set and of each OOD set, in row order. */
  sets: { id: OodSetScores; ood: OodSetScores[] };
  /** Scores dropped for lack of a classifier, and similar notes. */
  warnings: string[];
}

/**
 * Fits the OOD scores on a labelled in-distribution fit set (normally the training set), scores an ID test set and
 * each OOD set, and returns every score's detection metrics per OOD set with NC5. Passes: the fit set once (scatter
 * statistics; skipped with `fitStatistics`), once more for ViM's α (skipped with `vimSums` or without ViM), then
 * each test set once. OOD set names must be distinct and non-empty.
 */
export async function evaluateOod(
  fit: BatchSource | undefined,
  id: OodBatchSource,
  ood: Readonly<Record<string, OodBatchSource>> | ReadonlyArray<readonly [string, OodBatchSource]>,
  options: OodEvaluationOptions = {},
): Promise<OodEvaluation> {
  const oodSets = Array.isArray(ood) ? (ood as ReadonlyArray<readonly [string, OodBatchSource]>) : Object.entries(ood as Record<string, OodBatchSource>);
  const names = new Set<string>();
  for (const [name] of oodSets) {
    if (name.length === 0) throw new NcInputError('BAD_OPTION', 'an OOD set needs a non-empty name');
    if (names.has(name)) throw new NcInputError('BAD_OPTION', `the OOD set name "${name}" is given twice`);
    names.add(name);
  }
  if (oodSets.length === 0) throw new NcInputError('BAD_OPTION', 'give at least one OOD set');
  const nc5GlobalMean = options.nc5GlobalMean ?? 'class';
  if (nc5GlobalMean !== 'class' && nc5GlobalMean !== 'sample') throw new NcInputError('BAD_OPTION', `nc5GlobalMean must be 'class' or 'sample', got ${String(nc5GlobalMean)}`);

  let statistics = options.fitStatistics;
  if (!statistics) {
    if (!fit) throw new NcInputError('BAD_OPTION', 'give the fit set (labelled rows) or its fit statistics');
    statistics = await fitStatistics(fit, options);
  }
  const detector = await OodDetector.create(statistics, options);
  let vimSums = options.vimSums;
  if (detector.needsVimPass) {
    if (!vimSums) {
      if (!fit) throw new NcInputError('BAD_OPTION', 'ViM needs a pass over the fit set (give the fit set, or its ViM fit sums)');
      const acc = detector.vimFitPass();
      // One more pass over the fit set through core's driver (a sink with one step).
      await runPasses(fit, { means: (batch) => acc.add(batch.features).then(() => undefined) }, { onProgress: (_pass, rows) => options.onProgress?.('vim', 'fit', rows) });
      vimSums = acc.sums;
    }
    detector.setVimSums(vimSums);
  }

  const idScores = await scoreSet(detector, 'in-distribution', id, options);
  const oodScores: OodSetScores[] = [];
  for (const [name, source] of oodSets) oodScores.push(await scoreSet(detector, name, source, options));

  const scores: Partial<Record<OodScoreName, Record<string, DetectionMetrics>>> = {};
  for (const s of detector.params.scores) {
    const ranked: RankedScores = rankScores(idScores.scores[s]!, `in-distribution ${s} scores`);
    const perSet: Record<string, DetectionMetrics> = {};
    for (const o of oodScores) perSet[o.name] = detectionMetrics(ranked, rankScores(o.scores[s]!, `${o.name} ${s} scores`));
    scores[s] = perSet;
  }
  const g = fitGlobalMean(detector.moments, nc5GlobalMean);
  const nc5s: Record<string, Nc5> = {};
  for (const o of oodScores) nc5s[o.name] = nc5(detector.moments, o.mean, g);
  return {
    scores,
    nc5: nc5s,
    params: { ...detector.params, nc5GlobalMean },
    fit: { N: detector.moments.N, D: detector.D, K: detector.moments.K, statistics, vimSums, report: await fitNcReport(statistics, options) },
    sets: { id: idScores, ood: oodScores },
    warnings: detector.warnings,
  };
}

/** Options of {@link fitStatistics}. */
export interface FitStatisticsOptions {
  /** Number of classes; default the classifier's rows, else the largest label + 1. */
  K?: number;
  /** With a classifier the spread phase also counts its decisions (NC4, accuracy in the fit report). */
  classifier?: Classifier;
  engine?: ProductEngine;
  onProgress?: (pass: 'fit' | 'vim' | 'score', set: string, rows: number) => void;
}

/**
 * The fit set's statistics in two passes: the means phase (class counts and sums) and the spread phase in
 * 'features' space (S_W = Σ_i (h_i − μ_{y_i})(h_i − μ_{y_i})ᵀ, D × D, plus the NCC / classifier counts), float64
 * sums on the engine — the NC statistics of the same rows, so the fit set's NC report comes from them too. Shards
 * merge as any statistics do (ncscope stats … --space features).
 */
export async function fitStatistics(fit: BatchSource, options: FitStatisticsOptions = {}): Promise<{ means: MeansStatistics; spread: SpreadStatistics }> {
  let acc: MeansAccumulator | undefined;
  let spread: SpreadAccumulator | undefined;
  // Core's two-pass driver: means, then the spread in 'features' space against them.
  const { result } = await runPasses(fit, {
    async means(batch) {
      if (batch.labels.length === 0) return;
      if (!acc) {
        let K = options.K;
        if (K === undefined && options.classifier) {
          const D = batch.features.length / batch.labels.length;
          if (Number.isInteger(D) && D > 0 && options.classifier.weights.length % D === 0) K = options.classifier.weights.length / D;
        }
        acc = new MeansAccumulator({ K, engine: options.engine });
      }
      await acc.addAsync(batch);
    },
    async setup() {
      if (!acc || acc.statistics.counts.every((n) => n === 0)) throw new NcInputError('NO_DATA', 'the fit set has no rows');
      spread = await SpreadAccumulator.create(acc.statistics, { space: 'features', classifier: options.classifier, engine: options.engine, perClassNc1: false });
    },
    async spread(batch) {
      await spread!.add(batch);
    },
    report: () => ({ means: acc!.statistics, spread: spread!.statistics }),
  }, { onProgress: (pass, rows) => options.onProgress?.('fit', pass, rows) });
  return result;
}

/** The fit set's NC report from two-phase fit statistics (undefined for single-pass scatter statistics or fitReport: false). */
async function fitNcReport(statistics: OodFitStatistics, options: OodEvaluationOptions): Promise<NcReport | undefined> {
  if (options.fitReport === false || !('spread' in statistics && 'means' in statistics)) return undefined;
  fitScatterOf(statistics);
  return computeReport(statistics.means, statistics.spread, { classifier: options.classifier, engine: options.engine });
}

async function scoreSet(detector: OodDetector, name: string, source: OodBatchSource, options: OodEvaluationOptions): Promise<OodSetScores> {
  const scorer = new OodSetScorer(detector, name);
  // One pass over the set through core's driver.
  await runPasses(source, {
    rows: (batch) => batch.features.length / detector.D,
    async means(batch) {
      await scorer.add(batch);
      options.onProgress?.('score', name, scorer.rowCount);
    },
  });
  return scorer.result();
}
