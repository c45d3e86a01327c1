import { dirname, isAbsolute, join } from 'node:path';
import { compareCodePoints } from '../images/folder.js';
import type { ImageJob } from '../images/decode.js';
import { ioError } from '../images/errors.js';
import { openTableFile, type ColumnValues, type TableColumn, type TableFile } from './table-file.js';

/** Which columns of a table hold what. */
export interface TableColumns {
  /**
   * Features: a list column (fixed-size or variable, of numbers; every row the same length), or the prefix of
   * several numeric columns (`feat_` → feat_0, feat_1, …, in the file's column order). Default: a list column
   * named features, embeddings or embedding, when there is one.
   */
  featuresColumn?: string;
  /** Labels: integers, or strings mapped to classes in sorted order. Default: a column named label or labels. */
  labelsColumn?: string;
  /** Images: a Hugging Face datasets Image column ({bytes, path} struct) or a binary column. Default: 'image'. */
  imageColumn?: string;
  /** Class names fixing the indices of string labels (a label outside them is refused); default their sorted set. */
  classes?: readonly string[];
}

/** One batch of table rows. */
export interface TableBatch {
  /** First row (of the table). */
  start: number;
  rows: number;
  /** rows × D, row-major. */
  features?: Float32Array | Float64Array;
  labels?: Int32Array;
  images?: ImageJob[];
}

/** A table opened with its columns resolved. */
export interface TableSource {
  readonly file: TableFile;
  readonly path: string;
  readonly rows: number;
  /** The features: D is the list length (a fixed-size list's, else the first row's) or the number of columns. */
  readonly features?: { columns: string[]; D: number; float32: boolean; description: string };
  readonly labels?: {
    column: string;
    kind: 'int' | 'string';
    /**
     * Class names: for string labels the sorted set (or the given classes); for integer labels the names a
     * Hugging Face ClassLabel feature records in the file's metadata, when present.
     */
    classes?: string[];
  };
  readonly image?: { column: string };
  /** Every label of the table (one pass over the labels column). */
  readLabels(): Promise<Int32Array>;
  /** Batches of at most `batchSize` rows over rows start … end−1, never spanning a stored chunk. */
  batches(start: number, end: number, batchSize: number, what?: { features?: boolean; labels?: boolean; images?: boolean }): AsyncGenerator<TableBatch>;
  /** Image jobs of rows start … start+count−1 (for an image input). */
  imageJobs(start: number, count: number): Promise<ImageJob[]>;
  close(): Promise<void>;
}

const numeric = (c: TableColumn) => c.kind === 'int' || c.kind === 'float';
const list = (names: readonly string[]) => names.slice(0, 8).map((n) => `'${n}'`).join(', ') + (names.length > 8 ? `, … (${names.length} columns)` : '');

/** Class names of a Hugging Face ClassLabel column, from the file's 'huggingface' metadata. */
function hfClassNames(file: TableFile, column: string): string[] | undefined {
  const raw = file.metadata.get('huggingface');
  if (!raw) return undefined;
  try {
    const meta = JSON.parse(raw) as { info?: { features?: Record<string, { _type?: string; names?: unknown }> } };
    const f = meta.info?.features?.[column];
    return f?._type === 'ClassLabel' && Array.isArray(f.names) && f.names.every((n) => typeof n === 'string') ? (f.names as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opens a Parquet or Arrow IPC table and resolves its feature, label and image columns. Refused by name, before
 * any row is read: a named column the table lacks (the message lists what it has), a features column that is
 * not a list of numbers (or a prefix matching no numeric column), labels that are neither integers nor strings,
 * an image column that is not an image struct or binary.
 */
export async function openTable(path: string, spec: TableColumns = {}): Promise<TableSource> {
  const file = await openTableFile(path);
  try {
    const table = resolveTable(file, spec);
    // A list column of unstated length: D from its first row (later rows must match it).
    if (table.features && table.features.D < 0 && table.rows > 0) await table.batches(0, 1, 1, { features: true }).next();
    return table;
  } catch (e) {
    await file.close();
    throw e;
  }
}

function resolveTable(file: TableFile, spec: TableColumns): TableSource {
  const path = file.path;
  const byName = new Map(file.columns.map((c) => [c.name, c]));
  const names = file.columns.map((c) => c.name);
  const missing = (flag: string, name: string) => ioError('UNKNOWN_COLUMN', `${path}: no column '${name}' (${flag}); it has ${list(names)}`, { source: path });

  let features: TableSource['features'];
  const fname = spec.featuresColumn ?? ['features', 'embeddings', 'embedding'].find((n) => byName.get(n)?.kind === 'list');
  if (fname !== undefined) {
    const c = byName.get(fname);
    if (c) {
      if (c.kind !== 'list' || (c.element !== 'float' && c.element !== 'int')) {
        throw ioError('SHAPE', `${path}: column '${fname}' holds ${c.type}; --features-column takes a list of numbers per row (fixed-size list or list<float>) or the prefix of numeric columns`, { source: path });
      }
      features = { columns: [fname], D: c.listSize ?? -1, float32: c.float32 === true, description: `column '${fname}' (${c.type})` };
    } else {
      const cols = file.columns.filter((x) => x.name.startsWith(fname) && numeric(x));
      if (cols.length === 0) throw missing('--features-column: neither a column of that name nor numeric columns with that prefix', fname);
      features = { columns: cols.map((x) => x.name), D: cols.length, float32: cols.every((x) => x.float32), description: `${cols.length} columns '${cols[0].name}' … '${cols[cols.length - 1].name}'` };
    }
  }

  let labels: TableSource['labels'];
  const lname = spec.labelsColumn ?? ['label', 'labels'].find((n) => byName.has(n));
  if (lname !== undefined) {
    const c = byName.get(lname);
    if (!c) throw missing('--labels-column', lname);
    if (c.kind === 'int' || c.kind === 'float') labels = { column: lname, kind: 'int', classes: spec.classes ? [...spec.classes] : hfClassNames(file, lname) };
    else if (c.kind === 'string') labels = { column: lname, kind: 'string', classes: spec.classes ? [...spec.classes] : undefined };
    else throw ioError('BAD_LABEL', `${path}: column '${lname}' holds ${c.type}; labels must be integers or strings`, { source: path });
  }

  let image: TableSource['image'];
  const iname = spec.imageColumn ?? (byName.has('image') ? 'image' : undefined);
  if (iname !== undefined) {
    const c = byName.get(iname);
    if (!c) throw missing('--image-column', iname);
    const ok = c.kind === 'binary' || (c.kind === 'struct' && (c.fields?.includes('bytes') || c.fields?.includes('path')));
    if (!ok) throw ioError('SHAPE', `${path}: column '${iname}' holds ${c.type}; --image-column takes a Hugging Face Image column (struct {bytes, path}) or a binary column of encoded images`, { source: path });
    image = { column: iname };
  }

  // String labels: the class map, from a first pass over the labels column (see readLabels).
  let labelCache: Promise<Int32Array> | undefined;
  const readLabelsOnce = () => (labelCache ??= readAllLabels());

  async function readAllLabels(): Promise<Int32Array> {
    if (!labels) throw ioError('BAD_OPTION', `${path}: no labels column (name it with --labels-column; columns: ${list(names)})`, { source: path });
    const out = new Int32Array(file.rows);
    if (labels.kind === 'int') {
      for (const [s, e] of file.chunks) {
        const v = (await file.read([labels.column], s, e)).get(labels.column)!;
        for (let i = 0; i < e - s; i++) out[s + i] = intLabel(v[i], s + i);
      }
      return out;
    }
    const strings: string[] = new Array(file.rows);
    for (const [s, e] of file.chunks) {
      const v = (await file.read([labels.column], s, e)).get(labels.column)!;
      for (let i = 0; i < e - s; i++) {
        const x = v[i];
        if (typeof x !== 'string') throw ioError('BAD_LABEL', `${path}: column '${labels.column}', row ${s + i}: ${x === null || x === undefined ? 'no label (null)' : `label ${String(x)} is not a string`}`, { source: path, row: s + i });
        strings[s + i] = x;
      }
    }
    let classes = labels.classes;
    if (!classes) {
      classes = [...new Set(strings)].sort(compareCodePoints);
      (labels as { classes?: string[] }).classes = classes;
    }
    const index = new Map(classes.map((c, i) => [c, i]));
    for (let r = 0; r < strings.length; r++) {
      const k = index.get(strings[r]);
      if (k === undefined) throw ioError('BAD_LABEL', `${path}: column '${labels.column}', row ${r}: label '${strings[r]}' is not one of the ${classes.length} given classes (${list(classes)})`, { source: path, row: r });
      out[r] = k;
    }
    return out;
  }

  function intLabel(x: unknown, row: number): number {
    const v = typeof x === 'bigint' ? Number(x) : x;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
      const what = x === null || x === undefined ? 'no label (null)' : `label ${String(x)} is not a class index (a non-negative integer)`;
      throw ioError('BAD_LABEL', `${path}: column '${labels!.column}', row ${row}: ${what}`, { source: path, row });
    }
    return v;
  }

  function toFeatures(cols: Map<string, ColumnValues>, start: number, rows: number): Float32Array | Float64Array {
    const f = features!;
    if (f.columns.length === 1) {
      const v = cols.get(f.columns[0])!;
      if (f.D < 0) {
        const first = v[0] as ArrayLike<unknown> | null;
        if (!first) throw ioError('SHAPE', `${path}: column '${f.columns[0]}', row ${start}: no features (null)`, { source: path, row: start });
        (f as { D: number }).D = first.length;
      }
      const D = f.D;
      const out = f.float32 ? new Float32Array(rows * D) : new Float64Array(rows * D);
      for (let i = 0; i < rows; i++) {
        const r = v[i] as ArrayLike<unknown> | null;
        if (!r) throw ioError('SHAPE', `${path}: column '${f.columns[0]}', row ${start + i}: no features (null)`, { source: path, row: start + i });
        if (r.length !== D) throw ioError('SHAPE', `${path}: column '${f.columns[0]}' is ragged: row ${start + i} has ${r.length} values, earlier rows ${D}`, { source: path, row: start + i });
        if (ArrayBuffer.isView(r) && !(r instanceof BigInt64Array) && !(r instanceof BigUint64Array)) out.set(r as unknown as ArrayLike<number>, i * D);
        else for (let j = 0; j < D; j++) out[i * D + j] = num(r[j], start + i, f.columns[0]);
      }
      return out;
    }
    const D = f.D;
    const out = f.float32 ? new Float32Array(rows * D) : new Float64Array(rows * D);
    f.columns.forEach((name, j) => {
      const v = cols.get(name)!;
      for (let i = 0; i < rows; i++) out[i * D + j] = num(v[i], start + i, name);
    });
    return out;
  }

  function num(x: unknown, row: number, column: string): number {
    if (typeof x === 'number') return x;
    if (typeof x === 'bigint') return Number(x);
    throw ioError('SHAPE', `${path}: column '${column}', row ${row}: ${x === null || x === undefined ? 'a missing value (null)' : `a non-numeric value ${String(x)}`} among the features`, { source: path, row });
  }

  const tableDir = dirname(path);
  function toJobs(v: ColumnValues, start: number, rows: number): ImageJob[] {
    const jobs: ImageJob[] = new Array(rows);
    for (let i = 0; i < rows; i++) {
      const x = v[i] as { bytes?: Uint8Array | null; path?: string | null } | Uint8Array | null;
      const row = start + i;
      if (x instanceof Uint8Array) {
        jobs[i] = { name: `${path} row ${row}`, bytes: x };
        continue;
      }
      if (x && x.bytes instanceof Uint8Array && x.bytes.length > 0) {
        jobs[i] = { name: `${path} row ${row}${x.path ? ` (${x.path})` : ''}`, bytes: x.bytes };
        continue;
      }
      if (x && typeof x.path === 'string' && x.path.length > 0) {
        const p = isAbsolute(x.path) ? x.path : join(tableDir, x.path);
        jobs[i] = { name: `${path} row ${row} (${p})`, path: p };
        continue;
      }
      throw ioError('BAD_FILE', `${path}: column '${image!.column}', row ${row}: no image (neither bytes nor a path)`, { source: path, row });
    }
    return jobs;
  }

  let cached: { chunk: number; values: ColumnValues } | undefined;
  async function imageJobs(start: number, count: number): Promise<ImageJob[]> {
    if (!image) throw ioError('BAD_OPTION', `${path}: no image column (name it with --image-column; columns: ${list(names)})`, { source: path });
    const jobs: ImageJob[] = [];
    for (let ci = 0; ci < file.chunks.length && jobs.length < count; ci++) {
      const [s, e] = file.chunks[ci];
      const from = Math.max(s, start + jobs.length);
      const to = Math.min(e, start + count);
      if (from >= to) continue;
      if (cached?.chunk !== ci) cached = { chunk: ci, values: (await file.read([image.column], s, e)).get(image.column)! };
      const all = cached.values;
      jobs.push(...toJobs(Array.prototype.slice.call(all, from - s, to - s), from, to - from));
    }
    return jobs;
  }

  return {
    file,
    path,
    rows: file.rows,
    features,
    labels,
    image,
    readLabels: readLabelsOnce,
    async *batches(start, end, batchSize, what = { features: true, labels: true }) {
      if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
      const all = what.labels ? await readLabelsOnce() : undefined;
      const wanted = [...(what.features && features ? features.columns : []), ...(what.images && image ? [image.column] : [])];
      if (what.features && !features) throw ioError('BAD_OPTION', `${path}: no features column (name it with --features-column: a list column or a column prefix; columns: ${list(names)})`, { source: path });
      for (const [s, e] of file.chunks) {
        const from = Math.max(s, start);
        const to = Math.min(e, end);
        if (from >= to) continue;
        const cols = wanted.length ? await file.read(wanted, from, to) : new Map<string, ColumnValues>();
        for (let b = from; b < to; b += batchSize) {
          const rows = Math.min(batchSize, to - b);
          const slice = new Map<string, ColumnValues>();
          for (const [k, v] of cols) slice.set(k, Array.prototype.slice.call(v, b - from, b - from + rows));
          yield {
            start: b,
            rows,
            features: what.features ? toFeatures(slice, b, rows) : undefined,
            labels: all ? all.subarray(b, b + rows) : undefined,
            images: what.images && image ? toJobs(slice.get(image.column)!, b, rows) : undefined,
          };
        }
      }
    },
    imageJobs,
    close: () => file.close(),
  };
}
