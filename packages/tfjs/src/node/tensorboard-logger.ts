import { NcInputError, tensorBoardScalarsFromLogs } from '@ncscope/core';
import { CustomCallback, type Logs } from '@tensorflow/tfjs-layers';
import { join } from 'node:path';
import { TensorBoardEventFile, checkEventFolder, makeEventFolder, type EventFileOptions } from './event-file.js';

/** Options of {@link tensorBoardLogger}. */
export interface TensorBoardLoggerOptions extends Pick<EventFileOptions, 'host' | 'now'> {
  /**
   * `'epoch'` (default): one event per epoch, tags `epoch_<key>` at step epoch + 1. `'batch'`: also every batch, tags
   * `batch_<key>` at step = batches seen since the logger was made (counting across fits, as tfjs-node does). A
   * number n: the batch events of every n-th batch only.
   */
  updateFreq?: 'epoch' | 'batch' | number;
}

type Hooks = { target?: TensorBoardLogger };

/**
 * A tfjs `model.fit` callback that writes the epoch (and batch) logs as TensorBoard scalars in pure TypeScript —
 * tfjs-node's `tf.node.tensorBoard(logdir, { updateFreq })` without the native TensorFlow library. Its conventions:
 * `<logdir>/train/` holds `epoch_<key>` (and `batch_<key>`), `<logdir>/val/` the `val_<key>` logs as `epoch_<key>`;
 * files `events.out.tfevents.<seconds>.<host>.v2`; `batch`, `size` and `num_steps` are not logged.
 *
 * Put it **after** `ncCallback` in the `callbacks` array: tfjs calls callbacks in order with one shared `logs` object,
 * so the NC keys the measuring callback adds (`nc1`, `equiangularityMeans`, …) reach it and appear as `epoch_nc1`, …
 * beside `epoch_loss`. Unmeasured epochs have no NC keys (ncCallback's default `unmeasured: 'omit'`), so NC charts
 * have a point per measurement. The logdir is created with the logger (a file, a path below a file or a folder that
 * cannot be made is a `BAD_OPTION` error then, before any training); the run folders and files on first use. An
 * error while writing fails the `fit` with a `BAD_OPTION` error naming the file; as with any callback error, tfjs
 * then skips `onTrainEnd`, so call `dispose()` on the ncCallback of that fit to free its probe tensors.
 * Node only (import from `@ncscope/tfjs/node`).
 */
export class TensorBoardLogger extends CustomCallback {
  /** The folder given: runs go to its `train/` and `val/` subfolders. */
  readonly logdir: string;
  private readonly updateFreq: 'epoch' | 'batch' | number;
  private readonly fileOptions: EventFileOptions;
  private readonly files = new Map<'train' | 'val', Promise<TensorBoardEventFile>>();
  private batchesSeen = 0;

  constructor(logdir: string, options: TensorBoardLoggerOptions = {}) {
    const hooks: Hooks = {};
    super(
      {
        onTrainBegin: async () => checkEventFolder(hooks.target!.logdir),
        onBatchEnd: (_batch, logs) => hooks.target!.endBatch(logs ?? {}),
        onEpochEnd: (epoch, logs) => hooks.target!.endEpoch(epoch, logs ?? {}),
        onTrainEnd: () => hooks.target!.flush(),
      },
      'never',
    );
    hooks.target = this;
    if (typeof logdir !== 'string' || logdir.length === 0) throw new NcInputError('BAD_OPTION', 'tensorBoardLogger: logdir must be a folder path');
    const u = options.updateFreq ?? 'epoch';
    if (u !== 'epoch' && u !== 'batch' && !(typeof u === 'number' && Number.isInteger(u) && u >= 1)) {
      throw new NcInputError('BAD_OPTION', `tensorBoardLogger: updateFreq must be 'epoch', 'batch' or a positive integer (every n-th batch), got ${String(u)}`);
    }
    // A folder that cannot take logs is refused now, before fit prepares anything: it is created here (the run
    // folders and files on first use) and checked again when training begins.
    makeEventFolder(logdir);
    this.logdir = logdir;
    this.updateFreq = u;
    this.fileOptions = { host: options.host, now: options.now };
  }

  private file(run: 'train' | 'val'): Promise<TensorBoardEventFile> {
    let f = this.files.get(run);
    if (!f) {
      f = TensorBoardEventFile.create(join(this.logdir, run), this.fileOptions);
      // A failed creation is retried on the next write (and its error still reaches this one).
      f.catch(() => this.files.delete(run));
      this.files.set(run, f);
    }
    return f;
  }

  private async write(logs: Logs, prefix: string, step: number): Promise<void> {
    const { train, val } = tensorBoardScalarsFromLogs(logs, prefix);
    if (train.length > 0) await (await this.file('train')).add(step, train);
    if (val.length > 0) await (await this.file('val')).add(step, val);
  }

  private async endBatch(logs: Logs): Promise<void> {
    this.batchesSeen++;
    if (this.updateFreq === 'epoch') return;
    if (this.updateFreq === 'batch' || this.batchesSeen % this.updateFreq === 0) await this.write(logs, 'batch_', this.batchesSeen);
  }

  private async endEpoch(epoch: number, logs: Logs): Promise<void> {
    await this.write(logs, 'epoch_', epoch + 1);
    await this.flush();
  }

  /** Appends every queued event to its file (done at each epoch's end and when training ends). */
  async flush(): Promise<void> {
    for (const f of this.files.values()) await (await f).flush();
  }

  /** The event files written so far, by run (`train`, `val`). */
  async eventFiles(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [run, f] of this.files) out[run] = (await f).path;
    return out;
  }
}

/**
 * Creates the TensorBoard callback (see {@link TensorBoardLogger}):
 *
 * ```ts
 * import { ncCallback } from '@ncscope/tfjs';
 * import { tensorBoardLogger } from '@ncscope/tfjs/node';
 * await model.fit(xs, ys, { epochs: 50, callbacks: [ncCallback({ probe, every: 5 }), tensorBoardLogger('logs/run1')] });
 * // tensorboard --logdir logs
 * ```
 */
export function tensorBoardLogger(logdir = './logs', options: TensorBoardLoggerOptions = {}): TensorBoardLogger {
  return new TensorBoardLogger(logdir, options);
}
