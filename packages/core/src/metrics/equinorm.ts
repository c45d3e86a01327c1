import type { NcContext } from '../context/context.js';
import { productRows } from '../context/pairs.js';
import { meanAndStd, rowNorms } from '../linalg/dense.js';

/** Equinorm of a set of K vectors (rows of a K × D matrix): std_k ‖x_k‖ / mean_k ‖x_k‖, std with K − 1. */
export function equinorm(rows: Float64Array, K: number, D: number): number {
  const { mean, std } = meanAndStd(rowNorms(rows, K, D));
  return std / mean;
}

/** Equinorm from squared norms. */
function equinormOfSquares(sq: Float64Array): number {
  const { mean, std } = meanAndStd(Float64Array.from(sq, Math.sqrt));
  return std / mean;
}

/** NC2 equinorm of the centred class means μ̃_k (Papyan, Han & Donoho 2020). Zero for a simplex ETF. */
export async function equinormMeans(ctx: NcContext): Promise<number> {
  return equinormOfSquares(ctx.meanNormsSq);
}

/** NC2 equinorm of the classifier rows w_k (Papyan, Han & Donoho 2020). */
export async function equinormWeights(ctx: NcContext): Promise<number> {
  return equinormOfSquares(productRows(ctx, 'weights').xNormsSq);
}
