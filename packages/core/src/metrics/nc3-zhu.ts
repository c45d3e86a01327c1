import { weightsMeansProduct, type NcContext } from '../context.js';
import { etfErrorOfProduct } from './etf-error.js';

/** NC3 in Zhu et al.'s form (2021, NeurIPS): etfError(W, M̃) = ‖ W M̃ᵀ/‖W M̃ᵀ‖_F − E ‖_F. */
export function nc3Zhu(ctx: NcContext): number {
  return etfErrorOfProduct(weightsMeansProduct(ctx, 'NC3 (Zhu)'), ctx.K);
}
