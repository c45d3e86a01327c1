import type { NcContext } from '../context/context.js';
import { multiplyNT, rowGram } from '../engine/algebra.js';
import type { NcMlabAngles } from '../report/multi-label.js';
import type { LabelSetSums } from './means.js';

const DEGREES = 180 / Math.PI;

/**
 * The tag-wise angle metric of Li et al.'s public script — github.com/Heimine/NC_MLab, `utility.py`, functions
 * `angle_metric` and the `cur_angle_list` loop of `calculate_nc_stats` — reproduced as that script computes it:
 * - means are **uncentred**: μ_k the mean of the single-label samples of class k, μ_S the mean of a pair set S;
 * - only label sets of size 2 take part, every one that occurs (no minimum count), provided both labels have
 *   single-label samples (the script would fail on the others);
 * - `meanAngle` = mean over pair sets S = {i, j} of arccos⟨(μ_i + μ_j)/‖μ_i + μ_j‖, μ_S/‖μ_S‖⟩ in degrees;
 * - `angleRatio` = meanAngle / (the same angle averaged over every class pair i < j and every pair set S — the
 *   matching pair included, as in the script).
 * Differences: float64 here (the script's features are float32), and the cosine is clipped to [−1, 1] before the
 * arccos (the script's arccos returns NaN when rounding pushes it past 1). Cost O(K² · J₂) for J₂ pair sets, with the
 * K × J₂ and K × K products on the engine. The paper's centred tag-wise angle is {@link tagWiseGeometry}.
 */
export async function ncMlabAngles(ctx: Pick<NcContext, 'classes' | 'K' | 'D' | 'means' | 'engine'>, sets: LabelSetSums): Promise<NcMlabAngles> {
  const { K, D, means: M } = ctx;
  const row = new Map<number, number>();
  ctx.classes.forEach((k, i) => row.set(k, i));
  const pairs: { i: number; j: number; set: number }[] = [];
  sets.labels.forEach((labels, s) => {
    if (labels.length === 2 && sets.counts[s] > 0 && row.has(labels[0]) && row.has(labels[1])) pairs.push({ i: row.get(labels[0])!, j: row.get(labels[1])!, set: s });
  });
  const J = pairs.length;
  if (J === 0) return { meanAngle: null, angleRatio: null, pairSets: 0 };
  const S = new Float64Array(J * D);
  const sNorm = new Float64Array(J);
  pairs.forEach((p, r) => {
    const n = sets.counts[p.set];
    let q = 0;
    for (let t = 0; t < D; t++) {
      const v = sets.sums[p.set * D + t] / n;
      S[r * D + t] = v;
      q += v * v;
    }
    sNorm[r] = Math.sqrt(q);
  });
  const P = await multiplyNT(ctx.engine, M, S, K, D, J); // μ_k · μ_S, K × J
  const G = await rowGram(ctx.engine, M, K, D); // μ_k · μ_l, K × K
  const angle = (i: number, j: number, r: number) => {
    const sumNorm = Math.sqrt(Math.max(0, G[i * K + i] + G[j * K + j] + 2 * G[i * K + j]));
    const cos = (P[i * J + r] + P[j * J + r]) / (sumNorm * sNorm[r]);
    return Math.acos(Math.min(1, Math.max(-1, cos))) * DEGREES;
  };
  let numerator = 0;
  pairs.forEach((p, r) => (numerator += angle(p.i, p.j, r)));
  let denominator = 0;
  for (let i = 0; i < K; i++) for (let j = i + 1; j < K; j++) for (let r = 0; r < J; r++) denominator += angle(i, j, r);
  const meanAngle = numerator / J;
  const pairsOfClasses = (K * (K - 1)) / 2;
  return { meanAngle, angleRatio: meanAngle / (denominator / (pairsOfClasses * J)), pairSets: J };
}
