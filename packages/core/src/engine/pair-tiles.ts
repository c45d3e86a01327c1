import { multiplyNT } from './algebra.js';
import type { ProductEngine } from './product-engine.js';

/**
 * One tile of a K × Kz pair product X Zᵀ (rows of X against rows of Z), computed on the engine in float64:
 * `values[i * cols + j]` = x_{rowStart+i} · z_{colStart+j}.
 */
export interface PairTile {
  readonly rowStart: number;
  readonly rows: number;
  readonly colStart: number;
  readonly cols: number;
  readonly values: Float64Array;
  /**
   * True when Z = X: only tiles with colStart ≥ rowStart are visited, and every unordered pair {k, l} (k < l) appears
   * exactly once — in a diagonal tile (colStart = rowStart) at i < j only; the diagonal k = l sits at i = j there.
   */
  readonly symmetric: boolean;
}

/** First column j of row i in `tile` that is an unordered pair k < l (0 for non-diagonal and non-symmetric tiles). */
export function firstPairColumn(tile: PairTile, i: number): number {
  return tile.symmetric && tile.colStart === tile.rowStart ? i + 1 : 0;
}

/** Rows per tile side: a tile is ≤ 2048² float64 values (32 MiB). */
export const DEFAULT_TILE = 2048;

/**
 * Streams the pair product X Zᵀ (X K × D, Z Kz × D, row-major float64; pass Z = X for a symmetric product) through
 * `visit` tile by tile: memory O(tile²) whatever K is, work K·Kz·D (half of it for symmetric products) on the engine.
 * Tiles are visited row block by row block; the visitor may be async.
 */
export async function forEachPairTile(
  engine: ProductEngine,
  X: Float64Array,
  Z: Float64Array,
  K: number,
  Kz: number,
  D: number,
  visit: (tile: PairTile) => void | Promise<void>,
  tileSize = DEFAULT_TILE,
): Promise<void> {
  const symmetric = X === Z;
  for (let r0 = 0; r0 < K; r0 += tileSize) {
    const rows = Math.min(tileSize, K - r0);
    const xb = X.subarray(r0 * D, (r0 + rows) * D);
    for (let c0 = symmetric ? r0 : 0; c0 < Kz; c0 += tileSize) {
      const cols = Math.min(tileSize, Kz - c0);
      const values = await multiplyNT(engine, xb, Z.subarray(c0 * D, (c0 + cols) * D), rows, D, cols);
      await visit({ rowStart: r0, rows, colStart: c0, cols, values, symmetric });
    }
  }
}
