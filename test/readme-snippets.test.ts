/**
 * README snippets are real code: every `<!-- snippet: relative/path.ts -->` marker in a package or example README
 * must be followed by a code block identical to that file, and the file must run (exit code 0). When the README
 * shows the output ("Output:" and a code block right after the snippet), the file must print exactly that — so
 * a quick start whose numbers change from run to run (an unseeded initializer, shuffling) fails here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readmeSnippets } from './helpers/readme.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const snippets = readmeSnippets(root);

describe('README snippets', () => {
  it('finds the snippets; every package quick start shows its output', () => {
    expect(snippets.length).toBeGreaterThan(0);
    const quickstarts = snippets.filter((s) => /packages\/[^/]+\/examples\/quickstart\.ts$/.test(s.file));
    expect(quickstarts.map((s) => s.file.slice(root.length + 1)).sort()).toEqual(
      readdirSync(join(root, 'packages')).filter((p) => existsSync(join(root, 'packages', p, 'examples/quickstart.ts'))).map((p) => `packages/${p}/examples/quickstart.ts`).sort(),
    );
    for (const q of quickstarts) expect(q.output, `${q.readme}: no "Output:" block after the quick start`).toBeDefined();
  });
  for (const s of snippets) {
    const name = `${s.readme.slice(root.length + 1)} → ${s.file.slice(root.length + 1)}`;
    it(`${name} matches its file and runs`, () => {
      expect(s.block).toBe(readFileSync(s.file, 'utf8'));
      const stdout = execFileSync(process.execPath, ['--conditions=@ncscope/source', '--import', 'tsx', s.file], { cwd: root, stdio: 'pipe', timeout: 60_000, encoding: 'utf8' });
      if (s.output !== undefined) expect(stdout).toBe(s.output);
    });
  }
});
