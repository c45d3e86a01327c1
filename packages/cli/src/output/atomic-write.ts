import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CliError } from '../errors.js';

/**
 * Writes several files so that each appears whole or not at all: every file goes to a temporary name in its
 * target directory first; only when all were written are they renamed into place. On failure the temporary files
 * are removed and a CliError names the file that could not be written.
 */
export async function writeFilesAtomic(files: { path: string; bytes: string | Uint8Array }[]): Promise<void> {
  const temps: string[] = [];
  const fail = (path: string, e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'directory does not exist' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    return new CliError(`${path}: cannot write (${why})`);
  };
  try {
    for (const f of files) {
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
  } finally {
    await Promise.all(temps.filter(Boolean).map((t) => unlink(t).catch(() => undefined)));
  }
}

/** Writes one file whole or not at all (see {@link writeFilesAtomic}). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await writeFilesAtomic([{ path, bytes: data }]);
}
