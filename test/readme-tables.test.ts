/**
 * README tables and figures are generated: every region between `<!-- table:NAME -->` and `<!-- /table:NAME -->` in
 * an example's README, and every figure its tables.ts registers, must equal what `npm run tables` produces from the
 * committed result files. A hand-edited number or a result file committed without `npm run tables` fails here.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadExampleOutputs } from '../examples/lib/discover.js';
import { defineOutputs, readRegions, renderExample, replaceRegions } from '../examples/lib/outputs.js';
import { hasResult, readResults, resultPath, writeResult } from '../examples/lib/results.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const examples = await loadExampleOutputs(join(root, 'examples'));

describe('README tables are what the result files give', () => {
  it('every README with generated regions has a tables.ts that generates them', () => {
    const registered = new Set(examples.map((e) => e.example));
    const withRegions = readdirSync(join(root, 'examples'), { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== 'lib' && existsSync(join(root, 'examples', e.name, 'README.md'))) // lib's README shows the markers as a how-to
      .filter((e) => readRegions(readFileSync(join(root, 'examples', e.name, 'README.md'), 'utf8')).length > 0)
      .map((e) => e.name);
    expect(withRegions.filter((n) => !registered.has(n))).toEqual([]);
  });
  for (const { example, dir, outputs } of examples) {
    it(`examples/${example}`, async () => {
      const r = await renderExample(dir, example, outputs);
      expect(r.readmeNow, `examples/${example}/README.md is out of date: run npm run tables`).toBe(r.readmeExpected);
      for (const f of r.figures) expect(f.now, `${f.path} is out of date: run npm run tables`).toBe(f.expected);
    });
  }
});

describe('the table mechanism', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ncscope-tables-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads and replaces regions, keeping the markers and the text around them', () => {
    const text = 'intro\n<!-- table:a -->\nold a\n<!-- /table:a -->\nmiddle\n<!-- table:b -->\n<!-- /table:b -->\nend\n';
    expect(readRegions(text)).toEqual([{ name: 'a', content: 'old a\n' }, { name: 'b', content: '' }]);
    expect(replaceRegions(text, { a: 'new a', b: 'x\ny\n\n' })).toBe('intro\n<!-- table:a -->\nnew a\n<!-- /table:a -->\nmiddle\n<!-- table:b -->\nx\ny\n<!-- /table:b -->\nend\n');
  });
  it('refuses unclosed, repeated, nested and stray markers', () => {
    expect(() => readRegions('<!-- table:a -->\nx\n')).toThrow(/no closing/);
    expect(() => readRegions('<!-- table:a -->\n<!-- /table:a -->\n<!-- table:a -->\n<!-- /table:a -->')).toThrow(/twice/);
    expect(() => readRegions('<!-- table:a -->\n<!-- table:b -->\n<!-- /table:b -->\n<!-- /table:a -->')).toThrow(/another marker/);
    expect(() => readRegions('x <!-- /table:z -->')).toThrow(/closes no region/);
  });
  it('a README region without a generator, or a generator without a region, is an error', async () => {
    writeFileSync(join(dir, 'README.md'), '<!-- table:t -->\n<!-- /table:t -->\n');
    await expect(renderExample(dir, 'x', defineOutputs({}))).rejects.toThrow(/no generator/);
    await expect(renderExample(dir, 'x', defineOutputs({ tables: { t: () => 'a', u: () => 'b' } }))).rejects.toThrow(/no "<!-- table:NAME -->" region/);
    const r = await renderExample(dir, 'x', defineOutputs({ tables: { t: () => 'a' }, figures: { 'f.svg': () => '<svg/>' } }));
    expect(r.readmeExpected).toBe('<!-- table:t -->\na\n<!-- /table:t -->\n');
    expect(r.figures).toEqual([{ path: join(dir, 'figures', 'f.svg'), now: undefined, expected: '<svg/>\n' }]);
  });
  it('result files: written whole, read back sorted, skipped when present, run ids checked', () => {
    const common = { example: 'x', protocol: { lr: 0.1 }, machine: { cpus: 2, cpuModel: 'm', platform: 'linux', node: 'v20', load1: 0.5 }, seconds: 1.5, cpuSeconds: 1.2 };
    expect(hasResult(dir, 'grid/b-s1')).toBe(false);
    writeResult(dir, { ...common, run: 'grid/b-s1', seed: 1, result: { nc1: 0.123456789 } });
    writeResult(dir, { ...common, run: 'grid/a-s2', seed: 2, result: { nc1: 1 / 3 } });
    writeResult(dir, { ...common, run: 'other', seed: null, result: {} });
    expect(hasResult(dir, 'grid/b-s1')).toBe(true);
    const grid = readResults<{ nc1: number }>(dir, 'grid/');
    expect(grid.map((r) => [r.run, r.seed, r.result.nc1])).toEqual([['grid/a-s2', 2, 0.333333], ['grid/b-s1', 1, 0.123457]]);
    expect(readResults(dir).length).toBe(3);
    expect(() => resultPath(dir, '../escape')).toThrow(/run id/);
    writeFileSync(resultPath(dir, 'other'), JSON.stringify({ schema: 'x', run: 'other' }));
    expect(() => readResults(dir)).toThrow(/not a result file/);
  });
});
