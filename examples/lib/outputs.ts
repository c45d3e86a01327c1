/**
 * How an example registers what `npm run tables` generates from its result files.
 *
 * An example folder with generated content has a `tables.ts` whose default export is `defineOutputs({...})`:
 * - `tables`: README regions by name. Each is written between `<!-- table:NAME -->` and `<!-- /table:NAME -->`
 *   in the example's README.md (the markers stay; everything between them is replaced by what the function returns).
 * - `figures`: SVG files by name, written to the example's `figures/` folder (the README links them as images).
 *
 * Every function reads only the example's result files (`readResults`), never a training: `npm run tables` takes
 * seconds, and `test/readme-tables.test.ts` fails when a README region or a figure differs from what they return.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What one example generates. */
export interface ExampleOutputs {
  /** README regions: name → markdown (a table, a fenced block, a sentence with numbers). */
  tables?: Record<string, () => string>;
  /** Figures: file name (ending in .svg) → SVG text, written to the example's figures/ folder. */
  figures?: Record<string, () => string | Promise<string>>;
}

/** Identity function that types an example's outputs (the default export of its tables.ts). */
export function defineOutputs(outputs: ExampleOutputs): ExampleOutputs {
  return outputs;
}

/** One generated region of a README: its name and the text between its markers. */
export interface Region {
  name: string;
  /** The text between the end of the opening marker's line and the start of the closing marker. */
  content: string;
}

const opening = /<!-- table:([A-Za-z0-9_-]+) -->\n/g;

/** The generated regions of a README's text, in order. Unclosed, nested or repeated markers are errors. */
export function readRegions(text: string, file = 'README.md'): Region[] {
  const regions: Region[] = [];
  const seen = new Set<string>();
  for (const m of text.matchAll(opening)) {
    const name = m[1];
    if (seen.has(name)) throw new Error(`${file}: the region "${name}" appears twice`);
    seen.add(name);
    const start = m.index + m[0].length;
    const close = `<!-- /table:${name} -->`;
    const end = text.indexOf(close, start);
    if (end < 0) throw new Error(`${file}: "<!-- table:${name} -->" has no closing "${close}"`);
    const inner = text.slice(start, end);
    const nested = /<!-- \/?table:/.exec(inner);
    if (nested) throw new Error(`${file}: the region "${name}" contains another marker (${inner.slice(nested.index, nested.index + 30)}…)`);
    regions.push({ name, content: inner });
  }
  const closings = [...text.matchAll(/<!-- \/table:([A-Za-z0-9_-]+) -->/g)].map((m) => m[1]);
  for (const name of closings) if (!seen.has(name)) throw new Error(`${file}: "<!-- /table:${name} -->" closes no region`);
  return regions;
}

/** The README text with each named region's content replaced (a region's content always ends with one newline). */
export function replaceRegions(text: string, contents: Record<string, string>, file = 'README.md'): string {
  const regions = readRegions(text, file);
  let out = text;
  for (const { name } of regions) {
    if (!(name in contents)) continue;
    const open = `<!-- table:${name} -->\n`;
    const close = `<!-- /table:${name} -->`;
    const start = out.indexOf(open) + open.length;
    const end = out.indexOf(close, start);
    out = out.slice(0, start) + ensureNewline(contents[name]) + out.slice(end);
  }
  return out;
}

/** The text with exactly one trailing newline. */
export function ensureNewline(text: string): string {
  return `${text.replace(/\n+$/, '')}\n`;
}

/** Everything an example's outputs produce, and what its folder holds now. */
export interface RenderedExample {
  example: string;
  readme: string;
  /** README text now, and as it should be. */
  readmeNow: string;
  readmeExpected: string;
  /** figures/NAME → [text now (undefined if missing), expected text]. */
  figures: { path: string; now: string | undefined; expected: string }[];
}

/** Renders one example's outputs in memory, checking that README regions and registered tables match one to one. */
export async function renderExample(exampleDir: string, example: string, outputs: ExampleOutputs): Promise<RenderedExample> {
  const readme = join(exampleDir, 'README.md');
  const readmeNow = readFileSync(readme, 'utf8');
  const tables = outputs.tables ?? {};
  const names = readRegions(readmeNow, readme).map((r) => r.name);
  const unknown = names.filter((n) => !(n in tables));
  const unused = Object.keys(tables).filter((n) => !names.includes(n));
  if (unknown.length) throw new Error(`${readme}: region(s) ${unknown.join(', ')} have no generator in ${example}/tables.ts`);
  if (unused.length) throw new Error(`${example}/tables.ts: table(s) ${unused.join(', ')} have no "<!-- table:NAME -->" region in ${readme}`);
  const contents: Record<string, string> = {};
  for (const name of names) contents[name] = tables[name]();
  const figures: RenderedExample['figures'] = [];
  for (const [name, make] of Object.entries(outputs.figures ?? {})) {
    if (!/^[A-Za-z0-9_-]+\.svg$/.test(name)) throw new Error(`${example}/tables.ts: figure name "${name}" must be NAME.svg`);
    const path = join(exampleDir, 'figures', name);
    figures.push({ path, now: existsSync(path) ? readFileSync(path, 'utf8') : undefined, expected: ensureNewline(await make()) });
  }
  return { example, readme, readmeNow, readmeExpected: replaceRegions(readmeNow, contents, readme), figures };
}
