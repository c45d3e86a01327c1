import { NcInputError } from '../errors.js';
import type { SpreadStatistics } from './spread.js';

/**
 * Spread statistics whose decisions come from a sample of the rows: the within-class sums and scatter of `all` (a
 * spread phase over every row, run without decisions: `spreadReference(…, { decisions: false })`) with the NCC and
 * classifier decisions of `sample` (a spread phase with decisions over a subset of the same rows, against the same
 * means), and `decisionCounts` = the sample's rows per class. NC4, the NCC and classifier accuracies and the NCC
 * recall are then fractions of the sampled rows: unbiased estimates of the full-data values when the sample is drawn
 * uniformly. The decisions cost O(rows · D · K); at vocabulary scale (K ≈ 50,000) the rest of the spread phase is
 * O(rows · D²), so a sample of n rows makes the phase that much cheaper.
 */
export function withSampledDecisions(all: SpreadStatistics, sample: SpreadStatistics): SpreadStatistics {
  if (all.K !== sample.K || all.D !== sample.D) throw new NcInputError('STATS_MISMATCH', `sampled decisions: K = ${sample.K}, D = ${sample.D} do not match the spread statistics' K = ${all.K}, D = ${all.D}`);
  if (all.meansFingerprint !== sample.meansFingerprint) throw new NcInputError('STATS_MISMATCH', 'sampled decisions were computed against other class means than the spread statistics');
  if (sample.decisionCounts !== undefined || all.decisionCounts !== undefined) throw new NcInputError('STATS_MISMATCH', 'sampled decisions: the statistics already hold sampled decisions');
  for (let k = 0; k < all.K; k++) {
    if (sample.counts[k] > all.counts[k]) throw new NcInputError('STATS_MISMATCH', `sampled decisions: class ${k} has ${sample.counts[k]} sampled rows but only ${all.counts[k]} rows`, { label: k });
  }
  const out: { -readonly [P in keyof SpreadStatistics]: SpreadStatistics[P] } = {
    ...all,
    nccCorrect: Float64Array.from(sample.nccCorrect),
    decisionCounts: Float64Array.from(sample.counts),
  };
  delete out.classifierFingerprint;
  delete out.classifierCorrect;
  delete out.nccClassifierMismatch;
  delete out.nccClassifierMismatchNoBias;
  if (sample.classifierCorrect) {
    out.classifierFingerprint = sample.classifierFingerprint;
    out.classifierCorrect = Float64Array.from(sample.classifierCorrect);
    out.nccClassifierMismatch = sample.nccClassifierMismatch;
    out.nccClassifierMismatchNoBias = sample.nccClassifierMismatchNoBias;
  }
  return out;
}
