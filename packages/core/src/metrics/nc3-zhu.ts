import { requireWeights, type NcContext } from '../context/context.js';
import { pairTileSize, productNorm, reducePair } from '../context/pairs.js';
import { etfWeightsMeansReduction } from './etf-error.js';

/**
 * NC3 in Zhu et al.'s form (2021, NeurIPS): etfError(W, M̃) = ‖ W M̃ᵀ/‖W M̃ᵀ‖_F − E ‖_F, E = (I − 11ᵀ/K)/√(K − 1).
 *
 * While W M̃ᵀ fits one tile (K ≤ 2048 by default) it is formed and the sum Σ (g/‖G‖ − e)² taken entry by entry,
 * accurate down to rounding near 0. Past that, the K × K product is never formed: with ‖G/‖G‖‖ = ‖E‖ = 1,
 *   ‖G/‖G‖ − E‖² = 2 − 2⟨G, E⟩/‖G‖,  ⟨G, E⟩ = (Σ_k w_k·μ̃_k − (Σ_k w_k)·(Σ_l μ̃_l)/K)/√(K − 1),
 *   ‖G‖² = ⟨WᵀW, M̃ᵀM̃⟩ (D × D Grams),
 * O(K·D²) instead of a K²·D pass; its absolute accuracy is ~1e-8 (the difference cancels when the error is tiny).
 */
export async function nc3Zhu(ctx: NcContext): Promise<number> {
  const W = requireWeights(ctx, 'NC3 (Zhu)');
  const { K, D } = ctx;
  if (K <= pairTileSize(ctx)) return reducePair(ctx, etfWeightsMeansReduction);
  const M = ctx.centredMeans;
  let trace = 0;
  const sw = new Float64Array(D);
  const sm = new Float64Array(D);
  for (let k = 0; k < K; k++) {
    const r = k * D;
    for (let t = 0; t < D; t++) {
      trace += W[r + t] * M[r + t];
      sw[t] += W[r + t];
      sm[t] += M[r + t];
    }
  }
  let ones = 0;
  for (let t = 0; t < D; t++) ones += sw[t] * sm[t];
  const inner = (trace - ones / K) / Math.sqrt(K - 1);
  const norm = await productNorm(ctx, 'weightsMeans');
  return Math.sqrt(Math.max(0, 2 - (2 * inner) / norm));
}
