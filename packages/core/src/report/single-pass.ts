import { buildContext } from '../context/context.js';
import { centralPathMetrics } from '../heads/central-path.js';
import { scatterMeans, scatterSpread, type ScatterStatistics } from '../statistics/scatter.js';
import { reportFromContext, type NcReport, type ReportOptions } from './report.js';

/**
 * NC report from single-pass statistics: everything `computeReport` gives except the metrics that need the class
 * means before the samples (nccAccuracy, nc4NccMismatch, classifierAccuracy, per-class NCC recall and per-class NC1),
 * which are omitted with a warning. With a classifier, the classifier's NC2/NC3 metrics are included; pass
 * `centralPath: { lambda }` as well to add the MSE central-path terms.
 */
export async function singlePassReport(s: ScatterStatistics, options: Omit<ReportOptions, 'centralPath'> & { centralPath?: { lambda: number; targets?: ArrayLike<number> } } = {}): Promise<NcReport> {
  const { centralPath, perClassLimit, perClassMatrixLimit, ...contextOptions } = options;
  const report = await reportFromContext(await buildContext(scatterMeans(s), scatterSpread(s), contextOptions), { perClassLimit, perClassMatrixLimit });
  delete report.metrics.nccAccuracy;
  delete report.metrics.nc4NccMismatch;
  delete report.metrics.classifierAccuracy;
  if (report.perClass) delete report.perClass.nccRecall;
  if (report.perClassSummary) delete report.perClassSummary.nccRecall;
  report.warnings.push('single-pass statistics: NCC accuracy and NC4 need the class means before the samples and are not computed');
  if (centralPath && options.classifier) Object.assign(report.metrics, centralPathMetrics(s, options.classifier, centralPath));
  return report;
}
