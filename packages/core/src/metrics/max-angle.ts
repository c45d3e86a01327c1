import { weightsGram, type NcContext } from '../context.js';
import { cosineMatrix, cosinesFromGram, offDiagonal } from './cosines.js';

/** Max-angle deviation of K vectors: mean over k ≠ l of |cos(x_k, x_l) + 1/(K − 1)|. Zero for a simplex ETF. */
export function maxAngle(rows: Float64Array, K: number, D: number): number {
  return maxAngleFromCosines(cosineMatrix(rows, K, D), K);
}

function maxAngleFromCosines(cosines: Float64Array, K: number): number {
  const off = offDiagonal(cosines, K);
  let s = 0;
  for (let i = 0; i < off.length; i++) s += Math.abs(off[i] + 1 / (K - 1));
  return s / off.length;
}

/** NC2 max-angle of the centred class means (Papyan, Han & Donoho 2020, their notebook's NC2 angle measure). */
export function maxAngleMeans(ctx: NcContext): number {
  return maxAngleFromCosines(cosinesFromGram(ctx.meansGram, ctx.K), ctx.K);
}

/** NC2 max-angle of the classifier rows. */
export function maxAngleWeights(ctx: NcContext): number {
  return maxAngleFromCosines(cosinesFromGram(weightsGram(ctx, 'maxAngleWeights'), ctx.K), ctx.K);
}
