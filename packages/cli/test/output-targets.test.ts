/**
 * What an output path names decides how it is written (@ncscope/io, src/write/atomic-write.ts): regular files through a
 * temporary file and a rename; devices, FIFOs and the process's own stdout written through, never replaced; symlinks
 * followed; block devices, sockets, folders, "" and "-" refused by name. Before, `--html /dev/null` (as root)
 * replaced /dev/null with a regular file.
 *
 * Devices are made with mknod in a temporary folder (the tests run as root in CI) — never the real /dev/null: a
 * regression would replace a node in the temporary folder, nothing else. Paths to this process's stdout are given
 * as /dev/fd/1 (under /proc, where a rename fails harmlessly), not /dev/stdout.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyOutput } from '@ncscope/io';
import { bundleCli, type CliProcess } from './helpers/cli-process.js';
import { GOLDEN, runCli, tempDir } from './helpers/run.js';

const tmp = tempDir();
const root = process.getuid?.() === 0;
let cli: CliProcess;
beforeAll(async () => {
  cli = await bundleCli();
}, 60_000);
afterAll(() => {
  cli?.cleanup();
  tmp.cleanup();
});

const features = join(GOLDEN, 'balanced', 'features.npy');
const labels = join(GOLDEN, 'balanced', 'labels.npy');
const analyze = ['analyze', '--features', features, '--labels', labels, '--engine', 'js'];

let n = 0;
/** A fresh folder inside the temporary one. */
function folder(): string {
  const d = join(tmp.dir, `case-${n++}`);
  mkdirSync(d);
  return d;
}

/** Files in a folder that are temporaries of an output (`.name.<pid>.<hex>.tmp`). */
const temporaries = (dir: string) => readdirSync(dir).filter((f) => /^\..*\.\d+\.[0-9a-f]{8}\.tmp$/.test(f));

describe.skipIf(!root)('devices and FIFOs are written through, never replaced (as root: mknod in a temporary folder)', () => {
  it('--html to a null device: exit 0, the node is still the character device, no temporary left', async () => {
    const d = folder();
    const dev = join(d, 'null');
    execFileSync('mknod', [dev, 'c', '1', '3']);
    const r = await runCli([...analyze, '--html', dev, '--save-stats', join(d, 's.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(dev).isCharacterDevice()).toBe(true);
    expect(statSync(dev).rdev).toBe(statSync('/dev/null').rdev);
    expect(JSON.parse(readFileSync(join(d, 's.json'), 'utf8')).format).toBe('ncscope.statistics');
    expect(temporaries(d)).toEqual([]);
  });
  it('a full device (ENOSPC): refused naming it, and the other output is not committed', async () => {
    const d = folder();
    const full = join(d, 'full');
    execFileSync('mknod', [full, 'c', '1', '7']);
    const r = await runCli([...analyze, '--html', join(d, 'r.html'), '--save-stats', full]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^ncscope: error: ${full}: cannot write to the character device ${full} \\(no space left on the device\\)`));
    expect(existsSync(join(d, 'r.html'))).toBe(false);
    expect(statSync(full).isCharacterDevice()).toBe(true);
    expect(temporaries(d)).toEqual([]);
  });
  it('a symlink to a device is followed and written through (the link and the node stay)', async () => {
    const d = folder();
    const dev = join(d, 'null');
    execFileSync('mknod', [dev, 'c', '1', '3']);
    const link = join(d, 'out.html');
    symlinkSync(dev, link);
    const r = await runCli([...analyze, '--html', link]);
    expect(r.code, r.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(statSync(dev).isCharacterDevice()).toBe(true);
  });
  it('a block device is refused by name before anything is read or written', async () => {
    const d = folder();
    const blk = join(d, 'blk');
    execFileSync('mknod', [blk, 'b', '7', '200']);
    const r = await runCli([...analyze, '--save-stats', blk]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`ncscope: error: ${blk}: --save-stats names a block device; ncscope writes regular files, and writes through character devices (such as /dev/null), FIFOs and /dev/stdout\n`);
    expect(statSync(blk).isBlockDevice()).toBe(true);
  });
});

describe('FIFOs, stdout, sockets, symlinks, odd names', () => {
  it('a FIFO is written through to its reader (streamed, no rename)', async () => {
    const d = folder();
    const fifo = join(d, 'report.fifo');
    execFileSync('mkfifo', [fifo]);
    // The reader opens the FIFO as `cat fifo` would, and collects what arrives.
    const received = new Promise<string>((resolve, reject) => {
      let s = '';
      createReadStream(fifo, { encoding: 'utf8' }).on('data', (c) => (s += c)).on('end', () => resolve(s)).on('error', reject);
    });
    const r = await runCli([...analyze, '--save-stats', fifo]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(await received).format).toBe('ncscope.statistics');
    expect(statSync(fifo).isFIFO()).toBe(true);
    expect(temporaries(d)).toEqual([]);
  });
  it('the process\'s stdout (/dev/fd/1, or a symlink to /proc/self/fd/1) is written through it', async () => {
    // The outputs are written before the report is printed: the statistics come first on stdout, then the table.
    const split = (stdout: string) => {
      const i = stdout.indexOf('ncscope analyze');
      return { stats: JSON.parse(stdout.slice(0, i)), table: stdout.slice(i) };
    };
    const r = await runCli([...analyze, '--save-stats', '/dev/fd/1']);
    expect(r.code, r.stderr).toBe(0);
    expect(split(r.stdout).stats.format).toBe('ncscope.statistics');
    expect(split(r.stdout).table).toMatch(/NC1 /);
    const d = folder();
    const link = join(d, 'to-stdout');
    symlinkSync('/proc/self/fd/1', link);
    const viaLink = await runCli([...analyze, '--save-stats', link]);
    expect(viaLink.code, viaLink.stderr).toBe(0);
    expect(split(viaLink.stdout).stats.format).toBe('ncscope.statistics');
    expect(readlinkSync(link)).toBe('/proc/self/fd/1');
    // /dev/stdout and /dev/stderr name descriptors 1 and 2 (classified only: nothing is written here).
    expect(await classifyOutput({ flag: '--html', path: '/dev/stdout' })).toMatchObject({ kind: 'stream', fd: 1 });
    expect(await classifyOutput({ flag: '--html', path: '/dev/stderr' })).toMatchObject({ kind: 'stream', fd: 2 });
  });
  it('a symlink to a regular file is followed: the target is replaced whole, the link stays a link', async () => {
    const d = folder();
    const target = join(d, 'target.json');
    writeFileSync(target, 'old');
    const link = join(d, 'link.json');
    symlinkSync('target.json', link);
    const r = await runCli([...analyze, '--save-stats', link]);
    expect(r.code, r.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(target, 'utf8')).format).toBe('ncscope.statistics');
    // A dangling link names the file to create.
    const dangling = join(d, 'dangling.json');
    symlinkSync('made-by-ncscope.json', dangling);
    expect((await runCli([...analyze, '--save-stats', dangling])).code).toBe(0);
    expect(lstatSync(dangling).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(join(d, 'made-by-ncscope.json'), 'utf8')).format).toBe('ncscope.statistics');
    expect(temporaries(d)).toEqual([]);
  });
  it('a socket is refused by name', async () => {
    const d = folder();
    const sock = join(d, 'sock');
    const server: Server = await new Promise((resolve) => {
      const s = createServer();
      s.listen(sock, () => resolve(s));
    });
    try {
      const r = await runCli([...analyze, '--html', sock]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--html names a socket; ncscope writes regular files/);
    } finally {
      server.close();
    }
  });
  it('"", "-" and a path under /proc are refused on one line, at once', async () => {
    const empty = await runCli([...analyze, '--html', '']);
    expect([empty.code, empty.stderr]).toEqual([2, 'ncscope: error: --html: the file name is empty; give a file path\n']);
    const dash = await runCli([...analyze, '--save-stats', '-']);
    expect(dash.code).toBe(2);
    expect(dash.stderr).toMatch(/^ncscope: error: --save-stats -: ncscope does not write this output to standard output .*give a file path, or \/dev\/stdout/);
    expect(existsSync('-')).toBe(false);
    // Node's recursive mkdir never returns under /proc: the folders are created one level at a time (own process,
    // with a time limit, so a regression fails instead of hanging the suite).
    const started = performance.now();
    const proc = await cli.run([...analyze, '--html', '/proc/nope/r.html']);
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(proc.code).toBe(2);
    expect(proc.stderr).toMatch(/^ncscope: error: \/proc\/nope\/r\.html: cannot write \(cannot create the folder \/proc\/nope: folder does not exist\)\n$/);
  }, 60_000);
});

/** Runs the CLI in its own process paused before its renames; `signal` is sent once it says so. */
async function interrupted(args: string[], signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, [cli.entry, ...args], { env: { ...process.env, NCSCOPE_TEST_PAUSE_BEFORE_RENAME: '60000' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let sent = false;
  child.stderr.on('data', (c) => {
    stderr += c;
    if (!sent && /paused \d+ ms before renaming 2 file/.test(stderr)) {
      sent = true;
      child.kill(signal);
    }
  });
  return new Promise((resolve) => child.on('close', (code, sig) => resolve({ code, signal: sig, stderr })));
}

describe('both files or neither: real signals at the renames', () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} before the renames: both outputs as they were, no temporary files, no new folders, ended by the signal`, async () => {
      const d = folder();
      writeFileSync(join(d, 'r.html'), 'old html');
      const fresh = join(d, 'new-folder', 'deeper');
      const r = await interrupted([...analyze, '--html', join(d, 'r.html'), '--save-stats', join(fresh, 's.json')], signal);
      expect(r.signal, r.stderr).toBe(signal);
      expect(readFileSync(join(d, 'r.html'), 'utf8')).toBe('old html');
      expect(existsSync(join(d, 'new-folder')), 'the folders the write created are removed').toBe(false);
      expect(temporaries(d)).toEqual([]);
    }, 60_000);
  }
  it('SIGKILL before the renames leaves the old files and two temporaries; the next write removes them', async () => {
    const d = folder();
    writeFileSync(join(d, 'r.html'), 'old html');
    writeFileSync(join(d, 's.json'), 'old stats');
    const outputs = ['--html', join(d, 'r.html'), '--save-stats', join(d, 's.json')];
    const r = await interrupted([...analyze, ...outputs], 'SIGKILL');
    expect(r.signal).toBe('SIGKILL');
    expect([readFileSync(join(d, 'r.html'), 'utf8'), readFileSync(join(d, 's.json'), 'utf8')]).toEqual(['old html', 'old stats']);
    const left = temporaries(d);
    expect(left).toHaveLength(2);
    for (const t of left) expect(statSync(join(d, t)).size).toBeGreaterThan(1000);
    const again = await cli.run([...analyze, ...outputs]);
    expect(again.code, again.stderr).toBe(0);
    expect(temporaries(d)).toEqual([]);
    expect(JSON.parse(readFileSync(join(d, 's.json'), 'utf8')).format).toBe('ncscope.statistics');
  }, 60_000);
});
