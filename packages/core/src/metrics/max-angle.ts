import { requireWeights, type NcContext } from '../context/context.js';
import { reducePair } from '../context/pairs.js';
import { cosineMatrix, cosineMeansReduction, cosineWeightsReduction, offDiagonal } from './cosines.js';

/** Max-angle deviation of K vectors: mean over k ≠ l of |cos(x_k, x_l) + 1/(K − 1)|. Zero for a simplex ETF. */
export function maxAngle(rows: Float64Array, K: number, D: number): number {
  const off = offDiagonal(cosineMatrix(rows, K, D), K);
  let s = 0;
  for (let i = 0; i < off.length; i++) s += Math.abs(off[i] + 1 / (K - 1));
  return s / off.length;
}

/** NC2 max-angle of the centred class means (Papyan, Han & Donoho 2020, their notebook's NC2 angle measure). */
export async function maxAngleMeans(ctx: NcContext): Promise<number> {
  return (await reducePair(ctx, cosineMeansReduction)).maxAngle;
}

/** NC2 max-angle of the classifier rows. */
export async function maxAngleWeights(ctx: NcContext): Promise<number> {
  requireWeights(ctx, 'maxAngleWeights');
  return (await reducePair(ctx, cosineWeightsReduction)).maxAngle;
}
