import { requireWeights, type NcContext } from '../context/context.js';
import { reducePair } from '../context/pairs.js';
import { meanAndStd } from '../linalg/dense.js';
import { cosineMatrix, cosineMeansReduction, cosineWeightsReduction, offDiagonal } from './cosines.js';

/** Equiangularity of K vectors: std over k ≠ l of cos(x_k, x_l) (sample std). Zero when all angles are equal. */
export function equiangularity(rows: Float64Array, K: number, D: number): number {
  return meanAndStd(offDiagonal(cosineMatrix(rows, K, D), K)).std;
}

/** NC2 equiangularity of the centred class means (Papyan, Han & Donoho 2020): std_{k≠l} cos(μ̃_k, μ̃_l). */
export async function equiangularityMeans(ctx: NcContext): Promise<number> {
  return (await reducePair(ctx, cosineMeansReduction)).std;
}

/** NC2 equiangularity of the classifier rows: std_{k≠l} cos(w_k, w_l). */
export async function equiangularityWeights(ctx: NcContext): Promise<number> {
  requireWeights(ctx, 'equiangularityWeights');
  return (await reducePair(ctx, cosineWeightsReduction)).std;
}
