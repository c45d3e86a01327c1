/**
 * A small causal transformer in tfjs-layers (GPT-style, pre-LayerNorm): token + learned position embeddings, `layers`
 * blocks of causal multi-head self-attention and a ReLU MLP (4·d), a final LayerNorm — the feature layer `features`,
 * [batch, T, d] — and the head `Dense(V)` (softmax, so tfjs's sparse cross-entropy trains it; NC reads its W and b,
 * the logits' affine map). tfjs-layers 4.22 has no attention layer, so attention is a custom layer here; the token
 * embedding is a one-hot product because the wasm backend has no kernel for the gradient of `Embedding`.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Token embedding (one-hot · E) plus a learned position embedding: [b, T] ids → [b, T, d]. */
class TokenPositionEmbedding extends tfl.layers.Layer {
  static className = 'NcExampleTokenPositionEmbedding';
  private tokens!: tfl.LayerVariable;
  private positions!: tfl.LayerVariable;
  constructor(private readonly V: number, private readonly T: number, private readonly d: number, private readonly seed: number) {
    super({});
  }
  override build(): void {
    this.tokens = this.addWeight('tokens', [this.V, this.d], 'float32', tfl.initializers.randomNormal({ stddev: 0.02, seed: this.seed }));
    this.positions = this.addWeight('positions', [this.T, this.d], 'float32', tfl.initializers.randomNormal({ stddev: 0.02, seed: this.seed + 1 }));
    this.built = true;
  }
  override computeOutputShape(shape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return [(shape as tfl.Shape)[0], this.T, this.d];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const ids = Array.isArray(inputs) ? inputs[0] : inputs;
      const b = ids.shape[0];
      const oneHot = tf.cast(tf.oneHot(tf.cast(tf.reshape(ids, [-1]), 'int32'), this.V), 'float32');
      const e = tf.reshape(tf.matMul(oneHot, this.tokens.read()), [b, this.T, this.d]);
      return tf.add(e, this.positions.read());
    });
  }
  override getClassName(): string {
    return TokenPositionEmbedding.className;
  }
}

/** Causal multi-head self-attention: softmax(QKᵀ/√d_h + mask) V per head, then an output projection. */
class CausalSelfAttention extends tfl.layers.Layer {
  static className = 'NcExampleCausalSelfAttention';
  private w: tfl.LayerVariable[] = [];
  private readonly mask: tf.Tensor;
  constructor(private readonly d: number, private readonly heads: number, private readonly T: number, private readonly seed: number) {
    super({});
    // −1e9 above the diagonal: position t attends to positions ≤ t only.
    this.mask = tf.tidy(() => tf.mul(tf.sub(tf.ones([T, T]), tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), -1e9));
    tf.keep(this.mask);
  }
  override build(): void {
    this.w = ['query', 'key', 'value', 'output'].map((name, i) => this.addWeight(name, [this.d, this.d], 'float32', tfl.initializers.glorotUniform({ seed: this.seed + i })));
    this.built = true;
  }
  override computeOutputShape(shape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return shape as tfl.Shape;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const b = x.shape[0];
      const { d, heads, T } = this;
      const dh = d / heads;
      const flat = tf.reshape(x, [b * T, d]);
      const split = (w: tfl.LayerVariable) => tf.transpose(tf.reshape(tf.matMul(flat, w.read()), [b, T, heads, dh]), [0, 2, 1, 3]);
      const q = split(this.w[0]);
      const k = split(this.w[1]);
      const v = split(this.w[2]);
      const scores = tf.add(tf.mul(tf.matMul(q, tf.transpose(k, [0, 1, 3, 2])), 1 / Math.sqrt(dh)), this.mask);
      const out = tf.matMul(tf.softmax(scores), v); // [b, heads, T, dh]
      const merged = tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [b * T, d]);
      return tf.reshape(tf.matMul(merged, this.w[3].read()), [b, T, d]);
    });
  }
  override getClassName(): string {
    return CausalSelfAttention.className;
  }
}

export interface TransformerConfig {
  V: number;
  T: number;
  /** Width d (the feature dimension D). */
  width: number;
  layers: number;
  heads: number;
  seed: number;
}

/** The model: ids [b, T] int32 → next-token probabilities [b, T, V]; `features` is the head's input. */
export function causalTransformer(c: TransformerConfig): tfl.LayersModel {
  const ids = tfl.input({ shape: [c.T], dtype: 'int32', name: 'ids' });
  let x = new TokenPositionEmbedding(c.V, c.T, c.width, c.seed).apply(ids) as tfl.SymbolicTensor;
  for (let l = 0; l < c.layers; l++) {
    const s = c.seed + 10 * (l + 1);
    const a = new CausalSelfAttention(c.width, c.heads, c.T, s).apply(tfl.layers.layerNormalization({ axis: -1 }).apply(x)) as tfl.SymbolicTensor;
    x = tfl.layers.add().apply([x, a]) as tfl.SymbolicTensor;
    const h = tfl.layers.dense({ units: 4 * c.width, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: s + 5 }) }).apply(tfl.layers.layerNormalization({ axis: -1 }).apply(x));
    const m = tfl.layers.dense({ units: c.width, kernelInitializer: tfl.initializers.glorotUniform({ seed: s + 6 }) }).apply(h) as tfl.SymbolicTensor;
    x = tfl.layers.add().apply([x, m]) as tfl.SymbolicTensor;
  }
  const features = tfl.layers.layerNormalization({ axis: -1, name: 'features' }).apply(x) as tfl.SymbolicTensor;
  const probs = tfl.layers.dense({ units: c.V, activation: 'softmax', name: 'head', kernelInitializer: tfl.initializers.glorotUniform({ seed: c.seed + 99 }) }).apply(features) as tfl.SymbolicTensor;
  return tfl.model({ inputs: ids, outputs: probs });
}
