import type { AnalyzeOptions } from '../analyze.js';
import { runPasses, type PassSink, type PassSource, type PhaseTiming } from '../driver/passes.js';
import { NcInputError } from '../errors.js';
import type { MultiLabelNcReport } from '../report/multi-label.js';
import { isLabelLists, type MultiLabelBatch } from './labels.js';
import { MultiLabelMeansAccumulator, type MultiLabelMeansStatistics } from './means.js';
import { checkMultiLabelOptions, computeMultiLabelReport, type MultiLabelOptions } from './report.js';
import { MultiLabelSpreadAccumulator, type MultiLabelSpreadStatistics } from './spread.js';

/** A re-readable source of multi-label batches (two passes): an array, or a function returning a fresh iterable. */
export type MultiLabelBatchSource = PassSource<MultiLabelBatch>;

/** Options of {@link analyzeMultiLabel}: those of `analyze` plus the multi-label ones. */
export interface MultiLabelAnalyzeOptions extends AnalyzeOptions, MultiLabelOptions {}

/** The report of {@link analyzeMultiLabel} and the statistics behind it (serializable, mergeable), and the time each phase took. */
export interface MultiLabelAnalyzeResult {
  report: MultiLabelNcReport;
  means: MultiLabelMeansStatistics;
  spread: MultiLabelSpreadStatistics;
  timing: PhaseTiming;
}

/**
 * K from the options or the classifier. Multi-hot arrays are rows × K in one flat array, so their K must be known
 * before the first row is read: from `K`, or from the classifier's rows (then D comes from label lists only).
 */
function classCount(options: MultiLabelAnalyzeOptions, first: MultiLabelBatch): number | undefined {
  const W = options.classifier?.weights;
  if (!W) return options.K;
  if (options.K !== undefined) return options.K;
  if (!isLabelLists(first.labels)) {
    throw new NcInputError('BAD_OPTION', 'multi-hot labels (rows × K in one flat array) need K, the number of classes: pass K (the classifier\'s row count), or give one label list per row');
  }
  const D = first.features.length / first.labels.length;
  const Kw = W.length / D;
  if (!Number.isInteger(D) || !Number.isInteger(Kw)) throw new NcInputError('SHAPE', `classifier weights have ${W.length} values, not a multiple of D = ${D} (the feature dimension)`);
  return Kw;
}

/** SHAPE when the label width K and the classifier's rows (with D from the first batch) disagree. */
function checkClassifierWidth(options: MultiLabelAnalyzeOptions, K: number, D: number): void {
  const W = options.classifier?.weights;
  if (!W) return;
  if (W.length !== K * D) {
    throw new NcInputError('SHAPE', `the labels have K = ${K} columns (classes) but the classifier has ${W.length / D} rows of D = ${D}: its rows must be the same classes as the label columns`);
  }
}

/**
 * The multi-label sink of the two-pass driver (Li et al. 2023): pass 1 into a {@link MultiLabelMeansAccumulator}
 * (single-label class sums and label-set sums), pass 2 into a {@link MultiLabelSpreadAccumulator}, then
 * {@link computeMultiLabelReport}. Rows of a batch: one per label list, or multi-hot values / K.
 */
export function multiLabelSink(options: MultiLabelAnalyzeOptions): PassSink<MultiLabelBatch, Omit<MultiLabelAnalyzeResult, 'timing'>> {
  checkMultiLabelOptions(options);
  if ((options.normalize !== undefined && options.normalize !== 'none') || options.temperature !== undefined) {
    // The multi-label accumulators sum raw rows; normalizing them as they stream by is not implemented.
    throw new NcInputError('BAD_OPTION', 'normalize/temperature are not supported by the multi-label analysis (analyzeMultiLabel); normalize the features before measuring, or leave them out');
  }
  let means: MultiLabelMeansAccumulator | undefined;
  let spread: MultiLabelSpreadAccumulator | undefined;
  let rows = 0;
  const { K: _K, classifier, engine, chunkRows, space, perClassNc1, onProgress: _p, locate: _l, minSetCount, ncMlab, ...reportOptions } = options;
  return {
    // Multi-hot rows are K values each: K is the accumulator's, or (first batch) the one it is about to take.
    rows: (batch) => (isLabelLists(batch.labels) ? batch.labels.length : batch.labels.length / (means?.K ?? classCount(options, batch) ?? batch.labels.length)),
    async means(batch) {
      if (!means) {
        if (batch.labels.length === 0) return;
        means = new MultiLabelMeansAccumulator({ K: classCount(options, batch), engine, chunkRows });
      }
      await means.addAsync(batch);
      rows += batch.labels.length;
    },
    async setup() {
      if (!means || rows === 0) throw new NcInputError('NO_DATA', 'the batch source produced no samples');
      const stats = means.statistics;
      // With a classifier K was fixed before the first row (its rows, or the K option), so only the shapes can disagree.
      if (options.classifier) checkClassifierWidth(options, means.K, stats.D);
      spread = await MultiLabelSpreadAccumulator.create(stats, {
        classifier, engine, chunkRows, space, route: reportOptions.spectralRoute, perClassNc1: perClassNc1 === false ? false : reportOptions,
      });
    },
    async spread(batch) {
      await spread!.add(batch);
    },
    async report() {
      const meansStats = means!.statistics;
      const spreadStats = spread!.statistics;
      spread = undefined;
      const report = await computeMultiLabelReport(meansStats, spreadStats, { ...reportOptions, classifier, engine, minSetCount, ncMlab });
      return { report, means: meansStats, spread: spreadStats };
    },
  };
}

/**
 * Full two-phase analysis of multi-label data (Li et al. 2023). Pass 1 accumulates the single-label class sums and
 * the label-set sums; pass 2 the single-label spread statistics (and NCC/classifier decisions) and the residuals of the
 * multi-label rows around their sets' means; then {@link computeMultiLabelReport}. Labels per batch: multi-hot rows × K
 * (numbers 0/1 or booleans; give `K` or a classifier) or one label list per row. Unlabelled rows are counted,
 * excluded, and reported in a warning.
 *
 * ```ts
 * const { report } = await analyzeMultiLabel([{ features, labels: [[0], [1, 2], [2]] }]);
 * report.metrics.nc1;               // single-label samples
 * report.multiLabel.tagWiseAngle;   // degrees; 0 = multi-label means are scaled averages of their labels' means
 * ```
 */
export async function analyzeMultiLabel(source: MultiLabelBatchSource, options: MultiLabelAnalyzeOptions = {}): Promise<MultiLabelAnalyzeResult> {
  const { result, timing } = await runPasses(source, multiLabelSink(options), { onProgress: options.onProgress, locate: options.locate });
  return { ...result, timing };
}
