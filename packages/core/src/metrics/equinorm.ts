import { weightsGram, type NcContext } from '../context.js';
import { meanAndStd, rowNorms } from '../linalg/dense.js';

/** Equinorm of a set of K vectors (rows of a K × D matrix): std_k ‖x_k‖ / mean_k ‖x_k‖, std with K − 1. */
export function equinorm(rows: Float64Array, K: number, D: number): number {
  const { mean, std } = meanAndStd(rowNorms(rows, K, D));
  return std / mean;
}

/** Equinorm from a Gram matrix G = X Xᵀ (norms are √G_kk). */
export function equinormFromGram(gram: Float64Array, K: number): number {
  const { mean, std } = meanAndStd(Float64Array.from({ length: K }, (_, k) => Math.sqrt(gram[k * K + k])));
  return std / mean;
}

/** NC2 equinorm of the centred class means μ̃_k (Papyan, Han & Donoho 2020). Zero for a simplex ETF. */
export function equinormMeans(ctx: NcContext): number {
  return equinormFromGram(ctx.meansGram, ctx.K);
}

/** NC2 equinorm of the classifier rows w_k (Papyan, Han & Donoho 2020). */
export function equinormWeights(ctx: NcContext): number {
  return equinormFromGram(weightsGram(ctx, 'equinormWeights'), ctx.K);
}
