/**
 * README snippets are real code: every `<!-- snippet: relative/path.ts -->` marker in a package or example README
 * must be followed by a code block identical to that file, and the file must run (exit code 0).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const readmes = [
  join(root, 'README.md'),
  ...['packages', 'examples'].flatMap((dir) =>
    existsSync(join(root, dir)) ? readdirSync(join(root, dir)).map((d) => join(root, dir, d, 'README.md')) : [],
  ),
].filter(existsSync);

const marker = /<!-- snippet: ([^ ]+) -->\s*```(?:ts|typescript)\n([\s\S]*?)```/g;
const snippets = readmes.flatMap((readme) =>
  [...readFileSync(readme, 'utf8').matchAll(marker)].map((m) => ({ readme, file: resolve(dirname(readme), m[1]), block: m[2] })),
);

describe('README snippets', () => {
  it('finds the snippets', () => {
    expect(snippets.length).toBeGreaterThan(0);
  });
  for (const s of snippets) {
    const name = `${s.readme.slice(root.length + 1)} → ${s.file.slice(root.length + 1)}`;
    it(`${name} matches its file and runs`, () => {
      expect(s.block).toBe(readFileSync(s.file, 'utf8'));
      execFileSync(process.execPath, ['--conditions=@ncscope/source', '--import', 'tsx', s.file], { cwd: root, stdio: 'pipe', timeout: 60_000 });
    });
  }
});
