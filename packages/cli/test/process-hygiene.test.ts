/**
 * The CLI as a well-behaved Unix process: when the reader of stdout goes away (`ncscope analyze --json | head -c 10`)
 * it ends quietly with 141 (as a tool killed by SIGPIPE) instead of an unhandled EPIPE stack; a failure is one line
 * (`onnx --ep cuda` without the CUDA binaries printed onnxruntime's coloured multi-line log first).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli, type CliProcess } from './helpers/cli-process.js';
import { GOLDEN } from './helpers/run.js';

let cli: CliProcess;
beforeAll(async () => {
  cli = await bundleCli();
}, 60_000);
afterAll(() => cli?.cleanup());

const features = join(GOLDEN, 'balanced', 'features.npy');
const labels = join(GOLDEN, 'balanced', 'labels.npy');

describe('a closed stdout pipe', () => {
  it('analyze --json into a reader that has gone: exit 141, nothing on stderr', async () => {
    const child = spawn(process.execPath, [cli.entry, 'analyze', '--features', features, '--labels', labels, '--json', '--engine', 'js'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader closes its end before the report is written (what `| head -c 10` does once it has its bytes).
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(141);
  });
});

describe('one line per failure', () => {
  it('onnx --ep cuda without CUDA: exit 2, one line naming the model and the provider', async () => {
    const fx = (name: string) => join(GOLDEN, '..', '..', '..', 'packages', 'onnx', 'test', 'fixtures', name);
    const r = await cli.run(['onnx', fx('mlp-epoch01.onnx'), '--inputs', fx('mlp-inputs.npy'), '--labels', fx('mlp-labels.npy'), '--ep', 'cuda']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(/^ncscope: error: \S*mlp-epoch01\.onnx: onnxruntime cannot load the model: .*execution providers cuda/);
    expect(r.stderr).not.toMatch(/\x1b\[|provider_bridge/);
  });
});
