import { requireWeights, type NcContext } from '../context/context.js';
import { reducePair, type PairProduct, type PairReduction } from '../context/pairs.js';
import { frameDistanceReduction } from './etf-error.js';

/**
 * Distance of a Gram matrix from an orthogonal frame: ‖G/‖G‖_F − I/√K‖_F (‖I/√K‖_F = 1), 0 exactly when the K
 * vectors are orthogonal with equal norms. This is the structure the bias-free regularised-MSE unconstrained features
 * model reaches instead of a simplex ETF (Tirer & Bruna 2022), and that graph-network features show
 * (Kothapalli, Tirer & Bruna 2023). It reads the UNCENTRED vectors — centred means sum to zero and can never be
 * orthogonal. Streamed over tiles of the product like the ETF error ({@link frameDistanceReduction}).
 */
function orthogonalFrameReduction(product: Extract<PairProduct, 'rawMeans' | 'rawWeights'>): PairReduction<{ norm: number; sum: number }, number> {
  return frameDistanceReduction(product, (K) => ({ on: 1 / Math.sqrt(K), off: 0 }));
}

export const orthoFrameMeansReduction = orthogonalFrameReduction('rawMeans');
export const orthoFrameWeightsReduction = orthogonalFrameReduction('rawWeights');

/** Orthogonal-frame distance of the uncentred class means μ_k: ‖MMᵀ/‖MMᵀ‖_F − I/√K‖_F (0 = orthogonal frame). */
export async function orthoFrameMeans(ctx: NcContext): Promise<number> {
  return reducePair(ctx, orthoFrameMeansReduction);
}

/** Orthogonal-frame distance of the classifier rows as given (never centred): ‖WWᵀ/‖WWᵀ‖_F − I/√K‖_F. */
export async function orthoFrameWeights(ctx: NcContext): Promise<number> {
  requireWeights(ctx, 'orthoFrameWeights');
  return reducePair(ctx, orthoFrameWeightsReduction);
}
