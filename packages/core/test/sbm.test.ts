/**
 * The seeded SBM generator: empirical edge densities against p and q (binomial counts, 5σ bands — the tests are
 * seeded, so they are deterministic, and a correct sampler lands inside 5σ with probability 1 − 6e−7 per check),
 * per-pair frequencies over many seeds (no positional bias from the geometric skips), graph invariants, the regular
 * variant's exact per-community degrees, and the normalized adjacency against a plain dense float64 computation.
 */
import { describe, expect, it } from 'vitest';
import {
  NcInputError,
  adjacencyMatrix,
  collapseConditionGap,
  csrMultiply,
  csrToDense,
  neighbourFractions,
  normalizedAdjacency,
  stochasticBlockModel,
  type SbmGraph,
} from '@ncscope/core';
import { gaussian, rng } from './helpers.js';

/** Edge counts per community pair (k ≤ l), read from the neighbour lists (each undirected edge once). */
function blockCounts(g: SbmGraph): number[][] {
  const C = g.communities;
  const counts = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  for (let i = 0; i < g.numNodes; i++) {
    for (let e = g.rowPtr[i]; e < g.rowPtr[i + 1]; e++) {
      const j = g.colIdx[e];
      if (j > i) {
        const [a, b] = [g.labels[i], g.labels[j]].sort((x, y) => x - y);
        counts[a][b]++;
      }
    }
  }
  return counts;
}

/** |observed − expected| ≤ 5σ for a Binomial(trials, prob) count. */
function expectBinomial(observed: number, trials: number, prob: number): void {
  const mean = trials * prob;
  const sd = Math.sqrt(trials * prob * (1 - prob));
  expect(Math.abs(observed - mean), `observed ${observed}, expected ${mean} ± ${sd.toFixed(1)}`).toBeLessThanOrEqual(5 * sd);
}

/** Structural invariants every generated graph must satisfy. */
function expectSimpleUndirected(g: SbmGraph): void {
  const N = g.numNodes;
  expect(g.rowPtr.length).toBe(N + 1);
  expect(g.rowPtr[N]).toBe(2 * g.numEdges);
  const edges = new Set<number>();
  for (let i = 0; i < N; i++) {
    expect(g.degrees[i]).toBe(g.rowPtr[i + 1] - g.rowPtr[i]);
    for (let e = g.rowPtr[i]; e < g.rowPtr[i + 1]; e++) {
      const j = g.colIdx[e];
      expect(j).not.toBe(i); // no self-loops
      if (e > g.rowPtr[i]) expect(j).toBeGreaterThan(g.colIdx[e - 1]); // sorted, no duplicates
      edges.add(i * N + j);
    }
  }
  for (const key of edges) {
    const i = Math.floor(key / N);
    const j = key % N;
    expect(edges.has(j * N + i)).toBe(true); // symmetric
  }
}

describe('stochasticBlockModel (ordinary)', () => {
  it('has within- and between-community edge densities p and q (per block, several seeds)', () => {
    const C = 3, n = 400, p = 0.05, q = 0.01;
    for (const seed of [1, 2, 3, 4, 5]) {
      const g = stochasticBlockModel({ communities: C, nodesPerCommunity: n, p, q, seed });
      const counts = blockCounts(g);
      for (let k = 0; k < C; k++) {
        expectBinomial(counts[k][k], (n * (n - 1)) / 2, p);
        for (let l = k + 1; l < C; l++) expectBinomial(counts[k][l], n * n, q);
      }
    }
  });

  it('gives every node pair its own probability, with no positional bias (frequencies over 4000 seeds)', () => {
    const C = 2, n = 5, p = 0.3, q = 0.1, runs = 4000;
    const N = C * n;
    const freq = new Float64Array(N * N);
    for (let s = 0; s < runs; s++) {
      const g = stochasticBlockModel({ communities: C, nodesPerCommunity: n, p, q, seed: 1000 + s, permute: false });
      for (let i = 0; i < N; i++) for (let e = g.rowPtr[i]; e < g.rowPtr[i + 1]; e++) freq[i * N + g.colIdx[e]]++;
    }
    for (let i = 0; i < N; i++) {
      for (let j = i + 1; j < N; j++) {
        const same = Math.floor(i / n) === Math.floor(j / n);
        expectBinomial(freq[i * N + j], runs, same ? p : q);
      }
    }
  });

  it('is a simple undirected graph with permuted, correctly counted labels; seeded', () => {
    const opts = { communities: 4, nodesPerCommunity: 50, p: 0.2, q: 0.02, seed: 7 };
    const g = stochasticBlockModel(opts);
    expectSimpleUndirected(g);
    const counts = [0, 0, 0, 0];
    for (const y of g.labels) counts[y]++;
    expect(counts).toEqual([50, 50, 50, 50]);
    let inOrder = true;
    for (let i = 1; i < g.numNodes; i++) if (g.labels[i] < g.labels[i - 1]) inOrder = false;
    expect(inOrder).toBe(false);
    const again = stochasticBlockModel(opts);
    expect(Array.from(again.colIdx)).toEqual(Array.from(g.colIdx));
    expect(Array.from(again.labels)).toEqual(Array.from(g.labels));
    const other = stochasticBlockModel({ ...opts, seed: 8 });
    expect(Array.from(other.colIdx)).not.toEqual(Array.from(g.colIdx));
    const blocks = stochasticBlockModel({ ...opts, permute: false });
    expect(Array.from(blocks.labels)).toEqual(Array.from({ length: 200 }, (_, i) => Math.floor(i / 50)));
  });

  it('handles unequal community sizes and the extreme probabilities 0 and 1', () => {
    const g = stochasticBlockModel({ communities: 3, sizes: [5, 8, 3], p: 1, q: 0, seed: 3 });
    expectSimpleUndirected(g);
    const counts = blockCounts(g);
    expect(counts).toEqual([[10, 0, 0], [0, 28, 0], [0, 0, 3]]);
    const bip = stochasticBlockModel({ communities: 2, sizes: [4, 6], p: 0, q: 1, seed: 3 });
    expect(blockCounts(bip)).toEqual([[0, 24], [0, 0]]);
  });

  it('scales to sparse graphs with many nodes (edge count of a 30 000-node graph)', () => {
    const C = 2, n = 15_000, p = 0.002, q = 0.0002;
    const g = stochasticBlockModel({ communities: C, nodesPerCommunity: n, p, q, seed: 11 });
    const counts = blockCounts(g);
    expectBinomial(counts[0][0] + counts[1][1], n * (n - 1), p);
    expectBinomial(counts[0][1], n * n, q);
  });

  it('refuses bad options by name', () => {
    const bad = (o: object) => () => stochasticBlockModel({ communities: 2, nodesPerCommunity: 10, p: 0.1, q: 0.1, seed: 1, ...o });
    expect(bad({ p: 1.5 })).toThrow(/p must be a probability/);
    expect(bad({ q: Number.NaN })).toThrow(NcInputError);
    expect(bad({ communities: 0 })).toThrow(/communities/);
    expect(bad({ sizes: [3, 4] })).toThrow(/exactly one of/);
    expect(bad({ nodesPerCommunity: 2.5 })).toThrow(/size must be a positive integer/);
    expect(bad({ seed: Number.POSITIVE_INFINITY })).toThrow(/seed/);
  });
});

describe('stochasticBlockModel (regular)', () => {
  /** counts[i * C + c] = number of neighbours of node i in community c. */
  function neighbourCounts(g: SbmGraph): Int32Array {
    const C = g.communities;
    const out = new Int32Array(g.numNodes * C);
    for (let i = 0; i < g.numNodes; i++) for (let e = g.rowPtr[i]; e < g.rowPtr[i + 1]; e++) out[i * C + g.labels[g.colIdx[e]]]++;
    return out;
  }

  it('gives every node exactly `within` neighbours in its community and `between` in each other one', () => {
    for (const [C, n, within, between, seed] of [[3, 60, 7, 2, 1], [2, 31, 6, 3, 2], [4, 10, 9, 10, 3], [2, 40, 1, 0, 4]]) {
      const g = stochasticBlockModel({ communities: C, nodesPerCommunity: n, p: 0, q: 0, seed, regular: { within, between } });
      expectSimpleUndirected(g);
      expect(g.regular).toEqual({ within, between });
      const counts = neighbourCounts(g);
      for (let i = 0; i < g.numNodes; i++) {
        for (let c = 0; c < C; c++) expect(counts[i * C + c]).toBe(c === g.labels[i] ? within : between);
      }
      expect(collapseConditionGap(g)).toBe(0);
    }
  });

  it('derives the degrees from p and q (the ordinary SBM expected degrees) and randomizes the blocks', () => {
    const opts = { communities: 2, nodesPerCommunity: 100, p: 0.1, q: 0.02, seed: 5, regular: true };
    const g = stochasticBlockModel(opts);
    expect(g.regular).toEqual({ within: 10, between: 2 }); // round(0.1 · 99), round(0.02 · 100)
    const h = stochasticBlockModel({ ...opts, seed: 6 });
    expect(Array.from(h.colIdx)).not.toEqual(Array.from(g.colIdx));
    // Randomized, not circulant: in the unpermuted graph, node 0's own-community neighbours are not just 1..5 and 95..99.
    const blocks = stochasticBlockModel({ ...opts, permute: false });
    const own = Array.from(blocks.colIdx.subarray(blocks.rowPtr[0], blocks.rowPtr[1])).filter((j) => j < 100);
    expect(own).not.toEqual([1, 2, 3, 4, 5, 95, 96, 97, 98, 99]);
  });

  it('refuses degrees that no regular graph has', () => {
    const base = { communities: 2, nodesPerCommunity: 9, p: 0, q: 0, seed: 1 };
    expect(() => stochasticBlockModel({ ...base, regular: { within: 3, between: 1 } })).toThrow(/n · degree must be even/);
    expect(() => stochasticBlockModel({ ...base, regular: { within: 9, between: 1 } })).toThrow(/0\.\.8/);
    expect(() => stochasticBlockModel({ ...base, regular: { within: 2, between: 10 } })).toThrow(/0\.\.9/);
    expect(() => stochasticBlockModel({ ...base, nodesPerCommunity: undefined, sizes: [8, 10], regular: true })).toThrow(/equal community sizes/);
  });
});

describe('normalized adjacency and the collapse condition', () => {
  const g = stochasticBlockModel({ communities: 3, nodesPerCommunity: 12, p: 0.4, q: 0.05, seed: 21 });
  const N = g.numNodes;
  // Plain dense A from the neighbour lists.
  const A = Array.from({ length: N }, () => new Array<number>(N).fill(0));
  for (let i = 0; i < N; i++) for (let e = g.rowPtr[i]; e < g.rowPtr[i + 1]; e++) A[i][g.colIdx[e]] = 1;
  const deg = A.map((row) => row.reduce((a, b) => a + b, 0));

  it('D⁻¹A X (mean) and D^{−1/2} A D^{−1/2} X (symmetric) equal a naive dense float64 computation', () => {
    const D = 4;
    const g01 = gaussian(rng(3));
    const X = Float64Array.from({ length: N * D }, () => g01());
    for (const norm of ['mean', 'symmetric'] as const) {
      const Y = csrMultiply(normalizedAdjacency(g, norm), X, D);
      for (let i = 0; i < N; i++) {
        for (let t = 0; t < D; t++) {
          let s = 0;
          for (let j = 0; j < N; j++) {
            if (A[i][j] === 0) continue;
            const w = norm === 'mean' ? 1 / deg[i] : 1 / Math.sqrt(deg[i] * deg[j]);
            s += w * X[j * D + t];
          }
          expect(Math.abs(Y[i * D + t] - s)).toBeLessThanOrEqual(1e-14 + 1e-12 * Math.abs(s));
        }
      }
    }
    expect(Array.from(csrToDense(adjacencyMatrix(g)))).toEqual(A.flat());
  });

  it('gives an isolated node a zero row', () => {
    const lonely = stochasticBlockModel({ communities: 2, nodesPerCommunity: 3, p: 0, q: 0, seed: 1 });
    const dense = csrToDense(normalizedAdjacency(lonely));
    expect(dense.every((v) => v === 0)).toBe(true);
    expect(csrMultiply(normalizedAdjacency(lonely), new Float64Array(6).fill(1), 1).every((v) => v === 0)).toBe(true);
  });

  it('neighbour fractions sum to 1 per node, and an ordinary SBM misses the collapse condition', () => {
    const f = neighbourFractions(g);
    for (let i = 0; i < N; i++) {
      if (deg[i] === 0) continue;
      const s = f[i * 3] + f[i * 3 + 1] + f[i * 3 + 2];
      expect(Math.abs(s - 1)).toBeLessThan(1e-12);
      let own = 0;
      for (let j = 0; j < N; j++) if (A[i][j] && g.labels[j] === g.labels[i]) own++;
      expect(Math.abs(f[i * 3 + g.labels[i]] - own / deg[i])).toBeLessThan(1e-12);
    }
    expect(collapseConditionGap(g)).toBeGreaterThan(0.2);
  });

  it('refuses a wrong shape or normalization', () => {
    expect(() => csrMultiply(normalizedAdjacency(g), new Float64Array(5), 2)).toThrow(/expected cols × D/);
    expect(() => normalizedAdjacency(g, 'row' as never)).toThrow(/normalization/);
  });
});
