import { NcInputError, type NcMeasurement } from '@ncscope/core';
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * Appends measurement lines (JSONL, schema `ncscope.measurement/1`) to a file — the Node side of `ncCallback`'s
 * `logFile` (the package's `#jsonl-log` import picks this module under the `node` condition and
 * ./jsonl-log.browser.ts elsewhere, so the browser bundle never reaches `node:fs`). Each line is written by one
 * `appendFile` call (a single O_APPEND write of the whole line), so a reader never sees half a line and several
 * writers interleave whole lines. Missing parent folders are created on the first line.
 */
export class JsonlLog {
  private ready: Promise<void> | undefined;

  constructor(readonly path: string) {}

  /**
   * Checks that the path can take lines: an existing path must be a regular file, a missing one must sit below
   * folders (not below a file), and the file or its nearest existing folder must be writable. Throws a `BAD_OPTION`
   * {@link NcInputError} naming the path otherwise; writes nothing. Synchronous: `ncCallback` runs it when it is
   * created and again when training begins.
   */
  check(): void {
    const path = resolve(this.path);
    const fail = (why: string) => new NcInputError('BAD_OPTION', `logFile "${this.path}" ${why}`, { source: this.path });
    let st: Stats | undefined;
    try {
      st = statSync(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') throw fail('lies below a file, not a folder');
      if (code !== 'ENOENT') throw fail(`cannot be used (${code ?? (e as Error).message})`);
    }
    if (st?.isDirectory()) throw fail(`is a folder; name a file in it, e.g. "${this.path.replace(/\/+$/, '')}/nc.jsonl"`);
    if (st && !st.isFile()) throw fail('is not a regular file (a device, FIFO or socket); name a file');
    let target = path;
    if (!st) {
      // The nearest existing ancestor must be a folder we may create entries in.
      for (let dir = dirname(path); ; dir = dirname(dir)) {
        const a = statSync(dir, { throwIfNoEntry: false });
        if (a) {
          if (!a.isDirectory()) throw fail(`cannot be created: ${dir} is a file, not a folder`);
          target = dir;
          break;
        }
        if (dirname(dir) === dir) break;
      }
    }
    try {
      accessSync(target, constants.W_OK);
    } catch {
      throw fail(target === path ? 'is not writable' : `cannot be created: ${target} is not writable`);
    }
  }

  /** Appends one measurement as a line (the first call creates missing parent folders). */
  async append(line: NcMeasurement): Promise<void> {
    if (!this.ready) this.ready = mkdir(dirname(this.path), { recursive: true }).then(() => undefined);
    try {
      await this.ready;
      await appendFile(this.path, `${JSON.stringify(line)}\n`, { encoding: 'utf8', flag: 'a' });
    } catch (e) {
      this.ready = undefined;
      const err = e as NodeJS.ErrnoException;
      throw new NcInputError('BAD_OPTION', `logFile "${this.path}": cannot append a measurement (${err.code ?? err.message})`, { source: this.path });
    }
  }
}
