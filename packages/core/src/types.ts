/** Feature storage accepted everywhere: row-major, rows × D. */
export type FloatArray = Float32Array | Float64Array;

/**
 * Class labels, one per row, in 0..K−1: any integer typed array — BigInt64Array/BigUint64Array too (PyTorch's and
 * NumPy's default int64 labels), values up to 2^53 — or floats holding integers (2.0 is class 2 — float labels are
 * common in NumPy/PyTorch pipelines and exact below 2^24 in float32). A value that is not a non-negative integer is
 * a BAD_LABEL error naming its row (validate/batch.ts).
 */
export type LabelArray = Int32Array | Uint8Array | Uint16Array | Uint32Array | Int8Array | Int16Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array | number[];

/** One batch of samples: `features` is rows × D row-major, `labels` has one entry per row. */
export interface Batch {
  features: FloatArray;
  labels: LabelArray;
}

/** A linear classifier z = W h + b: `weights` is K × D row-major (PyTorch nn.Linear layout), `bias` has K entries. */
export interface Classifier {
  weights: FloatArray;
  bias?: FloatArray;
}
