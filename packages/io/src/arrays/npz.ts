import { createRequire } from 'node:module';
import type { Inflate } from 'fflate';
import { NcInputError } from '@ncscope/core';
import { WindowStore, type ByteStore } from '../file/byte-store.js';
import { openNpy } from './npy.js';
import type { Tensor } from './tensor.js';

/** fflate, loaded on the first deflated member (most .npz files are stored; a CLI start should not pay for it). */
let fflateModule: typeof import('fflate') | undefined;
const fflate = (): typeof import('fflate') => (fflateModule ??= createRequire(import.meta.url)('fflate') as typeof import('fflate'));

/** One entry of a zip archive's central directory. */
export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflated. */
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  encrypted: boolean;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/**
 * Reads the central directory of a zip archive (PKWARE APPNOTE 4.3) from the end of `store`, with zip64 records
 * and extra fields — NumPy's `np.savez` writes every member with `force_zip64=True`. Only the directory is read.
 */
export async function readZipDirectory(store: ByteStore): Promise<ZipEntry[]> {
  const bad = (what: string) => NcInputError.at('BAD_FILE', { source: store.name }, `not a valid .npz/zip archive: ${what}`);
  const tailLength = Math.min(store.size, 22 + 0xffff);
  if (tailLength < 22) throw bad('file too short');
  const tail = await store.read(store.size - tailLength, tailLength);
  const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tailLength - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad('end of central directory not found (truncated?)');
  let entries = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  if (entries === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || tv.getUint32(loc, true) !== ZIP64_LOCATOR) throw bad('zip64 locator missing');
    const z64Offset = u64(tv, loc + 8, bad);
    const z = await store.read(z64Offset, 56);
    const zv = new DataView(z.buffer, z.byteOffset, z.byteLength);
    if (zv.getUint32(0, true) !== ZIP64_EOCD) throw bad('zip64 end of central directory missing');
    entries = u64(zv, 32, bad);
    cdSize = u64(zv, 40, bad);
    cdOffset = u64(zv, 48, bad);
  }
  if (cdOffset + cdSize > store.size) throw bad(`central directory (bytes ${cdOffset}..${cdOffset + cdSize}) lies beyond the end of the file (${store.size} bytes)`);
  const cd = await store.read(cdOffset, cdSize);
  const cv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const out: ZipEntry[] = [];
  let p = 0;
  for (let e = 0; e < entries; e++) {
    if (p + 46 > cd.byteLength || cv.getUint32(p, true) !== CENTRAL) throw bad(`central directory entry ${e} is malformed`);
    const flags = cv.getUint16(p + 8, true);
    const method = cv.getUint16(p + 10, true);
    let compressedSize = cv.getUint32(p + 20, true);
    let uncompressedSize = cv.getUint32(p + 24, true);
    const nameLength = cv.getUint16(p + 28, true);
    const extraLength = cv.getUint16(p + 30, true);
    const commentLength = cv.getUint16(p + 32, true);
    let localHeaderOffset = cv.getUint32(p + 42, true);
    const name = new TextDecoder().decode(cd.subarray(p + 46, p + 46 + nameLength));
    // Zip64 extended information (id 0x0001): 8-byte values for the fields that hold 0xFFFFFFFF, in this order.
    let x = p + 46 + nameLength;
    const extraEnd = x + extraLength;
    while (x + 4 <= extraEnd) {
      const id = cv.getUint16(x, true);
      const size = cv.getUint16(x + 2, true);
      if (id === 0x0001) {
        let q = x + 4;
        if (uncompressedSize === 0xffffffff) (uncompressedSize = u64(cv, q, bad)), (q += 8);
        if (compressedSize === 0xffffffff) (compressedSize = u64(cv, q, bad)), (q += 8);
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = u64(cv, q, bad);
      }
      x += 4 + size;
    }
    out.push({ name, method, compressedSize, uncompressedSize, localHeaderOffset, encrypted: (flags & 1) !== 0 });
    p = extraEnd + commentLength;
  }
  return out;
}

function u64(v: DataView, at: number, bad: (what: string) => Error): number {
  const n = v.getBigUint64(at, true);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw bad('a zip64 size or offset exceeds 2^53');
  return Number(n);
}

/**
 * Bytes of one member: a window into the archive when stored, a streaming inflater (fflate's `Inflate`) when
 * deflated — never the whole member in memory, whatever size its header declares.
 */
export async function openZipMember(archive: ByteStore, entry: ZipEntry): Promise<ByteStore> {
  const where = `${archive.name}: member '${entry.name}'`;
  if (entry.encrypted) throw NcInputError.at('BAD_FILE', { source: where }, `encrypted zip members are not supported`);
  const local = await archive.read(entry.localHeaderOffset, 30);
  const lv = new DataView(local.buffer, local.byteOffset, local.byteLength);
  if (lv.getUint32(0, true) !== LOCAL) throw NcInputError.at('BAD_FILE', { source: where }, `local file header not found at byte ${entry.localHeaderOffset}`);
  const start = entry.localHeaderOffset + 30 + lv.getUint16(26, true) + lv.getUint16(28, true);
  if (start + entry.compressedSize > archive.size) {
    throw NcInputError.at('BAD_FILE', { source: where }, `truncated: the member needs bytes ${start}..${start + entry.compressedSize}, the file has ${archive.size}`);
  }
  if (entry.method === 0) return new WindowStore(where, archive, start, entry.compressedSize);
  if (entry.method !== 8) throw NcInputError.at('BAD_FILE', { source: where }, `zip compression method ${entry.method} is not supported (stored or deflated only)`);
  return new InflatingStore(where, archive, start, entry.compressedSize, entry.uncompressedSize);
}

/**
 * Compressed bytes read from the archive per step: 64 KiB in, so at most ~66 MiB out (deflate expands ≤ 1032×;
 * float data ~1.1×). Smaller steps cost more per byte in fflate (16 KiB inflated ~15 % slower here).
 */
const COMPRESSED_CHUNK = 1 << 16;

/**
 * A deflated member read as a stream. The readers read forward (a header, then rows batch by batch), so a read
 * at or after the current position inflates only up to its end; a read behind it (the second pass) starts the
 * inflater again from the member's first byte. Memory: one compressed chunk, what it inflates to, and the bytes
 * asked for. `size` is the uncompressed size the directory declares; a member that inflates to fewer bytes is
 * reported as corrupt when a read reaches past its real end.
 */
export class InflatingStore implements ByteStore {
  private inflater!: Inflate;
  /** Inflated chunks not consumed yet, and the uncompressed offset of the first unconsumed byte. */
  private pending: Uint8Array[] = [];
  private position = 0;
  private compressedRead = 0;
  private ended = false;
  /** Reads run one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly archive: ByteStore,
    private readonly start: number,
    private readonly compressedSize: number,
    readonly size: number,
  ) {
    this.restart();
  }

  private restart(): void {
    this.pending = [];
    this.position = 0;
    this.compressedRead = 0;
    this.ended = false;
    this.inflater = new (fflate().Inflate)((chunk, final) => {
      if (chunk.byteLength > 0) this.pending.push(chunk);
      if (final) this.ended = true;
    });
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    const run = this.queue.then(() => this.readNow(offset, length));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async readNow(offset: number, length: number): Promise<Uint8Array> {
    if (offset < 0 || offset + length > this.size) {
      throw NcInputError.at('BAD_FILE', { source: this.name }, `truncated: needs bytes ${offset}..${offset + length} but the member has ${this.size}`);
    }
    if (offset < this.position) this.restart();
    await this.skip(offset - this.position);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const chunk = await this.next();
      const take = Math.min(chunk.byteLength, length - done);
      out.set(chunk.subarray(0, take), done);
      this.consume(take);
      done += take;
    }
    return out;
  }

  private async skip(bytes: number): Promise<void> {
    while (bytes > 0) {
      const chunk = await this.next();
      const take = Math.min(chunk.byteLength, bytes);
      this.consume(take);
      bytes -= take;
    }
  }

  private consume(bytes: number): void {
    const head = this.pending[0];
    if (bytes === head.byteLength) this.pending.shift();
    else this.pending[0] = head.subarray(bytes);
    this.position += bytes;
  }

  /** The next inflated bytes, inflating another compressed chunk when none are pending. */
  private async next(): Promise<Uint8Array> {
    while (this.pending.length === 0) {
      if (this.ended || this.compressedRead >= this.compressedSize) {
        throw NcInputError.at('BAD_FILE', { source: this.name }, `corrupt deflate data (inflated to ${this.position} bytes, the directory says ${this.size})`);
      }
      const n = Math.min(COMPRESSED_CHUNK, this.compressedSize - this.compressedRead);
      const compressed = await this.archive.read(this.start + this.compressedRead, n);
      this.compressedRead += n;
      try {
        this.inflater.push(compressed, this.compressedRead >= this.compressedSize);
      } catch (e) {
        throw NcInputError.at('BAD_FILE', { source: this.name }, `corrupt deflate data (${(e as Error).message})`);
      }
    }
    return this.pending[0];
  }

  async close(): Promise<void> {
    this.pending = [];
  }
}

/** The arrays of an `.npz`: member names without the `.npy` suffix, in archive order. */
export async function npzKeys(archive: ByteStore): Promise<{ key: string; entry: ZipEntry }[]> {
  const entries = await readZipDirectory(archive);
  return entries.filter((e) => !e.name.endsWith('/')).map((e) => ({ key: e.name.replace(/\.npy$/, ''), entry: e }));
}

/** Opens member `key` of an `.npz` archive as a tensor. */
export async function openNpzMember(archive: ByteStore, entry: ZipEntry, key: string): Promise<Tensor> {
  const store = await openZipMember(archive, entry);
  return openNpy(store, `${archive.name}: member '${key}'`);
}

/** True when the bytes start with a zip local file header ("PK\x03\x04") or an empty archive's EOCD. */
export function isZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
}
