import { NcInputError } from '../errors.js';

/**
 * How well a score separates an in-distribution (ID) set from an out-of-distribution (OOD) set, computed exactly as
 * OpenOOD's evaluator (evaluators/metrics.py) computes it with scikit-learn. Scores follow the "larger = more
 * in-distribution" convention of every score in this module.
 */
export interface DetectionMetrics {
  /**
   * Area under the ROC curve with OOD as the positive class ranked by −score (scikit-learn's roc_curve + auc). One
   * threshold per distinct score, so tied rows form one diagonal step: identical ID and OOD scores give exactly 0.5.
   * Computed as the Mann–Whitney count P(s_OOD < s_ID) + ½·P(s_OOD = s_ID) in integers (the trapezoid area of that
   * curve, correctly rounded).
   */
  auroc: number;
  /**
   * False-positive rate (ID rows flagged as OOD) at the first ROC threshold whose true-positive rate (OOD rows
   * flagged) reaches 95 %, OOD positive: OpenOOD's `fpr_list[np.argmax(tpr_list >= 0.95)]`, on scikit-learn's curve
   * after its `drop_intermediate` step (as OpenOOD and pytorch-ood report "FPR@95").
   */
  fpr95: number;
  /**
   * The fraction of OOD rows accepted when 95 % of the ID rows are accepted (ID positive, the convention of most
   * papers' tables; the ViM and NECO authors' `fpr_recall`): threshold t = the ⌊0.95·N_ID⌋-th largest ID score
   * (the smallest ID score when that is 0), FPR = #{OOD ≥ t} / N_OOD.
   */
  fpr95IdPositive: number;
  /** Area under the precision–recall curve with ID positive, ranked by score: auc(recall, precision) of precision_recall_curve. */
  auprIn: number;
  /** Area under the precision–recall curve with OOD positive, ranked by −score. */
  auprOut: number;
}

/** The metric keys of {@link DetectionMetrics}, in report order. */
export const DETECTION_METRICS = ['auroc', 'fpr95', 'fpr95IdPositive', 'auprIn', 'auprOut'] as const;

/** One name of {@link DETECTION_METRICS}. */
export type DetectionMetricName = (typeof DETECTION_METRICS)[number];

/**
 * Sorted scores plus the run-length view the metrics walk: distinct values ascending and how many rows hold each.
 * Build it once per set with {@link rankScores} (the ID set is shared by every OOD set).
 */
export interface RankedScores {
  /** Rows. */
  readonly n: number;
  /** Scores sorted ascending. */
  readonly sorted: Float64Array;
  /** Distinct values, ascending. */
  readonly values: Float64Array;
  /** Rows per distinct value. */
  readonly counts: Float64Array;
}

/**
 * Sorts a score array for {@link detectionMetrics}; NO_DATA for an empty set, NON_FINITE for NaN (±Infinity sorts
 * like any other value). `what` names the set in errors.
 */
export function rankScores(scores: ArrayLike<number>, what = 'scores'): RankedScores {
  const n = scores.length;
  if (n === 0) throw new NcInputError('NO_DATA', `${what}: no scores (the set is empty)`, { source: what });
  const sorted = Float64Array.from(scores);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(sorted[i])) throw new NcInputError('NON_FINITE', `${what}: row ${i} has score NaN`, { source: what, row: i });
  }
  sorted.sort();
  let distinct = 1;
  for (let i = 1; i < n; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  const values = new Float64Array(distinct);
  const counts = new Float64Array(distinct);
  let j = 0;
  values[0] = sorted[0];
  counts[0] = 1;
  for (let i = 1; i < n; i++) {
    if (sorted[i] !== sorted[i - 1]) {
      values[++j] = sorted[i];
      counts[j] = 1;
    } else counts[j]++;
  }
  return { n, sorted, values, counts };
}

/**
 * The merged distinct values of two ranked sets, ascending, with each set's row count at each value: the common
 * threshold grid of scikit-learn's `_binary_clf_curve` (which sorts the concatenation and keeps one threshold per
 * distinct score).
 */
function mergedRuns(a: RankedScores, b: RankedScores): { count: number; ca: Float64Array; cb: Float64Array } {
  const cap = a.values.length + b.values.length;
  const ca = new Float64Array(cap);
  const cb = new Float64Array(cap);
  let i = 0, j = 0, t = 0;
  while (i < a.values.length || j < b.values.length) {
    const va = i < a.values.length ? a.values[i] : Infinity;
    const vb = j < b.values.length ? b.values[j] : Infinity;
    // ±Infinity scores: compare with an explicit "exhausted" test, not the Infinity sentinel.
    const takeA = i < a.values.length && (j >= b.values.length || va <= vb);
    const takeB = j < b.values.length && (i >= a.values.length || vb <= va);
    if (takeA) ca[t] = a.counts[i++];
    if (takeB) cb[t] = b.counts[j++];
    t++;
  }
  return { count: t, ca, cb };
}

/**
 * scikit-learn's `roc_curve` with OOD positive on −score (drop_intermediate = true), as fpr/tpr lists starting at
 * (0, 0): the curve OpenOOD reads FPR@95 from, also the ROC curve drawn in reports.
 */
export function rocCurve(id: RankedScores, ood: RankedScores): { fpr: Float64Array; tpr: Float64Array } {
  // Thresholds on −score descending = score ascending: positives (OOD) and negatives (ID) at or below each value.
  const { count, ca, cb } = mergedRuns(id, ood);
  const fps = new Float64Array(count);
  const tps = new Float64Array(count);
  let f = 0, p = 0;
  for (let t = 0; t < count; t++) {
    f += ca[t];
    p += cb[t];
    fps[t] = f;
    tps[t] = p;
  }
  // drop_intermediate: keep the ends and every point where either cumulative count has a nonzero second difference.
  const keep: number[] = [];
  for (let t = 0; t < count; t++) {
    if (count <= 2 || t === 0 || t === count - 1 || fps[t + 1] - 2 * fps[t] + fps[t - 1] !== 0 || tps[t + 1] - 2 * tps[t] + tps[t - 1] !== 0) keep.push(t);
  }
  const fpr = new Float64Array(keep.length + 1);
  const tpr = new Float64Array(keep.length + 1);
  for (let i = 0; i < keep.length; i++) {
    fpr[i + 1] = fps[keep[i]] / id.n;
    tpr[i + 1] = tps[keep[i]] / ood.n;
  }
  return { fpr, tpr };
}

/**
 * Area under the ROC curve (OOD positive on −score) as the Mann–Whitney count: Σ_v n_ID(v)·(2·n_OOD(< v) + n_OOD(v))
 * over distinct values v, divided by 2·N_ID·N_OOD. Integer sums below 2^53 (N_ID·N_OOD < 4.5e15), so the result is
 * the exact area rounded once.
 */
function aurocCount(id: RankedScores, ood: RankedScores): number {
  const { count, ca, cb } = mergedRuns(id, ood);
  let below = 0;
  let twice = 0;
  for (let t = 0; t < count; t++) {
    twice += ca[t] * (2 * below + cb[t]);
    below += cb[t];
  }
  return twice / (2 * id.n * ood.n);
}

/**
 * auc(recall, precision) of scikit-learn's precision_recall_curve for positives `pos`, negatives `neg`, ranked by
 * score descending when `descending`, else ascending (i.e. by −score). The curve has one point per distinct score
 * plus (recall 0, precision 1); the area is the trapezoid sum in increasing recall.
 */
function averagePrecisionArea(pos: RankedScores, neg: RankedScores, descending: boolean): number {
  const { count, ca, cb } = mergedRuns(pos, neg);
  // Walk thresholds from the most to the least confident: tps/fps at or beyond each threshold.
  let tp = 0, fp = 0;
  let prevRecall = 0, prevPrecision = 1;
  let area = 0;
  for (let s = 0; s < count; s++) {
    const t = descending ? count - 1 - s : s;
    tp += ca[t];
    fp += cb[t];
    const recall = tp / pos.n;
    const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
    area += ((recall - prevRecall) * (precision + prevPrecision)) / 2;
    prevRecall = recall;
    prevPrecision = precision;
  }
  return area;
}

/**
 * FPR at 95 % TPR, OOD positive: the fpr of the first point of {@link rocCurve} whose tpr ≥ 0.95 (numpy's
 * `argmax(tpr >= 0.95)`; tpr = tps / N_OOD in float64, as numpy divides).
 */
function fprAtTpr(curve: { fpr: Float64Array; tpr: Float64Array }, level: number): number {
  for (let i = 0; i < curve.tpr.length; i++) if (curve.tpr[i] >= level) return curve.fpr[i];
  return curve.fpr[0]; // numpy's argmax of an all-false array is 0 (unreachable: the last tpr is 1)
}

/** The ViM / NECO authors' `fpr_recall(ind_conf, ood_conf, 0.95)`: OOD accepted at the threshold keeping 95 % of ID. */
function fprIdPositive(id: RankedScores, ood: RankedScores, level: number): number {
  const recallRows = Math.floor(level * id.n);
  // np.sort(ind_conf)[-recallRows]; [-0] is index 0, the smallest score.
  const threshold = id.sorted[recallRows === 0 ? 0 : id.n - recallRows];
  // #{OOD ≥ threshold}: binary search for the first sorted OOD score ≥ threshold.
  let lo = 0, hi = ood.n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ood.sorted[mid] < threshold) lo = mid + 1;
    else hi = mid;
  }
  return (ood.n - lo) / ood.n;
}

/**
 * All five {@link DetectionMetrics} of one ID set against one OOD set. Accepts raw score arrays or
 * {@link RankedScores} (rank the ID set once when several OOD sets are compared with it). Order of rows does not
 * matter. NO_DATA for an empty set, NON_FINITE for a NaN score.
 */
export function detectionMetrics(idScores: ArrayLike<number> | RankedScores, oodScores: ArrayLike<number> | RankedScores): DetectionMetrics {
  const id = isRanked(idScores) ? idScores : rankScores(idScores, 'in-distribution scores');
  const ood = isRanked(oodScores) ? oodScores : rankScores(oodScores, 'OOD scores');
  const curve = rocCurve(id, ood);
  return {
    auroc: aurocCount(id, ood),
    fpr95: fprAtTpr(curve, 0.95),
    fpr95IdPositive: fprIdPositive(id, ood, 0.95),
    auprIn: averagePrecisionArea(id, ood, true),
    auprOut: averagePrecisionArea(ood, id, false),
  };
}

function isRanked(x: ArrayLike<number> | RankedScores): x is RankedScores {
  return (x as RankedScores).sorted instanceof Float64Array && (x as RankedScores).values instanceof Float64Array;
}
