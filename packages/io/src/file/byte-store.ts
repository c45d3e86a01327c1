import { open, type FileHandle } from 'node:fs/promises';
import { describeNonRegularFile, OPEN_READ_NONBLOCKING } from './read-file.js';
import { NcInputError } from '@ncscope/core';

/**
 * Random-access bytes: a file on disk read through a file descriptor, a window into one (a stored zip member),
 * or a deflated zip member inflated as a stream (npz.ts, InflatingStore). Every read returns an 8-byte aligned Uint8Array at offset 0 of its
 * ArrayBuffer, so typed-array views of it need no copy: a fresh one, or the first `length` bytes of `into` when given
 * (a caller's buffer reused from read to read, so a stream of batches does not fault in fresh pages every time).
 */
export interface ByteStore {
  /** For messages: the file path, or `path: member 'x.npy'`. */
  readonly name: string;
  readonly size: number;
  read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** A file read with positioned reads (`pread`), never loaded whole. */
export class FileStore implements ByteStore {
  private constructor(
    readonly name: string,
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  /**
   * Opens `path`; a missing or unreadable file is an NcInputError (BAD_FILE) naming it, and so is anything but a regular file —
   * a folder, a FIFO (opened without blocking, so a pipe with no writer cannot hang the command), /dev/zero or
   * another device. Reads are then bounded by the size the file had when opened.
   */
  static async open(path: string): Promise<FileStore> {
    let handle: FileHandle;
    try {
      handle = await open(path, OPEN_READ_NONBLOCKING);
    } catch (e) {
      throw NcInputError.at('BAD_FILE', { source: path }, describeFsError(e));
    }
    const st = await handle.stat();
    if (!st.isFile()) {
      await handle.close();
      throw NcInputError.at('BAD_FILE', { source: path }, describeNonRegularFile(st));
    }
    return new FileStore(path, handle, st.size);
  }

  /** The whole file as UTF-8 text (statistics and measurement files), refused like {@link FileStore.open}. */
  static async readText(path: string): Promise<string> {
    const store = await FileStore.open(path);
    try {
      return new TextDecoder().decode(await store.read(0, store.size));
    } finally {
      await store.close();
    }
  }

  async read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    if (offset < 0 || offset + length > this.size) {
      throw NcInputError.at('BAD_FILE', { source: this.name }, `truncated: needs bytes ${offset}..${offset + length} but the file has ${this.size}`);
    }
    const out = into && into.byteOffset === 0 && into.byteLength >= length ? into.subarray(0, length) : new Uint8Array(length);
    let done = 0;
    while (done < length) {
      // pread may return fewer bytes than asked (large reads are capped at 2 GiB); loop until full.
      const { bytesRead } = await this.handle.read(out, done, Math.min(length - done, 1 << 30), offset + done);
      if (bytesRead === 0) throw NcInputError.at('BAD_FILE', { source: this.name }, `truncated: file ended at byte ${offset + done} (expected ${offset + length})`);
      done += bytesRead;
    }
    return out;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** A byte range [start, start + size) of another store: a stored (uncompressed) zip member. */
export class WindowStore implements ByteStore {
  constructor(
    readonly name: string,
    private readonly parent: ByteStore,
    private readonly start: number,
    readonly size: number,
  ) {}

  read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    if (offset < 0 || offset + length > this.size) {
      return Promise.reject(NcInputError.at('BAD_FILE', { source: this.name }, `truncated: needs bytes ${offset}..${offset + length} but the member has ${this.size}`));
    }
    return this.parent.read(this.start + offset, length, into);
  }

  async close(): Promise<void> {
    // The parent is closed by whoever opened it.
  }
}

/** Short text for an fs error: "no such file", "permission denied", … */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT': return 'no such file';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a directory, not a file';
    default: return (e as Error)?.message ?? String(e);
  }
}
