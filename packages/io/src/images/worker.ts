/**
 * A decode worker (worker_threads): receives image jobs, answers with transformed float32 samples (their buffers
 * transferred, not copied) or with the named error of the image.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeSample, type ImageJob } from './decode.js';
import type { ResolvedTransform } from './transform.js';

const transform = (workerData as { transform: ResolvedTransform }).transform;

parentPort!.on('message', (msg: { id: number; job: ImageJob }) => {
  decodeSample(msg.job, transform).then(
    (r) => parentPort!.postMessage({ id: msg.id, sample: r }, [r.data.buffer as ArrayBuffer]),
    (e: unknown) => {
      const err = e as Error & { code?: string; where?: unknown };
      parentPort!.postMessage({ id: msg.id, error: { name: err.name, code: err.code, message: err.message, where: err.where } });
    },
  );
});
