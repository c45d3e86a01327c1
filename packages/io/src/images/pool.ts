import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { NcErrorCode, NcInputError } from '@ncscope/core';
import { decodeSample, type DecodedSample, type ImageJob } from './decode.js';
import { ioError } from './errors.js';
import type { ResolvedTransform } from './transform.js';

/** Default number of decode workers: one per core (onnxruntime waits on the same cores; decoding keeps ahead of it). */
export function defaultDecodeWorkers(): number {
  return Math.max(1, availableParallelism());
}

interface Pending {
  resolve(s: DecodedSample): void;
  reject(e: unknown): void;
}

/**
 * Decodes images in worker threads (0 workers: in this thread). Jobs go to the worker with the fewest in
 * flight; results come back as transferred buffers. Under the sources (tests, `tsx`), workers run the TypeScript
 * worker through tsx; built, the compiled worker.js beside this file.
 */
export class DecodePool {
  private readonly workers: { w: Worker; busy: number; pending: Map<number, Pending> }[] = [];
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly transform: ResolvedTransform,
    workers: number = defaultDecodeWorkers(),
  ) {
    if (!(Number.isInteger(workers) && workers >= 0)) throw new RangeError(`decode workers must be a non-negative integer, got ${workers}`);
    const source = import.meta.url.endsWith('.ts');
    for (let i = 0; i < workers; i++) {
      const w = source
        ? // Under the TypeScript sources: register tsx's loader in the worker, then import the worker module.
          new Worker(`import(${JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href)}).then((m) => { m.register(); return import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)}); })`, {
            eval: true,
            workerData: { transform },
            execArgv: ['--conditions=@ncscope/source'],
          })
        : new Worker(new URL('./worker.js', import.meta.url), { workerData: { transform } });
      const entry = { w, busy: 0, pending: new Map<number, Pending>() };
      w.on('message', (m: { id: number; sample?: DecodedSample; error?: { name: string; code?: string; message: string; where?: NcInputError['where'] } }) => {
        const p = entry.pending.get(m.id);
        if (!p) return;
        entry.pending.delete(m.id);
        if (--entry.busy === 0) w.unref(); // idle workers do not keep the process alive
        if (m.sample) p.resolve(m.sample);
        else if (m.error!.name === 'NcInputError') p.reject(ioError((m.error!.code ?? 'BAD_FILE') as NcErrorCode, m.error!.message, m.error!.where));
        else p.reject(new Error(m.error!.message));
      });
      const fail = (e: unknown) => {
        for (const p of entry.pending.values()) p.reject(e instanceof Error ? new Error(`image decode worker failed: ${e.message}`) : e);
        entry.pending.clear();
        entry.busy = 0;
      };
      w.on('error', fail);
      w.on('exit', (code) => {
        if (!this.closed) fail(new Error(`exited with code ${code}`));
      });
      w.unref();
      this.workers.push(entry);
    }
  }

  /** Number of worker threads (0: decoding runs in this thread). */
  get size(): number {
    return this.workers.length;
  }

  /** Decodes and transforms one image. */
  run(job: ImageJob): Promise<DecodedSample> {
    if (this.closed) return Promise.reject(new Error('decode pool is closed'));
    if (this.workers.length === 0) return decodeSample(job, this.transform);
    let best = this.workers[0];
    for (const e of this.workers) if (e.busy < best.busy) best = e;
    const id = this.nextId++;
    if (best.busy++ === 0) best.w.ref(); // a worker with jobs keeps the process alive until it answers
    return new Promise<DecodedSample>((resolve, reject) => {
      best.pending.set(id, { resolve, reject });
      best.w.postMessage({ id, job });
    });
  }

  /** Stops the workers (pending jobs are rejected). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((e) => e.w.terminate()));
  }
}
