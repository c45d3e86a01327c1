import { NcInputError } from '../errors.js';
import { addOuters } from '../linalg/outer.js';
import { classMeans, type MeansStatistics } from '../statistics/means.js';
import type { ScatterStatistics } from '../statistics/scatter.js';
import type { SpreadStatistics } from '../statistics/spread.js';

/**
 * What an OOD fit is set up from: the fit set's two-phase NC statistics with the spread phase in 'features' space
 * (its scatter is S_W, D × D: `ncscope stats spread --space features`, or {@link fitStatistics}), or single-pass
 * {@link ScatterStatistics}. Both are sums over rows, so shards merge.
 */
export type OodFitStatistics = { means: MeansStatistics; spread: SpreadStatistics } | ScatterStatistics;

/**
 * The scatter statistics of an {@link OodFitStatistics}. STATS_MISMATCH when a spread phase summed the K × K 'means'
 * space (it holds Σ_W only as seen from the class means) or was computed against other means.
 */
export function fitScatterOf(fit: OodFitStatistics): ScatterStatistics {
  if (!('means' in fit && 'spread' in fit)) return fit as ScatterStatistics;
  const { means, spread } = fit;
  if (!spread) throw new NcInputError('STATS_MISMATCH', 'the fit statistics hold only the means phase; the OOD scores need the spread phase in features space (the D × D within-class scatter)');
  if (spread.space !== 'features') {
    throw new NcInputError('STATS_MISMATCH', `the fit statistics' spread phase summed the ${spread.K} × ${spread.K} means space; the OOD scores need the D × D within-class scatter: run the spread phase with space 'features' (ncscope stats spread --space features)`);
  }
  if (spread.K !== means.K || spread.D !== means.D) throw new NcInputError('STATS_MISMATCH', 'the fit statistics\' means and spread phases have different shapes');
  for (let k = 0; k < means.K; k++) {
    if (spread.counts[k] !== means.counts[k]) throw new NcInputError('STATS_MISMATCH', `class ${k}: the spread phase saw ${spread.counts[k]} samples but the means phase ${means.counts[k]}`);
  }
  return { K: means.K, D: means.D, counts: means.counts, means: classMeans(means), withinSS: spread.withinSS, withinScatter: spread.scatter };
}

/**
 * The fit set's moments every OOD score is set up from, derived exactly from its single-pass scatter statistics
 * (counts n_k, class means μ_k, S_W = Σ_i (h_i − μ_{y_i})(h_i − μ_{y_i})ᵀ), in float64:
 *
 *   N = Σ n_k,  μ_G = Σ n_k μ_k / N (the sample mean),
 *   Σ_W = S_W / N (OpenOOD's MDS: EmpiricalCovariance of class-centred rows),
 *   Σ_T = (S_W + Σ_k n_k (μ_k − μ_G)(μ_k − μ_G)ᵀ) / N (the population covariance of the rows),
 *   var_j = (Σ_T)_jj (StandardScaler's var_).
 *
 * Nothing here needs the rows again: ViM's E[(h − u)(h − u)ᵀ] = Σ_T + (μ_G − u)(μ_G − u)ᵀ and NECO's covariance of
 * standardized rows S⁻¹ Σ_T S⁻¹ follow from these.
 */
export interface FitMoments {
  readonly K: number;
  readonly D: number;
  readonly N: number;
  /** Classes with samples, ascending. */
  readonly classes: number[];
  readonly counts: Float64Array;
  /** μ_k, K × D (all classes; rows of empty classes are 0). */
  readonly means: Float64Array;
  /** μ_G, the sample mean (D). */
  readonly sampleMean: Float64Array;
  /** Σ_W, D × D. */
  readonly within: Float64Array;
  /** Σ_T, D × D. */
  readonly total: Float64Array;
}

/** Derives {@link FitMoments}; NO_DATA without rows, TOO_FEW_CLASSES with fewer than two classes with samples. */
export function fitMoments(s: ScatterStatistics): FitMoments {
  const { K, D } = s;
  let N = 0;
  const classes: number[] = [];
  for (let k = 0; k < K; k++) {
    N += s.counts[k];
    if (s.counts[k] > 0) classes.push(k);
  }
  if (N === 0 || D === 0) throw new NcInputError('NO_DATA', 'the fit set has no rows');
  if (classes.length < 2) {
    throw new NcInputError('TOO_FEW_CLASSES', `the fit set has samples of ${classes.length} class${classes.length === 1 ? '' : 'es'}; the OOD scores need at least two (class means and a within-class covariance)`);
  }
  const sampleMean = new Float64Array(D);
  for (const k of classes) {
    const w = s.counts[k] / N;
    for (let t = 0; t < D; t++) sampleMean[t] += w * s.means[k * D + t];
  }
  const within = Float64Array.from(s.withinScatter, (v) => v / N);
  const total = Float64Array.from(s.withinScatter);
  const deltas: Float64Array[] = [];
  const weights: number[] = [];
  for (const k of classes) {
    const d = new Float64Array(D);
    for (let t = 0; t < D; t++) d[t] = s.means[k * D + t] - sampleMean[t];
    deltas.push(d);
    weights.push(s.counts[k]);
  }
  addOuters(total, deltas, weights, D);
  for (let i = 0; i < total.length; i++) total[i] /= N;
  symmetrizeInPlace(within, D);
  symmetrizeInPlace(total, D);
  return { K, D, N, classes, counts: s.counts, means: s.means, sampleMean, within, total };
}

function symmetrizeInPlace(a: Float64Array, n: number): void {
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const v = 0.5 * (a[i * n + j] + a[j * n + i]);
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
}

/**
 * StandardScaler's scale for each feature (scikit-learn): √var_j, or 1 for a constant feature — one with
 * var ≤ N·ε·var + (N·mean·ε)² (`_is_constant_feature`), so dead ReLU units keep scale 1 instead of dividing by 0.
 */
export function standardScale(m: FitMoments): Float64Array {
  const eps = Number.EPSILON;
  const scale = new Float64Array(m.D);
  for (let j = 0; j < m.D; j++) {
    const v = m.total[j * m.D + j];
    const mean = m.sampleMean[j];
    const constant = v <= m.N * eps * v + (m.N * mean * eps) ** 2;
    scale[j] = constant ? 1 : Math.sqrt(v);
  }
  return scale;
}
