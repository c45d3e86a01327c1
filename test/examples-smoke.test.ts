/**
 * The issue-12 examples run end to end in a tiny configuration (a few graphs / images, one or two epochs), print their
 * tables and write their JSONL — so a change in the libraries cannot silently break them. Their measured numbers
 * live in the examples' READMEs, from the real runs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'ncscope-examples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(script: string, args: string[]): string {
  return execFileSync(process.execPath, ['--conditions=@ncscope/source', '--import', 'tsx', join(root, script), ...args], { cwd: root, encoding: 'utf8', timeout: 110_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

function jsonl(path: string): { schema: string; layer: string; run: string }[] {
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

describe('examples (tiny configurations)', () => {
  it('gnn-sbm: trains on ordinary and regular SBM graphs, compares with the spectral method', () => {
    const out = join(dir, 'gnn.jsonl');
    const text = run('examples/gnn-sbm/main.ts', ['--seeds', '1', '--graphs', '2', '--nc-graphs', '1', '--test-graphs', '1', '--epochs', '2', '--every', '1', '--layers', '2', '--n', '40', '--p', '0.3', '--q', '0.05', '--spectral-steps', '8', '--backend', 'cpu', '--out', out]);
    expect(text).toMatch(/Every measured tensor after 2 epochs, ordinary SBM/);
    expect(text).toMatch(/NC1 across depth/);
    expect(text).toMatch(/condition gap\s+0\.\d+\s+0\.000/);
    const lines = jsonl(out);
    expect(new Set(lines.map((l) => l.run))).toEqual(new Set(['gnn-ordinary', 'gnn-regular']));
    expect(new Set(lines.map((l) => l.layer))).toEqual(new Set(['H1', 'H2', 'H2Â']));
  });

  it('deq: trains the DEQ and the explicit network on imbalanced MNIST and reports solver statistics', () => {
    const out = join(dir, 'deq.jsonl');
    const text = run('examples/deq/main.ts', ['--ratios', '10', '--seeds', '1', '--epochs', '2', '--every', '1', '--majority', '20', '--units', '16', '--test-per-class', '10', '--backend', 'cpu', '--out', out]);
    expect(text).toMatch(/minority cos\(w_k, w_l\)/);
    expect(text).toMatch(/DEQ solver in the last epoch/);
    expect(new Set(jsonl(out).map((l) => l.run))).toEqual(new Set(['deq-R10', 'explicit-R10']));
  });

  it('language-model: trains a causal transformer on the Brown corpus and measures token-level NC every epoch', () => {
    const text = run('examples/language-model/main.ts', ['--widths', '16', '--seeds', '1', '--epochs', '2', '--train-tokens', '800', '--test-tokens', '300', '--probe-windows', '24', '--min-count', '2', '--quick']);
    expect(text).toMatch(/Brown corpus: 50 training windows \(801 tokens/);
    expect(text).toMatch(/w16 s1 epoch 1: loss \d+\.\d+ val \d+\.\d+ \(acc \d\.\d+\) · CDNV \d+\.\d+ · NCC agreement \d\.\d+ · NC1 \d/);
    expect(text).toMatch(/w16 s1 epoch 2:/);
  });
});
