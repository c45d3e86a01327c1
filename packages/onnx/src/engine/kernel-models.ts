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

/** C = A · Bᵀ with B given n × k (Gemm with transB: MLAS reads B transposed, no copy). */
export function matmulNTModel(elemType: number): Uint8Array {
  return model(
    'ncscope_matmul_nt',
    [node('Gemm', ['A', 'B'], ['C'], { transB: 1 })],
    [tensorValue('A', elemType, ['m', 'k']), tensorValue('B', elemType, ['n', 'k'])],
    [tensorValue('C', elemType, ['m', 'n'])],
  );
}

/**
 * Phase 1 for one chunk: the K × D class sums S[k] = Σ_{y_i = k} h_i, accumulated in float64 by ScatterND with
 * reduction "add" (opset 16) of the rows of double(H) into zeros(K × D) at indices y (n × 1). The chunk comes as
 * `parts` independent halves (H0, y0, H1, y1, …, each scattered into its own zeros Z0, Z1, … and summed): with a
 * parallel executor each ScatterND runs on its own core, single-threaded inside (onnxruntime 1.30's multi-threaded
 * ScatterND with reduction races and drops rows). O(n · D) work, exact float64 accumulation.
 */
export function classSumsModel(elemType: number, parts = 1): Uint8Array {
  const nodes: Uint8Array[] = [];
  const inputs: Uint8Array[] = [];
  for (let p = 0; p < parts; p++) {
    const h = elemType === ONNX_DOUBLE ? `H${p}` : `Hd${p}`;
    if (elemType !== ONNX_DOUBLE) nodes.push(node('Cast', [`H${p}`], [h], { to: ONNX_DOUBLE }));
    nodes.push(node('ScatterND', [`Z${p}`, `y${p}`, h], [parts === 1 ? 'S' : `S${p}`], { reduction: 'add' }));
    inputs.push(tensorValue(`H${p}`, elemType, [`n${p}`, 'D']), tensorValue(`y${p}`, ONNX_INT64, [`n${p}`, 1]), tensorValue(`Z${p}`, ONNX_DOUBLE, ['K', 'D']));
  }
  for (let p = 1; p < parts; p++) nodes.push(node('Add', [p === 1 ? 'S0' : `A${p - 1}`, `S${p}`], [p === parts - 1 ? 'S' : `A${p}`]));
  return model('ncscope_class_sums', nodes, inputs, [tensorValue('S', ONNX_DOUBLE, ['K', 'D'])]);
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
 * 'means' space (K ≤ D): P = R · Bm (Bm = M_sᵀ, D × K), S = Pᵀ P,
 *   NCC = argmin_k PD[y_i, k] − 2 P[i, k]  (= argmin of 2(p_y − p_k) + ‖μ_y − μ_k‖²; PD = +∞ for empty classes),
 *   with a classifier L = R · Bw + OFF[y] (Bw = Wᵀ; OFF[y, k] = w_k·μ_y + b_k), CLF = argmax L, CLFNB = argmax (L − b),
 *   where scores within TC·(‖r‖ + AN[y]) of the row's best tie and go to the lowest index (core's rule: a row of
 *   zeros scores every class exactly b_k, but L assembles it with rounding; AN = ‖μ_k‖, TC = (D + 2)·ε·max‖w_k‖);
 * 'features' space (D < K): S = Rᵀ R; with decisions X = (H − Shi) − Slo (the shift s), P = X · Bm,
 *   NCC = argmin_k MSQ_k − 2 P[i, k]  (MSQ = ‖m_k‖², +∞ without samples), L = X · Bw + OFF (OFF = Ws + b),
 *   CLF = argmax L, CLFNB = argmax (L − b) with the same ties (AN = ‖s‖) — K-vectors only, nothing K × K.
 * With a quadratic map: Q = Σ_j ((b_i Tt)_j)² with b_i = P (means) or R (features), Tt = Tᵀ (m × t).
 * Two MatMuls (Bm, Bw) rather than one against [M_sᵀ Wᵀ] and two Slices: the same work without copying rows × K
 * twice per chunk. Input c (n) holds the int64 centre indices (= the labels with decisions).
 */
export function spreadModel(elemType: number, o: SpreadGraphOptions): Uint8Array {
  const T = elemType;
  const lo = T === ONNX_FLOAT;
  const means = o.space === 'means';
  const withW = o.decisions && o.classifier;
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
  const input = means ? 'R' : 'X';
  if (means || o.decisions) nodes.push(node('MatMul', [input, 'Bm'], ['P']));
  if (withW) nodes.push(node('MatMul', [input, 'Bw'], ['L0']));
  // Scatter of the coordinates b: P ('means') or R ('features').
  const b = means ? 'P' : 'R';
  nodes.push(node('Transpose', [b], ['Bt'], { perm: [1, 0] }), node('MatMul', ['Bt', b], ['S']));
  if (o.quadratic) nodes.push(node('MatMul', [b, 'Tt'], ['QV']), node('ReduceSumSquare', ['QV'], ['Q'], { axes: [1], keepdims: 0 }));
  if (o.decisions) {
    nodes.push(node('Add', ['P', 'P'], ['P2']));
    if (means) nodes.push(node('Gather', ['PD', 'c'], ['PDy'], { axis: 0 }), node('Sub', ['PDy', 'P2'], ['Dist']));
    else nodes.push(node('Sub', ['MSQ', 'P2'], ['Dist']));
    nodes.push(node('ArgMin', ['Dist'], ['NCC'], { axis: 1, keepdims: 0 }));
    if (withW) {
      if (means) nodes.push(node('Gather', ['OFF', 'c'], ['OFFy'], { axis: 0 }), node('Add', ['L0', 'OFFy'], ['L']));
      else nodes.push(node('Add', ['L0', 'OFF'], ['L']));
      // Ties up to rounding: TOL = TC·(‖x‖ + ‖anchor‖) per row (TC = (D + 2)·ε·max‖w_k‖), and the decision is the lowest
      // index whose score is ≥ max − TOL (ArgMax of the 0/1 mask returns the first 1).
      nodes.push(
        node('Sub', ['L', 'BIAS'], ['LNB']),
        // ‖x‖²: in 'means' space x = r, whose row sums SS already holds (reshaped to n × 1 by SHP = [−1, 1]).
        means ? node('Reshape', ['SS', 'SHP'], ['XN2']) : node('ReduceSumSquare', [input], ['XN2'], { axes: [1], keepdims: 1 }),
        node('Sqrt', ['XN2'], ['XN']),
        ...(means ? [node('Gather', ['AN', 'c'], ['ANy'], { axis: 0 }), node('Add', ['XN', 'ANy'], ['TS'])] : [node('Add', ['XN', 'AN'], ['TS'])]),
        node('Mul', ['TS', 'TC'], ['TOL']),
      );
      for (const [scores, out] of [['L', 'CLF'], ['LNB', 'CLFNB']]) {
        nodes.push(
          node('ReduceMax', [scores], [`${scores}max`], { axes: [1], keepdims: 1 }),
          node('Sub', [`${scores}max`, 'TOL'], [`${scores}low`]),
          node('GreaterOrEqual', [scores, `${scores}low`], [`${scores}tie`]),
          node('Cast', [`${scores}tie`], [`${scores}tief`], { to: ONNX_FLOAT }),
          node('ArgMax', [`${scores}tief`], [out], { axis: 1, keepdims: 0 }),
        );
      }
    }
  }
  const inputs = [
    tensorValue('H', T, ['n', 'D']),
    tensorValue('c', ONNX_INT64, ['n']),
    tensorValue('Chi', T, ['J', 'D']),
    ...(lo ? [tensorValue('Clo', T, ['J', 'D'])] : []),
    ...(!means && o.decisions ? [tensorValue('Shi', T, [1, 'D']), ...(lo ? [tensorValue('Slo', T, [1, 'D'])] : [])] : []),
    ...(means || o.decisions ? [tensorValue('Bm', T, ['D', 'K'])] : []),
    ...(withW ? [tensorValue('Bw', T, ['D', 'K'])] : []),
    ...(o.quadratic ? [tensorValue('Tt', T, ['m', 't'])] : []),
    ...(o.decisions ? [means ? tensorValue('PD', T, ['K', 'K']) : tensorValue('MSQ', T, [1, 'K'])] : []),
    ...(withW ? [tensorValue('OFF', T, means ? ['K', 'K'] : [1, 'K']), tensorValue('BIAS', T, [1, 'K']), tensorValue('AN', T, means ? ['K', 1] : [1, 1]), tensorValue('TC', T, [1, 1]), ...(means ? [tensorValue('SHP', ONNX_INT64, [2])] : [])] : []),
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
