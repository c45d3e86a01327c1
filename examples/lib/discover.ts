/** The examples that register generated outputs (a tables.ts in their folder), loaded for `npm run tables` and its test. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ExampleOutputs } from './outputs.js';

/** Every examples/NAME folder with a tables.ts, sorted by name, with its default export. */
export async function loadExampleOutputs(examplesDir: string, only?: readonly string[]): Promise<{ example: string; dir: string; outputs: ExampleOutputs }[]> {
  const names = readdirSync(examplesDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(examplesDir, e.name, 'tables.ts')))
    .map((e) => e.name)
    .sort();
  const unknown = (only ?? []).filter((n) => !names.includes(n));
  if (unknown.length) throw new Error(`no examples/${unknown.join(', examples/')} with a tables.ts (examples with one: ${names.join(', ')})`);
  const out = [];
  for (const example of names) {
    if (only?.length && !only.includes(example)) continue;
    const dir = join(examplesDir, example);
    const mod = (await import(pathToFileURL(join(dir, 'tables.ts')).href)) as { default?: ExampleOutputs };
    if (!mod.default) throw new Error(`examples/${example}/tables.ts has no default export (export default defineOutputs({ … }))`);
    out.push({ example, dir, outputs: mod.default });
  }
  return out;
}
