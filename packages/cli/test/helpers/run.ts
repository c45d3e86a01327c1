import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseNpy } from '@ncscope/core';
import { readFileSync } from 'node:fs';
import { main } from '../../src/main.js';

/** test/fixtures/golden at the repository root. */
export const GOLDEN = fileURLToPath(new URL('../../../../test/fixtures/golden/', import.meta.url));

/** Runs `ncscope <args>` in-process, capturing stdout and stderr. */
export async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const outWrite = process.stdout.write;
  const errWrite = process.stderr.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(['node', 'ncscope', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = outWrite;
    process.stderr.write = errWrite;
  }
}

export { tempDir } from '../../../io/test/helpers/temp-dir.js';

/** A golden array, parsed with core's in-memory parser. */
export function goldenArray(set: 'balanced' | 'imbalanced', name: 'features' | 'labels' | 'weights' | 'bias') {
  return parseNpy(new Uint8Array(readFileSync(join(GOLDEN, set, `${name}.npy`))), name);
}

/** Golden expected values, snake_case keys. */
export function goldenExpected(set: 'balanced' | 'imbalanced', which: 'class-mean' | 'sample-mean' | 'rhubarbwu'): Record<string, number> {
  return JSON.parse(readFileSync(join(GOLDEN, set, `expected-${which}.json`), 'utf8'));
}

/** snake_case → camelCase (golden keys → CLI keys). */
export function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
