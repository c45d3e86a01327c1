import { requireWeights, type NcContext } from '../context.js';
import { etfError } from './etf-error.js';

/** NC3 in Zhu et al.'s form (2021, NeurIPS): etfError(W, M̃) = ‖ W M̃ᵀ/‖W M̃ᵀ‖_F − E ‖_F. */
export function nc3Zhu(ctx: NcContext): number {
  const W = requireWeights(ctx, 'NC3 (Zhu)');
  return etfError(W, ctx.centredMeans, ctx.K, ctx.D);
}
