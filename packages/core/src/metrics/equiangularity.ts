import { weightsGram, type NcContext } from '../context.js';
import { meanAndStd } from '../linalg/dense.js';
import { cosineMatrix, cosinesFromGram, offDiagonal } from './cosines.js';

/** Equiangularity of K vectors: std over k ≠ l of cos(x_k, x_l) (sample std). Zero when all angles are equal. */
export function equiangularity(rows: Float64Array, K: number, D: number): number {
  return meanAndStd(offDiagonal(cosineMatrix(rows, K, D), K)).std;
}

/** NC2 equiangularity of the centred class means (Papyan, Han & Donoho 2020): std_{k≠l} cos(μ̃_k, μ̃_l). */
export function equiangularityMeans(ctx: NcContext): number {
  return meanAndStd(offDiagonal(cosinesFromGram(ctx.meansGram, ctx.K), ctx.K)).std;
}

/** NC2 equiangularity of the classifier rows: std_{k≠l} cos(w_k, w_l). */
export function equiangularityWeights(ctx: NcContext): number {
  return meanAndStd(offDiagonal(cosinesFromGram(weightsGram(ctx, 'equiangularityWeights'), ctx.K), ctx.K)).std;
}
