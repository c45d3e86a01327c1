import type { FileMetaData, SchemaTree } from 'hyparquet';
import { ioError, missingLibrary } from '../images/errors.js';
import type { ColumnKind, ColumnValues, TableColumn, TableFile } from './table-file.js';

type SchemaElement = SchemaTree['element'];

function leafKind(e: SchemaElement): { kind: ColumnKind; type: string; float32?: boolean } {
  const logical = e.logical_type?.type;
  switch (e.type) {
    case 'INT32':
    case 'INT64':
      if (logical === 'DECIMAL' || e.converted_type === 'DECIMAL') return { kind: 'other', type: 'decimal' };
      if (logical === 'DATE' || logical === 'TIME' || logical === 'TIMESTAMP' || /^(DATE|TIME|TIMESTAMP)/.test(e.converted_type ?? '')) return { kind: 'other', type: (logical ?? e.converted_type!).toLowerCase() };
      return { kind: 'int', type: e.type.toLowerCase() };
    case 'FLOAT':
      return { kind: 'float', type: 'float', float32: true };
    case 'DOUBLE':
      return { kind: 'float', type: 'double' };
    case 'BOOLEAN':
      return { kind: 'bool', type: 'boolean' };
    case 'BYTE_ARRAY':
      if (logical === 'STRING' || logical === 'ENUM' || e.converted_type === 'UTF8' || e.converted_type === 'ENUM') return { kind: 'string', type: 'string' };
      return { kind: 'binary', type: 'binary' };
    default:
      return { kind: 'other', type: (e.type ?? 'group').toLowerCase() };
  }
}

/** A top-level Parquet column: leaf, LIST (three-level or legacy two-level), or struct group. */
function describe(t: SchemaTree): TableColumn {
  const e = t.element;
  const name = e.name;
  if (t.children.length === 0) return { name, ...leafKind(e) };
  const isList = e.converted_type === 'LIST' || e.logical_type?.type === 'LIST';
  if (isList) {
    let elem = t.children[0];
    if (elem.children.length === 1 && elem.element.repetition_type === 'REPEATED') elem = elem.children[0];
    if (elem.children.length === 0) {
      const k = leafKind(elem.element);
      return { name, kind: 'list', type: `list<${k.type}>`, element: k.kind, float32: k.float32 };
    }
    return { name, kind: 'list', type: 'list<group>', element: 'other' };
  }
  if (e.converted_type === 'MAP' || e.logical_type?.type === 'MAP') return { name, kind: 'other', type: 'map' };
  return { name, kind: 'struct', type: `struct<${t.children.map((c) => c.element.name).join(', ')}>`, fields: t.children.map((c) => c.element.name) };
}

/** Opens a Parquet file with hyparquet: footer metadata now, row groups on demand. */
export async function openParquet(path: string, size: number): Promise<TableFile> {
  const hp = await import('hyparquet').catch((e: unknown) => {
    throw missingLibrary('hyparquet', 'read Parquet files', e);
  });
  const { compressors } = await import('hyparquet-compressors').catch((e: unknown) => {
    throw missingLibrary('hyparquet-compressors', 'read compressed Parquet files', e);
  });
  const file = await hp.asyncBufferFromFile(path);
  let metadata: FileMetaData;
  try {
    metadata = await hp.parquetMetadataAsync(file);
  } catch (e) {
    throw ioError('BAD_FILE', `${path}: not a readable Parquet file (${(e as Error).message}; ${size} bytes)`, { source: path });
  }
  const tree = hp.parquetSchema(metadata);
  const columns = tree.children.map(describe);
  const chunks: [number, number][] = [];
  let at = 0;
  for (const g of metadata.row_groups) {
    const n = Number(g.num_rows);
    chunks.push([at, at + n]);
    at += n;
  }
  const kv = new Map<string, string>((metadata.key_value_metadata ?? []).map((k) => [k.key, k.value ?? '']));
  return {
    path,
    format: 'parquet',
    rows: Number(metadata.num_rows),
    columns,
    chunks,
    metadata: kv,
    async read(names, start, end) {
      let rows: Record<string, unknown>[] = [];
      try {
        await hp.parquetRead({ file, metadata, columns: [...names], rowStart: start, rowEnd: end, compressors, utf8: false, rowFormat: 'object', onComplete: (r) => (rows = r) });
      } catch (e) {
        throw ioError('BAD_FILE', `${path}: cannot decode rows ${start}..${end - 1} (${(e as Error).message})`, { source: path, rows: [start, end - 1] } as never);
      }
      if (rows.length !== end - start) throw ioError('BAD_FILE', `${path}: rows ${start}..${end - 1} decoded to ${rows.length} rows`, { source: path });
      const out = new Map<string, ColumnValues>();
      for (const n of names) out.set(n, rows.map((r) => r[n]));
      return out;
    },
    async close() {},
  };
}
