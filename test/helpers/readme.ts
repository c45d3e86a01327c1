/**
 * README snippets: a `<!-- snippet: relative/path.ts -->` marker followed by a ```ts block (the file's exact text)
 * and, optionally, "Output:" and a code block (what the file prints). Used by readme-snippets.test.ts (the repo)
 * and packaging.test.ts (the packed tarballs).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface Snippet {
  readme: string;
  /** Absolute path of the snippet's file. */
  file: string;
  /** The code block shown in the README. */
  block: string;
  /** The "Output:" block after it, if the README shows one. */
  output?: string;
}

const marker = /<!-- snippet: ([^ ]+) -->\s*```(?:ts|typescript)\n([\s\S]*?)```[ \t]*\n(?:\s*Output:\s*\n\s*```[a-z]*\n([\s\S]*?)```)?/g;

/** The READMEs of the repository: the root's, and each package's and example's. */
export function readmeFiles(root: string): string[] {
  return [
    join(root, 'README.md'),
    ...['packages', 'examples'].flatMap((dir) => (existsSync(join(root, dir)) ? readdirSync(join(root, dir)).map((d) => join(root, dir, d, 'README.md')) : [])),
  ].filter(existsSync);
}

/** Every snippet of every README under `root`. */
export function readmeSnippets(root: string): Snippet[] {
  return readmeFiles(root).flatMap((readme) =>
    [...readFileSync(readme, 'utf8').matchAll(marker)].map((m) => ({ readme, file: resolve(dirname(readme), m[1]), block: m[2], output: m[3] as string | undefined })),
  );
}
