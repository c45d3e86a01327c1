import { open } from 'node:fs/promises';
import { ioError } from '../images/errors.js';

/** What a column holds, as far as ncscope's readers care. */
export type ColumnKind = 'int' | 'float' | 'string' | 'bool' | 'binary' | 'list' | 'struct' | 'other';

/** A top-level column of a table. */
export interface TableColumn {
  name: string;
  kind: ColumnKind;
  /** The stored type in the format's words, for messages (`list<float>`, `fixed_size_list<float>[512]`, `int64`). */
  type: string;
  /** For lists: the elements' kind. */
  element?: ColumnKind;
  /** For fixed-size lists: the size. */
  listSize?: number;
  /** For structs: the field names. */
  fields?: string[];
  /** Floats stored in 32 bits (a float column, or a list of them). */
  float32?: boolean;
}

/** Row values of one column over a row range: numbers, bigints, strings, number arrays, structs (objects), null. */
export type ColumnValues = ArrayLike<unknown>;

/**
 * A table file read in its stored chunks (Parquet row groups, Arrow record batches): the schema and row count come
 * from the footer; `read` decodes only the named columns of a row range within one chunk.
 */
export interface TableFile {
  readonly path: string;
  readonly format: 'parquet' | 'arrow-file' | 'arrow-stream';
  readonly rows: number;
  readonly columns: readonly TableColumn[];
  /** Row ranges [start, end) of the stored chunks, in order. */
  readonly chunks: readonly (readonly [number, number])[];
  /** Key-value metadata of the file (Parquet) or schema (Arrow); Hugging Face datasets keep their features under 'huggingface'. */
  readonly metadata: ReadonlyMap<string, string>;
  /** Values of the columns for rows start … end−1 (within one chunk). */
  read(names: readonly string[], start: number, end: number): Promise<Map<string, ColumnValues>>;
  close(): Promise<void>;
}

/**
 * Opens a Parquet file (hyparquet, with hyparquet-compressors' codecs) or an Arrow IPC file — the file format
 * (Feather v2, `.arrow`) read batch by batch, or the stream format read whole — recognised by their magic bytes.
 * hyparquet and apache-arrow load on first use. Feather v1 files are refused (re-save them as Feather v2).
 */
export async function openTableFile(path: string): Promise<TableFile> {
  let head: Buffer;
  let size: number;
  try {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw ioError('BAD_FILE', `${path}: not a regular file (--table takes a Parquet or Arrow IPC file)`, { source: path });
      size = st.size;
      head = Buffer.alloc(Math.min(8, size));
      await fh.read(head, 0, head.length, 0);
    } finally {
      await fh.close();
    }
  } catch (e) {
    if (e instanceof Error && e.name === 'NcInputError') throw e;
    throw ioError('BAD_FILE', `${path}: cannot read the table (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { source: path });
  }
  const magic = head.subarray(0, 4).toString('latin1');
  if (magic === 'PAR1') return (await import('./parquet.js')).openParquet(path, size);
  if (head.subarray(0, 6).toString('latin1') === 'ARROW1') return (await import('./arrow.js')).openArrow(path, 'arrow-file');
  if (head.length >= 4 && head.readUInt32LE(0) === 0xffffffff) return (await import('./arrow.js')).openArrow(path, 'arrow-stream');
  if (magic === 'FEA1') throw ioError('BAD_FILE', `${path}: a Feather version 1 file; re-save it as Feather version 2 (pyarrow.feather.write_feather's default) or Parquet`, { source: path });
  throw ioError('BAD_FILE', `${path}: not a Parquet or Arrow IPC file (its first bytes are neither 'PAR1' nor 'ARROW1' nor an Arrow stream message)`, { source: path });
}
