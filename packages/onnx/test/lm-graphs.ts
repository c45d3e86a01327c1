/**
 * Tiny causal language models written as ONNX graphs by the tests, and the same models' forward pass in plain float64
 * JavaScript — the independent reference the runner's features are compared with.
 *
 * One pre-LayerNorm transformer block (GPT-2's layout): token embedding (Gather) + position embedding (by a
 * position_ids input, by Range over the columns, or none), LayerNorm, multi-head causal self-attention masked by the
 * attention mask (Where with −1e9, Softmax), residual, LayerNorm, ReLU MLP, residual, final LayerNorm = the hidden
 * state (the features), then the head: tied (MatMul by Transpose(wte)) or untied with a bias (MatMul + Add).
 * Key/value cache signatures: `past` (past_key_values.0.key/value concatenated before the current keys, present.*
 * outputs, as Optimum's decoder_with_past / Transformers.js' model.onnx) and `merged` (decoder_model_merged: an If
 * on use_cache_branch whose then branch runs with the cache — here deliberately scaling the hidden state by 2, so a
 * wrong branch shows — and whose else branch runs without).
 */
import { mulberry32 } from '@ncscope/core';
import { DataType, encodeModel, modelProto, nodeProto, tensorProto, valueInfoProto, type NodeProto, type TensorProto, type ValueInfoProto } from '../src/index.js';

export interface TinyLmShape {
  V: number;
  D: number;
  H: number;
  /** Rows of the position table (0 with positions 'none'). */
  P: number;
  /** MLP width. */
  F: number;
}

export interface TinyLmWeights extends TinyLmShape {
  wte: Float64Array; // V × D
  wpe: Float64Array; // P × D
  ln1: [Float64Array, Float64Array];
  ln2: [Float64Array, Float64Array];
  lnf: [Float64Array, Float64Array];
  Wq: Float64Array; Wk: Float64Array; Wv: Float64Array; Wo: Float64Array; // D × D (x · W)
  W1: Float64Array; b1: Float64Array; W2: Float64Array; // D × F, F, F × D
  /** Untied head: K × D rows and K biases. */
  head: Float64Array; headBias: Float64Array;
}

export interface TinyLmVariant {
  positions: 'input' | 'range' | 'none';
  head: 'tied' | 'untied';
  kv: 'none' | 'past' | 'merged';
  /** Element type of input_ids (default int64). */
  idsType?: 'int64' | 'int32';
  /** Key/value inputs declare heads and head width as numbers (default) or leave them symbolic (config.json tells). */
  pastDims?: 'fixed' | 'symbolic';
}

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** Seeded weights, float32-representable (so the graph's float32 initializers hold exactly the reference's values). */
export function tinyLmWeights(shape: TinyLmShape, seed = 1): TinyLmWeights {
  const r = mulberry32(seed);
  const f32 = (x: number) => Math.fround(x);
  const mat = (n: number, scale: number) => Float64Array.from({ length: n }, () => f32(scale * gauss(r)));
  const ln = (n: number): [Float64Array, Float64Array] => [Float64Array.from({ length: n }, () => f32(1 + 0.1 * gauss(r))), mat(n, 0.1)];
  const { V, D, P, F } = shape;
  return {
    ...shape,
    wte: mat(V * D, 1), wpe: mat(P * D, 0.5), ln1: ln(D), ln2: ln(D), lnf: ln(D),
    Wq: mat(D * D, 1 / Math.sqrt(D)), Wk: mat(D * D, 1 / Math.sqrt(D)), Wv: mat(D * D, 1 / Math.sqrt(D)), Wo: mat(D * D, 1 / Math.sqrt(D)),
    W1: mat(D * F, 1 / Math.sqrt(D)), b1: mat(F, 0.1), W2: mat(F * D, 1 / Math.sqrt(F)),
    head: mat(V * D, 1), headBias: mat(V, 0.5),
  };
}

const f32a = (a: Float64Array) => Float32Array.from(a);

/** Builds one model's ONNX bytes (opset 17). The hidden state (the head's input) is the value named "hidden". */
export function tinyLmOnnx(w: TinyLmWeights, v: TinyLmVariant): Uint8Array {
  const { V, D, H, P, F } = w;
  const hd = D / H;
  const init: TensorProto[] = [
    tensorProto('wte', [V, D], f32a(w.wte)),
    tensorProto('ln1.g', [D], f32a(w.ln1[0])), tensorProto('ln1.b', [D], f32a(w.ln1[1])),
    tensorProto('ln2.g', [D], f32a(w.ln2[0])), tensorProto('ln2.b', [D], f32a(w.ln2[1])),
    tensorProto('lnf.g', [D], f32a(w.lnf[0])), tensorProto('lnf.b', [D], f32a(w.lnf[1])),
    tensorProto('Wq', [D, D], f32a(w.Wq)), tensorProto('Wk', [D, D], f32a(w.Wk)), tensorProto('Wv', [D, D], f32a(w.Wv)), tensorProto('Wo', [D, D], f32a(w.Wo)),
    tensorProto('W1', [D, F], f32a(w.W1)), tensorProto('b1', [F], f32a(w.b1)), tensorProto('W2', [F, D], f32a(w.W2)),
    tensorProto('c.split_heads', [4], BigInt64Array.from([0n, 0n, BigInt(H), BigInt(hd)])),
    tensorProto('c.merge_heads', [3], BigInt64Array.from([0n, 0n, BigInt(D)])),
    tensorProto('c.scale', [], Float32Array.of(1 / Math.sqrt(hd))),
    tensorProto('c.neg', [], Float32Array.of(-1e9)),
    tensorProto('c.zero', [], BigInt64Array.of(0n)),
    tensorProto('c.one', [], BigInt64Array.of(1n)),
    tensorProto('c.axis0', [1], BigInt64Array.of(0n)),
    tensorProto('c.axis1', [1], BigInt64Array.of(1n)),
    tensorProto('c.axes12', [2], BigInt64Array.of(1n, 2n)),
    tensorProto('c.two', [], Float32Array.of(2)),
  ];
  if (v.positions !== 'none') init.push(tensorProto('wpe', [P, D], f32a(w.wpe)));
  if (v.head === 'untied') init.push(tensorProto('head.weight_t', [D, V], f32a(transpose(w.head, V, D))), tensorProto('head.bias', [V], f32a(w.headBias)));

  /** The decoder's nodes with value names prefixed by `p`; reads the past (when `past`) and returns its outputs. */
  const decoder = (p: string, past: boolean, scaleHidden: boolean): { nodes: NodeProto[]; logits: string; presentK: string; presentV: string; hidden: string } => {
    const nodes: NodeProto[] = [];
    let k = 0;
    const op = (type: string, inputs: string[], attrs: Record<string, unknown> = {}, name?: string): string => {
      const out = name ?? `${p}${type}_${k++}`;
      nodes.push(nodeProto(type, inputs, [out], attrs as never, `${p}node_${out}`));
      return out;
    };
    const Tq = op('Shape', ['input_ids'], { start: 1, end: 2 });
    const Sl = op('Shape', [v.kv === 'none' ? 'input_ids' : 'attention_mask'], { start: 1, end: 2 });
    const S = op('Squeeze', [Sl, 'c.axis0']);
    const Pst = op('Squeeze', [op('Sub', [Sl, Tq]), 'c.axis0']);
    const qi = op('Range', [Pst, S, 'c.one']); // absolute positions of the queries [T]
    const kj = op('Range', ['c.zero', S, 'c.one']); // key positions [S]
    let x = op('Gather', ['wte', 'input_ids']);
    if (v.positions === 'input') x = op('Add', [x, op('Gather', ['wpe', 'position_ids'])]);
    if (v.positions === 'range') x = op('Add', [x, op('Gather', ['wpe', qi])]);
    const a = op('LayerNormalization', [x, 'ln1.g', 'ln1.b'], { axis: -1, epsilon: { float: 1e-5 } });
    const heads = (m: string) => op('Transpose', [op('Reshape', [op('MatMul', [a, m]), 'c.split_heads'])], { perm: [0, 2, 1, 3] });
    const q = heads('Wq');
    let kk = heads('Wk');
    let vv = heads('Wv');
    if (past) {
      kk = op('Concat', ['past_key_values.0.key', kk], { axis: 2 });
      vv = op('Concat', ['past_key_values.0.value', vv], { axis: 2 });
    }
    const scores = op('Mul', [op('MatMul', [q, op('Transpose', [kk], { perm: [0, 1, 3, 2] })]), 'c.scale']);
    const causal = op('LessOrEqual', [op('Unsqueeze', [kj, 'c.axis0']), op('Unsqueeze', [qi, 'c.axis1'])]); // [T, S]
    const keys = op('Unsqueeze', [op('Cast', ['attention_mask'], { to: DataType.BOOL }), 'c.axes12']); // [B, 1, 1, S]
    const allowed = op('And', [causal, keys]);
    const probs = op('Softmax', [op('Where', [allowed, scores, 'c.neg'])], { axis: -1 });
    const att = op('Reshape', [op('Transpose', [op('MatMul', [probs, vv])], { perm: [0, 2, 1, 3] }), 'c.merge_heads']);
    const x1 = op('Add', [x, op('MatMul', [att, 'Wo'])]);
    const m2 = op('LayerNormalization', [x1, 'ln2.g', 'ln2.b'], { axis: -1, epsilon: { float: 1e-5 } });
    const mlp = op('MatMul', [op('Relu', [op('Add', [op('MatMul', [m2, 'W1']), 'b1'])]), 'W2']);
    const x2 = op('Add', [x1, mlp]);
    let hidden = op('LayerNormalization', [x2, 'lnf.g', 'lnf.b'], { axis: -1, epsilon: { float: 1e-5 } }, `${p}hidden`);
    if (scaleHidden) hidden = op('Mul', [hidden, 'c.two'], {}, `${p}hidden_x2`);
    const logits = v.head === 'tied'
      ? op('MatMul', [hidden, op('Transpose', ['wte'], { perm: [1, 0] })], {}, `${p}lm_logits`)
      : op('Add', [op('MatMul', [hidden, 'head.weight_t']), 'head.bias'], {}, `${p}lm_logits`);
    return { nodes, logits, presentK: kk, presentV: vv, hidden };
  };

  const inputs: ValueInfoProto[] = [
    valueInfoProto('input_ids', v.idsType === 'int32' ? DataType.INT32 : DataType.INT64, ['batch_size', 'sequence_length']),
    valueInfoProto('attention_mask', DataType.INT64, ['batch_size', v.kv === 'none' ? 'sequence_length' : 'total_sequence_length']),
  ];
  if (v.positions === 'input') inputs.push(valueInfoProto('position_ids', DataType.INT64, ['batch_size', 'sequence_length']));
  const outputs: ValueInfoProto[] = [valueInfoProto('logits', DataType.FLOAT, ['batch_size', 'sequence_length', V])];
  let nodes: NodeProto[];
  if (v.kv === 'none') {
    const d = decoder('', false, false);
    nodes = [...d.nodes, nodeProto('Identity', [d.logits], ['logits'], {}, 'out_logits')];
  } else {
    const pastShape = v.pastDims === 'symbolic' ? ['batch_size', 'num_heads', 'past_sequence_length', 'head_dim'] : ['batch_size', H, 'past_sequence_length', hd];
    inputs.push(valueInfoProto('past_key_values.0.key', DataType.FLOAT, pastShape), valueInfoProto('past_key_values.0.value', DataType.FLOAT, pastShape));
    const presentShape = ['batch_size', H, 'total_sequence_length', hd];
    outputs.push(valueInfoProto('present.0.key', DataType.FLOAT, presentShape), valueInfoProto('present.0.value', DataType.FLOAT, presentShape));
    if (v.kv === 'past') {
      const d = decoder('', true, false);
      nodes = [
        ...d.nodes,
        nodeProto('Identity', [d.logits], ['logits'], {}, 'out_logits'),
        nodeProto('Identity', [d.presentK], ['present.0.key'], {}, 'out_k'),
        nodeProto('Identity', [d.presentV], ['present.0.value'], {}, 'out_v'),
      ];
    } else {
      inputs.push(valueInfoProto('use_cache_branch', DataType.BOOL, [1]));
      const branch = (p: string, past: boolean, scale: boolean) => {
        const d = decoder(p, past, scale);
        return {
          node: d.nodes,
          name: `${p}graph`,
          output: [
            valueInfoProto(d.logits, DataType.FLOAT, ['batch_size', 'sequence_length', V]),
            valueInfoProto(d.presentK, DataType.FLOAT),
            valueInfoProto(d.presentV, DataType.FLOAT),
          ],
        };
      };
      nodes = [
        nodeProto('If', ['use_cache_branch'], ['logits', 'present.0.key', 'present.0.value'], {
          then_branch: { graph: branch('with_past/', true, true) },
          else_branch: { graph: branch('no_past/', false, false) },
        } as never, 'optimum::if'),
      ];
    }
  }
  return encodeModel(modelProto({ node: nodes, initializer: init, input: inputs, output: outputs }, 17));
}

function transpose(a: Float64Array, r: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = a[i * c + j];
  return out;
}

function layerNorm(x: Float64Array, g: Float64Array, b: Float64Array): Float64Array {
  const D = x.length;
  let mean = 0;
  for (let i = 0; i < D; i++) mean += x[i];
  mean /= D;
  let v = 0;
  for (let i = 0; i < D; i++) v += (x[i] - mean) ** 2;
  v /= D;
  const s = 1 / Math.sqrt(v + 1e-5);
  return Float64Array.from(x, (xi, i) => (xi - mean) * s * g[i] + b[i]);
}

/** x (length n) · W (n × m). */
function vecMat(x: Float64Array, W: Float64Array, n: number, m: number): Float64Array {
  const out = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    for (let j = 0; j < m; j++) out[j] += xi * W[i * m + j];
  }
  return out;
}

/**
 * The float64 forward pass of one sequence: hidden states at every position (T × D). `mask` marks real tokens;
 * positions as the variant numbers them (Hugging Face's cumsum(mask) − 1 for 'input', the column for 'range').
 * Rows at padded positions are computed too but mean nothing.
 */
export function tinyLmHidden(w: TinyLmWeights, v: TinyLmVariant, ids: readonly number[], mask: readonly number[] = ids.map(() => 1)): Float64Array[] {
  const { D, H, F } = w;
  const T = ids.length;
  const hd = D / H;
  let c = 0;
  const pos = mask.map((m, t) => (v.positions === 'input' ? (m ? (c += 1) - 1 : 1) : t));
  const x = ids.map((id, t) => {
    const row = w.wte.slice(id * D, (id + 1) * D);
    if (v.positions !== 'none') for (let d = 0; d < D; d++) row[d] += w.wpe[pos[t] * D + d];
    return row;
  });
  const a = x.map((r) => layerNorm(r, w.ln1[0], w.ln1[1]));
  const q = a.map((r) => vecMat(r, w.Wq, D, D));
  const k = a.map((r) => vecMat(r, w.Wk, D, D));
  const val = a.map((r) => vecMat(r, w.Wv, D, D));
  const out: Float64Array[] = [];
  for (let t = 0; t < T; t++) {
    const att = new Float64Array(D);
    for (let h = 0; h < H; h++) {
      const s: number[] = [];
      for (let j = 0; j <= t; j++) {
        if (!mask[j]) continue;
        let dot = 0;
        for (let e = 0; e < hd; e++) dot += q[t][h * hd + e] * k[j][h * hd + e];
        s.push(dot / Math.sqrt(hd));
      }
      const mx = Math.max(...s);
      const ex = s.map((z) => Math.exp(z - mx));
      const Z = ex.reduce((p, z) => p + z, 0);
      let i = 0;
      for (let j = 0; j <= t; j++) {
        if (!mask[j]) continue;
        const p = ex[i++] / Z;
        for (let e = 0; e < hd; e++) att[h * hd + e] += p * val[j][h * hd + e];
      }
    }
    const x1 = Float64Array.from(x[t]);
    const o = vecMat(att, w.Wo, D, D);
    for (let d = 0; d < D; d++) x1[d] += o[d];
    const m2 = layerNorm(x1, w.ln2[0], w.ln2[1]);
    const hid = vecMat(m2, w.W1, D, F).map((z, f) => Math.max(0, z + w.b1[f]));
    const mlp = vecMat(hid, w.W2, F, D);
    for (let d = 0; d < D; d++) x1[d] += mlp[d];
    out.push(layerNorm(x1, w.lnf[0], w.lnf[1]));
  }
  return out;
}
