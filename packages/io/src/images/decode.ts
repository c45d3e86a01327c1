import { readFile } from 'node:fs/promises';
import type sharpType from 'sharp';
import { BmpError, bmpSize, decodeBmp, isBmp } from './bmp.js';
import { ioError, missingLibrary } from './errors.js';
import { outputSize, transformInto, type ResolvedTransform, type RgbImage } from './transform.js';

type Sharp = typeof sharpType;
let sharpModule: Promise<Sharp> | undefined;

/**
 * sharp (libvips, prebuilt for the platform) is loaded on the first image, never when the program starts.
 * Its operation cache is off (every image is read once) and each decode runs on one thread: parallelism comes
 * from the decode workers, one image each.
 */
export function loadSharp(): Promise<Sharp> {
  sharpModule ??= import('sharp').catch((e: unknown) => {
    sharpModule = undefined;
    throw missingLibrary('sharp', 'read images', e);
  }).then((m) => {
    const sharp = ((m as { default?: Sharp }).default ?? m) as Sharp;
    sharp.cache(false);
    sharp.concurrency(1);
    return sharp;
  });
  return sharpModule;
}

/** Colour spaces decoded as they are stored: PIL's `convert('RGB')` does no colour management either. */
const PLAIN_SPACES = new Set(['srgb', 'rgb', 'b-w', 'rgb16', 'grey16', 'multiband']);

/**
 * Decodes one image file's bytes to 8-bit RGB as PIL's `Image.open(f).convert('RGB')` does (torchvision's
 * ImageFolder loader): alpha dropped (not composited), grey replicated, palettes expanded, 16-bit samples reduced to
 * their high byte (PIL does so for 16-bit RGB/RGBA/LA PNGs; for 16-bit grey PNGs PIL clips at 255 instead, which
 * saturates the image — ncscope takes the high byte there too), embedded ICC profiles and EXIF orientation ignored,
 * the first page of a multi-page TIFF. CMYK images are refused: PIL converts them with a naive formula and
 * colour-managed tools differ, so convert them to RGB first with the tool you trust.
 * Truncated or corrupt images are refused (`BAD_FILE`), naming `source`.
 */
export async function decodeImage(bytes: Uint8Array, source: string): Promise<RgbImage> {
  if (isBmp(bytes)) {
    try {
      return decodeBmp(bytes);
    } catch (e) {
      if (e instanceof BmpError) throw ioError('BAD_FILE', `${source}: cannot decode the BMP image: ${e.message}`, { source });
      throw e;
    }
  }
  const sharp = await loadSharp();
  let raw: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    const img = sharp(bytes, { ignoreIcc: true, failOn: 'truncated' });
    const meta = await img.metadata();
    if (meta.space === 'cmyk') throw ioError('BAD_FILE', `${source}: a CMYK image; convert it to RGB first (ncscope, like torchvision's transforms, reads RGB and greyscale images)`, { source });
    if (meta.space !== undefined && !PLAIN_SPACES.has(meta.space)) throw ioError('BAD_FILE', `${source}: images in the ${meta.space} colour space are not supported; convert it to RGB first`, { source });
    raw = await img.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    if (e instanceof Error && e.name === 'NcInputError') throw e;
    const why = (e as Error).message.split('\n')[0].replace(/^Input buffer has corrupt header: /, '');
    throw ioError('BAD_FILE', `${source}: cannot decode the image (${why || 'unreadable'})`, { source });
  }
  const { data, info } = raw;
  const { width, height, channels } = info;
  const n = width * height;
  if (data.length !== n * channels) throw ioError('BAD_FILE', `${source}: decoded ${data.length} bytes for ${width} × ${height} × ${channels}`, { source });
  if (channels === 3) return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  const out = new Uint8Array(n * 3);
  if (channels === 4) {
    for (let p = 0; p < n; p++) {
      out[p * 3] = data[p * 4];
      out[p * 3 + 1] = data[p * 4 + 1];
      out[p * 3 + 2] = data[p * 4 + 2];
    }
  } else if (channels === 1 || channels === 2) {
    for (let p = 0; p < n; p++) out[p * 3] = out[p * 3 + 1] = out[p * 3 + 2] = data[p * channels];
  } else throw ioError('BAD_FILE', `${source}: an image with ${channels} channels; expected grey, grey + alpha, RGB or RGBA`, { source });
  return { width, height, data: out };
}

/** Width and height from an image's header (no pixels decoded). */
export async function imageSize(bytes: Uint8Array, source: string): Promise<{ width: number; height: number }> {
  if (isBmp(bytes)) {
    try {
      return bmpSize(bytes);
    } catch (e) {
      throw ioError('BAD_FILE', `${source}: cannot read the BMP header: ${(e as Error).message}`, { source });
    }
  }
  const sharp = await loadSharp();
  try {
    const m = await sharp(bytes, { ignoreIcc: true }).metadata();
    if (!m.width || !m.height) throw new Error('no size in the header');
    return { width: m.width, height: m.height };
  } catch (e) {
    throw ioError('BAD_FILE', `${source}: cannot read the image header (${(e as Error).message.split('\n')[0]})`, { source });
  }
}

/** One image to read: a file, or bytes already in memory (a table's image column). */
export interface ImageJob {
  /** Name for messages: the path, or `table.parquet row 17`. */
  name: string;
  path?: string;
  bytes?: Uint8Array;
}

/** A decoded, transformed sample: C · H · W float32 values. */
export interface DecodedSample {
  data: Float32Array;
  height: number;
  width: number;
}

/** Reads a job's bytes (file errors named). */
export async function jobBytes(job: ImageJob): Promise<Uint8Array> {
  if (job.bytes) return job.bytes;
  try {
    return await readFile(job.path!);
  } catch (e) {
    throw ioError('BAD_FILE', `${job.name}: cannot read the image (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { source: job.name });
  }
}

/** Decodes and transforms one image: the work of a decode worker. */
export async function decodeSample(job: ImageJob, t: ResolvedTransform): Promise<DecodedSample> {
  const img = await decodeImage(await jobBytes(job), job.name);
  const [height, width] = outputSize(t, img.width, img.height);
  const data = new Float32Array(t.channels * height * width);
  transformInto(img, t, data, 0);
  return { data, height, width };
}
