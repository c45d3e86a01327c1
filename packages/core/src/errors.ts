/** Machine-readable reason for an {@link NcInputError}. */
export type NcErrorCode =
  | 'NON_FINITE'        // NaN or ±Inf in features or classifier
  | 'BAD_LABEL'         // label negative, non-integer, or ≥ K
  | 'SHAPE'             // array lengths that do not fit rows × D, K × D, …
  | 'TOO_FEW_CLASSES'   // fewer than two classes with samples
  | 'EMPTY_CLASS'       // a class with no samples when emptyClasses: 'error' (or a gap between labels when K is inferred)
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
  | 'TOO_LARGE'         // sizes (K classes, D features, N samples) whose tables exceed the memory bound, checked before allocating; or far more classes than samples
  | 'BAD_FILE'          // a file that cannot be read (missing, a folder, a FIFO, a device, permission) or is not in its format (truncated, corrupt)
  | 'UNKNOWN_ARRAY'     // an array key a file (.npz, .safetensors) does not hold, or several candidates and no key
  | 'UNKNOWN_COLUMN'    // a column a table (Parquet, Arrow IPC) does not hold
  | 'OUTPUT_PATH'       // an output path that names an input, another output or a folder
  | 'WRITE_FAILED'      // an output that could not be written (permission, no space, a parent that is a file)
  | 'BAD_TOKENS'        // token ids or attention mask that do not fit a language model (outside the vocabulary, holes in the mask, longer than the position table)
  | 'BAD_TOKENIZER'     // a tokenizer.json that is missing, unreadable, or of a kind the tokenizer library cannot run
  | 'BAD_OPTION';       // an option value outside its domain

/**
 * Where in the input a problem is, as data. Every field is optional; programs read them instead of the message.
 * Rendered (by {@link formatLocation}) as `source: batch b, field row r, column c` before the problem.
 */
export interface NcErrorLocation {
  /** The file, tensor, model or named input the problem is in (`labels.npy`, `run.npz: member 'y'`, `probe ys`). */
  source?: string;
  /** Index of the batch within a pass over a batch source (library sources); absent once a caller located the row in its source. */
  batch?: number;
  /** The row: within the batch when `batch` is set, else within the source (a file's row, a JSONL line). */
  row?: number;
  /** A range of rows [first, last] of the source, when no single row is at fault (a malformed batch). */
  rows?: [number, number];
  /** The column (feature index, label column). */
  column?: number;
  /** The array within a batch the row and column refer to: `features`, `classifier`, … (rendered before "row"). */
  field?: string;
  /** What a row is called in this source, when not "row": `sequence` (a token corpus). */
  rowName?: string;
  /** What a column is called, when not "column": `position` (a token within its sequence). */
  columnName?: string;
  /** The offending label value (data only; the problem text states it). */
  label?: number;
}

/**
 * An option that fixes the problem, as data: `{ option: 'emptyClasses', value: 'exclude', purpose: 'to measure the
 * others' }`. The library spells it `emptyClasses: 'exclude'`; the CLI spells the same remedy with its flag
 * (`--empty-classes exclude`) — no caller rewrites message text.
 */
export interface NcRemedy {
  /** The library option's name (`emptyClasses`, `K`, `tensors`). */
  option: string;
  /** The value to pass, if the remedy names one (`'exclude'`). */
  value?: string;
  /** What passing it achieves, starting with "to": `to measure only the classes present`. */
  purpose: string;
}

/**
 * What two sets of statistics that cannot be merged differ in (STATS_MISMATCH from a merge), as data: `kind` names
 * the difference, `what` says it in words (`spread statistics computed against different class means …`).
 */
export interface NcMismatch {
  kind: 'shape' | 'means' | 'classifier' | 'space' | 'conventions' | 'normalization' | 'labels';
  what: string;
}

/** How an option is written in messages: `(option, value) => text`. The library's spelling is {@link librarySpelling}. */
export type OptionSpelling = (option: string, value: string | undefined) => string;

/** The library's spelling of a remedy option: `emptyClasses: 'exclude'`, `K`. */
export const librarySpelling: OptionSpelling = (option, value) => (value === undefined ? option : `${option}: '${value}'`);

/** `batch 2, features row 3, column 1` (the parts present), or '' when the location has none of them. */
export function formatPosition(where: NcErrorLocation): string {
  const parts: string[] = [];
  if (where.batch !== undefined) parts.push(`batch ${where.batch}`);
  if (where.rows !== undefined && where.row === undefined) parts.push(`rows ${where.rows[0]}..${where.rows[1]}`);
  if (where.row !== undefined) parts.push(`${where.field ? `${where.field} ` : ''}${where.rowName ?? 'row'} ${where.row}`);
  if (where.column !== undefined) parts.push(`${where.columnName ?? 'column'} ${where.column}`);
  return parts.join(', ');
}

/** The remedies as text: `pass emptyClasses: 'exclude' to measure the others`, joined with "; ". */
export function formatRemedies(remedies: readonly NcRemedy[], spell: OptionSpelling = librarySpelling): string {
  return remedies.map((r) => `pass ${spell(r.option, r.value)} ${r.purpose}`).join('; ');
}

/**
 * The one error type ncscope throws for bad input. `code` lets programs react; `where` says where the problem is
 * (source, batch, row, column, …) as data; `problem` is the text without the location, and `remedies` the options
 * that fix it. `message` is the location, the problem and the remedies in one line, for people.
 *
 * Two ways to build one:
 * - `NcInputError.at(code, where, problem, remedies?)` — located errors: the message is rendered from `where`, and a
 *   caller that knows more (a file name, the row in the file behind a batch) re-locates it with {@link relocate}.
 * - `new NcInputError(code, message, where?)` — the message is taken as written; when `where` names a source, batch or
 *   row, the message is taken to state it too (re-locating then only updates `where`).
 */
export class NcInputError extends Error {
  override readonly name = 'NcInputError';
  /** The problem without its location or remedies (the whole message for errors built with the constructor). */
  readonly problem: string;
  /** Options that fix the problem (empty when none applies). */
  readonly remedies: readonly NcRemedy[];
  /** For merges that cannot be made: what the statistics differ in. */
  readonly mismatch?: NcMismatch;
  /** Whether `message` is the location (if any) plus `problem` (so {@link relocate} can render it again). */
  readonly located: boolean;

  constructor(
    readonly code: NcErrorCode,
    message: string,
    readonly where: NcErrorLocation = {},
    details: { problem?: string; remedies?: readonly NcRemedy[]; located?: boolean; mismatch?: NcMismatch } = {},
  ) {
    super(message);
    this.problem = details.problem ?? message;
    this.remedies = details.remedies ?? [];
    if (details.mismatch) this.mismatch = details.mismatch;
    // A message given with no location data states no location either: it can be located later.
    this.located = details.located ?? (where.source === undefined && where.batch === undefined && where.row === undefined && where.rows === undefined);
  }

  /** A located error: the message is `source: position: problem; remedies`, rendered from the data. */
  static at(code: NcErrorCode, where: NcErrorLocation, problem: string, remedies: readonly NcRemedy[] = []): NcInputError {
    return new NcInputError(code, NcInputError.render(where, problem, remedies), where, { problem, remedies, located: true });
  }

  /** STATS_MISMATCH for a merge that cannot be made: `cannot merge <what>`, with the difference as data. */
  static mismatch(kind: NcMismatch['kind'], what: string): NcInputError {
    const problem = `cannot merge ${what}`;
    return new NcInputError('STATS_MISMATCH', problem, {}, { problem, located: true, mismatch: { kind, what } });
  }

  /** The text of a located error with the given spelling of its remedies. */
  static render(where: NcErrorLocation, problem: string, remedies: readonly NcRemedy[] = [], spell: OptionSpelling = librarySpelling): string {
    const position = formatPosition(where);
    const head = [where.source, position].filter((s) => s !== undefined && s !== '').join(': ');
    const tail = remedies.length > 0 ? `; ${formatRemedies(remedies, spell)}` : '';
    return `${head ? `${head}: ` : ''}${problem}${tail}`;
  }

  /**
   * The same error at another location (`where` replaces the old one): a caller that knows the file and the row
   * in it turns `batch 3, row 5` into `{ source: 'labels.npy', row: 3077 }`. An error whose message states its own
   * location (built with the constructor and a located `where`) keeps its message and only updates `where`.
   */
  relocate(where: NcErrorLocation): NcInputError {
    const details = { problem: this.problem, remedies: this.remedies, mismatch: this.mismatch };
    if (!this.located) return new NcInputError(this.code, this.message, where, details);
    return new NcInputError(this.code, NcInputError.render(where, this.problem, this.remedies), where, { ...details, located: true });
  }

  /** The message with the remedies spelled another way (the CLI passes its flags). */
  format(spell: OptionSpelling): string {
    if (!this.located) return this.message;
    return NcInputError.render(this.where, this.problem, this.remedies, spell);
  }
}
