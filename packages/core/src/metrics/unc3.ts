import { requireWeights, type NcContext } from '../context/context.js';
import { meanAndStd } from '../linalg/dense.js';

/** Per-class ⟨w_k, μ̃_k⟩ (or its cosine) of the kept classes, W as given (normalized under 'features-and-classifier'). */
function similarities(ctx: NcContext, cos: boolean): Float64Array {
  const W = requireWeights(ctx, cos ? 'unc3Cos' : 'unc3');
  const { K, D, centredMeans: M } = ctx;
  const out = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let s = 0;
    let ww = 0;
    for (let t = 0; t < D; t++) {
      s += W[k * D + t] * M[k * D + t];
      ww += W[k * D + t] ** 2;
    }
    out[k] = cos ? s / Math.sqrt(ww * ctx.meanNormsSq[k]) : s;
  }
  return out;
}

/** Sample variance (n − 1 in the denominator, as torch's `Tensor.var()`). */
function variance(x: Float64Array): number {
  return meanAndStd(x).std ** 2;
}

/**
 * UNC3 — uniform duality (rhubarbwu/neural-collapse README's recipe `similarities(W, M, mG).var()`, after Liu et al.
 * 2023's decoupling of NC3): the variance over classes (n − 1 in the denominator) of ⟨w_k, μ_k − μ_G⟩. Zero when every
 * class's classifier row meets its centred mean with the same inner product (as under NC3 with equinorm).
 * Scale-dependent: it grows with ‖W‖·‖M̃‖; see {@link unc3Cos} for the scale-free form.
 */
export async function unc3(ctx: NcContext): Promise<number> {
  return variance(similarities(ctx, false));
}

/** UNC3 with cosines: the variance over classes (n − 1) of cos(w_k, μ_k − μ_G) (rhubarbwu's `similarities(…, cos=True)`). */
export async function unc3Cos(ctx: NcContext): Promise<number> {
  return variance(similarities(ctx, true));
}
