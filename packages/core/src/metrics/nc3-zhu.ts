import { requireWeights, type NcContext } from '../context/context.js';
import { reducePair } from '../context/pairs.js';
import { etfWeightsMeansReduction } from './etf-error.js';

/** NC3 in Zhu et al.'s form (2021, NeurIPS): etfError(W, M̃) = ‖ W M̃ᵀ/‖W M̃ᵀ‖_F − E ‖_F (streamed in tiles). */
export async function nc3Zhu(ctx: NcContext): Promise<number> {
  requireWeights(ctx, 'NC3 (Zhu)');
  return reducePair(ctx, etfWeightsMeansReduction);
}
