/**
 * Reads are bounded: non-regular files (FIFOs, devices, folders) are refused by name without blocking, sizes come
 * from what headers declare and are checked against the file before anything is allocated, and deflated .npz
 * members are inflated as a stream — measured here by the peak RSS of child processes.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDeflateRaw } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { openInput } from '@ncscope/io';
import { GOLDEN, runCli, tempDir } from './helpers/run.js';
import { npyBytes, npzBytes } from '../../io/test/helpers/writers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./helpers/cli-child.ts', import.meta.url));
const golden = (name: string) => join(GOLDEN, 'balanced', `${name}.npy`);

/** Runs `ncscope <args>` in a child process with a time limit; returns exit code, output and peak RSS (MiB). */
function child(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string; rssMiB: number; timedOut: boolean }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--conditions=@ncscope/source', '--import', 'tsx', CHILD, ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      const rss = /ncscope-test: maxrss (\d+)/.exec(stderr);
      resolve({ code, stdout, stderr: stderr.replace(/ncscope-test: maxrss \d+\n/, ''), rssMiB: rss ? Number(rss[1]) / 1024 : NaN, timedOut });
    });
  });
}

/** A named pipe nobody writes to: opening it for reading in blocking mode would wait forever. */
function fifo(name: string): string {
  const path = join(tmp.dir, name);
  execFileSync('mkfifo', [path]);
  return path;
}

describe('non-regular files are refused by name, before anything is read', () => {
  it('a FIFO given as features, inputs, statistics or a log returns at once with exit 2 (child processes with a time limit)', async () => {
    const pipe = fifo('pipe.npy');
    const runs = await Promise.all([
      child(['analyze', '--features', pipe, '--labels', golden('labels')]),
      child(['onnx', join(ROOT, 'packages/onnx/test/fixtures/mlp-epoch01.onnx'), '--inputs', pipe, '--labels', golden('labels')]),
      child(['report', pipe, '-o', join(tmp.dir, 'r.html')]),
    ]);
    for (const r of runs) {
      expect(r.timedOut).toBe(false);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/pipe\.npy: .*a named pipe \(FIFO\), not a regular file\)?\n$/);
    }
  }, 120_000);

  it('/dev/zero (a device that never ends) and folders, for every kind of input', async () => {
    const cases: [string[], RegExp][] = [
      [['analyze', '--features', '/dev/zero', '--labels', golden('labels')], /^ncscope: error: \/dev\/zero: a character device, not a regular file\n$/],
      [['analyze', '--features', golden('features'), '--labels', tmp.dir], /: a folder, not a file\n$/],
      [['analyze', '--stats', '/dev/zero'], /\/dev\/zero: a character device, not a regular file\n$/],
      [['onnx', '/dev/zero', '--inputs', golden('features'), '--labels', golden('labels')], /\/dev\/zero: cannot read the model file \(a character device, not a regular file\)\n$/],
      [['onnx', 'inspect', tmp.dir], /cannot read the model file \(a folder, not a file\)\n$/],
      [['stats', 'merge', '/dev/zero', '-o', join(tmp.dir, 'm.json')], /\/dev\/zero: a character device, not a regular file\n$/],
      [['report', '/dev/zero', '-o', join(tmp.dir, 'r.html')], /\/dev\/zero: cannot read \(a character device, not a regular file\)\n$/],
      [['head', '--features', golden('features'), '--labels', '/dev/zero', '--out-weights', join(tmp.dir, 'W.npy')], /\/dev\/zero: a character device, not a regular file\n$/],
    ];
    for (const [args, pattern] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).toMatch(pattern);
    }
  });
});

/**
 * Writes an .npz with one deflated member `features.npy` of `rows` identical rows, deflated by Node's zlib as a
 * stream (never the whole array in memory; an implementation independent of the reader's fflate), plus a small
 * stored `labels.npy`. `lie` makes the headers claim more than the data holds: the directory's uncompressed size,
 * the .npy header's row count. CRCs are left 0 (the readers do not check them).
 */
async function streamedNpz(name: string, rows: number, D: number, K: number, lie: { directorySize?: number; headerRows?: number } = {}): Promise<{ path: string; bytes: number; uncompressed: number }> {
  const path = join(tmp.dir, name);
  const parts: Uint8Array[] = [];
  const entries: { name: string; compressed: number; size: number; offset: number; method: number }[] = [];
  const fileName = (n: string) => new TextEncoder().encode(n);
  const localHeader = (n: string, method: number, size: number) => {
    const h = new Uint8Array(30 + fileName(n).length);
    const v = new DataView(h.buffer);
    v.setUint32(0, 0x04034b50, true);
    v.setUint16(4, 20, true);
    v.setUint16(8, method, true);
    v.setUint32(18, size, true);
    v.setUint32(22, size, true);
    v.setUint16(26, fileName(n).length, true);
    h.set(fileName(n), 30);
    return h;
  };
  // Member 1: deflated features (the local header's sizes are left 0: readers take them from the directory).
  const npyHeader = npyBytes([], { descr: '<f4', shape: [lie.headerRows ?? rows, D] }); // the header alone: no values
  const first = localHeader('features.npy', 8, 0);
  const row = Float32Array.from({ length: D }, (_, t) => (t % 7) - 3);
  const block = Buffer.from(new Float32Array(Array.from({ length: 1024 }, () => Array.from(row)).flat()).buffer);
  async function* content() {
    yield Buffer.from(npyHeader);
    for (let left = rows; left > 0; left -= 1024) yield block.subarray(0, Math.min(1024, left) * D * 4);
  }
  const out = createWriteStream(path);
  out.write(first);
  let compressed = 0;
  const deflate = createDeflateRaw({ level: 1 });
  deflate.on('data', (chunk: Buffer) => (compressed += chunk.byteLength));
  await pipeline(Readable.from(content()), deflate, out, { end: false });
  let offset = first.byteLength + compressed;
  entries.push({ name: 'features.npy', compressed, size: lie.directorySize ?? npyHeader.byteLength + (lie.headerRows ?? rows) * D * 4, offset: 0, method: 8 });
  // Member 2: stored labels, K classes in turn.
  const labels = npyBytes(Array.from({ length: rows }, (_, i) => i % K), { descr: '<i4', shape: [rows] });
  entries.push({ name: 'labels.npy', compressed: labels.byteLength, size: labels.byteLength, offset, method: 0 });
  parts.push(localHeader('labels.npy', 0, labels.byteLength), labels);
  // Central directory and its end record.
  const cdStart = offset + parts.reduce((n, p) => n + p.byteLength, 0);
  let cdSize = 0;
  for (const e of entries) {
    const h = new Uint8Array(46 + fileName(e.name).length);
    const v = new DataView(h.buffer);
    v.setUint32(0, 0x02014b50, true);
    v.setUint16(4, 20, true);
    v.setUint16(6, 20, true);
    v.setUint16(10, e.method, true);
    v.setUint32(20, e.compressed, true);
    v.setUint32(24, e.size, true);
    v.setUint16(28, fileName(e.name).length, true);
    v.setUint32(42, e.offset, true);
    h.set(fileName(e.name), 46);
    parts.push(h);
    cdSize += h.byteLength;
  }
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, cdStart, true);
  parts.push(end);
  for (const p of parts) out.write(p);
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  offset = cdStart + cdSize + end.byteLength;
  return { path, bytes: offset, uncompressed: npyHeader.byteLength + rows * D * 4 };
}

describe('deflated .npz members are streamed: memory does not grow with their inflated size', () => {
  it('a 2.5 MB .npz that inflates to 200 MB: analyze peaks at the RSS of a 20 MB one (child processes)', async () => {
    const D = 512;
    const small = await streamedNpz('small.npz', 10_000, D, 4);
    const large = await streamedNpz('large.npz', 100_000, D, 4);
    expect(large.uncompressed).toBeGreaterThan(200e6);
    expect(large.bytes).toBeLessThan(4e6);
    const args = (f: string) => ['analyze', '--features', f, '--labels', f, '--engine', 'js', '--json', '--batch-size', '4096'];
    const [a, b] = await Promise.all([child(args(small.path), 240_000), child(args(large.path), 240_000)]);
    for (const r of [a, b]) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    expect(JSON.parse(b.stdout).N).toBe(100_000);
    console.log(`peak RSS: ${a.rssMiB.toFixed(0)} MiB (20 MB inflated), ${b.rssMiB.toFixed(0)} MiB (200 MB inflated)`);
    // Inflating whole would add ≥ 200 MB; streaming keeps the peak within a few batches of the small run (measured
    // +12 to +27 MiB alone; garbage collection timing under a busy test run adds more, so the bound is half the 200 MB).
    expect(b.rssMiB, `peak RSS ${b.rssMiB.toFixed(0)} MiB (small input: ${a.rssMiB.toFixed(0)} MiB)`).toBeLessThan(a.rssMiB + 100);
  }, 300_000);

  it('a directory that declares 3 GB for a small member: read as what it holds, never allocated (child process)', async () => {
    const lying = await streamedNpz('lying.npz', 1000, 4, 2, { directorySize: 3_000_000_000 });
    const r = await child(['analyze', '--features', lying.path, '--labels', lying.path, '--engine', 'js', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).N).toBe(1000);
    expect(r.rssMiB).toBeLessThan(400);
  }, 120_000);

  it('an .npy header inside a deflated member that claims more rows than it holds: a named error at the real end', async () => {
    const lying = await streamedNpz('short-member.npz', 1000, 4, 2, { headerRows: 200_000_000 });
    const input = await openInput(lying.path, 'features', 'features');
    try {
      expect(input.tensor.shape).toEqual([200_000_000, 4]);
      expect(Array.from(await input.tensor.readRows(999, 1))).toEqual([-3, -2, -1, 0]);
      await expect(input.tensor.readRows(1000, 10)).rejects.toThrow(/short-member\.npz: member 'features\.npy': corrupt deflate data \(inflated to 16\d+ bytes, the directory says 3200000\d+\)/);
    } finally {
      await input.close();
    }
  });

  it('a .npy header that declares a 4 GB header is refused without reading it', async () => {
    const bytes = npyBytes(new Float32Array(4), { descr: '<f4', shape: [2, 2], version: 2 });
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(8, 0xfffffff0, true);
    const r = await runCli(['analyze', '--features', tmp.write('huge-header.npy', bytes), '--labels', golden('labels')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/huge-header\.npy: not a valid \.npy file: header length \d+ bytes is implausible/);
  });

  it('deflated and stored members give the same numbers, also when read twice (two passes) in small batches', async () => {
    const members = {
      features: npyBytes(Float32Array.from({ length: 600 * 3 }, (_, i) => Math.sin(i)), { descr: '<f4', shape: [600, 3] }),
      labels: npyBytes(Array.from({ length: 600 }, (_, i) => i % 3), { descr: '<i4', shape: [600] }),
    };
    const run = async (path: string) => JSON.parse((await runCli(['analyze', '--features', path, '--labels', path, '--engine', 'js', '--json', '--batch-size', '7'])).stdout);
    expect((await run(tmp.write('d.npz', npzBytes(members, 6)))).metrics).toEqual((await run(tmp.write('s.npz', npzBytes(members, 0)))).metrics);
  });
});
