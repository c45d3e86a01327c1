import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { simulateUfm } from '@ncscope/ufm';
import { readRuns } from '../src/html/index.js';
import { runCli, tempDir } from './helpers/run.js';

const dirs: { cleanup(): void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));
function scratch() {
  const d = tempDir();
  dirs.push(d);
  return d;
}

const BASE = ['ufm', '--classes', '4', '--dim', '5', '--per-class', '3'];

describe('ncscope ufm', () => {
  it('--json prints the run: converged, iterations, finalLoss, metrics, logits, norms, closedForm — the simulator\'s numbers', async () => {
    const run = await runCli([...BASE, '--loss', 'ls', '--alpha', '0.2', '--lambda-w', '2e-3', '--bias', 'free', '--seed', '3', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    for (const key of ['converged', 'iterations', 'finalLoss', 'metrics', 'logits', 'norms', 'closedForm']) expect(json).toHaveProperty(key);
    const direct = await simulateUfm({ K: 4, D: 5, n: 3, loss: { kind: 'ls', alpha: 0.2 }, lambdaW: 2e-3, bias: 'free', seed: 3 });
    expect(json.loss).toBe('LS (α = 0.2)');
    expect(json.converged).toBe(true);
    expect(json.iterations).toBe(direct.iterations);
    expect(json.finalLoss).toBe(direct.finalLoss);
    expect(json.metrics).toEqual(direct.report.metrics);
    expect(json.logits).toEqual(direct.logits);
    expect(json.norms).toEqual(direct.norms);
    expect(json.closedForm.logits.trueMean).toBeCloseTo(json.logits.trueMean, 8);
    expect(json.closedForm.structure).toBe('simplex ETF');
  });

  it('a closed form of null where the papers give none (extended model), and both layers', async () => {
    const run = await runCli([...BASE, '--loss', 'mse', '--bias', 'none', '--extended', '--json']);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json.closedForm).toBeNull();
    expect(Object.keys(json.layers).sort()).toEqual(['H', 'σ(W₁H)']);
  });

  it('--loss ce,ls,fl,mse prints one comparison table; --jsonl writes every run for `ncscope report`', async () => {
    const d = scratch();
    const jsonl = join(d.dir, 'ufm.jsonl');
    const run = await runCli([...BASE, '--loss', 'ce,ls,fl,mse', '--jsonl', jsonl, '--every', '20', '--hessian']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    const header = lines.findIndex((l) => /^\s+loss\s+conv\s+iters/.test(l));
    expect(header).toBeGreaterThan(0);
    expect(lines[header]).toMatch(/κ\(Hessian\)/);
    expect(lines.slice(header + 1, header + 5).map((l) => l.trim().split(/\s{2,}/)[0])).toEqual(['CE', 'LS (α = 0.1)', 'FL (γ = 2)', 'MSE']);
    expect(run.stdout).toMatch(/wrote .*ufm\.jsonl: \d+ measurements/);
    const runs = await readRuns([jsonl]);
    expect(runs.map((r) => r.name)).toEqual(['ufm CE', 'ufm LS (α = 0.1)', 'ufm FL (γ = 2)', 'ufm MSE']);
    for (const r of runs) {
      expect(r.measurements[0].step).toBe(0);
      expect(r.measurements.every((m, i) => i === 0 || m.step > r.measurements[i - 1].step)).toBe(true);
      expect(r.measurements[r.measurements.length - 1].metrics.nc1!).toBeLessThan(1e-12);
    }
    const html = join(d.dir, 'ufm.html');
    const report = await runCli(['report', jsonl, '-o', html]);
    expect(report.code).toBe(0);
    expect(readFileSync(html, 'utf8')).toMatch(/<svg/);
  });

  it('--graph p,q --graph-regular: the graph UFM on a regular SBM collapses exactly; layers H and HÂ', async () => {
    const run = await runCli(['ufm', '--classes', '3', '--dim', '4', '--per-class', '8', '--loss', 'ce', '--bias', 'none', '--graph', '0.5,0.25', '--graph-regular', '--json']);
    expect(run.stderr).toBe('');
    const json = JSON.parse(run.stdout);
    expect(Object.keys(json.layers).sort()).toEqual(['H', 'HÂ']);
    expect(json.layers.H.nc1).toBeLessThan(1e-12);
    expect(json.closedForm).toBeNull();
  });

  it('--json with several losses prints an array', async () => {
    const run = await runCli([...BASE, '--loss', 'ce,mse', '--json']);
    const json = JSON.parse(run.stdout);
    expect(json.map((j: { loss: string }) => j.loss)).toEqual(['CE', 'MSE']);
  });

  it('text output: the simulated quantities beside the closed form, and the metric table', async () => {
    const run = await runCli(['ufm', '--classes', '4', '--dim', '5', '--counts', '6,6,2,1', '--loss', 'mse', '--bias', 'none']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/counts 6,6,2,1 \(N = 15\)/);
    expect(run.stdout).toMatch(/true-class logit \(mean\)\s+\S+\s+\S+/);
    expect(run.stdout).toMatch(/NC1\s+\S+\s+Tr\(Σ_W Σ_B⁺\)\/K/);
    expect(run.stdout).toMatch(/minority collapse \(ratio 6\)/);
  });

  const errors: [string, string[], RegExp][] = [
    ['an unknown loss', ['--loss', 'hinge'], /unknown loss 'hinge'/],
    ['a loss named twice', ['--loss', 'ce,ce'], /names a loss twice/],
    ['--alpha without ls', ['--loss', 'ce', '--alpha', '0.1'], /--alpha applies to --loss ls/],
    ['α out of range', ['--loss', 'ls', '--alpha', '1'], /expected a number in \[0, 1\)/],
    ['--step without gd', ['--loss', 'ce', '--step', '0.1'], /--step needs --optimizer gd/],
    ['--tau-h without --normalized', ['--loss', 'ce', '--tau-h', '2'], /apply to --normalized/],
    ['a bad bias', ['--loss', 'ce', '--bias', 'learned'], /choose one of none, regularized, free/],
    ['two variants', ['--loss', 'ce', '--normalized', '--extended'], /cannot be combined/],
    ['CE without weight decay', ['--loss', 'ce', '--lambda-w', '0'], /no minimizer/],
    ['CE without weight decay after a valid MSE run', ['--loss', 'mse,ce', '--lambda-w', '0'], /no minimizer/],
    ['a bad graph', ['--loss', 'ce', '--graph', '0.5'], /expected p,q/],
    ['--graph-regular without --graph', ['--loss', 'ce', '--graph-regular'], /apply to --graph p,q/],
  ];
  for (const [what, args, message] of errors) {
    it(`refuses ${what} with one line on stderr, exit 2, nothing written`, async () => {
      const d = scratch();
      const jsonl = join(d.dir, 'out.jsonl');
      const run = await runCli([...BASE, ...args, '--jsonl', jsonl]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(jsonl)).toBe(false);
    });
  }

  it('refuses counts that do not match --classes', async () => {
    const run = await runCli(['ufm', '--classes', '3', '--dim', '3', '--counts', '2,2', '--loss', 'ce']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--counts lists 2 classes but --classes is 3/);
  });
});
