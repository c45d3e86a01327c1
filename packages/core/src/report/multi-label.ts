import type { Distribution, NcReport } from './report.js';

/**
 * The multi-label part of a report (Li et al. 2023, "Neural collapse in multi-label learning with pick-all-label
 * loss"): sample counts, the tag-wise average geometry of the label sets with |S| ≥ 2, and the within-label-set
 * collapse. The report's `metrics` hold the standard report of the single-label samples; this block sits beside them
 * under `multiLabel` (computed by `multilabel/` — only the shape lives here, so the report types stay below it).
 *
 * Notation: μ_k the mean of the samples whose label set is exactly {k}, μ_G their global mean (the report's
 * `globalMean` convention), μ_S the mean of the samples carrying the set S, v_S = μ_S − μ_G,
 * a_S = (1/|S|) Σ_{k∈S} (μ_k − μ_G).
 */
export interface MultiLabelReport {
  /** Samples with exactly one label (the standard report's N). */
  singleLabelN: number;
  /** Samples with two or more labels. */
  multiLabelN: number;
  /** Samples with no label (all-zero rows): counted, excluded from every quantity. */
  unlabelledN: number;
  /** Smallest sample count of a label set measured by the tag-wise metrics. */
  minSetCount: number;
  /** Distinct label sets with |S| ≥ 2 in the data. */
  setsSeen: number;
  /** Sets measured by the tag-wise metrics: count ≥ minSetCount, every label with single-label samples, v_S, a_S ≠ 0. */
  setsMeasured: number;
  /** Mean over the measured sets of θ_S = ∠(v_S, a_S) in degrees (0 = μ_S − μ_G exactly along the tag-wise average); null without sets. */
  tagWiseAngle: number | null;
  /** Largest θ_S (degrees); null without sets. */
  tagWiseAngleMax: number | null;
  /** Mean over the measured sets of size m of c_S = ⟨v_S, a_S⟩ / ‖a_S‖², keyed by m ("2", "3", …). */
  tagWiseScale: Record<string, number>;
  /** Number of measured sets per size m. */
  setsBySize: Record<string, number>;
  /**
   * Tr(Σ_W^sets Σ_B⁺)/K (the `nc1Normalization` convention applies): Σ_W^sets the covariance of every labelled sample
   * around its own label set's mean, over all labelled samples; Σ_B the single-label between-class covariance.
   * Present with the spread phase.
   */
  labelSetNc1?: number;
  /** Per measured set, for plots (while their number is ≤ the report's perClassLimit). */
  sets?: MultiLabelSet[];
  /** Past perClassLimit measured sets: distributions instead of the list. */
  setSummary?: { count: Distribution; angle: Distribution; scale: Distribution; variance?: Distribution };
  /** With the `ncMlab` option: the public NC_MLab script's angle metric (see multilabel/nc-mlab.ts). */
  ncMlab?: NcMlabAngles;
}

/** One measured label set S. */
export interface MultiLabelSet {
  /** The labels of S, ascending. */
  labels: number[];
  count: number;
  /** θ_S in degrees. */
  angle: number;
  /** c_S. */
  scale: number;
  /** (1/n_S) Σ_{i∈S} ‖h_i − μ_S‖² (with the spread phase). */
  variance?: number;
}

/**
 * The angle metric of Li et al.'s public script (github.com/Heimine/NC_MLab, `utility.angle_metric`), on uncentred
 * single-label means: for every label pair {i, j} that occurs, the angle between μ_i + μ_j and μ_{ij}; `angleRatio`
 * = their mean divided by the mean angle between μ_i + μ_j and μ_S over every class pair i < j and every pair set S.
 */
export interface NcMlabAngles {
  /** Mean over the pair sets of ∠(μ_i + μ_j, μ_{ij}) in degrees (the script's `angle_diff`). */
  meanAngle: number | null;
  /** meanAngle / (mean over class pairs i < j and pair sets S of ∠(μ_i + μ_j, μ_S)) — the script's `angle_metric`. */
  angleRatio: number | null;
  /** Pair sets {i, j} used (every one that occurs whose labels have single-label samples, whatever its count). */
  pairSets: number;
}

/** A report of multi-label data: the standard report of the single-label samples plus the {@link MultiLabelReport}. */
export interface MultiLabelNcReport extends NcReport {
  multiLabel: MultiLabelReport;
}
