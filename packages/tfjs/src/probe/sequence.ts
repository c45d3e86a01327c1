import { NcInputError } from '@ncscope/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Token-level measurement of a sequence model (Wu & Papyan 2024, "linguistic collapse"): the feature layer's output is
 * `[batch, T, D]` (one feature vector per position, e.g. the input of a language model's head) and every position that
 * has a label is one sample. With `labels: 'next-token'` the label of position t is the token id at t + 1 (a causal
 * language model's target), counted where mask[t] = mask[t + 1] = 1; with `labels: 'given'` the probe's `ys` [n, T]
 * hold each position's label, counted where mask[t] = 1 and the label is ≥ 0 (−100, Hugging Face's "ignore", or any
 * negative label leaves the position out). Padding is told by the mask alone, so a pad id may also be a real token.
 */
export interface SequenceOptions {
  /** Where the per-position labels come from (default: `'given'` when the probe has `ys`, else `'next-token'`). */
  labels?: 'next-token' | 'given';
  /**
   * 1 where a position holds a real token, 0 for padding: a tensor [n, T], or the index of the model input that is
   * the attention mask (its values are read from the probe's xs). Default: every position is real.
   */
  mask?: tf.Tensor | number;
  /** Index of the model input that holds the token ids (next-token labels; default 0). */
  ids?: number;
}

/** The token samples of a probe: per sequence, which positions count and their labels. */
export interface TokenLayout {
  /** Sequence length T. */
  T: number;
  /** Per counted position, its flat index s·T + t over the probe's sequences (ascending). */
  index: Int32Array;
  /** Per counted position, its label. */
  labels: Int32Array;
}

function intValues(name: string, values: ArrayLike<number>, n: number, T: number): Int32Array {
  const out = new Int32Array(n * T);
  for (let i = 0; i < out.length; i++) {
    const v = Number(values[i]);
    if (!Number.isInteger(v)) {
      throw new NcInputError('BAD_LABEL', `${name}, sequence ${Math.floor(i / T)}, position ${i % T}: ${v} is not an integer`, { row: Math.floor(i / T), column: i % T, source: name });
    }
    out[i] = v;
  }
  return out;
}

/**
 * Resolves the token samples of a tensor probe (`xs` the model's inputs, `ys` optional per-position labels) under
 * {@link SequenceOptions}; `K` (the classifier's outputs, when known) bounds the labels. Named errors for shapes, a
 * mask that is not 0/1, ids or labels outside 0..K−1, and a probe with no counted position.
 */
export async function tokenLayout(xs: tf.Tensor[], ys: tf.Tensor | undefined, options: SequenceOptions, K: number | undefined): Promise<TokenLayout> {
  const idsInput = options.ids ?? 0;
  if (!(Number.isInteger(idsInput) && idsInput >= 0 && idsInput < xs.length)) {
    throw new NcInputError('BAD_OPTION', `sequence.ids must be the index of a model input (0..${xs.length - 1}), got ${options.ids}`);
  }
  const ids = xs[idsInput];
  if (ids.rank !== 2) throw new NcInputError('SHAPE', `sequence probes need token ids of shape [n, T]; model input ${idsInput} has shape [${ids.shape.join(', ')}]`, { source: 'probe xs' });
  const [n, T] = ids.shape as [number, number];
  const mode = options.labels ?? (ys ? 'given' : 'next-token');
  if (mode !== 'given' && mode !== 'next-token') throw new NcInputError('BAD_OPTION', `sequence.labels must be 'next-token' or 'given', got ${String(mode)}`);
  if (mode === 'given' && !ys) throw new NcInputError('BAD_OPTION', "sequence.labels 'given' needs the probe's ys [n, T] (one label per position)");
  let mask: Int32Array | undefined;
  if (options.mask !== undefined) {
    const m = typeof options.mask === 'number' ? xs[options.mask] : options.mask;
    if (!(m instanceof tf.Tensor)) throw new NcInputError('BAD_OPTION', `sequence.mask must be a tensor [n, T] or the index of the model input holding the mask (0..${xs.length - 1}), got ${String(options.mask)}`);
    if (m.rank !== 2 || m.shape[0] !== n || m.shape[1] !== T) {
      throw new NcInputError('SHAPE', `sequence.mask has shape [${m.shape.join(', ')}]; it must match the token ids [${n}, ${T}]`, { source: 'sequence.mask' });
    }
    mask = intValues('sequence.mask', await m.data(), n, T);
    const bad = mask.findIndex((v) => v !== 0 && v !== 1);
    if (bad >= 0) throw new NcInputError('BAD_LABEL', `sequence.mask, sequence ${Math.floor(bad / T)}, position ${bad % T}: ${mask[bad]} is not 0 or 1`, { row: Math.floor(bad / T), column: bad % T, source: 'sequence.mask' });
  }
  const real = (s: number, t: number) => (mask ? mask[s * T + t] === 1 : true);
  let source: Int32Array;
  let name: string;
  if (mode === 'given') {
    if (ys!.rank !== 2 || ys!.shape[0] !== n || ys!.shape[1] !== T) {
      throw new NcInputError('SHAPE', `sequence probes with given labels need ys of shape [n, T] = [${n}, ${T}]; got [${ys!.shape.join(', ')}]`, { source: 'probe ys' });
    }
    source = intValues('probe ys', await ys!.data(), n, T);
    name = 'probe ys';
  } else {
    source = intValues(`probe xs (model input ${idsInput}, token ids)`, await ids.data(), n, T);
    name = `probe xs (model input ${idsInput}, token ids)`;
  }
  const index: number[] = [];
  const labels: number[] = [];
  for (let s = 0; s < n; s++) {
    for (let t = 0; t < T; t++) {
      let y: number;
      if (mode === 'given') {
        if (!real(s, t)) continue;
        y = source[s * T + t];
        if (y < 0) continue;
      } else {
        if (t + 1 >= T || !real(s, t) || !real(s, t + 1)) continue;
        y = source[s * T + t + 1];
      }
      if (y < 0 || (K !== undefined && y >= K)) {
        const where = mode === 'given' ? `position ${t}` : `position ${t + 1}`;
        const range = K === undefined ? 'a non-negative integer' : `in 0..${K - 1} (the classifier has K = ${K} outputs)`;
        throw new NcInputError('BAD_LABEL', `${name}, sequence ${s}, ${where}: token ${y} is not ${range}`, { row: s, column: mode === 'given' ? t : t + 1, label: y, source: name });
      }
      index.push(s * T + t);
      labels.push(y);
    }
  }
  if (index.length === 0) throw new NcInputError('NO_DATA', `the sequence probe has no position with a label (${n} sequences of ${T}; check the mask${mode === 'next-token' ? ' and that T ≥ 2' : ''})`);
  return { T, index: Int32Array.from(index), labels: Int32Array.from(labels) };
}

/**
 * A batch's tapped output [b, T, D] as its counted positions' features [tokens, D]: reshaped to [b·T, D] and
 * gathered at `index` (positions local to the batch).
 */
export function tokenFeatures(output: tf.Tensor, index: tf.Tensor1D, layer: string): tf.Tensor2D {
  if (output.rank !== 3) {
    throw new NcInputError('SHAPE', `sequence probes measure a layer with output [batch, T, D]; "${layer}" gives [${output.shape.join(', ')}]`, { source: layer });
  }
  return tf.tidy(() => tf.gather(tf.reshape(output, [-1, output.shape[2] as number]), index) as tf.Tensor2D);
}
