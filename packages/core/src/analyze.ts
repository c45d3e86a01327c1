import type { ContextOptions } from './context/context.js';
import { runPasses, type PassSink, type PassSource, type PhaseTiming, type RunPassesOptions } from './driver/passes.js';
import type { ProductEngine } from './engine/product-engine.js';
import type { ScatterSpace } from './engine/spread-plan.js';
import { NcInputError } from './errors.js';
import { computeReport, type NcReport, type PerClassOptions } from './report/report.js';
import { MeansAccumulator, type MeansStatistics } from './statistics/means.js';
import { resolveNormalization, type NormalizationOptions } from './statistics/normalization.js';
import { SpreadAccumulator, type SpreadStatistics } from './statistics/spread.js';
import type { Batch, Classifier } from './types.js';
import { countsFromClassCounts, decideClassCount, type StatedK } from './validate/labels.js';

/**
 * Where batches come from. Exact NC needs two passes (means, then spread), so a source must be re-readable:
 * an array of batches, or a function returning a fresh (async) iterable each time it is called.
 */
export type BatchSource = PassSource<Batch>;

/** Options of {@link analyze}. */
export interface AnalyzeOptions extends Omit<ContextOptions, 'classifier' | 'engine'>, PerClassOptions, NormalizationOptions {
  /**
   * Number of classes; default: the classifier's row count, else the largest label + 1 — then a class below it with
   * no samples (a gap between labels, usually a stray label) is refused unless `emptyClasses: 'exclude'` is given.
   */
  K?: number;
  classifier?: Classifier;
  /** Where the products run (both phases and the K-sized algebra); default core's portable `jsEngine`. */
  engine?: ProductEngine;
  /** Rows per product call in the spread phase (default: up to 4096, fewer when K is large). */
  chunkRows?: number;
  /** Space of the spread phase's scatter; default 'auto' = the smaller of 'means' (K) and 'features' (D). */
  space?: 'auto' | ScatterSpace;
  /** Accumulate per-class NC1 in the spread phase (default true; one rows × m × rank product per chunk). */
  perClassNc1?: boolean;
  /** Called after each batch with the phase and the rows done in that phase. */
  onProgress?: (phase: 'means' | 'spread', rowsDone: number) => void;
  /** Re-locates errors thrown for a batch (see `runPasses`): e.g. to name the file and its row. */
  locate?: RunPassesOptions['locate'];
}

/** The result of {@link analyze}: the report plus the statistics behind it (serializable, mergeable), and the time each phase took. */
export interface AnalyzeResult {
  report: NcReport;
  means: MeansStatistics;
  spread: SpreadStatistics;
  timing: PhaseTiming;
}

/**
 * The statements of K in analysis options (the `K` option, the classifier's rows with D from the first batch), for
 * core's K rule. A malformed classifier is a SHAPE error; a malformed batch is left to the accumulator to name.
 */
export function statedClassCounts(options: { K?: number; classifier?: Classifier }, first: Batch): (StatedK | undefined)[] {
  const stated: (StatedK | undefined)[] = [options.K === undefined ? undefined : { K: options.K, by: `K = ${options.K}` }];
  if (!options.classifier) return stated;
  const D = first.features.length / first.labels.length;
  if (!Number.isInteger(D) || D === 0) return stated;
  const Kw = options.classifier.weights.length / D;
  if (!Number.isInteger(Kw)) {
    throw new NcInputError('SHAPE', `classifier weights have ${options.classifier.weights.length} values, not a multiple of D = ${D} (the feature dimension)`);
  }
  if (options.K !== undefined && Kw !== options.K) throw new NcInputError('SHAPE', `the classifier has ${Kw} rows but K = ${options.K}`);
  stated.push({ K: Kw, by: `the classifier (${Kw} rows)` });
  return stated;
}

/**
 * The single-label sink of the two-pass driver: pass 1 into a {@link MeansAccumulator}, core's K rule between the
 * passes, pass 2 into a {@link SpreadAccumulator}, then {@link computeReport}.
 */
export function singleLabelSink(options: AnalyzeOptions): PassSink<Batch, Omit<AnalyzeResult, 'timing'>> {
  resolveNormalization(options); // named errors for bad normalize/temperature before any pass
  let means: MeansAccumulator | undefined;
  let stated: (StatedK | undefined)[] = [];
  let spread: SpreadAccumulator | undefined;
  const { K: _K, classifier, engine, chunkRows, space, perClassNc1, onProgress: _p, locate: _l, normalize: _n, temperature: _t, ...reportOptions } = options;
  return {
    async means(batch: Batch) {
      // K is fixed before the first row is counted, so a label outside the classifier's rows is a BAD_LABEL
      // naming its batch and row. D is known only from the first non-empty batch.
      if (!means) {
        if (batch.labels.length === 0) return;
        stated = statedClassCounts(options, batch);
        const K = stated.find((s) => s !== undefined)?.K;
        means = new MeansAccumulator({ K, engine, chunkRows, normalize: options.normalize, temperature: options.temperature });
      }
      await means.addAsync(batch);
    },
    async setup() {
      if (!means || means.statistics.counts.every((n) => n === 0)) throw new NcInputError('NO_DATA', 'the batch source produced no samples');
      // K from the labels: core's K rule refuses a gap between labels unless emptyClasses: 'exclude' was given.
      if (stated.every((s) => s === undefined)) decideClassCount(countsFromClassCounts(means.statistics.counts), { emptyClasses: options.emptyClasses, needTwoClasses: false });
      spread = await SpreadAccumulator.create(means.statistics, {
        classifier, engine, chunkRows, space, route: reportOptions.spectralRoute, perClassNc1: perClassNc1 === false ? false : reportOptions,
      });
    },
    async spread(batch: Batch) {
      await spread!.add(batch);
    },
    async report() {
      const spreadStats = spread!.statistics;
      // The spread accumulator — with the means' K × D tables and the engine's copies of them — is unreachable once
      // the report starts, so the report does not hold them (about 1 GB at K = 32,768, D = 1,024).
      spread = undefined;
      const report = await computeReport(means!.statistics, spreadStats, { ...reportOptions, classifier, engine });
      return { report, means: means!.statistics, spread: spreadStats };
    },
  };
}

/**
 * Full two-phase analysis: pass 1 accumulates class counts and sums, pass 2 the spread statistics against
 * those means (and the classifier's decisions), then every metric is computed from the statistics. With `normalize`
 * (and `temperature`) every row is normalized to τ·h/‖h‖ as it streams by, in both passes (Yaras et al. 2022).
 * `timing` says how long each phase took (reads, means, setup, spread, report).
 */
export async function analyze(source: BatchSource, options: AnalyzeOptions = {}): Promise<AnalyzeResult> {
  const { result, timing } = await runPasses(source, singleLabelSink(options), { onProgress: options.onProgress, locate: options.locate });
  return { ...result, timing };
}
