import { NcInputError } from '@ncscope/core';
import type { NodeProto } from '../proto/onnx.js';
import { attrFloat, attrInt, type GraphIndex } from './graph-index.js';
import type { ConstTensor } from './tensor-data.js';

/**
 * The final linear classifier z = W h + b of a model, as found in its graph, and the tensor h that feeds it —
 * the default feature tensor for Neural Collapse.
 */
export interface LinearClassifier {
  /** Name of the classifier's input value h (the default feature tensor). */
  featureTensor: string;
  /** The value holding the logits z (before any Softmax / LogSoftmax / Identity). */
  logits: string;
  /** The graph output the classifier feeds. */
  output: string;
  /** 'Gemm', or 'MatMul+Add' (a MatMul followed by an Add of a constant), or 'MatMul' (no bias). */
  kind: 'Gemm' | 'MatMul+Add' | 'MatMul';
  /** Names of the nodes that make up the classifier (Gemm, or MatMul and Add). */
  nodes: string[];
  /** Classes K (rows of W) and feature dimension D (columns). */
  K: number;
  D: number;
  /** W, K × D row-major (PyTorch nn.Linear layout), in float64: alpha·B or alpha·Bᵀ for Gemm, Bᵀ for MatMul. */
  weights: Float64Array;
  /** b, length K: beta·C broadcast to K for Gemm, the added constant for MatMul+Add; undefined without one. */
  bias?: Float64Array;
  /** Where W and b were read from, e.g. "fc.weight" or "Transpose(fc.weight)", and how they were scaled. */
  weightsFrom: string;
  biasFrom?: string;
}

/** Ops that may follow the logits without changing which class wins. */
const TAIL_OPS = new Set(['Softmax', 'LogSoftmax', 'Identity', 'Dropout', 'Sigmoid']);

function nodeName(n: NodeProto): string {
  return n.name || `${n.opType}→${n.output[0]}`;
}

/** A constant's size when it can act as a length-K bias (shape [K], [1, K], [1] or scalar). */
function biasVector(c: ConstTensor, K: number, scale: number): Float64Array | undefined {
  const n = c.data.length;
  const lastDim = c.dims.length === 0 ? 1 : c.dims[c.dims.length - 1];
  const leading = c.dims.slice(0, -1).reduce((a, b) => a * b, 1);
  if (leading !== 1 || (lastDim !== K && lastDim !== 1)) return undefined;
  const b = new Float64Array(K);
  for (let k = 0; k < K; k++) b[k] = scale * c.data[n === 1 ? 0 : k];
  return b;
}

/** Reads a Gemm Y = alpha·A·op(B) + beta·C as a classifier of A, if B (and C) are constants and transA = 0. */
function fromGemm(g: GraphIndex, node: NodeProto, output: string): LinearClassifier | string {
  const where = `Gemm "${nodeName(node)}"`;
  if (attrInt(node, 'transA', 0) !== 0) return `${where} has transA = 1 (features would be its columns)`;
  const B = g.constant(node.input[1]);
  if (!B) return `${where}: its B input "${node.input[1]}" is not a constant`;
  if (B.dims.length !== 2) return `${where}: B has shape [${B.dims.join(', ')}], not 2-D`;
  const transB = attrInt(node, 'transB', 0);
  const alpha = attrFloat(node, 'alpha', 1);
  const beta = attrFloat(node, 'beta', 1);
  // op(B) is D × K: transB = 1 stores B as K × D (nn.Linear layout), transB = 0 as D × K.
  const [K, D] = transB ? [B.dims[0], B.dims[1]] : [B.dims[1], B.dims[0]];
  const W = new Float64Array(K * D);
  if (transB) for (let i = 0; i < K * D; i++) W[i] = alpha * B.data[i];
  else for (let k = 0; k < K; k++) for (let t = 0; t < D; t++) W[k * D + t] = alpha * B.data[t * K + k];
  let bias: Float64Array | undefined;
  let biasFrom: string | undefined;
  if (node.input[2]) {
    const C = g.constant(node.input[2]);
    if (!C) return `${where}: its C input "${node.input[2]}" is not a constant`;
    bias = biasVector(C, K, beta);
    if (!bias) return `${where}: C has shape [${C.dims.join(', ')}], not a bias of length K = ${K}`;
    biasFrom = g.constantOrigin(node.input[2]) + (beta !== 1 ? ` × beta ${beta}` : '');
  }
  const wFrom = g.constantOrigin(node.input[1]) + (transB ? '' : ' (transposed, transB = 0)') + (alpha !== 1 ? ` × alpha ${alpha}` : '');
  return { featureTensor: node.input[0], logits: node.output[0], output, kind: 'Gemm', nodes: [nodeName(node)], K, D, weights: W, bias, weightsFrom: wFrom, biasFrom };
}

/** Reads MatMul(A, B) with constant 2-D B (D × K), optionally followed by Add of a constant bias. */
function fromMatMul(g: GraphIndex, mm: NodeProto, add: NodeProto | undefined, biasName: string | undefined, output: string): LinearClassifier | string {
  const where = `MatMul "${nodeName(mm)}"`;
  const B = g.constant(mm.input[1]);
  if (!B) return `${where}: its second input "${mm.input[1]}" is not a constant`;
  if (B.dims.length !== 2) return `${where}: its weight has shape [${B.dims.join(', ')}], not 2-D`;
  const [D, K] = B.dims;
  const W = new Float64Array(K * D);
  for (let k = 0; k < K; k++) for (let t = 0; t < D; t++) W[k * D + t] = B.data[t * K + k];
  let bias: Float64Array | undefined;
  let biasFrom: string | undefined;
  if (add && biasName) {
    const C = g.constant(biasName);
    if (!C) return `Add "${nodeName(add)}": "${biasName}" is not a constant`;
    bias = biasVector(C, K, 1);
    if (!bias) return `Add "${nodeName(add)}": "${biasName}" has shape [${C.dims.join(', ')}], not a bias of length K = ${K}`;
    biasFrom = g.constantOrigin(biasName);
  }
  return {
    featureTensor: mm.input[0],
    logits: (add ?? mm).output[0],
    output,
    kind: add ? 'MatMul+Add' : 'MatMul',
    nodes: add ? [nodeName(mm), nodeName(add)] : [nodeName(mm)],
    K,
    D,
    weights: W,
    bias,
    weightsFrom: `${g.constantOrigin(mm.input[1])} (transposed, MatMul weight is D × K)`,
    biasFrom,
  };
}

/** Follows one graph output back through Softmax/LogSoftmax/Identity/… to a Gemm, MatMul+Add or MatMul. */
function fromOutput(g: GraphIndex, output: string): LinearClassifier | string {
  let t = output;
  let node = g.producer.get(t);
  const seen = new Set<string>();
  while (node && TAIL_OPS.has(node.opType) && !seen.has(t)) {
    seen.add(t);
    t = node.input[0];
    node = g.producer.get(t);
  }
  if (!node) return `output "${output}" does not come from a node`;
  if (node.opType === 'Gemm') return fromGemm(g, node, output);
  if (node.opType === 'MatMul') return fromMatMul(g, node, undefined, undefined, output);
  if (node.opType === 'Add') {
    for (const [x, c] of [[0, 1], [1, 0]]) {
      const mm = g.producer.get(node.input[x]);
      if (mm?.opType === 'MatMul' && g.constant(node.input[c])) return fromMatMul(g, mm, node, node.input[c], output);
    }
    return `output "${output}" comes from an Add that is not MatMul + constant`;
  }
  return `output "${output}" comes from ${node.opType} "${nodeName(node)}", not from Gemm or MatMul(+Add)`;
}

/**
 * Finds the final linear classifier: for each graph output in order, walk back through Softmax, LogSoftmax,
 * Identity, Dropout and Sigmoid to a Gemm (transA = 0; W = alpha·B for transB = 1, alpha·Bᵀ for transB = 0;
 * b = beta·C), or a MatMul by a constant D × K matrix (W = Bᵀ), optionally followed by Add of a constant (b).
 * Weights may be initializers or reached through Identity / Transpose / Cast / Constant nodes.
 * Returns undefined (with the reasons) when no output leads to one.
 */
export function findClassifier(g: GraphIndex): { classifier?: LinearClassifier; reasons: string[] } {
  const reasons: string[] = [];
  for (const o of g.graph.output) {
    const r = fromOutput(g, o.name);
    if (typeof r !== 'string') return { classifier: r, reasons };
    reasons.push(r);
  }
  return { reasons };
}

/** {@link findClassifier}, or a NO_CLASSIFIER error that says what was found and how to name a tensor instead. */
export function requireClassifier(g: GraphIndex): LinearClassifier {
  const { classifier, reasons } = findClassifier(g);
  if (classifier) return classifier;
  throw NcInputError.at(
    'NO_CLASSIFIER',
    { source: g.ctx.source },
    `no linear classifier (Gemm, or MatMul + Add, before an optional Softmax) at the end of the graph (${reasons.join('; ')}); ` +
      '`ncscope onnx inspect` lists the candidate feature tensors',
    [{ option: 'tensors', purpose: 'to name the feature tensor' }],
  );
}

/** A linear node that consumes a feature tensor: z = A h (+ b), A out × D row-major, read from a constant weight. */
export interface LinearConsumer {
  /** The node's name (or "op→output"). */
  node: string;
  kind: 'Gemm' | 'MatMul';
  /** A, out × D (Gemm: alpha·B or alpha·Bᵀ; MatMul: Bᵀ), float64. */
  weights: Float64Array;
  outputs: number;
  D: number;
  weightsFrom: string;
}

/**
 * The Gemm (transA = 0) or MatMul that reads `tensor` as its first input with a constant 2-D weight — the layer whose
 * input subspace Rangamani et al.'s alignment compares the class means with. Undefined (with the reason) when no node,
 * or more than one, consumes the tensor that way.
 */
export function linearConsumer(g: GraphIndex, tensor: string): { consumer?: LinearConsumer; reason?: string } {
  const found: LinearConsumer[] = [];
  const reasons: string[] = [];
  for (const node of g.consumers.get(tensor) ?? []) {
    if (node.input[0] !== tensor || (node.opType !== 'Gemm' && node.opType !== 'MatMul')) continue;
    const r = node.opType === 'Gemm' ? fromGemm(g, node, node.output[0]) : fromMatMul(g, node, undefined, undefined, node.output[0]);
    if (typeof r === 'string') reasons.push(r);
    else found.push({ node: nodeName(node), kind: node.opType, weights: r.weights, outputs: r.K, D: r.D, weightsFrom: r.weightsFrom });
  }
  if (found.length === 1) return { consumer: found[0] };
  if (found.length > 1) return { reason: `"${tensor}" feeds ${found.length} linear nodes (${found.map((f) => f.node).join(', ')})` };
  return { reason: reasons.length ? reasons.join('; ') : `no Gemm or MatMul with a constant weight reads "${tensor}"` };
}
