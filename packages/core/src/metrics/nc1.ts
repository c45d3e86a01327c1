import { requireSpread, type NcContext } from '../context/context.js';
import { nc1Trace } from '../geometry/between-class.js';

/**
 * NC1 — within-class variability relative to between-class separation (Papyan, Han & Donoho 2020, PNAS):
 *   NC1 = Tr(Σ_W Σ_B⁺) / K,  Σ_W = (1/N) Σ_i (h_i − μ_{y_i})(h_i − μ_{y_i})ᵀ,  Σ_B = (1/K) Σ_k μ̃_k μ̃_kᵀ.
 * Computed in the smaller of the K- and D-dimensional spaces (geometry/between-class.ts): with G = M̃M̃ᵀ and
 * C = M̃ Σ_W M̃ᵀ it is Tr(G⁺ C G⁺); with B = M̃ᵀM̃ it is Tr(Σ_W B⁺) — by a Cholesky solve when Σ_B is safely
 * full-rank in its span, else from the eigenvalues above the conventions' pseudo-inverse cutoff. Zero under exact
 * collapse. With nc1Normalization 'none' (Papyan's notebook) the result is multiplied back by K.
 */
export async function nc1(ctx: NcContext): Promise<number> {
  const { within } = requireSpread(ctx, 'NC1');
  const total = await nc1Trace(ctx.engine, ctx.between, within);
  return ctx.conventions.nc1Normalization === 'none' ? total * ctx.K : total;
}
