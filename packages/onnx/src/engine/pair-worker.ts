/**
 * The tiles of the report's K × K pair products (core's forEachPairTile) computed in a worker thread: onnxruntime-node
 * runs a session on the thread that calls it, so on the main thread every float64 tile product stopped the
 * JavaScript that folds the previous tile into the metrics. In a worker, the products of the next tiles run on
 * onnxruntime's threads while the main thread reduces the current one: on 2 cores the two kinds of work share the
 * machine instead of taking turns.
 *
 * The worker is one small CommonJS script (below, run with `eval`: it needs no file of its own, so it runs the same
 * from the sources, the built package and a bundle). It holds a copy of the product's rows for the whole pass, so a
 * tile request carries four numbers, and it transfers each tile's values back without a copy.
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-node';
import type { PairProductSource } from '@ncscope/core';
import { ONNX_DOUBLE } from './graph-builder.js';
import { matmulNTModel } from './kernel-models.js';

/** The worker: one float64 A·Bᵀ session; `rows` registers X (and Z), `tile` computes a block, `release` drops rows. */
const WORKER_SOURCE = `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.onnxruntime);
const rows = new Map();
let queue = ort.InferenceSession.create(workerData.model, workerData.options).then(
  (session) => { parentPort.postMessage({ ready: true }); return session; },
  (error) => { parentPort.postMessage({ ready: false, error: String((error && error.message) || error) }); throw error; },
);
parentPort.on('message', (m) => {
  if (m.type === 'rows') { rows.set(m.id, m); return; }
  if (m.type === 'release') { queue = queue.then((session) => { rows.delete(m.id); return session; }); return; }
  queue = queue.then(async (session) => {
    try {
      const r = rows.get(m.rows);
      const Z = r.Z || r.X;
      const D = r.D;
      const out = await session.run({
        A: new ort.Tensor('float64', r.X.subarray(m.r0 * D, (m.r0 + m.n) * D), [m.n, D]),
        B: new ort.Tensor('float64', Z.subarray(m.c0 * D, (m.c0 + m.c) * D), [m.c, D]),
      });
      let v = out.C.data;
      if (v.byteOffset !== 0 || v.buffer.byteLength !== v.byteLength) v = v.slice();
      parentPort.postMessage({ id: m.id, values: v }, [v.buffer]);
    } catch (error) {
      parentPort.postMessage({ id: m.id, error: String((error && error.message) || error) });
    }
    return session;
  });
});
`;

interface Pending {
  resolve(values: Float64Array): void;
  reject(error: Error): void;
}

/** A running pair-product worker; `source` registers the rows of one product. */
export class PairWorker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: { id: number; values?: Float64Array; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      this.idle();
      if (m.values) p.resolve(m.values);
      else p.reject(new Error(`pair-product worker: ${m.error}`));
    });
    const fail = (error: Error) => {
      this.failure ??= error;
      for (const p of this.pending.values()) p.reject(this.failure);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the pair-product worker stopped (exit code ${code})`)));
    worker.unref();
  }

  /**
   * Starts a worker with its float64 product session, or resolves to undefined (with the reason in `onFailure`) when
   * onnxruntime cannot run in a worker here.
   */
  static async start(options: InferenceSession.SessionOptions, onFailure?: (reason: string) => void): Promise<PairWorker | undefined> {
    let worker: Worker;
    try {
      const onnxruntime = createRequire(import.meta.url).resolve('onnxruntime-node');
      worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { onnxruntime, model: matmulNTModel(ONNX_DOUBLE), options } });
    } catch (error) {
      onFailure?.(String(error));
      return undefined;
    }
    const ready = await new Promise<{ ready: boolean; error?: string }>((resolve) => {
      worker.once('message', resolve);
      worker.once('error', (error) => resolve({ ready: false, error: String(error) }));
    });
    if (!ready.ready) {
      onFailure?.(ready.error ?? 'unknown');
      await worker.terminate();
      return undefined;
    }
    return new PairWorker(worker);
  }

  /** Copies X and Z (Z = X for a symmetric product: one copy) into the worker for the tiles of X Zᵀ. */
  source(X: Float64Array, Z: Float64Array, D: number): PairProductSource {
    const id = this.nextId++;
    const x = X.slice();
    const z = Z === X ? undefined : Z.slice();
    this.worker.postMessage({ type: 'rows', id, X: x, Z: z, D }, z ? [x.buffer, z.buffer] : [x.buffer]);
    return {
      tile: (r0, n, c0, c) => this.request({ type: 'tile', rows: id, r0, n, c0, c }),
      release: () => { if (!this.failure) this.worker.postMessage({ type: 'release', id }); },
    };
  }

  private request(message: Record<string, unknown>): Promise<Float64Array> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const promise = new Promise<Float64Array>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    // Keep the process alive while a tile is on its way (an idle worker never holds it open).
    if (this.pending.size === 1) this.worker.ref();
    this.worker.postMessage({ ...message, id });
    return promise;
  }

  private idle(): void {
    if (this.pending.size === 0) this.worker.unref();
  }

  async terminate(): Promise<void> {
    this.failure ??= new Error('the pair-product worker was stopped (engine disposed)');
    await this.worker.terminate();
  }
}

/** Threads the worker's session uses: every core (the main thread's reductions share them). */
export const PAIR_WORKER_THREADS = availableParallelism();
