import { normalizedAdjacency, stochasticBlockModel, type AdjacencyNormalization } from '@ncscope/core';
import type { Problem } from '../problem.js';
import type { SparseMatrix } from './sparse.js';

/**
 * The aggregation operator S of the graph UFM (Kothapalli, Tirer & Bruna 2023): a seeded stochastic block model with
 * the classes as communities (core's `stochasticBlockModel`, nodes in class-major order so they line up with the
 * problem's labels), normalized by core's `normalizedAdjacency`. With the default 'mean' normalization S = D⁻¹A, so
 * (S H)_i averages node i's neighbours: the paper's H Â with Â = A D⁻¹, nodes as rows. A `regular` SBM gives every
 * node the same number of neighbours in each class — the structural condition under which the paper's minimizer
 * collapses exactly.
 */
export function graphOperator(problem: Problem): { operator: SparseMatrix; edges: number } {
  const g = problem.graph;
  if (!g) throw new Error('graphOperator: not a graph problem');
  const graph = stochasticBlockModel({ communities: problem.K, sizes: problem.counts, p: g.p, q: g.q, seed: g.seed, permute: false, regular: g.regular });
  for (let i = 0; i < problem.N; i++) {
    if (graph.labels[i] !== problem.labels[i]) throw new Error('graphOperator: the SBM did not keep the nodes in class order');
  }
  return { operator: normalizedAdjacency(graph, g.normalization), edges: graph.numEdges };
}

export type { AdjacencyNormalization };
