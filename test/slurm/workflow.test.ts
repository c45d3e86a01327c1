/**
 * docs/sharded-statistics.md's Slurm workflows on a real one-node Slurm cluster (munged, slurmctld and slurmd
 * started by test/slurm/cluster.sh): the sbatch scripts and the submission commands are read from the document
 * itself, so the document cannot drift from what runs. Each workflow runs as 8-task arrays chained with
 * `afterok` dependencies, and its report must equal one `ncscope analyze` of the same data (1e-9 relative).
 *
 * The only edits to the document's text: the data folder (`/shared/project/nc` → a temporary folder) and, in the
 * features workflow, `--classes 1000` → the test data's K. `ncscope` is the built CLI of this checkout (a shim on
 * PATH; `npm run build` first).
 *
 * Run with `npm run test:slurm` (as root, with Debian's slurm-wlm and munge; CI installs them).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy, mulberry32 } from '@ncscope/core';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const DOC = join(ROOT, 'docs', 'sharded-statistics.md');
const CLUSTER = join(ROOT, 'test', 'slurm', 'cluster.sh');
const DOC_DATA = '/shared/project/nc';

const work = mkdtempSync(join(tmpdir(), 'ncscope-slurm-'));
chmodSync(work, 0o755); // munged runs as the munge user and must reach the cluster folder
const clusterDir = join(work, 'cluster');
const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: join(clusterDir, 'slurm.conf'), PATH: `${join(work, 'bin')}:${process.env.PATH}` };

/** The first fenced block of `lang` after `heading` (a line of the document), and the first `sh` block after that. */
export function slurmBlocks(doc: string, heading: string): { script: string; submit: string } {
  const at = doc.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`${DOC}: no heading "${heading}"`);
  const rest = doc.slice(at);
  const fence = (lang: string, from: number) => {
    const open = rest.indexOf('\n```' + lang + '\n', from);
    if (open < 0) throw new Error(`${DOC}: no \`\`\`${lang} block after "${heading}"`);
    const start = open + lang.length + 5;
    const end = rest.indexOf('\n```', start);
    return { text: rest.slice(start, end + 1), end };
  };
  const script = fence('bash', 0);
  const submit = fence('sh', script.end);
  return { script: script.text, submit: submit.text };
}

function sh(command: string, cwd: string): string {
  const r = spawnSync('bash', ['-euo', 'pipefail', '-c', command], { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command}\nexit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function jobState(id: string): string {
  const out = spawnSync('scontrol', ['show', 'job', id], { env, encoding: 'utf8' }).stdout ?? '';
  const state = /JobState=(\S+)/.exec(out)?.[1] ?? 'UNKNOWN';
  const reason = /Reason=(\S+)/.exec(out)?.[1] ?? '';
  return reason === 'DependencyNeverSatisfied' ? 'NEVER' : state;
}

/** Runs a document workflow in `dir` and waits for its last job; returns the seconds it took. */
async function runWorkflow(dir: string, blocks: { script: string; submit: string }, edit: (s: string) => string): Promise<number> {
  const t0 = performance.now();
  writeFileSync(join(dir, 'ncscope.sbatch'), edit(blocks.script));
  const out = sh(edit(blocks.submit), dir);
  const ids = [...out.matchAll(/Submitted batch job (\d+)/g)].map((m) => m[1]);
  const last = ids.length > 0 ? ids[ids.length - 1] : out.trim().split('\n').pop()!.trim();
  for (;;) {
    const s = jobState(last);
    if (s === 'COMPLETED') break;
    if (['FAILED', 'CANCELLED', 'TIMEOUT', 'NEVER', 'OUT_OF_MEMORY', 'NODE_FAIL'].includes(s)) {
      const logs = readdirSync(dir).filter((f) => f.endsWith('.out')).map((f) => `--- ${f}\n${readFileSync(join(dir, f), 'utf8')}`).join('\n');
      throw new Error(`job ${last} ended ${s}\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return (performance.now() - t0) / 1000;
}

function ncscope(args: string[], cwd: string): string {
  return execFileSync('node', [join(ROOT, 'packages/cli/bin/ncscope.js'), ...args], { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 });
}

/** Every metric of `got` equals `want` to 1e-9 relative (absolute floor 1e-12); nulls match nulls. */
function expectSameMetrics(got: Record<string, unknown>, want: Record<string, unknown>): void {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [k, w] of Object.entries(want)) {
    const g = got[k];
    if (typeof w !== 'number') {
      expect(g, k).toEqual(w);
      continue;
    }
    expect(typeof g, k).toBe('number');
    expect(Math.abs((g as number) - w), `${k}: ${g} vs ${w}`).toBeLessThanOrEqual(1e-9 * Math.abs(w) + 1e-12);
  }
}

const doc = readFileSync(DOC, 'utf8');
const timings: Record<string, number> = {};

beforeAll(() => {
  if (!existsSync(join(ROOT, 'packages/cli/dist/main.js'))) throw new Error('build first: npm run build');
  mkdirSync(join(work, 'bin'));
  const shim = join(work, 'bin', 'ncscope');
  writeFileSync(shim, `#!/bin/sh\nexec node ${JSON.stringify(join(ROOT, 'packages/cli/bin/ncscope.js'))} "$@"\n`);
  chmodSync(shim, 0o755);
  const t0 = performance.now();
  execFileSync(CLUSTER, ['start', clusterDir], { env, stdio: 'inherit' });
  timings.clusterStart = (performance.now() - t0) / 1000;
}, 60_000);

afterAll(() => {
  spawnSync(CLUSTER, ['stop', clusterDir], { env, stdio: 'inherit' });
  console.log(`slurm timings (s): ${JSON.stringify(timings)}`);
  rmSync(work, { recursive: true, force: true });
});

describe('docs/sharded-statistics.md on a real Slurm cluster', () => {
  it('the features workflow: 8-task means and spread arrays, merges and the report equal one analyze', async () => {
    const dir = join(work, 'features');
    const data = join(dir, 'data');
    mkdirSync(join(data, 'stats'), { recursive: true });
    // Features with structure: K class centres plus noise; a classifier W, b near the means.
    const N = 3000;
    const D = 48;
    const K = 12;
    const r = mulberry32(11);
    const centres = Array.from({ length: K * D }, () => r() * 4 - 2);
    const x = new Float32Array(N * D);
    const y = new Int32Array(N);
    for (let i = 0; i < N; i++) {
      y[i] = Math.floor(r() * K);
      for (let d = 0; d < D; d++) x[i * D + d] = centres[y[i] * D + d] + (r() - 0.5) * 3;
    }
    const W = Float32Array.from({ length: K * D }, (_, i) => centres[i] + (r() - 0.5) * 0.5);
    const b = Float32Array.from({ length: K }, () => r() - 0.5);
    writeFileSync(join(data, 'features.npy'), encodeNpy(x, [N, D]));
    writeFileSync(join(data, 'labels.npy'), encodeNpy(y, [N]));
    writeFileSync(join(data, 'W.npy'), encodeNpy(W, [K, D]));
    writeFileSync(join(data, 'b.npy'), encodeNpy(b, [K]));

    const blocks = slurmBlocks(doc, '## Slurm: one script, four submissions');
    expect(blocks.script).toContain('--classes 1000');
    const edit = (s: string) => s.replaceAll(DOC_DATA, data).replaceAll('--classes 1000', `--classes ${K}`);
    timings.featuresWorkflow = await runWorkflow(dir, blocks, edit);

    const report = JSON.parse(readFileSync(join(data, 'report.json'), 'utf8')) as { N: number; K: number; metrics: Record<string, unknown> };
    const one = JSON.parse(ncscope(['analyze', '--features', join(data, 'features.npy'), '--labels', join(data, 'labels.npy'), '--weights', join(data, 'W.npy'), '--bias', join(data, 'b.npy'), '--json'], dir)) as typeof report;
    expect([report.N, report.K]).toEqual([N, K]);
    expectSameMetrics(report.metrics, one.metrics);
    // Eight means shards and eight spread shards were written, one per array task.
    expect(readdirSync(join(data, 'stats')).filter((f) => /^means-\d+\.json$/.test(f))).toHaveLength(8);
    expect(readdirSync(join(data, 'stats')).filter((f) => /^spread-\d+\.json$/.test(f))).toHaveLength(8);
  }, 600_000);
});
