import { analyze, buildContext, firstPairColumn, reducePair, type NcContext, type PairReduction } from '@ncscope/core';

/** The smallest angle (degrees) between two centred class means: the worst-separated pair of classes. */
const closestPair: PairReduction<{ maxCos: number }, number> = {
  product: 'means', // tiles of M̃ M̃ᵀ: entries μ̃_k · μ̃_l
  init: () => ({ maxCos: -1 }),
  tile(state, tile, ctx) {
    const n = ctx.meanNormsSq;
    for (let i = 0; i < tile.rows; i++) {
      const k = tile.rowStart + i;
      for (let j = firstPairColumn(tile, i); j < tile.cols; j++) {
        const l = tile.colStart + j;
        state.maxCos = Math.max(state.maxCos, tile.values[i * tile.cols + j] / Math.sqrt(n[k] * n[l]));
      }
    }
  },
  finish: (s) => (Math.acos(Math.min(1, s.maxCos)) * 180) / Math.PI,
};
export const minPairAngle = (ctx: NcContext) => reducePair(ctx, closestPair);

// 3,000 samples, D = 16, K = 300 classes (more classes than dimensions), streamed in tiles of 64 classes.
const K = 300, D = 16, N = 3000;
let seed = 7;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
const centres = Float64Array.from({ length: K * D }, rand);
const features = Float32Array.from({ length: N * D }, (_, i) => centres[((Math.floor(i / D)) % K) * D + (i % D)] + 0.05 * rand());
const labels = Int32Array.from({ length: N }, (_, i) => i % K);
const { means, spread } = await analyze([{ features, labels }]);
const ctx = await buildContext(means, spread, { pairTile: 64 });
console.log(`space ${ctx.between.space}, route ${ctx.between.route}, smallest angle between class means = ${(await minPairAngle(ctx)).toFixed(3)}°`);
