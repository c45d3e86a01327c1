/**
 * Issue 14, benchmark 5: the sharded workflow a job engine runs, as separate `ncscope` processes on one file —
 * `stats means --shard i/8` (8 tasks) → `stats merge` → `stats spread --shard i/8` (8 tasks) → `stats merge` →
 * `analyze --stats` — against one `ncscope analyze` process on the same file (default 200,000 × 512 float32,
 * K = 100, with a classifier; `-- --rows N` for another N). Tasks run all 8 at once, and 2 at a time (one per core
 * here, like a Slurm `--array=0-7%2` or a Job with `parallelism: 2`); also the same workflow as 1 task (`--shard
 * 0/1`). Wall times are whole processes (start-up included), the file in the page cache; CPU time and peak RSS
 * come from /usr/bin/time. Also: the cost of the input fingerprint each task computes, against a full SHA-256 of
 * the input that every task would otherwise have to read, and the bare start-up of one process (`ncscope --help`).
 *
 * Runs the built CLI (packages/cli/dist): `npm run build` first (npm install does it).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, createReadStream } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeNpy } from '@ncscope/core';
import { inputFingerprint, openInput } from '@ncscope/io';
import { syntheticFeatures } from './synthetic.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(ROOT, 'packages/cli/bin/ncscope.js');
const DIST = join(ROOT, 'packages/cli/dist/main.js');

/** Newest modification time of the files under a folder whose names end with `suffix` (tests excluded). */
function newest(dir: string, suffix: string): number {
  let time = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) time = Math.max(time, newest(p, suffix));
    else if (p.endsWith(suffix) && !p.endsWith(`.test${suffix}`)) time = Math.max(time, statSync(p).mtimeMs);
  }
  return time;
}
for (const pkg of ['core', 'cli']) {
  const dist = join(ROOT, `packages/${pkg}/dist`);
  if (!existsSync(DIST) || newest(join(ROOT, `packages/${pkg}/src`), '.ts') > newest(dist, '.js')) {
    console.error(`packages/${pkg}/dist is missing or older than its sources: run \`npm run build\` first`);
    process.exit(2);
  }
}

const rowsFlag = process.argv.indexOf('--rows');
const N = rowsFlag > 0 ? Number(process.argv[rowsFlag + 1]) : 200_000;
const [D, K, SHARDS] = [512, 100, 8];
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

interface Run {
  wall: number;
  cpu: number;
  rssMiB: number;
  stdout: string;
}

/** One `ncscope` process; wall time measured here, CPU and peak RSS by /usr/bin/time when present. */
function ncscope(args: string[]): Promise<Run> {
  const [cmd, argv] = TIME ? [TIME, ['-f', '@@time %U %S %M', process.execPath, BIN, ...args]] : [process.execPath, [BIN, ...args]];
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 26 }, (error, stdout, stderr) => {
      const wall = (performance.now() - t0) / 1000;
      const m = /@@time ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
      if (error) return reject(new Error(`ncscope ${args.join(' ')} failed:\n${stderr}`));
      resolve({ wall, cpu: m ? Number(m[1]) + Number(m[2]) : NaN, rssMiB: m ? Number(m[3]) / 1024 : NaN, stdout });
    });
  });
}

/** Runs the commands, at most `limit` at a time; wall time of the whole phase, summed CPU, largest RSS. */
async function phase(commands: string[][], limit: number): Promise<{ wall: number; cpu: number; rssMiB: number }> {
  const t0 = performance.now();
  const runs: Run[] = [];
  let next = 0;
  const worker = async () => {
    while (next < commands.length) runs.push(await ncscope(commands[next++]));
  };
  await Promise.all(Array.from({ length: Math.min(limit, commands.length) }, worker));
  return { wall: (performance.now() - t0) / 1000, cpu: runs.reduce((a, r) => a + r.cpu, 0), rssMiB: Math.max(...runs.map((r) => r.rssMiB)) };
}

const dir = mkdtempSync(join(tmpdir(), 'ncscope-shards-bench-'));
try {
  const t = performance.now();
  const data = syntheticFeatures(N, D, K, 5);
  const files = { f: join(dir, 'features.npy'), y: join(dir, 'labels.npy'), W: join(dir, 'W.npy'), b: join(dir, 'b.npy') };
  writeFileSync(files.f, encodeNpy(data.features, [N, D]));
  writeFileSync(files.y, encodeNpy(data.labels, [N]));
  writeFileSync(files.W, encodeNpy(data.weights, [K, D]));
  writeFileSync(files.b, encodeNpy(data.bias, [K]));
  const bytes = statSync(files.f).size;
  console.log(`data: ${N.toLocaleString('en')} × ${D} float32 (${(bytes / 2 ** 20).toFixed(0)} MiB), K = ${K}, with classifier; written in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const input = ['--features', files.f, '--labels', files.y];
  const clf = ['--weights', files.W, '--bias', files.b];
  const out = (name: string) => join(dir, name);

  // Fingerprint cost: what every task pays (sampled) vs a full SHA-256 of features + labels.
  const fOpen = await openInput(files.f, 'features');
  const yOpen = await openInput(files.y, 'labels');
  let t0 = performance.now();
  await inputFingerprint(fOpen, yOpen);
  const sampledMs = performance.now() - t0;
  await Promise.all([fOpen.close(), yOpen.close()]);
  t0 = performance.now();
  for (const path of [files.f, files.y]) {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
    hash.digest();
  }
  const fullSeconds = (performance.now() - t0) / 1000;

  // Warm-up (page cache), then the bare start-up of a process (`ncscope --help`) that every task pays.
  await ncscope(['analyze', ...input, ...clf, '--json']);
  const startups: Run[] = [];
  for (let r = 0; r < 3; r++) startups.push(await ncscope(['--help']));
  const startup = startups.reduce((a, b) => (b.cpu < a.cpu ? b : a));

  const single: { wall: number; cpu: number; rssMiB: number; compute: number }[] = [];
  for (let r = 0; r < 2; r++) {
    const run = await ncscope(['analyze', ...input, ...clf, '--json']);
    single.push({ ...run, compute: JSON.parse(run.stdout).timing.computeSeconds });
  }
  const singleBest = single.reduce((a, b) => (b.wall < a.wall ? b : a));
  const singleMetrics = JSON.parse((await ncscope(['analyze', ...input, ...clf, '--json'])).stdout).metrics as Record<string, number>;

  /** The whole workflow with `n` shards, at most `limit` tasks at a time. */
  async function workflow(n: number, limit: number) {
    const tag = `${n}-${limit}`;
    const shardFiles = (kind: string) => Array.from({ length: n }, (_, i) => out(`${kind}-${tag}-${i}.json`));
    const t0 = performance.now();
    const means = await phase(shardFiles('means').map((o, i) => ['stats', 'means', ...input, '--shard', `${i}/${n}`, '-o', o]), limit);
    const mergeMeans = await phase([['stats', 'merge', ...shardFiles('means'), '-o', out(`means-${tag}.json`)]], 1);
    const spread = await phase(shardFiles('spread').map((o, i) => ['stats', 'spread', '--means', out(`means-${tag}.json`), ...input, ...clf, '--shard', `${i}/${n}`, '-o', o]), limit);
    const mergeSpread = await phase([['stats', 'merge', ...shardFiles('spread'), '-o', out(`stats-${tag}.json`)]], 1);
    const report = await ncscope(['analyze', '--stats', out(`stats-${tag}.json`), ...clf, '--json']);
    const total = (performance.now() - t0) / 1000;
    const metrics = JSON.parse(report.stdout).metrics as Record<string, number>;
    const maxRel = Math.max(...Object.entries(singleMetrics).map(([k, v]) => Math.abs(metrics[k] - v) / Math.max(Math.abs(v), 1e-12)));
    return { n, limit, total, means, mergeMeans, spread, mergeSpread, report: report.wall, maxRel };
  }
  const flows = [];
  for (const [n, limit] of [[1, 1], [SHARDS, SHARDS], [SHARDS, 2]]) {
    const a = await workflow(n, limit);
    const b = await workflow(n, limit);
    flows.push({ best: a.total <= b.total ? a : b, other: a.total <= b.total ? b : a });
  }

  const load = (await import('node:os')).loadavg();
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, load average ${load.map((x) => x.toFixed(1)).join(' ')} (shared: figures are noisy)`);
  console.log(`\ninput fingerprint per task: ${sampledMs.toFixed(1)} ms (2 × 64 blocks of 16 KiB); a full SHA-256 of features + labels: ${fullSeconds.toFixed(2)} s per task (${(bytes / 2 ** 20 / fullSeconds).toFixed(0)} MiB/s, page cache)`);
  console.log(`process start-up (ncscope --help, best of 3): ${startup.wall.toFixed(2)} s wall, ${startup.cpu.toFixed(2)} s CPU — the workflow starts 2n + 3 processes (n = shards)`);
  console.log(`\nsingle process (ncscope analyze, both passes): best ${singleBest.wall.toFixed(2)} s wall (runs ${single.map((s) => s.wall.toFixed(2)).join(', ')}), computeSeconds ${singleBest.compute.toFixed(2)}, CPU ${singleBest.cpu.toFixed(2)} s, peak RSS ${singleBest.rssMiB.toFixed(0)} MiB`);
  const head = ['shards', 'at once', 'total s', '(other run)', 'means s', 'merge s', 'spread s', 'merge s', 'report s', 'CPU s', 'task RSS MiB', 'vs single', 'max rel. diff'];
  const rows = flows.map(({ best: f, other }) => [
    String(f.n), String(f.limit), f.total.toFixed(2), other.total.toFixed(2), f.means.wall.toFixed(2), f.mergeMeans.wall.toFixed(2), f.spread.wall.toFixed(2),
    f.mergeSpread.wall.toFixed(2), f.report.toFixed(2), (f.means.cpu + f.mergeMeans.cpu + f.spread.cpu + f.mergeSpread.cpu).toFixed(1),
    Math.max(f.means.rssMiB, f.spread.rssMiB).toFixed(0), `${(f.total / singleBest.wall).toFixed(2)}×`, f.maxRel.toExponential(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padStart(widths[i])).join('  ');
  console.log(`\nsharded workflow (separate processes; best of 2):`);
  console.log(line(head));
  for (const r of rows) console.log(line(r));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
