import { requireWeights, type NcContext } from '../context/context.js';
import { frobeniusNorm } from '../linalg/dense.js';

/**
 * NC3 self-duality (Papyan, Han & Donoho 2020): ‖ W/‖W‖_F − M̃/‖M̃‖_F ‖_F², squared as in their notebook.
 * Zero when the classifier rows are proportional to the centred class means; at most 4.
 */
export async function nc3SelfDuality(ctx: NcContext): Promise<number> {
  const W = requireWeights(ctx, 'NC3 self-duality');
  const M = ctx.centredMeans;
  const nw = frobeniusNorm(W);
  const nm = frobeniusNorm(M);
  let s = 0;
  for (let i = 0; i < W.length; i++) s += (W[i] / nw - M[i] / nm) ** 2;
  return s;
}
