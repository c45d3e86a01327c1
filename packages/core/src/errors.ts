/** Machine-readable reason for an {@link NcInputError}. */
export type NcErrorCode =
  | 'NON_FINITE'        // NaN or ±Inf in features or classifier
  | 'BAD_LABEL'         // label negative, non-integer, or ≥ K
  | 'SHAPE'             // array lengths that do not fit rows × D, K × D, …
  | 'TOO_FEW_CLASSES'   // fewer than two classes with samples
  | 'EMPTY_CLASS'       // a class with no samples when emptyClasses: 'error'
  | 'NO_DATA'           // no samples at all
  | 'STATS_MISMATCH'    // statistics from different data, means or shapes combined
  | 'BAD_STATS_FILE'    // a serialized statistics object that does not parse
  | 'SHARD_OVERLAP'     // statistics shards that would sum some rows twice (the same shard twice, or overlapping rows)
  | 'SHARDS_MISSING'    // a merge that lacks some shards of its input (say which, or allow a partial merge)
  | 'BAD_MEASUREMENT_FILE' // a measurement log (JSONL, schema ncscope.measurement/1) with a line that does not parse
  | 'SINGULAR'          // a least-squares system with λ = 0 is singular (collapsed or rank-deficient features): use λ > 0
  | 'BAD_MODEL'         // a model file (ONNX) that is corrupt, truncated, or holds what ncscope cannot read
  | 'UNKNOWN_TENSOR'    // a tensor name the model does not have
  | 'NO_CLASSIFIER'     // no linear classifier where one is needed (name the feature tensor instead)
  | 'BAD_TOKENS'        // token ids or attention mask that do not fit a language model (outside the vocabulary, holes in the mask, longer than the position table)
  | 'BAD_TOKENIZER'     // a tokenizer.json that is missing, unreadable, or of a kind the tokenizer library cannot run
  | 'BAD_OPTION';       // an option value outside its domain

/**
 * The one error type ncscope throws for bad input. `message` names what was wrong and where
 * (batch, row, class, file); `code` lets programs react; `where` repeats the location as data.
 */
export class NcInputError extends Error {
  override readonly name = 'NcInputError';
  constructor(
    readonly code: NcErrorCode,
    message: string,
    readonly where: { batch?: number; row?: number; column?: number; label?: number; source?: string } = {},
  ) {
    super(message);
  }
}
