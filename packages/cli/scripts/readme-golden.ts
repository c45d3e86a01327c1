/**
 * npm run readme:cli [-- --check]
 *
 * The CLI README's "On the golden test set" block is the real output of `ncscope analyze` on
 * test/fixtures/golden/balanced, generated here (between the markers `<!-- golden-analyze -->` and
 * `<!-- /golden-analyze -->`), never typed. With --check, writes nothing and exits 1 when the block differs;
 * packages/cli/test/readme-golden.test.ts does the same check. Timings (read and compute seconds) are the only part
 * that may differ from run to run (the read and compute seconds, and the per-phase seconds in brackets) are left out
 * of the comparison.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/main.js';

/** The repository root (the paths in the block are relative to it, as a user in a clone types them). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const README = join(ROOT, 'packages', 'cli', 'README.md');
const START = '<!-- golden-analyze -->';
const END = '<!-- /golden-analyze -->';

const G = 'test/fixtures/golden/balanced';
/** The command the block shows, as typed. */
export const GOLDEN_ARGS = ['analyze', '--features', `${G}/features.npy`, '--labels', `${G}/labels.npy`, '--weights', `${G}/weights.npy`, '--bias', `${G}/bias.npy`];

/** Runs `ncscope <args>` in this process from the repository root and returns what it printed on stdout. */
async function stdoutOf(args: string[]): Promise<string> {
  const cwd = process.cwd();
  const write = process.stdout.write;
  let out = '';
  process.chdir(ROOT);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    const code = await main(['node', 'ncscope', ...args]);
    if (code !== 0) throw new Error(`ncscope ${args.join(' ')} exited with ${code}`);
  } finally {
    process.stdout.write = write;
    process.chdir(cwd);
  }
  return out;
}

/** The block as it should read now (a fenced text block: the command, then the output). */
export async function goldenBlock(): Promise<string> {
  const out = await stdoutOf(GOLDEN_ARGS);
  const [cmd, ...rest] = GOLDEN_ARGS;
  const command = `$ npx ncscope ${cmd} ${rest.slice(0, 4).join(' ')} \\\n    ${rest.slice(4).join(' ')}`;
  return `${START}\n\`\`\`text\n${command}\n${out.trimEnd()}\n\`\`\`\n${END}`;
}

/** The block now in the README (undefined without the markers). */
export function readmeBlock(text = readFileSync(README, 'utf8')): string | undefined {
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  return a < 0 || b < a ? undefined : text.slice(a, b + END.length);
}

/** Timings vary from run to run: compared without them. */
export function withoutTimings(block: string): string {
  return block
    .replace(/read \d+(\.\d+)? s · compute \d+(\.\d+)? s/g, 'read … s · compute … s')
    .replace(/\((means|read) [^)]*\d s\)/g, '(phase timings)');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check');
  const text = readFileSync(README, 'utf8');
  const now = readmeBlock(text);
  if (now === undefined) {
    console.error(`${README}: the markers ${START} … ${END} are missing`);
    process.exit(1);
  }
  const expected = await goldenBlock();
  if (withoutTimings(now) === withoutTimings(expected)) {
    console.log('packages/cli/README.md: the golden analyze output is current');
  } else if (check) {
    console.error('packages/cli/README.md: the golden analyze output is out of date (run npm run readme:cli)');
    process.exit(1);
  } else {
    writeFileSync(README, text.replace(now, expected));
    console.log('packages/cli/README.md: rewrote the golden analyze output');
  }
}
