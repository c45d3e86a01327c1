import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/**
 * What a path that is not a regular file is, for messages ("a named pipe (FIFO)", "a character device", …).
 * Reading such a path could block forever (a FIFO with no writer) or never end (/dev/zero), so ncscope refuses it.
 */
export function describeNonRegularFile(st: Pick<Stats, 'isDirectory' | 'isFIFO' | 'isCharacterDevice' | 'isBlockDevice' | 'isSocket'>): string {
  if (st.isDirectory()) return 'a folder, not a file';
  if (st.isFIFO()) return 'a named pipe (FIFO), not a regular file';
  if (st.isCharacterDevice()) return 'a character device, not a regular file';
  if (st.isBlockDevice()) return 'a block device, not a regular file';
  if (st.isSocket()) return 'a socket, not a regular file';
  return 'not a regular file';
}

/** Open flags that never block: O_NONBLOCK makes opening a FIFO return at once, so fstat can refuse it. */
export const OPEN_READ_NONBLOCKING = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** Why a file could not be read: `reason` is the short text for messages ("no such file", "a folder, not a file"). */
export class FileReadError extends Error {
  constructor(readonly path: string, readonly reason: string, readonly code?: string) {
    super(`${path}: ${reason}`);
  }
}

/**
 * Reads bytes [offset, offset + length) of a regular file — by default the whole file — with positioned reads,
 * never more than the file holds. A missing file, a folder, a FIFO or a device is a FileReadError before any
 * byte is read; a range beyond the end is one too ("truncated").
 */
export function readRegularFileSync(path: string, range: { offset?: number; length?: number } = {}): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, OPEN_READ_NONBLOCKING);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileReadError(path, code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (e as Error).message, code);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new FileReadError(path, describeNonRegularFile(st));
    const offset = range.offset ?? 0;
    const length = range.length ?? Math.max(0, st.size - offset);
    if (offset < 0 || offset + length > st.size) throw new FileReadError(path, `truncated: needs bytes ${offset}..${offset + length}, the file has ${st.size}`);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, Math.min(length - done, 1 << 30), offset + done);
      if (n === 0) throw new FileReadError(path, `truncated: the file ended at byte ${offset + done} (expected ${offset + length})`);
      done += n;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}
