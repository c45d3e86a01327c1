/**
 * sharp, hyparquet (+ compressors) and apache-arrow are loaded on first use only (dynamic `import()`), never by
 * importing a module of this package, so a command that reads no image or table does not pay for them at start.
 * (The CLI's start test checks sharp, which is CommonJS, in the module cache; the ES-module libraries are checked
 * here in the sources.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

describe('heavy libraries load lazily', () => {
  it('no module of @ncscope/io imports sharp, hyparquet or apache-arrow statically (type-only imports are erased)', () => {
    const offenders: string[] = [];
    for (const f of files(SRC)) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'(sharp|hyparquet|hyparquet-compressors|apache-arrow)'/gm)) offenders.push(`${f.slice(SRC.length)}: ${m[0]}`);
    }
    expect(offenders).toEqual([]);
  });
});
