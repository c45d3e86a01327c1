import { randomBytes } from 'node:crypto';
import { constants, fstatSync, renameSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { lstat, mkdir, open, readdir, readlink, realpath, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { NcInputError } from '@ncscope/core';

/**
 * How the CLI writes files — the one place every command's outputs go through:
 *
 * 1. {@link checkOutputPaths}, before anything is read: an output never resolves (symlinks followed, hard links
 *    compared by device and inode) to an input or to another output, never names a folder, a block device or a
 *    socket, and is never empty or `-`. Commands do not call it themselves: they declare their file options with
 *    `inputFile`/`outputFile` (./file-options.ts) and the program's preAction hook runs the check (see the CLI
 *    README, "For command authors").
 * 2. {@link writeFilesAtomic} writes what an output path names:
 *    - a regular file (or a path that does not exist yet): missing parent folders are created, the bytes go to a
 *      temporary name beside the file, and only when every output of the call was written are they renamed into
 *      place — outputs appear whole or not at all. A symlink to a regular file is followed: the file it points to
 *      is replaced, the link stays.
 *    - `/dev/stdout`, `/dev/stderr` (and `/dev/fd/N`, `/proc/self/fd/N`): written through the process's own stream.
 *    - a character device (`/dev/null`) or a FIFO: opened for writing and written through, streamed, never renamed
 *      over — before the renames, so a failing device leaves the regular outputs as they were.
 *
 * Both files or neither: the renames run back to back in one synchronous step, and SIGINT, SIGTERM and SIGHUP are
 * held while a call writes — a signal before the renames removes the temporary files and the folders the call
 * created, then ends the process by that signal (every output as before); one during the renames takes effect
 * after them (every output new). SIGKILL cannot be handled: before the renames it leaves the old outputs and the
 * temporary files, which the next write to the same path removes (their process is gone); within the renames — a
 * few microseconds — it can leave the first outputs new and the later ones old.
 */

/** A file named on the command line, with the flag (or argument) that named it, for messages. */
export interface NamedPath {
  /** `--html`, `-o/--output`, `<models...>`, … */
  flag: string;
  path: string;
}

/** What a path refers to: its canonical absolute path, and the file's device and inode when it exists. */
interface Identity {
  real: string;
  dev?: number;
  ino?: number;
  isDirectory?: boolean;
}

/**
 * The canonical form of `path`: realpath when it exists; otherwise the realpath of its deepest existing ancestor
 * joined with the rest (so `out/../x.json` and a symlinked folder resolve like the file they will become).
 * A missing ancestor chain is fine (parents are created on write); an ancestor that is not a folder is an error.
 */
async function identify(p: NamedPath): Promise<Identity> {
  const absolute = resolve(p.path);
  try {
    const st = await stat(absolute);
    return { real: await realpath(absolute), dev: st.dev, ino: st.ino, isDirectory: st.isDirectory() };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw NcInputError.at('OUTPUT_PATH', { source: p.path }, `${p.flag}: cannot use this path (${(e as Error).message})`);
  }
  // Missing: canonicalise the deepest existing ancestor.
  const rest: string[] = [];
  let dir = absolute;
  for (;;) {
    rest.unshift(basename(dir));
    const parent = dirname(dir);
    if (parent === dir) return { real: absolute };
    dir = parent;
    let st;
    try {
      st = await stat(dir);
    } catch {
      continue; // missing: keep climbing
    }
    if (!st.isDirectory()) throw NcInputError.at('OUTPUT_PATH', { source: p.path }, `${p.flag}: ${dir} is a file, not a folder`);
    return { real: join(await realpath(dir), ...rest) };
  }
}

function sameFile(a: Identity, b: Identity): boolean {
  return a.real === b.real || (a.ino !== undefined && a.dev === b.dev && a.ino === b.ino);
}

/**
 * What an output path names, once symlinks are followed:
 * - `file`: a regular file or a path that does not exist yet — written to a temporary file and renamed onto `final`
 *   (the symlink's target when `path` is a symlink, so the link stays a link);
 * - `stream`: written through — the process's stdout or stderr (`fd` 1 or 2, also as /dev/fd/N or /proc/self/fd/N),
 *   another open descriptor, a character device or a FIFO (opened for writing at `final`).
 */
export type OutputTarget =
  | { kind: 'file'; path: string; final: string }
  | { kind: 'stream'; path: string; final: string; what: string; fd?: number };

/** The descriptor a path names when it is one of this process's own: /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N. */
function ownDescriptor(path: string): number | undefined {
  const p = resolve(path);
  if (p === '/dev/stdout') return 1;
  if (p === '/dev/stderr') return 2;
  const m = /^\/dev\/fd\/(\d+)$/.exec(p) ?? new RegExp(`^/proc/(?:self|thread-self|${process.pid})/fd/(\\d+)$`).exec(p);
  return m ? Number(m[1]) : undefined;
}

/**
 * Follows a chain of symlinks to the path it ends at (which may not exist: a dangling link names the file to create),
 * or to one of this process's descriptors when a link in the chain names one (`out → /proc/self/fd/1`).
 */
async function followLinks(absolute: string): Promise<{ final: string; fd?: number }> {
  let p = absolute;
  for (let hops = 0; hops < 40; hops++) {
    const fd = ownDescriptor(p);
    if (fd !== undefined) return { final: p, fd };
    let st;
    try {
      st = await lstat(p);
    } catch {
      return { final: p }; // missing: the file to create
    }
    if (!st.isSymbolicLink()) {
      try {
        return { final: await realpath(p) };
      } catch {
        return { final: p };
      }
    }
    p = resolve(dirname(p), await readlink(p));
  }
  throw Object.assign(new Error('too many levels of symbolic links'), { code: 'ELOOP' });
}

/**
 * Classifies an output path (see {@link OutputTarget}); an NcInputError (OUTPUT_PATH) for what cannot be written: an empty name, `-`, a
 * folder, a block device, a socket.
 */
export async function classifyOutput(p: NamedPath): Promise<OutputTarget> {
  if (p.path === '') throw NcInputError.at('OUTPUT_PATH', {}, `${p.flag}: the file name is empty; give a file path`);
  if (p.path === '-') {
    throw NcInputError.at('OUTPUT_PATH', {}, `${p.flag} -: ncscope does not write this output to standard output (the command prints its report there); give a file path, or /dev/stdout to send it there anyway`);
  }
  let final: string;
  let fd: number | undefined;
  try {
    ({ final, fd } = await followLinks(resolve(p.path)));
  } catch (e) {
    throw NcInputError.at('OUTPUT_PATH', { source: p.path }, `${p.flag}: cannot use this path (${(e as Error).message})`);
  }
  if (fd !== undefined) {
    // One of this process's descriptors (a shell's `3> file` or `3> >(gzip)`): written through it, at its offset.
    try {
      fstatSync(fd);
    } catch {
      throw NcInputError.at('OUTPUT_PATH', { source: p.path }, `${p.flag} names the descriptor ${fd}, which is not open`);
    }
    return { kind: 'stream', path: p.path, final, what: fd === 1 ? 'standard output' : fd === 2 ? 'standard error' : `descriptor ${fd}`, fd };
  }
  let st;
  try {
    st = await stat(final);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'file', path: p.path, final };
    throw NcInputError.at('OUTPUT_PATH', { source: p.path }, `${p.flag}: cannot use this path (${(e as Error).message})`);
  }
  if (st.isFile()) return { kind: 'file', path: p.path, final };
  if (st.isDirectory()) throw NcInputError.at('OUTPUT_PATH', { source: p.path }, `${p.flag} names a folder; give a file path`);
  const shown = final === resolve(p.path) ? '' : ` (${final})`;
  if (st.isCharacterDevice()) return { kind: 'stream', path: p.path, final, what: `the character device ${final}` };
  if (st.isFIFO()) return { kind: 'stream', path: p.path, final, what: `the FIFO ${final}` };
  const kind = st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : 'neither a file nor a folder';
  throw NcInputError.at('OUTPUT_PATH', { source: p.path }, `${p.flag} names ${kind}${shown}; ncscope writes regular files, and writes through character devices (such as /dev/null), FIFOs and /dev/stdout`);
}

/**
 * Refuses, with an NcInputError (OUTPUT_PATH) naming both flags, any output that is an input or another output — the same path,
 * a symlink to it, or a hard link to the same file — and any output {@link classifyOutput} refuses (a folder, a block
 * device, a socket, an empty name, `-`). Outputs written through a device or a pipe may repeat (two outputs to
 * /dev/null are fine). Runs before any input is read, so a refused command leaves every file as it was.
 */
export async function checkOutputPaths(inputs: readonly NamedPath[], outputs: readonly NamedPath[]): Promise<void> {
  const inputIds = await Promise.all(inputs.map(async (p) => ({ p, id: await identify(p).catch(() => ({ real: resolve(p.path) }) as Identity) })));
  const seen: { p: NamedPath; id: Identity }[] = [];
  for (const out of outputs) {
    const target = await classifyOutput(out);
    const id = target.kind === 'stream' && target.fd !== undefined ? { real: `fd:${target.fd}` } : await identify(out);
    if (id.isDirectory) throw NcInputError.at('OUTPUT_PATH', { source: out.path }, `${out.flag} names a folder; give a file path`);
    const input = inputIds.find((i) => sameFile(i.id, id));
    if (input) {
      const how = input.id.real !== id.real ? ' (a hard link to it)' : resolve(input.p.path) !== resolve(out.path) ? ' (the same file through a symlink)' : '';
      throw NcInputError.at('OUTPUT_PATH', { source: out.path }, `${out.flag} would overwrite the input ${input.p.flag} ${input.p.path}${how}; choose another output path`);
    }
    if (target.kind === 'file') {
      const other = seen.find((s) => sameFile(s.id, id));
      if (other) throw NcInputError.at('OUTPUT_PATH', { source: out.path }, `${out.flag} and ${other.p.flag} name the same file (${other.p.path}); each output needs its own path`);
      seen.push({ p: out, id });
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Signals: temporary files and created folders of writes in progress are removed when the process is told to end.

const pendingTemps = new Set<string>();
const pendingDirs: string[][] = [];
let activeWrites = 0;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function onSignal(signal: NodeJS.Signals): void {
  for (const t of pendingTemps) {
    try {
      unlinkSync(t);
    } catch {
      // already gone
    }
  }
  pendingTemps.clear();
  for (const dirs of pendingDirs) for (const d of [...dirs].reverse()) {
    try {
      rmdirSync(d);
    } catch {
      // not empty (someone else's files) or gone
    }
  }
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  // End as the signal would have ended the process (its exit status tells the shell which signal it was).
  process.kill(process.pid, signal);
}

function beginWrite(): void {
  if (activeWrites++ === 0) for (const s of SIGNALS) process.on(s, onSignal);
}

function endWrite(): void {
  if (--activeWrites === 0) for (const s of SIGNALS) process.removeListener(s, onSignal);
}

/** Test hook: pause this many milliseconds (announced on stderr) after every output is written, before the renames. */
export const PAUSE_BEFORE_RENAME_ENV = 'NCSCOPE_TEST_PAUSE_BEFORE_RENAME';

/** `.name.<pid>.<8 hex>.tmp`, the temporary beside `name`. */
function temporaryName(final: string): string {
  return join(dirname(final), `.${basename(final)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Removes temporaries of `final` left by processes that no longer run (a SIGKILL, a power cut). */
async function removeStaleTemporaries(final: string): Promise<void> {
  const dir = dirname(final);
  const prefix = `.${basename(final)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name.slice(prefix.length - 1));
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processRuns(pid)) continue;
    await unlink(join(dir, name)).catch(() => undefined);
  }
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // runs, as another user
  }
}

/**
 * Creates the missing folders above `file`, one level at a time (Node's recursive mkdir never returns for a path
 * under /proc), and returns those it created, top first. An NcInputError (WRITE_FAILED) names the folder that cannot be created.
 */
async function createParents(file: string, shown: string): Promise<string[]> {
  const missing: string[] = [];
  for (let d = dirname(file); ; d = dirname(d)) {
    let st;
    try {
      st = await stat(d);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw NcInputError.at('WRITE_FAILED', { source: shown }, `cannot write (${d}: ${(e as Error).message})`);
      missing.unshift(d);
      if (dirname(d) === d) break;
      continue;
    }
    if (!st.isDirectory()) throw NcInputError.at('WRITE_FAILED', { source: shown }, `cannot write (${d} is a file, not a folder)`);
    break;
  }
  const created: string[] = [];
  for (const d of missing) {
    try {
      await mkdir(d);
      created.push(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      await removeDirs(created);
      throw NcInputError.at('WRITE_FAILED', { source: shown }, `cannot write (cannot create the folder ${d}: ${describeErrno(e)})`);
    }
  }
  return created;
}

async function removeDirs(created: string[]): Promise<void> {
  for (const d of [...created].reverse()) await rmdir(d).catch(() => undefined);
}

function describeErrno(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'folder does not exist'
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
    : code === 'EISDIR' ? 'is a folder'
    : code === 'ENOTDIR' ? 'a parent is a file, not a folder'
    : code === 'ENOSPC' ? 'no space left on the device'
    : code === 'EPIPE' ? 'the reading end of the pipe was closed'
    : code === 'EROFS' ? 'read-only file system'
    : (e as Error).message;
}

/** Writes `bytes` through a process stream (stdout, stderr), waiting for it to drain (a closed pipe ends the CLI: main.ts). */
async function writeThroughStream(stream: NodeJS.WriteStream, bytes: string | Uint8Array): Promise<void> {
  if (!stream.write(bytes)) await new Promise((r) => stream.once('drain', r));
}

/** Writes `bytes` through a stream target: the process's stdout/stderr, another descriptor, a device or a FIFO. */
async function writeThrough(target: Extract<OutputTarget, { kind: 'stream' }>, bytes: string | Uint8Array): Promise<void> {
  if (target.fd === 1) return writeThroughStream(process.stdout, bytes);
  if (target.fd === 2) return writeThroughStream(process.stderr, bytes);
  const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  if (target.fd !== undefined) {
    for (let off = 0; off < data.byteLength; ) off += writeSync(target.fd, data, off, data.byteLength - off);
    return;
  }
  // Opened for writing only: no O_CREAT, no O_TRUNC (a FIFO's open waits for its reader, as `echo > fifo` does).
  const handle = await open(target.final, constants.O_WRONLY);
  try {
    for (let off = 0; off < data.byteLength; ) {
      const { bytesWritten } = await handle.write(data, off, data.byteLength - off);
      off += bytesWritten;
    }
  } finally {
    await handle.close();
  }
}

/**
 * Writes several outputs so that the regular files appear whole or not at all, together (see the top of this file):
 * missing parent folders are created; every regular file goes to a temporary name beside it; streams (stdout,
 * devices, FIFOs) are written through; then the temporaries are renamed into place in one synchronous step. On
 * failure the temporary files and the folders this call created are removed, and an NcInputError (WRITE_FAILED) names the output that
 * could not be written.
 */
export async function writeFilesAtomic(files: { path: string; bytes: string | Uint8Array }[]): Promise<void> {
  const targets = await Promise.all(files.map((f) => classifyOutput({ flag: 'output', path: f.path })));
  const temps: (string | undefined)[] = targets.map(() => undefined);
  const created: string[] = [];
  pendingDirs.push(created);
  beginWrite();
  let done = false;
  try {
    for (let i = 0; i < files.length; i++) {
      const t = targets[i];
      if (t.kind !== 'file') continue;
      created.push(...(await createParents(t.final, files[i].path)));
      await removeStaleTemporaries(t.final);
      const tmp = temporaryName(t.final);
      pendingTemps.add(tmp);
      temps[i] = tmp;
      try {
        await writeFile(tmp, files[i].bytes, { flag: 'wx' });
      } catch (e) {
        throw NcInputError.at('WRITE_FAILED', { source: files[i].path }, `cannot write (${describeErrno(e)})`);
      }
    }
    for (let i = 0; i < files.length; i++) {
      const t = targets[i];
      if (t.kind !== 'stream') continue;
      try {
        await writeThrough(t, files[i].bytes);
      } catch (e) {
        throw NcInputError.at('WRITE_FAILED', { source: files[i].path }, `cannot write to ${t.what} (${describeErrno(e)})`);
      }
    }
    const pause = Number(process.env[PAUSE_BEFORE_RENAME_ENV] ?? 0);
    if (pause > 0 && temps.some(Boolean)) {
      writeSync(2, `ncscope: paused ${pause} ms before renaming ${temps.filter(Boolean).length} file(s) into place (${PAUSE_BEFORE_RENAME_ENV})\n`);
      await new Promise((r) => setTimeout(r, pause));
    }
    // The commit: every rename in one synchronous step, so no signal handler runs between two of them.
    for (let i = 0; i < files.length; i++) {
      const tmp = temps[i];
      if (!tmp) continue;
      try {
        renameSync(tmp, (targets[i] as { final: string }).final);
      } catch (e) {
        throw NcInputError.at('WRITE_FAILED', { source: files[i].path }, `cannot write (${describeErrno(e)})`);
      }
      pendingTemps.delete(tmp);
      temps[i] = undefined;
    }
    done = true;
  } finally {
    for (const t of temps) {
      if (!t) continue;
      pendingTemps.delete(t);
      await unlink(t).catch(() => undefined);
    }
    pendingDirs.splice(pendingDirs.indexOf(created), 1);
    if (!done) await removeDirs(created);
    endWrite();
  }
}

/** Writes one output whole or not at all (see {@link writeFilesAtomic}). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await writeFilesAtomic([{ path, bytes: data }]);
}
