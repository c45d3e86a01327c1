import { requireSpread, type NcContext } from '../context/context.js';

/**
 * NC1 quotient — Tr Σ_W / Tr Σ_B (Tirer, Huang & Niles-Weed 2023, "Perturbation analysis of neural collapse"):
 *   Tr Σ_W = (1/N) Σ_i ‖h_i − μ_{y_i}‖²,  Tr Σ_B = (1/K) Σ_k ‖μ̃_k‖².
 * Scale-free and defined even when Σ_B is rank-deficient.
 */
export async function nc1Quotient(ctx: NcContext): Promise<number> {
  const { withinSS } = requireSpread(ctx, 'NC1 quotient');
  let trW = 0;
  for (let k = 0; k < ctx.K; k++) trW += withinSS[k];
  trW /= ctx.N;
  let trB = 0;
  for (let k = 0; k < ctx.K; k++) trB += ctx.meanNormsSq[k];
  trB /= ctx.K;
  return trW / trB;
}
