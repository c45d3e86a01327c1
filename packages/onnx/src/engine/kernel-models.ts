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

/**
 * Phase 2 for one chunk, the fused form of core's jsSpreadChunk:
 *   R = (H − Mhi[y]) − Mlo[y]        (means as a float32 hi + lo pair, so r keeps float32 relative precision)
 *   SS = Σ_t R²  per row;  P = R · Bm (Bm = M_sᵀ, D × K);  S = Pᵀ P
 *   NCC = argmin_k 2 (P[i, y_i] − P[i, k]) + PD[y_i, k]   (PD = ‖μ_y − μ_k‖², +∞ for classes without samples)
 *   with a classifier: L0 = R · Wᵀ, CLF = argmax (L0 + OFF[y]), CLFNB = argmax (L0 + OFFNB[y]).
 * With a classifier both products are one MatMul, Z = R · [M_sᵀ Wᵀ] (D × 2K), sliced into P and L0: on 2 cores a
 * 2K-column product measured no slower than a K-column one. The slice bounds are inputs (k0 = [0], k1 = [K],
 * k2 = [2K], ax = [1]). Inputs y (n) and y2 (n × 1) are the int64 labels (GatherElements needs the 2-D form).
 */
export function spreadModel(elemType: number, withClassifier: boolean): Uint8Array {
  const T = elemType;
  const lo = T === ONNX_FLOAT;
  const nodes = [
    node('Gather', ['Mhi', 'y'], ['Ghi'], { axis: 0 }),
    node('Sub', ['H', 'Ghi'], [lo ? 'R1' : 'R']),
    ...(lo ? [node('Gather', ['Mlo', 'y'], ['Glo'], { axis: 0 }), node('Sub', ['R1', 'Glo'], ['R'])] : []),
    node('ReduceSumSquare', ['R'], ['SS'], { axes: [1], keepdims: 0 }),
    ...(withClassifier
      ? [node('MatMul', ['R', 'B'], ['Z']), node('Slice', ['Z', 'k0', 'k1', 'ax'], ['P']), node('Slice', ['Z', 'k1', 'k2', 'ax'], ['L0'])]
      : [node('MatMul', ['R', 'B'], ['P'])]),
    node('Transpose', ['P'], ['Pt'], { perm: [1, 0] }),
    node('MatMul', ['Pt', 'P'], ['S']),
    node('GatherElements', ['P', 'y2'], ['Py'], { axis: 1 }),
    node('Sub', ['Py', 'P'], ['Dif']),
    node('Add', ['Dif', 'Dif'], ['Dif2']),
    node('Gather', ['PD', 'y'], ['PDy'], { axis: 0 }),
    node('Add', ['Dif2', 'PDy'], ['Dist']),
    node('ArgMin', ['Dist'], ['NCC'], { axis: 1, keepdims: 0 }),
    ...(withClassifier
      ? [
          node('Gather', ['OFF', 'y'], ['OFFy'], { axis: 0 }),
          node('Add', ['L0', 'OFFy'], ['L']),
          node('ArgMax', ['L'], ['CLF'], { axis: 1, keepdims: 0 }),
          node('Gather', ['OFFNB', 'y'], ['OFFNBy'], { axis: 0 }),
          node('Add', ['L0', 'OFFNBy'], ['LNB']),
          node('ArgMax', ['LNB'], ['CLFNB'], { axis: 1, keepdims: 0 }),
        ]
      : []),
  ];
  const inputs = [
    tensorValue('H', T, ['n', 'D']),
    tensorValue('y', ONNX_INT64, ['n']),
    tensorValue('y2', ONNX_INT64, ['n', 1]),
    tensorValue('Mhi', T, ['K', 'D']),
    ...(lo ? [tensorValue('Mlo', T, ['K', 'D'])] : []),
    tensorValue('B', T, ['D', withClassifier ? 'K2' : 'K']),
    tensorValue('PD', T, ['K', 'K']),
    ...(withClassifier
      ? [
          tensorValue('OFF', T, ['K', 'K']),
          tensorValue('OFFNB', T, ['K', 'K']),
          ...['k0', 'k1', 'k2', 'ax'].map((name) => tensorValue(name, ONNX_INT64, [1])),
        ]
      : []),
  ];
  const outputs = [
    tensorValue('SS', T, ['n']),
    tensorValue('S', T, ['K', 'K']),
    tensorValue('NCC', ONNX_INT64, ['n']),
    ...(withClassifier ? [tensorValue('CLF', ONNX_INT64, ['n']), tensorValue('CLFNB', ONNX_INT64, ['n'])] : []),
  ];
  return model('ncscope_spread', nodes, inputs, outputs);
}
