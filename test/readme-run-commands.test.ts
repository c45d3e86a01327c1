/**
 * A README's Run block works in the order it is written: the first `ncscope report` of the multi-label example reads
 * the file its quick run writes (it read the 30-minute full run's file, which a reader following the block has not got).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('examples/multi-label/README.md', () => {
  it('the Run block reports on the quick run\'s file, the one the first command writes', () => {
    const readme = readFileSync(join(root, 'examples/multi-label/README.md'), 'utf8');
    const run = /## Run\n\n```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(run, 'the ## Run code block').toBeDefined();
    const lines = run!.split('\n').filter((l) => l.trim());
    const main = readFileSync(join(root, 'examples/multi-label/main.ts'), 'utf8');
    // main.ts: `runs/multi-label-${mode}.jsonl` with mode 'quick' under --quick.
    const pattern = /`(runs\/multi-label-)\$\{mode\}(\.jsonl)`/.exec(main);
    expect(pattern, 'main.ts names its output runs/multi-label-${mode}.jsonl').not.toBeNull();
    const quickFile = `${pattern![1]}quick${pattern![2]}`;
    expect(lines[0]).toMatch(/main\.ts --quick/);
    const firstReport = lines.find((l) => /ncscope report /.test(l));
    expect(firstReport).toMatch(new RegExp(`ncscope report ${quickFile.replace(/[.]/g, '\\.')} `));
  });
});
