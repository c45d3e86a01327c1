import type { NcMeasurement } from '@ncscope/core';

/**
 * Appends measurement lines (JSONL, schema `ncscope.measurement/1`) to a file. Each line is written by one
 * `appendFile` call (a single O_APPEND write of the whole line), so a reader never sees half a line and several
 * writers interleave whole lines. The directory is created on first use. `node:fs` is imported lazily, so the
 * package still loads in browsers when no log file is asked for.
 */
export class JsonlLog {
  private ready: Promise<void> | undefined;

  constructor(readonly path: string) {}

  async append(line: NcMeasurement): Promise<void> {
    const fs = await import('node:fs/promises');
    if (!this.ready) {
      const { dirname } = await import('node:path');
      this.ready = fs.mkdir(dirname(this.path), { recursive: true }).then(() => undefined);
    }
    await this.ready;
    await fs.appendFile(this.path, `${JSON.stringify(line)}\n`, { encoding: 'utf8', flag: 'a' });
  }
}
