import {
  NcInputError, encodeTensorBoardFileHeader, encodeTensorBoardScalars, tensorBoardEventFileName, type TensorBoardScalar,
} from '@ncscope/core';
import { accessSync, constants, mkdirSync, statSync, type Stats } from 'node:fs';
import { appendFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** Options of {@link TensorBoardEventFile.create}. */
export interface EventFileOptions {
  /** Host name in the file name (default: `os.hostname()`). */
  host?: string;
  /** Clock, in milliseconds since the Unix epoch (default `Date.now`): the file name's seconds and events' wall time. */
  now?: () => number;
  /** File name suffix (default `.v2`, tfjs-node's `summaryFileWriter`). */
  suffix?: string;
  /** Records held in memory before they are appended (default 100); `flush()` appends them at once. */
  maxQueue?: number;
}

/**
 * Checks that `dir` can hold event files: an existing path must be a folder, a missing one must not lie below a
 * file, and the folder (or its nearest existing ancestor) must be writable. Throws a `BAD_OPTION`
 * {@link NcInputError} naming `dir` (as `what`, e.g. "logdir") otherwise. Writes nothing; synchronous, so callers can
 * refuse a bad folder when they are created, before any training starts.
 */
export function checkEventFolder(dir: string, what = 'logdir'): void {
  if (typeof dir !== 'string' || dir.length === 0) throw new NcInputError('BAD_OPTION', `${what} must be a folder path`);
  const fail = (why: string) => new NcInputError('BAD_OPTION', `${what} "${dir}" ${why}`, { source: dir });
  const absolute = resolve(dir);
  let existing = absolute;
  for (;;) {
    let st: Stats | undefined;
    try {
      st = statSync(existing);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') throw fail('lies below a file, not a folder');
      if (code !== 'ENOENT') throw fail(`cannot be used (${code ?? (e as Error).message})`);
    }
    if (st) {
      if (!st.isDirectory()) throw fail(existing === absolute ? 'is a file, not a folder; TensorBoard logs go in a folder' : `cannot be created: ${existing} is a file, not a folder`);
      break;
    }
    if (dirname(existing) === existing) break;
    existing = dirname(existing);
  }
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch {
    throw fail(existing === absolute ? 'is not writable' : `cannot be created: ${existing} is not writable`);
  }
}

/**
 * Creates `dir` and its missing ancestors, one level at a time (Node's recursive mkdir loops forever below /proc),
 * after {@link checkEventFolder}; a folder that cannot be made is a `BAD_OPTION` error naming `dir`.
 */
export function makeEventFolder(dir: string, what = 'logdir'): void {
  checkEventFolder(dir, what);
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (statSync(d, { throwIfNoEntry: false })) break;
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  try {
    for (const d of missing) {
      try {
        mkdirSync(d);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
  } catch (e) {
    throw new NcInputError('BAD_OPTION', `${what} "${dir}" cannot be created (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { source: dir });
  }
}

/**
 * One TensorBoard event file on disk, written as tfjs-node's `tf.node.summaryFileWriter` writes it (TensorFlow's
 * `EventsWriter`): named `events.out.tfevents.<seconds>.<host>.v2` in its folder (created if missing), starting with
 * the `brain.Event:2` file-version record, then one record per {@link add}. Never replaces a file: when the name is
 * taken (two writers in one second), `.<pid>.<n>` goes before the suffix. Records are appended in batches
 * (`maxQueue`, `flush()`), each batch by one append, so readers see whole records. The bytes come from core's pure
 * encoder (`encodeTensorBoardScalars`), which browsers can use too.
 */
export class TensorBoardEventFile {
  private queue: Uint8Array[] = [];
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    /** Absolute path of the file. */
    readonly path: string,
    private readonly now: () => number,
    private readonly maxQueue: number,
  ) {}

  /** Creates the folder if needed and the file with its file-version record. Named errors as {@link checkEventFolder}. */
  static async create(dir: string, options: EventFileOptions = {}): Promise<TensorBoardEventFile> {
    const now = options.now ?? Date.now;
    const maxQueue = options.maxQueue ?? 100;
    if (!(Number.isInteger(maxQueue) && maxQueue >= 1)) throw new NcInputError('BAD_OPTION', `maxQueue must be a positive integer, got ${maxQueue}`);
    makeEventFolder(dir);
    const seconds = Math.floor(now() / 1000);
    const host = options.host ?? hostname();
    const suffix = options.suffix ?? '.v2';
    const header = encodeTensorBoardFileHeader(seconds);
    for (let n = 0; ; n++) {
      const name = n === 0 ? tensorBoardEventFileName(seconds, host, suffix) : tensorBoardEventFileName(seconds, `${host}.${process.pid}.${n}`, suffix);
      const path = join(resolve(dir), name);
      try {
        await writeFile(path, header, { flag: 'wx' });
        return new TensorBoardEventFile(path, now, maxQueue);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST' && n < 1000) continue;
        throw new NcInputError('BAD_OPTION', `logdir "${dir}": cannot create ${name} (${code ?? (e as Error).message})`, { source: dir });
      }
    }
  }

  /** Queues one event with scalars at `step` (wall time: now, or `wallTime` in seconds); appends when the queue is full. */
  add(step: number, scalars: readonly TensorBoardScalar[], wallTime = this.now() / 1000): Promise<void> {
    this.queue.push(encodeTensorBoardScalars(step, scalars, wallTime));
    return this.queue.length >= this.maxQueue ? this.flush() : Promise.resolve();
  }

  /** Appends every queued record (one write); resolves when they are on disk. */
  flush(): Promise<void> {
    if (this.queue.length === 0) return this.writing;
    const total = this.queue.reduce((n, r) => n + r.length, 0);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const r of this.queue) {
      bytes.set(r, at);
      at += r.length;
    }
    this.queue = [];
    this.writing = this.writing.then(() => appendFile(this.path, bytes, { flag: 'a' })).catch((e: NodeJS.ErrnoException) => {
      throw new NcInputError('BAD_OPTION', `${this.path}: cannot append TensorBoard events (${e.code ?? e.message})`, { source: this.path });
    });
    return this.writing;
  }
}
