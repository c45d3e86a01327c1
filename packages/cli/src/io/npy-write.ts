import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CliError } from '../errors.js';

/**
 * Encodes a C-order little-endian `.npy` file, format version 1.0
 * (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html): magic "\x93NUMPY", version 1.0,
 * uint16 header length, then the header dict padded with spaces and a newline so the data starts at a multiple
 * of 64 bytes. `np.load` and `torch.from_numpy(np.load(...))` read it directly.
 */
export function encodeNpy(data: Float32Array | Float64Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`encodeNpy: shape (${shape.join(', ')}) has ${count} elements, data has ${data.length}`);
  const descr = data instanceof Float32Array ? '<f4' : '<f8';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const bytes = new Uint8Array(10 + header.length + data.byteLength);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(bytes.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) bytes[10 + i] = header.charCodeAt(i);
  const view = new DataView(bytes.buffer, 10 + header.length);
  if (data instanceof Float32Array) for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  else for (let i = 0; i < data.length; i++) view.setFloat64(i * 8, data[i], true);
  return bytes;
}

/**
 * Writes several files so that each appears whole or not at all: every file goes to a temporary name in its
 * target directory first; only when all were written are they renamed into place. On failure the temporary files
 * are removed and a CliError names the file that could not be written.
 */
export async function writeFilesAtomic(files: { path: string; bytes: Uint8Array }[]): Promise<void> {
  const temps: string[] = [];
  const fail = (path: string, e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'directory does not exist' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    return new CliError(`${path}: cannot write (${why})`);
  };
  try {
    for (const f of files) {
      const tmp = join(dirname(f.path), `.${basename(f.path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        await writeFile(tmp, f.bytes);
      } catch (e) {
        throw fail(f.path, e);
      }
      temps.push(tmp);
    }
    for (let i = 0; i < files.length; i++) {
      try {
        await rename(temps[i], files[i].path);
      } catch (e) {
        throw fail(files[i].path, e);
      }
      temps[i] = '';
    }
  } finally {
    await Promise.all(temps.filter(Boolean).map((t) => unlink(t).catch(() => undefined)));
  }
}
