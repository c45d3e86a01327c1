import { multiplyNT, SMALL_PRODUCT } from './algebra.js';
import type { PairProductSource, ProductEngine } from './product-engine.js';

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
 * Tiles requested from an engine's {@link PairProductSource} ahead of the one being visited: the engine computes
 * them while the visitor works (3 tiles of 32 MiB in flight at the default size).
 */
const LOOKAHEAD = 2;

/**
 * Streams the pair product X Zᵀ (X K × D, Z Kz × D, row-major float64; pass Z = X for a symmetric product) through
 * `visit` tile by tile: memory O(tile²) whatever K is, work K·Kz·D (half of it for symmetric products) on the engine.
 * Tiles are visited row block by row block; the visitor may be async. A product of more than one tile goes through
 * the engine's `pairProducts` when it has one, requesting the next tiles before visiting the current one, so an
 * engine that computes off the calling thread overlaps its products with the visitor's work.
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
  const tiles: { rowStart: number; rows: number; colStart: number; cols: number }[] = [];
  for (let r0 = 0; r0 < K; r0 += tileSize) {
    for (let c0 = symmetric ? r0 : 0; c0 < Kz; c0 += tileSize) tiles.push({ rowStart: r0, rows: Math.min(tileSize, K - r0), colStart: c0, cols: Math.min(tileSize, Kz - c0) });
  }
  const source = tiles.length > 1 && D > 0 && engine.pairProducts ? await engine.pairProducts(X, Z, K, Kz, D) : undefined;
  if (!source) {
    for (const t of tiles) {
      const values = await multiplyNT(engine, X.subarray(t.rowStart * D, (t.rowStart + t.rows) * D), Z.subarray(t.colStart * D, (t.colStart + t.cols) * D), t.rows, D, t.cols);
      await visit({ ...t, values, symmetric });
    }
    return;
  }
  // Requested tiles not yet visited (a visited tile's entry is cleared, so its values can be collected).
  const pending: (Promise<Float64Array> | undefined)[] = [];
  const request = (i: number) => {
    const t = tiles[i];
    // A tile small enough for the TypeScript kernel is computed here, as on the calling-thread path (same values).
    const p = t.rows * t.cols * D <= SMALL_PRODUCT
      ? multiplyNT(engine, X.subarray(t.rowStart * D, (t.rowStart + t.rows) * D), Z.subarray(t.colStart * D, (t.colStart + t.cols) * D), t.rows, D, t.cols)
      : source.tile(t.rowStart, t.rows, t.colStart, t.cols);
    p.catch(() => {}); // awaited in order below; an early failure must not surface as an unhandled rejection
    pending.push(p);
  };
  try {
    for (let i = 0; i < Math.min(LOOKAHEAD + 1, tiles.length); i++) request(i);
    for (let i = 0; i < tiles.length; i++) {
      const values = await pending[i]!;
      pending[i] = undefined;
      if (i + LOOKAHEAD + 1 < tiles.length) request(i + LOOKAHEAD + 1);
      await visit({ ...tiles[i], values, symmetric });
    }
  } finally {
    await Promise.allSettled(pending.filter((p) => p !== undefined));
    await source.release();
  }
}
