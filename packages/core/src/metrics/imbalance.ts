import { memo, type NcContext } from '../context/context.js';
import { firstPairColumn, productRows, reducePair, type PairReduction } from '../context/pairs.js';
import { nc1PerClass } from './nc1-per-class.js';
import { mergeShifted, type Moments } from './shifted-moments.js';

/**
 * The imbalance section of a report: minority collapse (Fang et al. 2021, PNAS, "Exploring deep neural networks via
 * layer-peeled model: minority collapse in imbalanced training"; Sun & Shi 2024 on deep equilibrium models). Classes
 * with n_k < `minorityBelow` (default half the largest class count) are the minority, the rest the majority. Minority
 * collapse drives the minority classifier rows (and means) towards each other: their mean pairwise cosine rises from
 * the simplex ETF's −1/(K − 1) towards 1, and their norms shrink against the majority's.
 *
 * Cosines are over the ordered pairs k ≠ l inside a group (each unordered pair twice, like equiangularity), standard
 * deviations with n − 1; NaN (null in JSON) for a group with fewer than two classes. Norm ratios are the mean norm over
 * the minority divided by the mean over the majority. Weights are the NC2 classifier rows (centred under
 * conventions.centreWeights, normalized under 'features-and-classifier'); means are centred by the global mean.
 */
export interface NcImbalance {
  /** The threshold used: classes with fewer samples are the minority. */
  minorityBelow: number;
  /** 'half the largest class' (default) or 'given'. */
  minorityRule: 'half the largest class' | 'given';
  /** Largest class count / smallest class count. */
  imbalanceRatio: number;
  minorityCount: number;
  majorityCount: number;
  /** Class ids of each group (left out past the report's perClassLimit; the counts stay). */
  minorityClasses?: number[];
  majorityClasses?: number[];
  /** Mean and std of cos(μ̃_k, μ̃_l) over pairs inside the minority / the majority. */
  minorityCosineMeans: number;
  minorityCosineMeansStd: number;
  majorityCosineMeans: number;
  majorityCosineMeansStd: number;
  /** The same for the classifier rows (with a classifier). */
  minorityCosineWeights?: number;
  minorityCosineWeightsStd?: number;
  majorityCosineWeights?: number;
  majorityCosineWeightsStd?: number;
  /** mean_{minority} ‖μ̃_k‖ / mean_{majority} ‖μ̃_k‖. */
  normRatioMeans: number;
  /** mean_{minority} ‖w_k‖ / mean_{majority} ‖w_k‖ (with a classifier). */
  normRatioWeights?: number;
  /** Mean per-class NC1_c = Tr(Σ_c Σ_B⁺) over each group (with per-class NC1 in the statistics). */
  nc1Minority?: number;
  nc1Majority?: number;
}

/** Which kept classes are the minority (1) under the context's threshold. */
export function minorityMask(ctx: NcContext): Uint8Array {
  const below = ctx.minorityBelow.value;
  return Uint8Array.from(ctx.counts, (n) => (n < below ? 1 : 0));
}


interface GroupCosines {
  minorityMean: number;
  minorityStd: number;
  majorityMean: number;
  majorityStd: number;
}

/**
 * Mean and std of the cosines inside each group, over one tiled pass of a symmetric pair product: each tile's
 * cosines are summed around the tile's first cosine of the group and merged across tiles.
 */
function groupCosineReduction(product: 'means' | 'weights'): PairReduction<{ mask: Uint8Array; inv: Float64Array; groups: [Moments, Moments] }, GroupCosines> {
  return {
    product,
    init: (ctx) => ({
      mask: minorityMask(ctx),
      inv: Float64Array.from(productRows(ctx, product).xNormsSq, (v) => 1 / Math.sqrt(v)),
      groups: [{ n: 0, mean: 0, m2: 0 }, { n: 0, mean: 0, m2: 0 }],
    }),
    tile(state, tile) {
      const { mask, inv, groups } = state;
      const { values, cols, rowStart, colStart } = tile;
      // Per group (0 = minority, 1 = majority): unordered pairs, shift, Σ(c − shift), Σ(c − shift)².
      const n = [0, 0];
      const shift = [0, 0];
      const s1 = [0, 0];
      const s2 = [0, 0];
      for (let i = 0; i < tile.rows; i++) {
        const k = rowStart + i;
        const gk = mask[k];
        const g = gk === 1 ? 0 : 1;
        const ik = inv[k];
        const row = i * cols;
        let cnt = 0, a1 = 0, a2 = 0;
        let sh = shift[g];
        for (let j = firstPairColumn(tile, i); j < cols; j++) {
          const l = colStart + j;
          if (mask[l] !== gk) continue;
          const c = values[row + j] * ik * inv[l];
          if (n[g] === 0 && cnt === 0) sh = shift[g] = c;
          const d = c - sh;
          a1 += d;
          a2 += d * d;
          cnt++;
        }
        n[g] += cnt;
        s1[g] += a1;
        s2[g] += a2;
      }
      // Each unordered pair stands for two ordered pairs.
      for (const g of [0, 1]) mergeShifted(groups[g], 2 * n[g], shift[g], 2 * s1[g], 2 * s2[g]);
    },
    finish: ({ groups: [mi, ma] }) => ({
      minorityMean: mi.n > 0 ? mi.mean : NaN,
      minorityStd: mi.n > 0 ? Math.sqrt(mi.m2 / (mi.n - 1)) : NaN,
      majorityMean: ma.n > 0 ? ma.mean : NaN,
      majorityStd: ma.n > 0 ? Math.sqrt(ma.m2 / (ma.n - 1)) : NaN,
    }),
  };
}

export const groupCosineMeansReduction = groupCosineReduction('means');
export const groupCosineWeightsReduction = groupCosineReduction('weights');

/** mean of f(k) over the classes of a group (NaN for an empty group). */
function groupMean(mask: Uint8Array, group: 0 | 1, f: (k: number) => number): number {
  let s = 0;
  let n = 0;
  for (let k = 0; k < mask.length; k++) if (mask[k] === group) { s += f(k); n++; }
  return n > 0 ? s / n : NaN;
}

/** Whether a report carries the imbalance section: class counts differ, or the caller gave minorityBelow. */
export function hasImbalance(ctx: NcContext): boolean {
  if (ctx.minorityBelow.explicit) return true;
  for (let k = 1; k < ctx.K; k++) if (ctx.counts[k] !== ctx.counts[0]) return true;
  return false;
}

/**
 * The imbalance section (see {@link NcImbalance}). Group cosines come from one tiled pass over M̃M̃ᵀ (and WWᵀ), shared
 * with the report's other pairwise metrics; everything else is K-sized. `classLists: false` leaves out the class ids.
 */
export async function imbalance(ctx: NcContext, options: { classLists?: boolean } = {}): Promise<NcImbalance> {
  return memo(ctx, `imbalance:${options.classLists !== false}`, async () => {
    const mask = minorityMask(ctx);
    const { K, counts } = ctx;
    let lo = Infinity;
    let hi = 0;
    for (let k = 0; k < K; k++) {
      lo = Math.min(lo, counts[k]);
      hi = Math.max(hi, counts[k]);
    }
    let minorityCount = 0;
    for (let k = 0; k < K; k++) minorityCount += mask[k];
    const means = await reducePair(ctx, groupCosineMeansReduction);
    const meanNorm = (k: number) => Math.sqrt(ctx.meanNormsSq[k]);
    const out: NcImbalance = {
      minorityBelow: ctx.minorityBelow.value,
      minorityRule: ctx.minorityBelow.explicit ? 'given' : 'half the largest class',
      imbalanceRatio: hi / lo,
      minorityCount,
      majorityCount: K - minorityCount,
      minorityCosineMeans: means.minorityMean,
      minorityCosineMeansStd: means.minorityStd,
      majorityCosineMeans: means.majorityMean,
      majorityCosineMeansStd: means.majorityStd,
      normRatioMeans: groupMean(mask, 1, meanNorm) / groupMean(mask, 0, meanNorm),
    };
    if (options.classLists !== false) {
      out.minorityClasses = ctx.classes.filter((_, i) => mask[i] === 1);
      out.majorityClasses = ctx.classes.filter((_, i) => mask[i] === 0);
    }
    if (ctx.weights) {
      const w = await reducePair(ctx, groupCosineWeightsReduction);
      out.minorityCosineWeights = w.minorityMean;
      out.minorityCosineWeightsStd = w.minorityStd;
      out.majorityCosineWeights = w.majorityMean;
      out.majorityCosineWeightsStd = w.majorityStd;
      const n = productRows(ctx, 'weights').xNormsSq;
      const weightNorm = (k: number) => Math.sqrt(n[k]);
      out.normRatioWeights = groupMean(mask, 1, weightNorm) / groupMean(mask, 0, weightNorm);
    }
    const nc1c = ctx.spread ? await nc1PerClass(ctx) : undefined;
    if (nc1c) {
      out.nc1Minority = groupMean(mask, 1, (k) => nc1c[k]);
      out.nc1Majority = groupMean(mask, 0, (k) => nc1c[k]);
    }
    return out;
  });
}
