import { columnGram } from '../engine/algebra.js';
import { DEFAULT_TILE, forEachPairTile, type PairTile } from '../engine/pair-tiles.js';
import { NcInputError } from '../errors.js';
import { memo, requireWeights, type NcContext } from './context.js';

export { firstPairColumn, type PairTile } from '../engine/pair-tiles.js';

/**
 * The K × K pair products metrics read, never stored whole when K is large (streamed in tiles):
 * - `'means'`: M̃ M̃ᵀ, inner products of the centred class means (symmetric);
 * - `'weights'`: W Wᵀ of the NC2 classifier rows (centred under conventions.centreWeights; symmetric);
 * - `'weightsMeans'`: W M̃ᵀ with W as given (NC3; entry [k, l] = w_k · μ̃_l);
 * - `'rawMeans'`: M Mᵀ of the uncentred class means μ_k (orthogonal-frame structure; symmetric);
 * - `'rawWeights'`: W Wᵀ with W as given, never centred (the same pass as 'weights' unless conventions.centreWeights).
 */
export type PairProduct = 'means' | 'weights' | 'weightsMeans' | 'rawMeans' | 'rawWeights';

/** 'rawWeights' is the same product as 'weights' when W is not centred (one memo key for both). */
function canonicalProduct(ctx: NcContext, product: PairProduct): PairProduct {
  return product === 'rawWeights' && ctx.nc2Weights !== undefined && ctx.nc2Weights === ctx.weights ? 'weights' : product;
}

/**
 * Where a product's tiles come from. The uncentred products are the centred ones plus a rank-one shift — with
 * M = M̃ + 1uᵀ (u = μ_G; for W centred under conventions.centreWeights, W = W_c + 1w̄ᵀ),
 *   μ_k·μ_l = μ̃_k·μ̃_l + a_k + a_l + c,  a_k = μ̃_k·u,  c = ‖u‖²,
 * so one pass over M̃M̃ᵀ (or W_cW_cᵀ) serves the reductions of both, and the K²·D product is formed once.
 */
interface TileSource {
  source: PairProduct;
  shift?: { a: Float64Array; c: number };
}

function tileSource(ctx: NcContext, product: PairProduct): TileSource {
  product = canonicalProduct(ctx, product);
  if (product === 'rawMeans') return { source: 'means', shift: rankOneShift(ctx, ctx.centredMeans, () => ctx.globalMean) };
  if (product === 'rawWeights') {
    const W = requireWeights(ctx, 'a classifier metric');
    return {
      source: 'weights',
      shift: rankOneShift(ctx, ctx.nc2Weights!, () => {
        // The mean row w̄ that centring subtracted, summed as buildContext sums it.
        const { K, D } = ctx;
        const u = new Float64Array(D);
        for (let t = 0; t < D; t++) {
          let m = 0;
          for (let i = 0; i < K; i++) m += W[i * D + t];
          u[t] = m / K;
        }
        return u;
      }),
    };
  }
  return { source: product };
}

const shiftCache = new WeakMap<Float64Array, { a: Float64Array; c: number }>();
/** a_k = x_k·u for the rows of X (K × D) and c = ‖u‖², once per array. */
function rankOneShift(ctx: NcContext, X: Float64Array, shiftRow: () => Float64Array): { a: Float64Array; c: number } {
  let shift = shiftCache.get(X);
  if (!shift) {
    const { K, D } = ctx;
    const u = shiftRow();
    const a = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let t = 0; t < D; t++) s += X[k * D + t] * u[t];
      a[k] = s;
    }
    let c = 0;
    for (let t = 0; t < D; t++) c += u[t] * u[t];
    shift = { a, c };
    shiftCache.set(X, shift);
  }
  return shift;
}

/** The tile of the shifted product: values g_kl + a_k + a_l + c, written into `into` when it is large enough. */
function shiftTile(tile: PairTile, shift: { a: Float64Array; c: number }, into?: Float64Array): PairTile {
  const { rows, cols, rowStart, colStart } = tile;
  const values = into && into.length >= rows * cols ? into.subarray(0, rows * cols) : new Float64Array(rows * cols);
  const { a, c } = shift;
  const g = tile.values;
  for (let i = 0; i < rows; i++) {
    const ak = a[rowStart + i] + c;
    const row = i * cols;
    for (let j = 0; j < cols; j++) values[row + j] = g[row + j] + ak + a[colStart + j];
  }
  return { rowStart, rows, colStart, cols, values, symmetric: tile.symmetric };
}

/**
 * A reduction over the entries of one pair product, visited tile by tile (see README "Writing a metric that scales").
 * Symmetric products visit each unordered pair {k, l} once (plus the diagonal): use {@link firstPairColumn}.
 */
export interface PairReduction<S, R> {
  readonly product: PairProduct;
  /** Fresh state; may await context quantities (e.g. {@link productNorm}) before the pass. */
  init(ctx: NcContext): S | Promise<S>;
  /**
   * Folds one tile into the state (tiles arrive in row-block order; never twice). `tile.values` is valid during the
   * call only (the pass may reuse its array for the next tile): copy what must outlive it.
   */
  tile(state: S, tile: PairTile, ctx: NcContext): void;
  finish(state: S, ctx: NcContext): R;
}

/** Rows X, Z of a product and their squared row norms. */
export function productRows(ctx: NcContext, product: PairProduct): { X: Float64Array; Z: Float64Array; xNormsSq: Float64Array; zNormsSq: Float64Array } {
  if (product === 'means') return { X: ctx.centredMeans, Z: ctx.centredMeans, xNormsSq: ctx.meanNormsSq, zNormsSq: ctx.meanNormsSq };
  if (product === 'rawMeans') {
    const n = rowNormsSq(ctx, ctx.means);
    return { X: ctx.means, Z: ctx.means, xNormsSq: n, zNormsSq: n };
  }
  if (product === 'rawWeights') {
    const W = requireWeights(ctx, 'a classifier metric');
    const n = rowNormsSq(ctx, W);
    return { X: W, Z: W, xNormsSq: n, zNormsSq: n };
  }
  if (product === 'weights') {
    requireWeights(ctx, 'a classifier metric');
    const W = ctx.nc2Weights!;
    const n = rowNormsSq(ctx, W);
    return { X: W, Z: W, xNormsSq: n, zNormsSq: n };
  }
  const W = requireWeights(ctx, 'a classifier metric');
  return { X: W, Z: ctx.centredMeans, xNormsSq: rowNormsSq(ctx, W), zNormsSq: ctx.meanNormsSq };
}

const normsCache = new WeakMap<Float64Array, Float64Array>();
function rowNormsSq(ctx: NcContext, W: Float64Array): Float64Array {
  let n = normsCache.get(W);
  if (!n) {
    const { K, D } = ctx;
    n = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let t = 0; t < D; t++) s += W[k * D + t] ** 2;
      n[k] = s;
    }
    normsCache.set(W, n);
  }
  return n;
}

/**
 * Runs several reductions over their products, ONE tiled pass per product, and returns their results in order.
 * Results are memoised on the context, so a metric function asking again later costs nothing; the report passes all
 * its reductions at once so they share the passes.
 */
export async function reducePairs(ctx: NcContext, reductions: readonly PairReduction<any, any>[]): Promise<unknown[]> {
  const pending = reductions.filter((r) => !ctx.cache.has(r));
  const bySource = new Map<PairProduct, { reduction: PairReduction<any, any>; shift?: TileSource['shift'] }[]>();
  for (const r of pending) {
    const { source, shift } = tileSource(ctx, r.product);
    bySource.set(source, [...(bySource.get(source) ?? []), { reduction: r, shift }]);
  }
  for (const [source, group] of bySource) {
    const run = (async () => {
      const states = await Promise.all(group.map(({ reduction }) => reduction.init(ctx)));
      // The shifted tile (at most one shift per source) is rebuilt in one scratch array for every tile of the pass.
      let scratch: Float64Array | undefined;
      await visitTiles(ctx, source, (tile) => {
        let shifted: PairTile | undefined;
        group.forEach(({ reduction, shift }, i) => {
          if (shift && !shifted) {
            shifted = shiftTile(tile, shift, scratch);
            if (!scratch || scratch.length < shifted.values.length) scratch = shifted.values;
          }
          reduction.tile(states[i], shift ? shifted! : tile, ctx);
        });
      });
      return group.map(({ reduction }, i) => reduction.finish(states[i], ctx));
    })();
    group.forEach(({ reduction }, i) => ctx.cache.set(reduction, run.then((results) => results[i])));
  }
  return Promise.all(reductions.map((r) => ctx.cache.get(r)!));
}

/**
 * Streams a product's tiles. A product that fits in one tile is computed once and kept on the context (every later
 * pass and its norm reuse it); in 'means' space the 'means' product is Σ_B's own Gram, already computed. The
 * uncentred products are visited as their centred product's tiles plus the rank-one shift (see {@link tileSource}).
 */
async function visitTiles(ctx: NcContext, product: PairProduct, visit: (tile: PairTile) => void): Promise<void> {
  const { K, D } = ctx;
  if (K <= pairTileSize(ctx)) {
    visit({ rowStart: 0, rows: K, colStart: 0, cols: K, values: await singleTile(ctx, product), symmetric: product !== 'weightsMeans' });
    return;
  }
  const { source, shift } = tileSource(ctx, product);
  if (shift) {
    await visitTiles(ctx, source, (tile) => visit(shiftTile(tile, shift)));
    return;
  }
  const { X, Z } = productRows(ctx, product);
  await forEachPairTile(ctx.engine, X, Z, K, K, D, visit, pairTileSize(ctx));
}

function singleTile(ctx: NcContext, product: PairProduct): Promise<Float64Array> {
  product = canonicalProduct(ctx, product);
  return memo(ctx, `tile:${product}`, async () => {
    if (product === 'means' && ctx.between.space === 'means') return ctx.between.gram;
    const { source, shift } = tileSource(ctx, product);
    if (shift) {
      const K = ctx.K;
      return shiftTile({ rowStart: 0, rows: K, colStart: 0, cols: K, values: await singleTile(ctx, source), symmetric: true }, shift).values;
    }
    const { X, Z } = productRows(ctx, product);
    let values!: Float64Array;
    await forEachPairTile(ctx.engine, X, Z, ctx.K, ctx.K, ctx.D, (t) => { values = t.values; }, ctx.K);
    return values;
  });
}

/** One reduction (memoised; see {@link reducePairs}). */
export async function reducePair<R>(ctx: NcContext, reduction: PairReduction<any, R>): Promise<R> {
  return (await reducePairs(ctx, [reduction]))[0] as R;
}

/** Tile side for the context's pair passes (ContextOptions.pairTile; small values exercise tile boundaries in tests). */
export function pairTileSize(ctx: NcContext): number {
  return ctx.pairTile ?? DEFAULT_TILE;
}

/**
 * ‖X Zᵀ‖_F of a pair product without a pass over its K² entries when D < K: ‖X Zᵀ‖_F² = ⟨XᵀX, ZᵀZ⟩ (two D × D Grams
 * on the engine). When K ≤ D a tiled pass is the cheaper way. Memoised.
 */
export function productNorm(ctx: NcContext, product: PairProduct): Promise<number> {
  product = canonicalProduct(ctx, product);
  return memo(ctx, `norm:${product}`, async () => {
    const { K, D } = ctx;
    const { X, Z } = productRows(ctx, product);
    if (K <= pairTileSize(ctx)) {
      const v = await singleTile(ctx, product);
      let s = 0;
      for (let i = 0; i < v.length; i++) s += v[i] * v[i];
      return Math.sqrt(s);
    }
    if (D < K) {
      const gx = await columnGramOf(ctx, X);
      const gz = X === Z ? gx : await columnGramOf(ctx, Z);
      let s = 0;
      for (let i = 0; i < D * D; i++) s += gx[i] * gz[i];
      return Math.sqrt(Math.max(0, s));
    }
    let s = 0;
    await visitTiles(ctx, product, (tile) => {
      const v = tile.values;
      if (!tile.symmetric) {
        for (let i = 0; i < v.length; i++) s += v[i] * v[i];
        return;
      }
      const diag = tile.colStart === tile.rowStart;
      for (let i = 0; i < tile.rows; i++) {
        for (let j = diag ? i : 0; j < tile.cols; j++) {
          const x = v[i * tile.cols + j];
          s += (diag && j === i ? 1 : 2) * x * x;
        }
      }
    });
    return Math.sqrt(s);
  });
}

/** XᵀX (D × D) of a K × D row set of the context, once per array; M̃ᵀM̃ in 'features' space is Σ_B's own operator. */
function columnGramOf(ctx: NcContext, X: Float64Array): Promise<Float64Array> {
  if (X === ctx.centredMeans && ctx.between.space === 'features') return Promise.resolve(ctx.between.gram);
  return memo(ctx, X, () => columnGram(ctx.engine, X, ctx.K, ctx.D));
}

/** A K × K product whole, as a row-major array — only for K small enough to hold (throws above `limit`). */
export async function densePairProduct(ctx: NcContext, product: PairProduct, limit = 4096): Promise<Float64Array> {
  const { K } = ctx;
  if (K > limit) throw new NcInputError('BAD_OPTION', `a dense ${K} × ${K} pair product was asked for; stream it with reducePairs instead`);
  const out = new Float64Array(K * K);
  await visitTiles(ctx, product, (tile) => {
    for (let i = 0; i < tile.rows; i++) {
      for (let j = 0; j < tile.cols; j++) {
        const v = tile.values[i * tile.cols + j];
        out[(tile.rowStart + i) * K + tile.colStart + j] = v;
        if (tile.symmetric) out[(tile.colStart + j) * K + tile.rowStart + i] = v;
      }
    }
  });
  return out;
}
