import type { NcContext } from '../context/context.js';
import type { LabelSetSums } from './means.js';

/** θ_S and c_S of one label set (index `set` into the statistics' sets). */
export interface TagWiseSet {
  set: number;
  labels: readonly number[];
  count: number;
  /** θ_S = ∠(v_S, a_S) in degrees. */
  angle: number;
  /** c_S = ⟨v_S, a_S⟩ / ‖a_S‖². */
  scale: number;
}

/** The measured sets and why the others were left out. */
export interface TagWiseGeometry {
  sets: TagWiseSet[];
  /** Sets with fewer than minSetCount samples. */
  belowCount: number;
  /** Sets with a label that has no single-label samples (no μ_k). */
  missingClass: number;
  /** Sets with v_S = 0 or a_S = 0 to rounding (no direction to compare), e.g. all K labels under the class-uniform μ_G. */
  degenerate: number;
}

/**
 * The angle between two vectors in degrees, as 2·atan2(‖û − ŵ‖, ‖û + ŵ‖) (û, ŵ the unit vectors): accurate for every
 * angle, including near 0 and 180° where arccos of the cosine loses half the digits. NaN when either vector is 0.
 */
export function angleDegrees(u: ArrayLike<number>, w: ArrayLike<number>): number {
  let nu = 0, nw = 0;
  for (let t = 0; t < u.length; t++) {
    nu += u[t] * u[t];
    nw += w[t] * w[t];
  }
  nu = Math.sqrt(nu);
  nw = Math.sqrt(nw);
  if (!(nu > 0 && nw > 0)) return NaN;
  let minus = 0, plus = 0;
  for (let t = 0; t < u.length; t++) {
    const a = u[t] / nu;
    const b = w[t] / nw;
    minus += (a - b) ** 2;
    plus += (a + b) ** 2;
  }
  return (2 * Math.atan2(Math.sqrt(minus), Math.sqrt(plus)) * 180) / Math.PI;
}

/**
 * Tag-wise average geometry of the label sets with |S| ≥ 2 (Li et al. 2023): with μ_k the single-label class means,
 * μ_G their global mean (the context's convention), μ_S the set's mean,
 *
 *   v_S = μ_S − μ_G,  a_S = (1/|S|) Σ_{k∈S} (μ_k − μ_G),  θ_S = ∠(v_S, a_S),  c_S = ⟨v_S, a_S⟩ / ‖a_S‖².
 *
 * Under pick-all-label training the paper predicts θ_S = 0 (μ_S − μ_G is a scaled average of its labels' centred
 * means) with c_S depending only on |S|. Sets with fewer than `minSetCount` samples, a label without single-label
 * samples, or v_S = 0 / a_S = 0 to rounding are left out (and counted): a_S vanishes identically for the set of all K
 * labels under the class-uniform global mean. O(J · D · |S|), plain TypeScript.
 */
export function tagWiseGeometry(ctx: Pick<NcContext, 'classes' | 'D' | 'centredMeans' | 'globalMean'>, sets: LabelSetSums, minSetCount: number): TagWiseGeometry {
  const { D, centredMeans: M, globalMean: g } = ctx;
  const row = new Map<number, number>();
  ctx.classes.forEach((k, i) => row.set(k, i));
  const out: TagWiseGeometry = { sets: [], belowCount: 0, missingClass: 0, degenerate: 0 };
  const v = new Float64Array(D);
  const a = new Float64Array(D);
  sets.labels.forEach((labels, j) => {
    const n = sets.counts[j];
    if (n < minSetCount) {
      out.belowCount++;
      return;
    }
    if (!labels.every((k) => row.has(k))) {
      out.missingClass++;
      return;
    }
    a.fill(0);
    let aScale = 0;
    for (const k of labels) {
      const r = row.get(k)! * D;
      let nk = 0;
      for (let t = 0; t < D; t++) {
        a[t] += M[r + t];
        nk += M[r + t] ** 2;
      }
      aScale += Math.sqrt(nk) / labels.length;
    }
    let va = 0, aa = 0, vv = 0, ss = 0, gg = 0;
    for (let t = 0; t < D; t++) {
      a[t] /= labels.length;
      const mS = sets.sums[j * D + t] / n;
      v[t] = mS - g[t];
      va += v[t] * a[t];
      aa += a[t] * a[t];
      vv += v[t] * v[t];
      ss += mS * mS;
      gg += g[t] * g[t];
    }
    // a_S that is 0 up to rounding (e.g. the set of all K classes under the class-uniform global mean, where it
    // vanishes identically) or μ_S = μ_G to rounding: no direction to measure an angle against.
    if (!(Math.sqrt(aa) > 1e-10 * aScale) || !(Math.sqrt(vv) > 1e-12 * Math.max(Math.sqrt(ss), Math.sqrt(gg)))) {
      out.degenerate++;
      return;
    }
    const angle = angleDegrees(v, a);
    if (!Number.isFinite(angle)) {
      out.degenerate++;
      return;
    }
    out.sets.push({ set: j, labels, count: n, angle, scale: va / aa });
  });
  return out;
}

/** The report's summary of measured sets: mean and largest θ_S, mean c_S and the number of sets per size. */
export function tagWiseSummary(sets: readonly TagWiseSet[]): { tagWiseAngle: number | null; tagWiseAngleMax: number | null; tagWiseScale: Record<string, number>; setsBySize: Record<string, number> } {
  if (sets.length === 0) return { tagWiseAngle: null, tagWiseAngleMax: null, tagWiseScale: {}, setsBySize: {} };
  let sum = 0;
  let max = -Infinity;
  const bySize = new Map<number, { sum: number; n: number }>();
  for (const s of sets) {
    sum += s.angle;
    if (s.angle > max) max = s.angle;
    const m = s.labels.length;
    const b = bySize.get(m) ?? { sum: 0, n: 0 };
    b.sum += s.scale;
    b.n++;
    bySize.set(m, b);
  }
  const sizes = [...bySize.keys()].sort((x, y) => x - y);
  return {
    tagWiseAngle: sum / sets.length,
    tagWiseAngleMax: max,
    tagWiseScale: Object.fromEntries(sizes.map((m) => [String(m), bySize.get(m)!.sum / bySize.get(m)!.n])),
    setsBySize: Object.fromEntries(sizes.map((m) => [String(m), bySize.get(m)!.n])),
  };
}
