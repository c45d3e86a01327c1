import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { openTable } from '@ncscope/io/tables';

// A Parquet file with an embedding column (list<float>) and string labels, as pandas or Hugging Face would write it.
const dir = mkdtempSync(join(tmpdir(), 'ncscope-table-'));
const path = join(dir, 'embeddings.parquet');
const species = ['owl', 'cat', 'owl', 'bee', 'cat', 'owl'];
writeFileSync(path, new Uint8Array(parquetWriteBuffer({
  columnData: [{ name: 'emb', data: species.map((s, i) => [s.length + i, i % 2, -i / 2]) }, { name: 'species', data: species }],
  schema: [
    { name: 'root', num_children: 2 },
    { name: 'emb', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: 'FLOAT', repetition_type: 'OPTIONAL' },
    { name: 'species', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  ],
  rowGroupSize: 4,
})));

const table = await openTable(path, { featuresColumn: 'emb', labelsColumn: 'species' });
console.log(`${table.rows} rows in row groups ${table.file.chunks.map(([s, e]) => `${s}..${e - 1}`).join(', ')}; D = ${table.features!.D}`);
console.log('labels', Array.from(await table.readLabels()).join(' '), '| classes', table.labels!.classes!.join(', '));
for await (const b of table.batches(0, table.rows, 3)) console.log(`rows ${b.start}..${b.start + b.rows - 1}:`, Array.from(b.features!).join(' '));
await table.close();
rmSync(dir, { recursive: true });
