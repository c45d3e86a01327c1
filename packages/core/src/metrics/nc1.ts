import { betweenClassSpectrum, requireSpread, type NcContext } from '../context.js';

/**
 * NC1 — within-class variability relative to between-class separation (Papyan, Han & Donoho 2020, PNAS):
 *   NC1 = Tr(Σ_W Σ_B⁺) / K,  Σ_W = (1/N) Σ_i (h_i − μ_{y_i})(h_i − μ_{y_i})ᵀ,  Σ_B = (1/K) Σ_k μ̃_k μ̃_kᵀ.
 * Computed without any D × D matrix: with M̃M̃ᵀ = U Λ Uᵀ and C = M̃ Σ_W M̃ᵀ,
 *   Tr(Σ_W Σ_B⁺) / K = Σ_{j kept} u_jᵀ C u_j / Λ_j²,
 * keeping the eigenvalues of Σ_B above the conventions' pseudo-inverse cutoff. Zero under exact collapse.
 * With nc1Normalization 'none' (Papyan's notebook) the result is multiplied back by K.
 */
export function nc1(ctx: NcContext): number {
  const { C } = requireSpread(ctx, 'NC1');
  const { values, vectors, cutoff } = betweenClassSpectrum(ctx);
  const K = ctx.K;
  let total = 0;
  for (let j = 0; j < K; j++) {
    const lambda = values[j];
    if (!(lambda / K > cutoff)) continue;
    let q = 0;
    for (let a = 0; a < K; a++) {
      const ua = vectors[a * K + j];
      if (ua === 0) continue;
      let row = 0;
      for (let b = 0; b < K; b++) row += C[a * K + b] * vectors[b * K + j];
      q += ua * row;
    }
    total += q / (lambda * lambda);
  }
  return ctx.conventions.nc1Normalization === 'none' ? total * K : total;
}
