/**
 * docs/sharded-statistics.md's Slurm workflows on a real one-node Slurm cluster (munged, slurmctld and slurmd
 * started by test/slurm/cluster.sh): the sbatch scripts and the submission commands are read from the document
 * itself, so the document cannot drift from what runs. Each workflow runs as 8-task arrays chained with
 * `afterok` dependencies, and its report must equal one `ncscope analyze` of the same data (1e-9 relative).
 *
 * The only edits to the document's text: the data folder (`/shared/project/nc` → a temporary folder) and, in the
 * features workflow, `--classes 1000` → the test data's K. The model workflow runs a small CNN (input 3 × 224 × 224,
 * as the document's transform makes) on an image folder of PNG and JPEG files of mixed sizes. `ncscope` is the built CLI of this checkout (a shim on
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
import sharp from 'sharp';
import { encodeNpy, mulberry32 } from '@ncscope/core';
import { DataType, encodeModel, modelProto, nodeProto, tensorProto, valueInfoProto } from '@ncscope/onnx';

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
  const scriptName = /(\S+\.sbatch)\b/.exec(blocks.submit)?.[1];
  if (!scriptName) throw new Error(`no .sbatch script named in the submissions:\n${blocks.submit}`);
  writeFileSync(join(dir, scriptName), edit(blocks.script));
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

  it('the model workflow: a checkpoint on an image folder, sharded by images, equals one ncscope onnx', async () => {
    const dir = join(work, 'model');
    const data = join(dir, 'data');
    mkdirSync(join(data, 'stats-model'), { recursive: true });
    const r = mulberry32(12);
    // Four classes of 24 images (PNG and JPEG, sizes 40..80 × 30..60): class k brightens channel k % 3 with a
    // k-dependent stripe pattern, so the features separate partly.
    const K = 4;
    for (let k = 0; k < K; k++) {
      mkdirSync(join(data, 'val', `class-${k}`), { recursive: true });
      for (let i = 0; i < 24; i++) {
        const w = 40 + Math.floor(r() * 41);
        const h = 30 + Math.floor(r() * 31);
        const px = new Uint8Array(w * h * 3);
        for (let p = 0; p < w * h; p++) {
          const x = p % w;
          for (let c = 0; c < 3; c++) px[p * 3 + c] = Math.min(255, Math.floor(r() * 120 + (c === k % 3 ? 90 : 0) + ((x >> (k + 1)) % 2) * 40));
        }
        const img = sharp(px, { raw: { width: w, height: h, channels: 3 } });
        await (i % 3 === 0 ? img.jpeg({ quality: 85 }) : img.png()).toFile(join(data, 'val', `class-${k}`, `${i}.${i % 3 === 0 ? 'jpg' : 'png'}`));
      }
    }
    // A small CNN: Conv 3→16, 8 × 8 stride 8 → Relu → GlobalAveragePool → Flatten (D = 16) → Gemm → K logits.
    const C = 16;
    const convW = Float32Array.from({ length: C * 3 * 64 }, () => (r() - 0.5) * 0.2);
    const convB = Float32Array.from({ length: C }, () => (r() - 0.5) * 0.1);
    const fcW = Float32Array.from({ length: K * C }, () => (r() - 0.5) * 2);
    const fcB = Float32Array.from({ length: K }, () => (r() - 0.5) * 0.2);
    writeFileSync(join(data, 'checkpoint.onnx'), encodeModel(modelProto({
      node: [
        nodeProto('Conv', ['input', 'conv.weight', 'conv.bias'], ['conv'], { kernel_shape: [8, 8], strides: [8, 8] }),
        nodeProto('Relu', ['conv'], ['relu']),
        nodeProto('GlobalAveragePool', ['relu'], ['gap']),
        nodeProto('Flatten', ['gap'], ['features'], { axis: 1 }),
        nodeProto('Gemm', ['features', 'fc.weight', 'fc.bias'], ['logits'], { transB: 1 }),
      ],
      initializer: [tensorProto('conv.weight', [C, 3, 8, 8], convW), tensorProto('conv.bias', [C], convB), tensorProto('fc.weight', [K, C], fcW), tensorProto('fc.bias', [K], fcB)],
      input: [valueInfoProto('input', DataType.FLOAT, ['batch', 3, 224, 224])],
      output: [valueInfoProto('logits', DataType.FLOAT, ['batch', K])],
    }, 13)));

    const blocks = slurmBlocks(doc, '## Slurm: a checkpoint on an image folder');
    timings.modelWorkflow = await runWorkflow(dir, blocks, (s) => s.replaceAll(DOC_DATA, data));

    const report = JSON.parse(readFileSync(join(data, 'report-model.json'), 'utf8')) as { N: number; K: number; metrics: Record<string, unknown> };
    // One run of the whole folder, with the document's transform flags.
    const flags = /^IN="--images \$DATA\/val (.*)"$/m.exec(blocks.script)![1].split(' ');
    const one = JSON.parse(ncscope(['onnx', join(data, 'checkpoint.onnx'), '--images', join(data, 'val'), ...flags, '--json'], dir)) as { checkpoints: { N: number; K: number; metrics: Record<string, unknown> }[] };
    expect([report.N, report.K]).toEqual([96, K]);
    expectSameMetrics(report.metrics, one.checkpoints[0].metrics);
    expect(readdirSync(join(data, 'stats-model')).filter((f) => /^spread-\d+\.json$/.test(f))).toHaveLength(8);
  }, 600_000);
});
