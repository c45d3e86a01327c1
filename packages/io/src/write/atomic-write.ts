import { randomBytes } from 'node:crypto';
import { mkdir, realpath, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { NcInputError } from '@ncscope/core';

/**
 * How the CLI writes files — the one place every command's outputs go through:
 *
 * 1. {@link checkOutputPaths}, before anything is read: an output never resolves (symlinks followed, hard links
 *    compared by device and inode) to an input or to another output, and never names a directory.
 *    Commands do not call it themselves: they declare their file options with `inputFile`/`outputFile`
 *    (./file-options.ts) and the program's preAction hook runs the check (see the CLI README, "For command authors").
 * 2. {@link writeFilesAtomic}: missing parent folders are created, each file goes to a temporary name in its
 *    folder, and only when every file was written are they renamed into place — outputs appear whole or not at all.
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
 * Refuses, with an NcInputError (OUTPUT_PATH) naming both flags, any output that is an input or another output — the same path,
 * a symlink to it, or a hard link to the same file — and any output that is an existing folder. Runs before
 * any input is read, so a refused command leaves every file as it was.
 */
export async function checkOutputPaths(inputs: readonly NamedPath[], outputs: readonly NamedPath[]): Promise<void> {
  const inputIds = await Promise.all(inputs.map(async (p) => ({ p, id: await identify(p).catch(() => ({ real: resolve(p.path) }) as Identity) })));
  const seen: { p: NamedPath; id: Identity }[] = [];
  for (const out of outputs) {
    const id = await identify(out);
    if (id.isDirectory) throw NcInputError.at('OUTPUT_PATH', { source: out.path }, `${out.flag} names a folder; give a file path`);
    const input = inputIds.find((i) => sameFile(i.id, id));
    if (input) {
      const how = input.id.real !== id.real ? ' (a hard link to it)' : resolve(input.p.path) !== resolve(out.path) ? ' (the same file through a symlink)' : '';
      throw NcInputError.at('OUTPUT_PATH', { source: out.path }, `${out.flag} would overwrite the input ${input.p.flag} ${input.p.path}${how}; choose another output path`);
    }
    const other = seen.find((s) => sameFile(s.id, id));
    if (other) throw NcInputError.at('OUTPUT_PATH', { source: out.path }, `${out.flag} and ${other.p.flag} name the same file (${other.p.path}); each output needs its own path`);
    seen.push({ p: out, id });
  }
}

/**
 * Writes several files so that each appears whole or not at all: missing parent folders are created, every file
 * goes to a temporary name in its target folder first; only when all were written are they renamed into place.
 * On failure the temporary files and the folders this call created are removed, and an NcInputError (WRITE_FAILED) names the file
 * that could not be written.
 */
export async function writeFilesAtomic(files: { path: string; bytes: string | Uint8Array }[]): Promise<void> {
  const temps: string[] = [];
  const createdDirs: string[] = [];
  const fail = (path: string, e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'folder does not exist'
      : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
      : code === 'EISDIR' ? 'is a folder'
      : code === 'ENOTDIR' ? 'a parent is a file, not a folder'
      : code === 'ENOSPC' ? 'no space left on the device'
      : (e as Error).message;
    return NcInputError.at('WRITE_FAILED', { source: path }, `cannot write (${why})`);
  };
  let done = false;
  try {
    for (const f of files) {
      try {
        const first = await mkdir(dirname(resolve(f.path)), { recursive: true });
        if (first !== undefined) createdDirs.push(first);
      } catch (e) {
        throw fail(f.path, e);
      }
      const tmp = join(dirname(f.path), `.${basename(f.path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        await writeFile(tmp, f.bytes);
      } catch (e) {
        throw fail(f.path, e);
      }
      temps.push(tmp);
    }
    for (let i = 0; i < files.length; i++) {
      try {
        await rename(temps[i], files[i].path);
      } catch (e) {
        throw fail(files[i].path, e);
      }
      temps[i] = '';
    }
    done = true;
  } finally {
    await Promise.all(temps.filter(Boolean).map((t) => unlink(t).catch(() => undefined)));
    if (!done) await removeCreatedDirs(createdDirs, files.map((f) => resolve(f.path)));
  }
}

/** Removes the folders a failed write created (each `first` is the top of a chain of new folders), if still empty. */
async function removeCreatedDirs(firsts: string[], targets: string[]): Promise<void> {
  for (const first of firsts.reverse()) {
    // Every created folder lies between `first` and some target's parent: remove from the deepest up.
    const chains = targets.map((t) => dirname(t)).filter((d) => d === first || d.startsWith(first + '/'));
    for (const deepest of chains) {
      for (let d = deepest; d === first || d.startsWith(first + '/'); d = dirname(d)) {
        await rmdir(d).catch(() => undefined);
        if (d === first) break;
      }
    }
  }
}

/** Writes one file whole or not at all (see {@link writeFilesAtomic}). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await writeFilesAtomic([{ path, bytes: data }]);
}
