import { NcInputError, type AdjacencyNormalization, type GraphPattern } from '@ncscope/core';
import * as tf from '@tensorflow/tfjs-core';

/** How a {@link GraphOperator} scales the adjacency A: core's `'mean'` (D⁻¹A) or `'symmetric'`, or `'none'` (A itself). */
export type GraphNormalization = AdjacencyNormalization | 'none';

/**
 * The propagation operator P of a graph on the tfjs backend, for node features held as rows (N × d, nodes as the
 * batch dimension): P = diag(ℓ) A diag(r) with A the 0/1 adjacency pattern —
 * `'mean'`: ℓ = 1/deg, r = 1, so P X = D⁻¹A X, the transpose of Kothapalli et al.'s H Â with Â = A D⁻¹ (each node
 * gets the mean of its neighbours; isolated nodes get 0); `'symmetric'`: ℓ = r = deg^(−1/2); `'none'`: P = A.
 *
 * **Sparse, not dense.** P X runs as `tf.sparse.sparseSegmentSum` over the edge list (segment = row, index =
 * neighbour) with the two diagonal scalings — O(nnz · d) work and memory, no N × N tensor. It beat a dense N × N
 * `matMul` at every size measured, on wasm and cpu (bench/tfjs-graph-deq.bench.ts), and a gather-based weighted sum
 * too (tfjs's gather is slow on both backends).
 * tfjs has no registered gradient for the segment sum, so P X carries a custom gradient: ∂/∂X = Pᵀ dY =
 * diag(r) Aᵀ diag(ℓ) dY, the same kernel on the transposed pattern (shared when A is symmetric, as for SBM graphs).
 *
 * The operator owns its index tensors; {@link setGraph} swaps in another graph (e.g. the next training graph) and
 * {@link dispose} frees them. Layers ({@link GraphConv}, {@link GraphPropagation}) hold a reference, not a copy.
 */
export class GraphOperator {
  private tensors: OperatorTensors | undefined;
  private info: { numNodes: number; numEdges: number; normalization: GraphNormalization } | undefined;

  constructor(graph?: GraphPattern, normalization: GraphNormalization = 'mean') {
    if (graph) this.setGraph(graph, normalization);
  }

  /** Number of nodes of the current graph (the batch size every input must have). */
  get numNodes(): number {
    if (!this.info) throw new NcInputError('BAD_OPTION', 'GraphOperator: no graph set; call setGraph(graph)');
    return this.info.numNodes;
  }

  /** The current graph's size and normalization. */
  get description(): { numNodes: number; numEdges: number; normalization: GraphNormalization } | undefined {
    return this.info && { ...this.info };
  }

  /** Replaces the graph (frees the previous one's tensors). `graph` is core's `SbmGraph` or any {@link GraphPattern}. */
  setGraph(graph: GraphPattern, normalization: GraphNormalization = 'mean'): void {
    if (normalization !== 'mean' && normalization !== 'symmetric' && normalization !== 'none') {
      throw new NcInputError('BAD_OPTION', `GraphOperator: normalization must be 'mean', 'symmetric' or 'none', got ${String(normalization)}`);
    }
    const built = buildTensors(graph, normalization);
    this.dispose();
    this.tensors = built;
    this.info = { numNodes: graph.numNodes, numEdges: graph.colIdx.length, normalization };
  }

  /** P X for node features X (N × d), differentiable in X. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    const t = this.tensors;
    if (!t) throw new NcInputError('BAD_OPTION', 'GraphOperator: no graph set; call setGraph(graph) before running the model');
    if (x.rank !== 2 || x.shape[0] !== t.N) {
      throw new NcInputError('SHAPE', `graph layer: got ${x.shape[0]} rows but the graph has ${t.N} nodes; nodes are the batch dimension, so pass all of them in one batch (batchSize ≥ N, shuffle: false; for measureNc, batchSize ≥ N)`);
    }
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
      value: propagate(args[0] as tf.Tensor2D, t.forward, t.N),
      gradFunc: (dy: tf.Tensor) => propagate(dy as tf.Tensor2D, t.backward, t.N),
    }));
    return op(x) as tf.Tensor2D;
  }

  /** Frees the operator's tensors (the layers that use it stop working until setGraph is called again). */
  dispose(): void {
    if (!this.tensors) return;
    const { forward, backward } = this.tensors;
    const owned = new Set<tf.Tensor | undefined>([forward.indices, forward.segments, forward.left, forward.right, backward.indices, backward.segments]);
    owned.delete(undefined);
    tf.dispose([...owned] as tf.Tensor[]);
    this.tensors = undefined;
    this.info = undefined;
  }
}

/** One direction of P = diag(left) A diag(right): segment sums of right ⊙ X over `indices`, grouped by `segments`. */
interface SegmentPlan {
  indices?: tf.Tensor1D;
  segments?: tf.Tensor1D;
  /** Rows the segment sum yields (last segment id + 1); the rest are zero rows. */
  rows: number;
  left?: tf.Tensor2D;
  right?: tf.Tensor2D;
}

interface OperatorTensors {
  N: number;
  forward: SegmentPlan;
  backward: SegmentPlan;
}

function propagate(x: tf.Tensor2D, plan: SegmentPlan, N: number): tf.Tensor2D {
  return tf.tidy(() => {
    const d = x.shape[1];
    if (!plan.indices || !plan.segments) return tf.zeros([N, d]);
    const scaled = plan.right ? tf.mul(x, plan.right) : x;
    let y = tf.sparse.sparseSegmentSum(scaled, plan.indices, plan.segments) as tf.Tensor2D;
    if (plan.rows < N) y = tf.concat([y, tf.zeros([N - plan.rows, d])], 0);
    return plan.left ? tf.mul(y, plan.left) : y;
  });
}

function buildTensors(graph: GraphPattern, normalization: GraphNormalization): OperatorTensors {
  const { numNodes: N, rowPtr, colIdx } = graph;
  if (!(Number.isInteger(N) && N >= 1) || rowPtr.length !== N + 1 || rowPtr[N] !== colIdx.length) {
    throw new NcInputError('SHAPE', `GraphOperator: rowPtr must have numNodes + 1 = ${N + 1} entries ending at colIdx.length = ${colIdx.length}`);
  }
  for (let e = 0; e < colIdx.length; e++) {
    if (!(colIdx[e] >= 0 && colIdx[e] < N)) throw new NcInputError('SHAPE', `GraphOperator: colIdx[${e}] = ${colIdx[e]} is not a node in 0..${N - 1}`);
  }
  const deg = new Float64Array(N);
  for (let i = 0; i < N; i++) deg[i] = rowPtr[i + 1] - rowPtr[i];
  const inv = (p: number) => {
    const out = new Float32Array(N);
    for (let i = 0; i < N; i++) out[i] = deg[i] > 0 ? Math.pow(deg[i], -p) : 0;
    return out;
  };
  const left = normalization === 'mean' ? inv(1) : normalization === 'symmetric' ? inv(0.5) : undefined;
  const right = normalization === 'symmetric' ? inv(0.5) : undefined;

  // Row id of every stored entry, and the transposed pattern (counting sort by column; rows come out sorted).
  const segments = new Int32Array(colIdx.length);
  for (let i = 0; i < N; i++) segments.fill(i, rowPtr[i], rowPtr[i + 1]);
  const colCount = new Int32Array(N + 1);
  for (let e = 0; e < colIdx.length; e++) colCount[colIdx[e] + 1]++;
  for (let j = 0; j < N; j++) colCount[j + 1] += colCount[j];
  const fill = colCount.slice(0, N);
  const indicesT = new Int32Array(colIdx.length);
  const segmentsT = new Int32Array(colIdx.length);
  for (let i = 0; i < N; i++) {
    for (let e = rowPtr[i]; e < rowPtr[i + 1]; e++) {
      const j = colIdx[e];
      segmentsT[fill[j]] = j;
      indicesT[fill[j]++] = i;
    }
  }
  let symmetric = true;
  for (let e = 0; e < colIdx.length && symmetric; e++) symmetric = indicesT[e] === colIdx[e] && segmentsT[e] === segments[e];

  const nnz = colIdx.length;
  const leftT = left ? tf.tensor2d(left, [N, 1]) : undefined;
  const rightT = right ? tf.tensor2d(right, [N, 1]) : undefined;
  const forward: SegmentPlan = {
    indices: nnz ? tf.tensor1d(colIdx instanceof Int32Array ? colIdx : Int32Array.from(colIdx), 'int32') : undefined,
    segments: nnz ? tf.tensor1d(segments, 'int32') : undefined,
    rows: nnz ? segments[nnz - 1] + 1 : 0,
    left: leftT,
    right: rightT,
  };
  // Pᵀ = diag(r) Aᵀ diag(ℓ): the input is scaled by ℓ and the output by r.
  const backward: SegmentPlan = symmetric
    ? { ...forward, left: rightT, right: leftT }
    : {
        indices: nnz ? tf.tensor1d(indicesT, 'int32') : undefined,
        segments: nnz ? tf.tensor1d(segmentsT, 'int32') : undefined,
        rows: nnz ? segmentsT[nnz - 1] + 1 : 0,
        left: rightT,
        right: leftT,
      };
  return { N, forward, backward };
}
