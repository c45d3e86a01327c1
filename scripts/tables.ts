/**
 * npm run tables [-- --check] [example …]
 *
 * Regenerates every research example's README tables and figures from its committed result files
 * (examples/NAME/tables.ts says what; examples/lib/outputs.ts says how). With --check, writes nothing and exits 1
 * when a README region or a figure differs from what its results give (test/readme-tables.test.ts does the same).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadExampleOutputs } from '../examples/lib/discover.js';
import { renderExample } from '../examples/lib/outputs.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({ options: { check: { type: 'boolean', default: false } }, allowPositionals: true });
const stale: string[] = [];
let written = 0;
/** A README or tables.ts that does not fit the mechanism: its message, no stack. */
function fail(error: unknown): never {
  console.error(`npm run tables: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
const examples = await loadExampleOutputs(join(root, 'examples'), positionals).catch(fail);
for (const { example, dir, outputs } of examples) {
  const r = await renderExample(dir, example, outputs).catch(fail);
  if (r.readmeExpected !== r.readmeNow) {
    stale.push(relative(root, r.readme));
    if (!values.check) writeFileSync(r.readme, r.readmeExpected);
  }
  for (const f of r.figures) {
    if (f.now === f.expected) continue;
    stale.push(relative(root, f.path));
    if (!values.check) {
      mkdirSync(dirname(f.path), { recursive: true });
      writeFileSync(f.path, f.expected);
    }
  }
  written++;
}
if (values.check) {
  if (stale.length) {
    console.error(`out of date (run npm run tables): ${stale.join(', ')}`);
    process.exit(1);
  }
  console.log(`${written} examples: every README table and figure matches its result files`);
} else {
  console.log(stale.length ? `rewrote ${stale.join(', ')}` : `${written} examples: nothing to rewrite`);
}
