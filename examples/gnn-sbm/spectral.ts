import { analyze, csrMultiply, normalizedAdjacency, type NcMetrics, type SbmGraph } from '@ncscope/core';

/**
 * The spectral baseline the paper contrasts with GNN layers: projected power iterations of Â on node features.
 * With P = D⁻¹A (node-row form of H Â, Â = AD⁻¹), start from d columns of the input features and repeat
 *   G_t = P H_{t−1}   (the propagation, "H Â"),
 *   H_t = orth(G_t − 1 πᵀG_t),
 * where π = deg / Σdeg is P's stationary distribution (πᵀP = πᵀ), so subtracting 1 πᵀG projects out P's trivial
 * eigenvector 1 (eigenvalue 1) in a way that commutes with P, and orth is modified Gram–Schmidt on the columns
 * (keeps them from all converging to one eigenvector). H_t converges to the span of P's top d non-trivial
 * eigenvectors — for an assortative SBM with d = C − 1, the community subspace: classical spectral clustering
 * computed by subspace iteration. Float64 throughout (core's csrMultiply), independent of tfjs.
 */
export function projectedPowerIterations(graph: SbmGraph, start: Float64Array, d: number, steps: number): Float64Array[] {
  const N = graph.numNodes;
  const P = normalizedAdjacency(graph, 'mean');
  let total = 0;
  for (const deg of graph.degrees) total += deg;
  const out: Float64Array[] = [];
  let H = start;
  for (let t = 1; t <= steps; t++) {
    const G = csrMultiply(P, H, d);
    for (let c = 0; c < d; c++) {
      let s = 0;
      for (let i = 0; i < N; i++) s += (graph.degrees[i] / total) * G[i * d + c];
      for (let i = 0; i < N; i++) G[i * d + c] -= s;
    }
    orthonormalizeColumns(G, N, d);
    out.push(G);
    H = G;
  }
  return out;
}

/** Modified Gram–Schmidt on the d columns of a row-major N × d matrix, in place. */
function orthonormalizeColumns(M: Float64Array, N: number, d: number): void {
  for (let c = 0; c < d; c++) {
    for (let p = 0; p < c; p++) {
      let dot = 0;
      for (let i = 0; i < N; i++) dot += M[i * d + p] * M[i * d + c];
      for (let i = 0; i < N; i++) M[i * d + c] -= dot * M[i * d + p];
    }
    let norm = 0;
    for (let i = 0; i < N; i++) norm += M[i * d + c] ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < N; i++) M[i * d + c] /= norm;
  }
}

/** NC metrics (core, float64) of node features. */
export async function ncOf(features: Float64Array, labels: Int32Array): Promise<NcMetrics> {
  return (await analyze([{ features, labels }])).report.metrics;
}
