import { open, readFile } from 'node:fs/promises';
import type { DataType, Field, RecordBatch, Schema } from 'apache-arrow';
import { ioError, missingLibrary } from '../images/errors.js';
import type { ColumnKind, ColumnValues, TableColumn, TableFile } from './table-file.js';

type Arrow = typeof import('apache-arrow');

function kindOf(a: Arrow, t: DataType): { kind: ColumnKind; float32?: boolean } {
  if (a.DataType.isInt(t)) return { kind: 'int' };
  if (a.DataType.isFloat(t)) return { kind: 'float', float32: (t as InstanceType<Arrow['Float']>).precision === a.Precision.SINGLE };
  if (a.DataType.isUtf8(t) || a.DataType.isLargeUtf8(t)) return { kind: 'string' };
  if (a.DataType.isBool(t)) return { kind: 'bool' };
  if (a.DataType.isBinary(t) || a.DataType.isLargeBinary(t) || a.DataType.isFixedSizeBinary(t)) return { kind: 'binary' };
  if (a.DataType.isDictionary(t)) return kindOf(a, (t as InstanceType<Arrow['Dictionary']>).dictionary);
  if (a.DataType.isList(t) || a.DataType.isFixedSizeList(t)) return { kind: 'list' };
  if (a.DataType.isStruct(t)) return { kind: 'struct' };
  return { kind: 'other' };
}

function describe(a: Arrow, f: Field): TableColumn {
  const k = kindOf(a, f.type);
  const col: TableColumn = { name: f.name, kind: k.kind, type: String(f.type), float32: k.float32 };
  if (k.kind === 'list') {
    const child = (f.type as InstanceType<Arrow['List']>).children[0].type;
    const ek = kindOf(a, child);
    col.element = ek.kind;
    col.float32 = ek.float32;
    if (a.DataType.isFixedSizeList(f.type)) col.listSize = (f.type as InstanceType<Arrow['FixedSizeList']>).listSize;
  }
  if (k.kind === 'struct') col.fields = (f.type as InstanceType<Arrow['Struct']>).children.map((c) => c.name);
  return col;
}

/** Row values of an Arrow column: lists as typed arrays (views), structs as plain objects, 64-bit ints as bigint. */
function values(a: Arrow, batch: RecordBatch, name: string, from: number, to: number): ColumnValues {
  const v = batch.getChild(name)!;
  const t = v.type;
  const out: unknown[] = new Array(to - from);
  if (a.DataType.isList(t) || a.DataType.isFixedSizeList(t)) {
    for (let i = from; i < to; i++) {
      const x = v.get(i) as { toArray(): ArrayLike<unknown> } | null;
      out[i - from] = x === null ? null : x.toArray();
    }
    return out;
  }
  if (a.DataType.isStruct(t)) {
    for (let i = from; i < to; i++) {
      const x = v.get(i) as { toJSON(): Record<string, unknown> } | null;
      out[i - from] = x === null ? null : x.toJSON();
    }
    return out;
  }
  for (let i = from; i < to; i++) out[i - from] = v.get(i);
  return out;
}

/**
 * Opens an Arrow IPC file. The file format (Feather v2) is read record batch by record batch (row counts from the
 * batches' message headers); the stream format has no footer to seek by, so it is read whole.
 */
export async function openArrow(path: string, format: 'arrow-file' | 'arrow-stream'): Promise<TableFile> {
  const a = await import('apache-arrow').catch((e: unknown) => {
    throw missingLibrary('apache-arrow', 'read Arrow IPC files', e);
  });
  const fail = (e: unknown) => ioError('BAD_FILE', `${path}: not a readable Arrow IPC file (${(e as Error).message})`, { source: path });
  let schema: Schema;
  let readBatch: (i: number) => Promise<RecordBatch>;
  const chunks: [number, number][] = [];
  let closeFn = async () => {};
  if (format === 'arrow-stream') {
    let table;
    try {
      table = a.tableFromIPC(await readFile(path));
    } catch (e) {
      throw fail(e);
    }
    schema = table.schema;
    const batches = table.batches;
    readBatch = async (i) => batches[i];
    let at = 0;
    for (const b of batches) chunks.push([at, (at += b.numRows)]);
  } else {
    const fh = await open(path, 'r');
    try {
      const reader = (await a.RecordBatchReader.from(fh as never)) as unknown as {
        open(): Promise<unknown>;
        isFile(): boolean;
        schema: Schema;
        cancel?(): Promise<void>;
      };
      await reader.open();
      if (!reader.isFile()) throw new Error('no file footer');
      schema = reader.schema;
      const fileReader = reader as unknown as { numRecordBatches: number; readRecordBatch(i: number): Promise<RecordBatch | null> };
      // Row counts of every batch: read each batch once here (Arrow's footer does not store them).
      let at = 0;
      for (let i = 0; i < fileReader.numRecordBatches; i++) {
        const b = await fileReader.readRecordBatch(i);
        if (!b) throw new Error(`record batch ${i} is missing`);
        chunks.push([at, (at += b.numRows)]);
      }
      readBatch = async (i) => {
        const b = await fileReader.readRecordBatch(i);
        if (!b) throw new Error(`record batch ${i} is missing`);
        return b;
      };
      closeFn = async () => {
        await reader.cancel?.();
        await fh.close().catch(() => {});
      };
    } catch (e) {
      await fh.close().catch(() => {});
      throw fail(e);
    }
  }
  const columns = schema.fields.map((f) => describe(a, f));
  const metadata = new Map<string, string>(schema.metadata);
  return {
    path,
    format,
    rows: chunks.length ? chunks[chunks.length - 1][1] : 0,
    columns,
    chunks,
    metadata,
    async read(names, start, end) {
      const i = chunks.findIndex(([s, e]) => start >= s && end <= e);
      if (i < 0) throw new RangeError(`${path}: rows ${start}..${end - 1} do not lie in one record batch`);
      let batch: RecordBatch;
      try {
        batch = await readBatch(i);
      } catch (e) {
        throw ioError('BAD_FILE', `${path}: cannot decode record batch ${i} (${(e as Error).message})`, { source: path, batch: i });
      }
      const out = new Map<string, ColumnValues>();
      for (const n of names) out.set(n, values(a, batch, n, start - chunks[i][0], end - chunks[i][0]));
      return out;
    },
    close: () => closeFn(),
  };
}
