/**
 * `npm run bench [-- topic …]`: runs every bench/<topic>.bench.ts (or the named ones) in its own Node process,
 * so each starts with a clean heap and its peak-memory figure is its own.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace(/\.bench\.ts$/, '')).sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${all.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const topic of wanted.length ? wanted : all) {
  console.log(`\n=== ${topic} ===`);
  const r = spawnSync(process.execPath, ['--conditions=@ncscope/source', '--import', 'tsx', '--expose-gc', join(here, `${topic}.bench.ts`)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
