/**
 * Where each block of the UFM's parameters sits in the flat float64 vector θ the optimizers work on.
 * Every matrix is row-major with one row per object: W has one row per class (K × D, PyTorch nn.Linear layout),
 * H one row per sample (N × D: the papers' H ∈ R^{D×N} transposed, so each feature vector h_i is contiguous).
 */
export interface Block {
  offset: number;
  rows: number;
  cols: number;
}

export interface Layout {
  K: number;
  /** Feature dimension of H. */
  D: number;
  N: number;
  /** Classifier rows W (K × D; K × hidden in the extended model, where W reads σ(W₁H)). */
  W: Block;
  /** Features H (N × D). */
  H: Block;
  /** Bias b (K), absent with bias 'none'. */
  b?: Block;
  /** Extended model: first layer W₁ (hidden × D). */
  W1?: Block;
  /** Graph model: the weights W₂ (K × D) applied to the aggregated features H Â. */
  W2?: Block;
  size: number;
}

/** Lays out the blocks in the order W, H, b, W₁, W₂. */
export function makeLayout(shape: { K: number; D: number; N: number; bias: boolean; hidden?: number; graph?: boolean }): Layout {
  const { K, D, N } = shape;
  let offset = 0;
  const block = (rows: number, cols: number): Block => {
    const b = { offset, rows, cols };
    offset += rows * cols;
    return b;
  };
  const W = block(K, shape.hidden ?? D);
  const H = block(N, D);
  const b = shape.bias ? block(1, K) : undefined;
  const W1 = shape.hidden !== undefined ? block(shape.hidden, D) : undefined;
  const W2 = shape.graph ? block(K, D) : undefined;
  return { K, D, N, W, H, b, W1, W2, size: offset };
}

/** A copy of one block's values. */
export function blockValues(theta: Float64Array, block: Block): Float64Array {
  return theta.slice(block.offset, block.offset + block.rows * block.cols);
}
