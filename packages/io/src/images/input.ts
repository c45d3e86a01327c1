import { ioError } from './errors.js';
import { imageSize, jobBytes, type ImageJob } from './decode.js';
import { DecodePool } from './pool.js';
import { outputSize, resolveTransform, type ImageTransform, type ResolvedTransform } from './transform.js';

/** Where the images of an {@link ImageInput} come from: `count` images, handed out by row range. */
export interface ImageJobSource {
  readonly count: number;
  /** Jobs for rows start … start+count−1 (file paths, or bytes read from a table). */
  jobs(start: number, count: number): ImageJob[] | Promise<ImageJob[]>;
}

/** Options of {@link openImageInput}. */
export interface ImageInputOptions {
  /** Decode worker threads (default: one per core; 0 decodes in this thread). */
  workers?: number;
  /** Batches decoded ahead of the one read (default 1: the next batch decodes while the model runs on this one). */
  ahead?: number;
  /** Name for messages (the folder or table). */
  source?: string;
}

/**
 * Images as model input rows: the shape `[N, C, H, W]` (or `[N, H, W, C]`), float32, `read(start, count)` returning
 * those rows decoded and transformed. Structurally an `InputArray` of @ncscope/onnx, so `analyzeModel` and the CLI
 * run models on it directly. Reading a range also starts decoding the next range of the same size in the worker
 * threads, so decoding overlaps the model's run on the current batch.
 */
export interface ImageInput {
  readonly shape: readonly number[];
  readonly source: string;
  /** The transform with its defaults. */
  readonly transform: ResolvedTransform;
  read(start: number, count: number): Promise<Float32Array>;
  /** Stops the decode workers. */
  close(): Promise<void>;
}

/**
 * Opens images as model input. The sample size is fixed by `--center-crop`, or `--resize H,W`; otherwise the first
 * image sets it (header only) and every other image must come out the same size — mixed sizes are refused, naming
 * both images, with the advice to resize or crop.
 */
export async function openImageInput(source: ImageJobSource, transform: ImageTransform = {}, options: ImageInputOptions = {}): Promise<ImageInput> {
  const t = resolveTransform(transform);
  const name = options.source ?? 'images';
  if (source.count === 0) throw ioError('NO_DATA', `${name}: no images`, { source: name });
  const [first] = await source.jobs(0, 1);
  let size: [number, number];
  let sizeFrom: string;
  if (t.centerCrop) {
    size = [t.centerCrop[0], t.centerCrop[1]];
    sizeFrom = `--center-crop ${t.centerCrop.join(',')}`;
  } else if (t.resize !== undefined && typeof t.resize !== 'number') {
    size = [t.resize[0], t.resize[1]];
    sizeFrom = `--resize ${t.resize.join(',')}`;
  } else {
    const s = await imageSize(await jobBytes(first), first.name);
    size = outputSize(t, s.width, s.height);
    sizeFrom = t.resize === undefined ? `${first.name} (${s.width} × ${s.height})` : `${first.name} (${s.width} × ${s.height}, resized to ${size[1]} × ${size[0]})`;
  }
  const [H, W] = size;
  const C = t.channels;
  const per = C * H * W;
  const shape = t.layout === 'nchw' ? [source.count, C, H, W] : [source.count, H, W, C];
  const pool = new DecodePool(t, options.workers);
  const ahead = options.ahead ?? 1;
  const queued = new Map<string, Promise<Float32Array>>();

  const decodeRange = async (start: number, count: number): Promise<Float32Array> => {
    const jobs = await source.jobs(start, count);
    const out = new Float32Array(count * per);
    await Promise.all(jobs.map(async (job, i) => {
      const s = await pool.run(job);
      if (s.height !== H || s.width !== W) {
        const advice = t.resize === undefined ? 'pass --resize and/or --center-crop to bring every image to one size' : 'pass --center-crop (or --resize H,W) to give every image one size';
        throw ioError('SHAPE', `${job.name}: comes out ${s.width} × ${s.height} but the samples are ${W} × ${H} (set by ${sizeFrom}); ${advice}`, { source: job.name, row: start + i });
      }
      out.set(s.data, i * per);
    }));
    return out;
  };

  return {
    shape,
    source: name,
    transform: t,
    async read(start: number, count: number): Promise<Float32Array> {
      const key = `${start}:${count}`;
      const p = queued.get(key) ?? decodeRange(start, count);
      queued.delete(key);
      for (let k = 1, next = start + count; k <= ahead && next < source.count; k++, next += count) {
        const n = Math.min(count, source.count - next);
        const nk = `${next}:${n}`;
        if (!queued.has(nk)) {
          const q = decodeRange(next, n);
          q.catch(() => {}); // reported when (if) that batch is read
          queued.set(nk, q);
        }
      }
      return p;
    },
    async close() {
      queued.clear();
      await pool.close();
    },
  };
}
