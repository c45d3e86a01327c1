import type { NcContext } from '../context/context.js';
import { reducePair } from '../context/pairs.js';
import { meansSummaryReduction } from './pair-summary.js';

/**
 * Coherence of the centred class means: mean over k ≠ l of |cos(μ̃_k, μ̃_l) + 1/(K − 1)|, the average excess
 * incoherence over the simplex ETF's −1/(K − 1) (0 at NC2). The same number as `maxAngleMeans` (Papyan et al.'s
 * notebook measure), under the name other codebases report; it shares that metric's tiled pass.
 */
export async function coherence(ctx: NcContext): Promise<number> {
  return (await reducePair(ctx, meansSummaryReduction)).cosine.maxAngle;
}
