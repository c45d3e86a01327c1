import { requireWeights, type NcContext } from '../context/context.js';

/**
 * NC0 — the classifier rows sum to zero at neural collapse (NC2 for W makes them a zero-mean simplex ETF; the
 * condition several public NC codebases report as "NC0"): ‖Σ_k w_k‖ over the kept classes, W as given (normalized
 * under 'features-and-classifier'). Not scale-free: compare it with the row norms (equinormWeights, perClass.weightNorms).
 */
export async function nc0(ctx: NcContext): Promise<number> {
  const W = requireWeights(ctx, 'nc0');
  const { K, D } = ctx;
  let s = 0;
  for (let t = 0; t < D; t++) {
    let c = 0;
    for (let k = 0; k < K; k++) c += W[k * D + t];
    s += c * c;
  }
  return Math.sqrt(s);
}
