import { NcInputError } from '../errors.js';
import type { CsrMatrix } from './csr.js';
import type { SbmGraph } from './sbm.js';

/** A graph's neighbour lists: the fields of {@link SbmGraph} that the operators below read. */
export type GraphPattern = Pick<SbmGraph, 'numNodes' | 'rowPtr' | 'colIdx' | 'degrees'>;

/** The 0/1 adjacency matrix A (N × N, symmetric, zero diagonal) in CSR form. */
export function adjacencyMatrix(graph: GraphPattern): CsrMatrix {
  const N = graph.numNodes;
  return { rows: N, cols: N, rowPtr: graph.rowPtr, colIdx: graph.colIdx, values: new Float64Array(graph.colIdx.length).fill(1) };
}

/**
 * How {@link normalizedAdjacency} scales A:
 * - `'mean'` (default): the operator D⁻¹A, whose row i averages node i's neighbours. With nodes as rows
 *   (X is N × d, as tfjs and ncscope hold features) D⁻¹A X is exactly the transpose of Kothapalli et al.'s H Â with
 *   Â = A D⁻¹ and H = Xᵀ (d × N), i.e. the mean aggregation of their GraphConv code (PyTorch Geometric aggr='mean').
 * - `'symmetric'`: D^{−1/2} A D^{−1/2} (Kipf & Welling's GCN without self-loops; symmetric itself).
 * An isolated node (degree 0) gets a zero row in both, as in the paper's code (nan_to_num of 1/0).
 */
export type AdjacencyNormalization = 'mean' | 'symmetric';

/**
 * The normalized adjacency as a CSR operator on node-row features (see {@link AdjacencyNormalization}).
 * Apply it with `csrMultiply(op, X, d)` (float64) or hand it to a graph layer.
 */
export function normalizedAdjacency(graph: GraphPattern, normalization: AdjacencyNormalization = 'mean'): CsrMatrix {
  if (normalization !== 'mean' && normalization !== 'symmetric') {
    throw new NcInputError('BAD_OPTION', `normalization must be "mean" or "symmetric", got "${String(normalization)}"`);
  }
  const N = graph.numNodes;
  const { rowPtr, colIdx, degrees } = graph;
  const values = new Float64Array(colIdx.length);
  for (let i = 0; i < N; i++) {
    for (let e = rowPtr[i]; e < rowPtr[i + 1]; e++) {
      values[e] = normalization === 'mean' ? 1 / degrees[i] : 1 / Math.sqrt(degrees[i] * degrees[colIdx[e]]);
    }
  }
  return { rows: N, cols: N, rowPtr, colIdx, values };
}

/**
 * For every node i and community c, the fraction of i's neighbours that lie in community c (N × C, row-major;
 * a zero row for an isolated node). These are the weights Â puts on each community's features.
 */
export function neighbourFractions(graph: GraphPattern & Pick<SbmGraph, 'labels' | 'communities'>): Float64Array {
  const { numNodes: N, communities: C, rowPtr, colIdx, labels, degrees } = graph;
  const out = new Float64Array(N * C);
  for (let i = 0; i < N; i++) {
    for (let e = rowPtr[i]; e < rowPtr[i + 1]; e++) out[i * C + labels[colIdx[e]]] += 1 / degrees[i];
  }
  return out;
}

/**
 * How far a graph is from Kothapalli et al.'s structural condition for exact collapse: the largest spread
 * (max − min), over communities c and c′, of the fraction of neighbours in c′ among the nodes of c. It is 0 exactly
 * when all nodes of each community see the same mix of communities, which makes Â map collapsed features to
 * collapsed features (every regular SBM meets it); an ordinary SBM has a gap well above 0.
 */
export function collapseConditionGap(graph: GraphPattern & Pick<SbmGraph, 'labels' | 'communities'>): number {
  const { numNodes: N, communities: C, labels } = graph;
  const f = neighbourFractions(graph);
  const lo = new Float64Array(C * C).fill(Infinity);
  const hi = new Float64Array(C * C).fill(-Infinity);
  for (let i = 0; i < N; i++) {
    const c = labels[i];
    for (let d = 0; d < C; d++) {
      const v = f[i * C + d];
      if (v < lo[c * C + d]) lo[c * C + d] = v;
      if (v > hi[c * C + d]) hi[c * C + d] = v;
    }
  }
  let gap = 0;
  for (let t = 0; t < C * C; t++) if (hi[t] >= lo[t]) gap = Math.max(gap, hi[t] - lo[t]);
  return gap;
}
