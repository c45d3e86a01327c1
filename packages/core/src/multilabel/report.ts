import { buildContext } from '../context/context.js';
import { NcInputError } from '../errors.js';
import type { MultiLabelNcReport, MultiLabelReport, MultiLabelSet } from '../report/multi-label.js';
import { DEFAULT_PER_CLASS_LIMIT, distribution, reportFromContext, type ReportOptions } from '../report/report.js';
import { labelSetNc1 } from './label-set-nc1.js';
import { setsFingerprint, type MultiLabelMeansStatistics } from './means.js';
import { ncMlabAngles } from './nc-mlab.js';
import type { MultiLabelSpreadStatistics } from './spread.js';
import { tagWiseGeometry, tagWiseSummary } from './tag-wise.js';

/** Default smallest sample count of a label set measured by the tag-wise metrics. */
export const DEFAULT_MIN_SET_COUNT = 5;

/** Options of the multi-label metrics. */
export interface MultiLabelOptions {
  /** Label sets with fewer samples are left out of the tag-wise metrics (default 5); they still count in label-set NC1. */
  minSetCount?: number;
  /** Also compute the public NC_MLab script's angle metric (`multiLabel.ncMlab`; O(K² · pair sets)). Default false. */
  ncMlab?: boolean;
}

/** Options of {@link computeMultiLabelReport}: the standard report's (conventions, classifier, engine, per-class limits) and the multi-label ones. */
export interface MultiLabelReportOptions extends Omit<ReportOptions, 'centralPath'>, MultiLabelOptions {}

/** Checks the multi-label options; BAD_OPTION otherwise. */
export function checkMultiLabelOptions(options: MultiLabelOptions): void {
  const m = options.minSetCount;
  if (m !== undefined && !(Number.isInteger(m) && m >= 1)) throw new NcInputError('BAD_OPTION', `minSetCount must be a positive integer, got ${m}`);
}

/**
 * The report of multi-label data: every standard metric computed on the single-label samples (`metrics`,
 * `perClass`, …, with the conventions given — the global mean is that of the single-label classes), plus
 * `multiLabel` (counts, tag-wise average geometry, label-set NC1 with the spread phase, the NC_MLab angle metric
 * on request). Warnings name excluded unlabelled rows and the sets left out of the tag-wise metrics.
 */
export async function computeMultiLabelReport(means: MultiLabelMeansStatistics, spread: MultiLabelSpreadStatistics | undefined, options: MultiLabelReportOptions = {}): Promise<MultiLabelNcReport> {
  checkMultiLabelOptions(options);
  if ((means as { kind?: string }).kind !== 'multi-label') throw new NcInputError('STATS_MISMATCH', 'computeMultiLabelReport needs multi-label means statistics');
  if (spread) checkSpreadAgainstMeans(means, spread);
  const singleN = means.single.counts.reduce((a, b) => a + b, 0);
  if (singleN === 0) {
    throw new NcInputError('NO_DATA', 'no sample has exactly one label: the class means μ_k (and every multi-label metric) are means of single-label samples');
  }
  const { perClassLimit, perClassMatrixLimit, minSetCount: _m, ncMlab, ...contextOptions } = options;
  const minSetCount = options.minSetCount ?? DEFAULT_MIN_SET_COUNT;
  const ctx = await buildContext(means.single, spread?.single, contextOptions);
  const report = await reportFromContext(ctx, { perClassLimit, perClassMatrixLimit });
  const { sets } = means;
  const geometry = tagWiseGeometry(ctx, sets, minSetCount);
  const multiN = sets.counts.reduce((a, b) => a + b, 0);
  const multiLabel: MultiLabelReport = {
    singleLabelN: singleN,
    multiLabelN: multiN,
    unlabelledN: means.unlabelled,
    minSetCount,
    setsSeen: sets.counts.length,
    setsMeasured: geometry.sets.length,
    ...tagWiseSummary(geometry.sets),
  };
  if (spread) multiLabel.labelSetNc1 = await labelSetNc1(ctx, spread);
  const perSet: MultiLabelSet[] = geometry.sets.map((s) => {
    const out: MultiLabelSet = { labels: s.labels.slice(), count: s.count, angle: s.angle, scale: s.scale };
    if (spread) out.variance = spread.sets.withinSS[s.set] / s.count;
    return out;
  });
  const limit = perClassLimit ?? DEFAULT_PER_CLASS_LIMIT;
  const warnings = report.warnings;
  if (perSet.length <= limit) {
    multiLabel.sets = perSet;
  } else {
    multiLabel.setSummary = {
      count: distribution(perSet.map((s) => s.count)),
      angle: distribution(perSet.map((s) => s.angle)),
      scale: distribution(perSet.map((s) => s.scale)),
      ...(spread ? { variance: distribution(perSet.map((s) => s.variance!)) } : {}),
    };
    warnings.push(`${perSet.length} label sets measured > ${limit}: per-set values are summarised as distributions (multiLabel.setSummary); raise perClassLimit for all of them`);
  }
  if (ncMlab) multiLabel.ncMlab = await ncMlabAngles(ctx, sets);
  if (means.unlabelled > 0) warnings.push(`${means.unlabelled} sample${means.unlabelled > 1 ? 's have' : ' has'} no label (an all-zero label row): counted as unlabelledN and excluded from every quantity`);
  if (geometry.belowCount > 0) warnings.push(`${geometry.belowCount} label set${geometry.belowCount > 1 ? 's have' : ' has'} fewer than minSetCount = ${minSetCount} samples: left out of the tag-wise metrics (their samples still count in label-set NC1)`);
  if (geometry.missingClass > 0) warnings.push(`${geometry.missingClass} label set${geometry.missingClass > 1 ? 's contain' : ' contains'} a label with no single-label samples (no class mean μ_k): left out of the tag-wise metrics`);
  if (geometry.degenerate > 0) warnings.push(`${geometry.degenerate} label set${geometry.degenerate > 1 ? 's have' : ' has'} μ_S = μ_G or centred class means averaging to 0 (as the set of all K labels does under the class-uniform global mean): no angle, left out of the tag-wise metrics`);
  return { ...report, multiLabel };
}

/** STATS_MISMATCH when a multi-label spread phase did not see the data the means describe. */
function checkSpreadAgainstMeans(means: MultiLabelMeansStatistics, spread: MultiLabelSpreadStatistics): void {
  if ((spread as { kind?: string }).kind !== 'multi-label') throw new NcInputError('STATS_MISMATCH', 'multi-label means need multi-label spread statistics (the spread of single-label statistics lacks the label sets)');
  if (spread.K !== means.K || spread.D !== means.D) {
    throw new NcInputError('STATS_MISMATCH', `spread statistics are K = ${spread.K}, D = ${spread.D} but means are K = ${means.K}, D = ${means.D}`);
  }
  if (spread.setsFingerprint !== setsFingerprint(means.sets)) {
    throw new NcInputError('STATS_MISMATCH', 'the multi-label spread statistics were computed against other label-set means; run phase 2 against these means');
  }
  means.sets.counts.forEach((n, j) => {
    if (spread.sets.counts[j] !== n) {
      throw new NcInputError('STATS_MISMATCH', `label set {${means.sets.labels[j].join(',')}}: the spread phase saw ${spread.sets.counts[j]} samples but the means phase ${n}; both phases must read the same data`);
    }
  });
  if (spread.unlabelled !== means.unlabelled) {
    throw new NcInputError('STATS_MISMATCH', `the spread phase saw ${spread.unlabelled} unlabelled rows but the means phase ${means.unlabelled}; both phases must read the same data`);
  }
}
