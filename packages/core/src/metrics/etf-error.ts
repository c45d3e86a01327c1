import { requireWeights, type NcContext } from '../context/context.js';
import { productNorm, reducePair, type PairProduct, type PairReduction } from '../context/pairs.js';
import { frobeniusNorm, multiplyTransposed } from '../linalg/dense.js';
import { meansSummaryReduction, weightsSummaryReduction } from './pair-summary.js';

/**
 * ETF error (Zhu et al. 2021, NeurIPS): ‖ X Zᵀ / ‖X Zᵀ‖_F − E ‖_F with E = (I − 11ᵀ/K) / √(K − 1), ‖E‖_F = 1.
 * X, Z are K × D (rows are classes). Zero exactly when X Zᵀ is a positive multiple of the simplex ETF Gram.
 */
export function etfError(X: Float64Array, Z: Float64Array, K: number, D: number): number {
  return etfErrorOfProduct(multiplyTransposed(X, Z, K, K, D), K);
}

/** ETF error of a given K × K product G = X Zᵀ: ‖ G/‖G‖_F − E ‖_F. */
export function etfErrorOfProduct(g: Float64Array, K: number): number {
  const norm = frobeniusNorm(g);
  const scale = 1 / Math.sqrt(K - 1);
  let s = 0;
  for (let a = 0; a < K; a++)
    for (let b = 0; b < K; b++) {
      const e = ((a === b ? 1 : 0) - 1 / K) * scale;
      s += (g[a * K + b] / norm - e) ** 2;
    }
  return Math.sqrt(s);
}

/**
 * ‖X Zᵀ/‖X Zᵀ‖_F − T‖_F for a target T with `on` on the diagonal and `off` elsewhere (functions of K), streamed in
 * tiles: ‖G‖_F first ({@link productNorm}: two D × D Grams when D < K), then Σ (g/‖G‖ − t)² entry by entry — the direct
 * form, accurate down to rounding when the distance is tiny. The ETF error and the orthogonal-frame distance use it.
 */
export function frameDistanceReduction(product: PairProduct, target: (K: number) => { on: number; off: number }): PairReduction<{ norm: number; sum: number }, number> {
  return {
    product,
    init: async (ctx) => ({ norm: await productNorm(ctx, product), sum: 0 }),
    tile(state, tile, ctx) {
      const { on, off } = target(ctx.K);
      const inv = 1 / state.norm;
      let s = 0;
      for (let i = 0; i < tile.rows; i++) {
        const k = tile.rowStart + i;
        const diagTile = tile.symmetric && tile.colStart === tile.rowStart;
        for (let j = diagTile ? i : 0; j < tile.cols; j++) {
          const l = tile.colStart + j;
          const d = tile.values[i * tile.cols + j] * inv - (k === l ? on : off);
          s += (tile.symmetric && k !== l ? 2 : 1) * d * d;
        }
      }
      state.sum += s;
    },
    finish: (state) => Math.sqrt(state.sum),
  };
}

/** The ETF error of a pair product streamed in tiles: E = (I − 11ᵀ/K)/√(K − 1). */
export function etfReduction(product: PairProduct): PairReduction<{ norm: number; sum: number }, number> {
  return frameDistanceReduction(product, (K) => ({ on: (1 - 1 / K) / Math.sqrt(K - 1), off: -1 / (K * Math.sqrt(K - 1)) }));
}

export const etfMeansReduction = etfReduction('means');
export const etfWeightsReduction = etfReduction('weights');
export const etfWeightsMeansReduction = etfReduction('weightsMeans');

/** NC2 ETF error of the centred class means: etfError(M̃, M̃) (from the one-pass summary of M̃M̃ᵀ). */
export async function etfErrorMeans(ctx: NcContext): Promise<number> {
  return (await reducePair(ctx, meansSummaryReduction)).etfError;
}

/** NC2 ETF error of the classifier rows: etfError(W, W) (raw W, or centred under conventions.centreWeights). */
export async function etfErrorWeights(ctx: NcContext): Promise<number> {
  requireWeights(ctx, 'etfErrorWeights');
  return (await reducePair(ctx, weightsSummaryReduction)).etfError;
}
