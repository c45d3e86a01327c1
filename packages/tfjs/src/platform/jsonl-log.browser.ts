import { NcInputError, type NcMeasurement } from '@ncscope/core';

/**
 * `ncCallback`'s `logFile` outside Node (browsers, workers): there is no file system to append to, so asking for one
 * is a named error when the callback is created. The package's `#jsonl-log` import picks this module under every
 * condition but `node` (./jsonl-log.node.ts there).
 */
export class JsonlLog {
  constructor(readonly path: string) {
    throw new NcInputError('BAD_OPTION', `logFile "${path}": writing files needs Node; in a browser, receive each measurement with onReport (or toMeasurement(report) for the JSONL line) and store or send it yourself`, { source: path });
  }

  /** Never reached (the constructor throws). */
  check(): void {}

  /** Never reached (the constructor throws). */
  async append(_line: NcMeasurement): Promise<void> {}
}
