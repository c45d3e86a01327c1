import { weightsGram, type NcContext } from '../context.js';
import { frobeniusNorm, multiplyTransposed } from '../linalg/dense.js';

/**
 * ETF error (Zhu et al. 2021, NeurIPS): ‖ X Zᵀ / ‖X Zᵀ‖_F − E ‖_F with E = (I − 11ᵀ/K) / √(K − 1), ‖E‖_F = 1.
 * X, Z are K × D (rows are classes). Zero exactly when X Zᵀ is a positive multiple of the simplex ETF Gram.
 */
export function etfError(X: Float64Array, Z: Float64Array, K: number, D: number): number {
  return etfErrorOfProduct(multiplyTransposed(X, Z, K, K, D), K);
}

/** ETF error of a given K × K product G = X Zᵀ: ‖ G/‖G‖_F − E ‖_F. */
export function etfErrorOfProduct(g: Float64Array, K: number): number {
  const norm = frobeniusNorm(g);
  const scale = 1 / Math.sqrt(K - 1);
  let s = 0;
  for (let a = 0; a < K; a++)
    for (let b = 0; b < K; b++) {
      const e = ((a === b ? 1 : 0) - 1 / K) * scale;
      s += (g[a * K + b] / norm - e) ** 2;
    }
  return Math.sqrt(s);
}

/** NC2 ETF error of the centred class means: etfError(M̃, M̃). */
export function etfErrorMeans(ctx: NcContext): number {
  return etfErrorOfProduct(ctx.meansGram, ctx.K);
}

/** NC2 ETF error of the classifier rows: etfError(W, W) (raw W, or centred under conventions.centreWeights). */
export function etfErrorWeights(ctx: NcContext): number {
  return etfErrorOfProduct(weightsGram(ctx, 'etfErrorWeights'), ctx.K);
}
