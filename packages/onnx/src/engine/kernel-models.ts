import { model, node, ONNX_DOUBLE, ONNX_FLOAT, ONNX_INT64, tensorValue } from './graph-builder.js';

/** C = A · B with symbolic m, k, n. */
export function matmulModel(elemType: number): Uint8Array {
  return model(
    'ncscope_matmul',
    [node('MatMul', ['A', 'B'], ['C'])],
    [tensorValue('A', elemType, ['m', 'k']), tensorValue('B', elemType, ['k', 'n'])],
    [tensorValue('C', elemType, ['m', 'n'])],
  );
}

/**
 * Phase 1 for one chunk: the K × D class sums S[k] = Σ_{y_i = k} h_i, accumulated in float64 by a
 * ScatterND with reduction "add" (opset 16) of the rows of double(H) into zeros(K × D) at indices y (n × 1).
 * O(n · D) work, exact float64 accumulation.
 */
export function classSumsModel(elemType: number): Uint8Array {
  const cast = elemType === ONNX_DOUBLE ? [] : [node('Cast', ['H'], ['Hd'], { to: ONNX_DOUBLE })];
  return model(
    'ncscope_class_sums',
    [...cast, node('ScatterND', ['Z', 'y2', elemType === ONNX_DOUBLE ? 'H' : 'Hd'], ['S'], { reduction: 'add' })],
    [tensorValue('H', elemType, ['n', 'D']), tensorValue('y2', ONNX_INT64, ['n', 1]), tensorValue('Z', ONNX_DOUBLE, ['K', 'D'])],
    [tensorValue('S', ONNX_DOUBLE, ['K', 'D'])],
  );
}

/** Which variant of the spread graph to build (see {@link spreadModel}). */
export interface SpreadGraphOptions {
  space: 'means' | 'features';
  /** NCC (and with `classifier` the classifier's) decisions. */
  decisions: boolean;
  classifier: boolean;
  /** Per-row quadratic forms q = ‖T b‖². */
  quadratic: boolean;
}

/**
 * Phase 2 for one chunk, the fused form of core's jsSpreadChunk (see core's SpreadPlan):
 *   R = (H − Chi[c]) − Clo[c]        (residual centres as a float32 hi + lo pair, so r keeps float32 relative precision)
 *   SS = Σ_t R² per row
 * 'means' space (K ≤ D): Z = R · B (B = M_sᵀ, or [M_sᵀ Wᵀ] D × 2K with a classifier), P = Z[:, :K], S = Pᵀ P,
 *   NCC = argmin_k 2 (P[i, y_i] − P[i, k]) + PD[y_i, k]  (PD = ‖μ_y − μ_k‖², +∞ for classes without samples),
 *   CLF = argmax (Z[:, K:] + OFF[y]), CLFNB = argmax (Z[:, K:] + OFFNB[y])  (K × K offset tables);
 * 'features' space (D < K): S = Rᵀ R; with decisions X = (H − Shi) − Slo (the shift s), Z = X · B,
 *   NCC = argmin_k MSQ_k − 2 Z[i, k]  (MSQ = ‖m_k‖², +∞ without samples), CLF = argmax (Z[:, K:] + OFF),
 *   CLFNB likewise with OFFNB (K-vectors: nothing K × K).
 * With a quadratic map: Q = Σ_j ((b_i Tt)_j)² with b_i = P (means) or R (features), Tt = Tᵀ (m × t).
 * The slice bounds are inputs (k0 = [0], k1 = [K], k2 = [2K], ax = [1]). Inputs c (n) are the int64 centre indices
 * (= the labels with decisions), c2 (n × 1) the same for GatherElements.
 */
export function spreadModel(elemType: number, o: SpreadGraphOptions): Uint8Array {
  const T = elemType;
  const lo = T === ONNX_FLOAT;
  const means = o.space === 'means';
  const withW = o.decisions && o.classifier;
  const needZ = means || o.decisions;
  const nodes: Uint8Array[] = [
    node('Gather', ['Chi', 'c'], ['Ghi'], { axis: 0 }),
    node('Sub', ['H', 'Ghi'], [lo ? 'R1' : 'R']),
    ...(lo ? [node('Gather', ['Clo', 'c'], ['Glo'], { axis: 0 }), node('Sub', ['R1', 'Glo'], ['R'])] : []),
    node('ReduceSumSquare', ['R'], ['SS'], { axes: [1], keepdims: 0 }),
  ];
  if (!means && o.decisions) {
    nodes.push(node('Sub', ['H', 'Shi'], [lo ? 'X1' : 'X']));
    if (lo) nodes.push(node('Sub', ['X1', 'Slo'], ['X']));
  }
  if (needZ) {
    const input = means ? 'R' : 'X';
    if (withW) nodes.push(node('MatMul', [input, 'B'], ['Z']), node('Slice', ['Z', 'k0', 'k1', 'ax'], ['P']), node('Slice', ['Z', 'k1', 'k2', 'ax'], ['L0']));
    else nodes.push(node('MatMul', [input, 'B'], ['P']));
  }
  // Scatter of the coordinates b: P ('means') or R ('features').
  const b = means ? 'P' : 'R';
  nodes.push(node('Transpose', [b], ['Bt'], { perm: [1, 0] }), node('MatMul', ['Bt', b], ['S']));
  if (o.quadratic) nodes.push(node('MatMul', [b, 'Tt'], ['QV']), node('ReduceSumSquare', ['QV'], ['Q'], { axes: [1], keepdims: 0 }));
  if (o.decisions) {
    if (means) {
      nodes.push(
        node('GatherElements', ['P', 'c2'], ['Py'], { axis: 1 }),
        node('Sub', ['Py', 'P'], ['Dif']),
        node('Add', ['Dif', 'Dif'], ['Dif2']),
        node('Gather', ['PD', 'c'], ['PDy'], { axis: 0 }),
        node('Add', ['Dif2', 'PDy'], ['Dist']),
      );
    } else {
      nodes.push(node('Add', ['P', 'P'], ['P2']), node('Sub', ['MSQ', 'P2'], ['Dist']));
    }
    nodes.push(node('ArgMin', ['Dist'], ['NCC'], { axis: 1, keepdims: 0 }));
    if (withW) {
      if (means) {
        nodes.push(
          node('Gather', ['OFF', 'c'], ['OFFy'], { axis: 0 }),
          node('Add', ['L0', 'OFFy'], ['L']),
          node('Gather', ['OFFNB', 'c'], ['OFFNBy'], { axis: 0 }),
          node('Add', ['L0', 'OFFNBy'], ['LNB']),
        );
      } else {
        nodes.push(node('Add', ['L0', 'OFF'], ['L']), node('Add', ['L0', 'OFFNB'], ['LNB']));
      }
      nodes.push(node('ArgMax', ['L'], ['CLF'], { axis: 1, keepdims: 0 }), node('ArgMax', ['LNB'], ['CLFNB'], { axis: 1, keepdims: 0 }));
    }
  }
  const inputs = [
    tensorValue('H', T, ['n', 'D']),
    tensorValue('c', ONNX_INT64, ['n']),
    ...(o.decisions && means ? [tensorValue('c2', ONNX_INT64, ['n', 1])] : []),
    tensorValue('Chi', T, ['J', 'D']),
    ...(lo ? [tensorValue('Clo', T, ['J', 'D'])] : []),
    ...(!means && o.decisions ? [tensorValue('Shi', T, [1, 'D']), ...(lo ? [tensorValue('Slo', T, [1, 'D'])] : [])] : []),
    ...(needZ ? [tensorValue('B', T, ['D', withW ? 'K2' : 'K'])] : []),
    ...(o.quadratic ? [tensorValue('Tt', T, ['m', 't'])] : []),
    ...(o.decisions ? [means ? tensorValue('PD', T, ['K', 'K']) : tensorValue('MSQ', T, [1, 'K'])] : []),
    ...(withW
      ? [
          tensorValue('OFF', T, means ? ['K', 'K'] : [1, 'K']),
          tensorValue('OFFNB', T, means ? ['K', 'K'] : [1, 'K']),
          ...['k0', 'k1', 'k2', 'ax'].map((name) => tensorValue(name, ONNX_INT64, [1])),
        ]
      : []),
  ];
  const outputs = [
    tensorValue('SS', T, ['n']),
    tensorValue('S', T, ['m', 'm']),
    ...(o.quadratic ? [tensorValue('Q', T, ['n'])] : []),
    ...(o.decisions ? [tensorValue('NCC', ONNX_INT64, ['n'])] : []),
    ...(withW ? [tensorValue('CLF', ONNX_INT64, ['n']), tensorValue('CLFNB', ONNX_INT64, ['n'])] : []),
  ];
  return model('ncscope_spread', nodes, inputs, outputs);
}
