import { NcInputError } from '../errors.js';

/**
 * TensorBoard event files, encoded in plain TypeScript (no TensorFlow, no Node built-ins: browsers can build the bytes
 * too). An event file is a sequence of records, TensorFlow's TFRecord framing:
 *
 *   uint64 length (little-endian) · uint32 masked CRC32C of those 8 bytes · data · uint32 masked CRC32C of data
 *
 * where each record's data is one `tensorflow.Event` protocol buffer (proto3, tensorflow/core/util/event.proto):
 * `wall_time` (field 1, double), `step` (2, int64), `file_version` (3, string) or `summary` (5, message `Summary`,
 * whose repeated field 1 holds `Summary.Value { tag = 1 (string), simple_value = 2 (float) }`). The first record of a
 * file carries `file_version: "brain.Event:2"`. The CRC is CRC-32C (Castagnoli), masked as
 * ((c >>> 15) | (c << 17)) + 0xa282ead8 (mod 2³²) — TensorFlow's `crc32c::Mask`.
 *
 * These are the bytes TensorFlow's C++ `EventsWriter` writes, and so tfjs-node's `tf.node.summaryFileWriter` /
 * `tf.node.tensorBoard`: scalars as `simple_value`; `wall_time` and `step` left out at their proto3 default 0, while
 * `file_version`, `summary` and `simple_value` are members of a `oneof` and so are written whenever set, zero
 * included (a value without `simple_value` would carry no scalar at all).
 */

/** The `file_version` of the first event of every file TensorFlow writes today. */
export const TENSORBOARD_FILE_VERSION = 'brain.Event:2';

/** One scalar of a summary: a tag (TensorBoard's chart name) and its value (stored as float32, as TensorFlow does). */
export interface TensorBoardScalar {
  tag: string;
  value: number;
}

/** One `tensorflow.Event`: a file-version event or a summary of scalars at a step. */
export interface TensorBoardEvent {
  /** Seconds since the Unix epoch (a double; TensorFlow writes an integral value in the file-version event). */
  wallTime: number;
  /** The global step (int64; omitted from the bytes when 0, as proto3 does). */
  step?: number;
  /** Only in the first event of a file: {@link TENSORBOARD_FILE_VERSION}. */
  fileVersion?: string;
  /** Scalar summary values, in order. */
  scalars?: readonly TensorBoardScalar[];
}

const CASTAGNOLI_REFLECTED = 0x82f63b78;
let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CASTAGNOLI_REFLECTED : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/**
 * CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF) of `bytes`, as an
 * unsigned 32-bit integer. `crc32c(utf8("123456789")) === 0xe3069283` (the standard check value).
 */
export function crc32c(bytes: Uint8Array): number {
  const t = crcTable();
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TensorFlow's masked CRC, as stored in TFRecord framing: ((c >>> 15) | (c << 17)) + 0xa282ead8, mod 2³². */
export function maskCrc32c(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/**
 * Frames one record: uint64 length, masked CRC32C of the 8 length bytes, `data`, masked CRC32C of `data` (all
 * little-endian). Concatenated records are an event file's whole content.
 */
export function encodeTensorBoardRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 16);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskCrc32c(crc32c(out.subarray(0, 8))), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskCrc32c(crc32c(data)), true);
  return out;
}

/** A growable byte buffer with the few protocol-buffer wire encodings an Event needs. */
class ProtoWriter {
  private buf = new Uint8Array(64);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** An unsigned varint (non-negative value below 2⁶⁴, given as a bigint). */
  varint(v: bigint): this {
    this.reserve(10);
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) byte |= 0x80;
      this.buf[this.len++] = byte;
    } while (v > 0n);
    return this;
  }

  /** Field key: (field number << 3) | wire type. */
  key(field: number, wireType: 0 | 1 | 2 | 5): this {
    return this.varint(BigInt((field << 3) | wireType));
  }

  double(field: number, v: number): this {
    this.key(field, 1).reserve(8);
    new DataView(this.buf.buffer).setFloat64(this.len, v, true);
    this.len += 8;
    return this;
  }

  float(field: number, v: number): this {
    this.key(field, 5).reserve(4);
    new DataView(this.buf.buffer).setFloat32(this.len, v, true);
    this.len += 4;
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.key(field, 2).varint(BigInt(data.length)).reserve(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

const utf8 = new TextEncoder();

/** True when proto3 leaves a plain double field out: its bits are all zero (+0; −0 and NaN are written). */
function isDefaultZero(v: number): boolean {
  return v === 0 && !Object.is(v, -0);
}

/**
 * Encodes one `tensorflow.Event` protocol buffer (fields in number order 1, 2, 3, 5, as protobuf serializes them). Throws a
 * `BAD_OPTION` {@link NcInputError} for a step that is not an integer in int64's safe range, a non-finite wall time
 * or an empty tag.
 */
export function encodeTensorBoardEvent(event: TensorBoardEvent): Uint8Array {
  const { wallTime, step = 0, fileVersion, scalars } = event;
  if (!Number.isFinite(wallTime)) throw new NcInputError('BAD_OPTION', `TensorBoard event: wall time must be a finite number of seconds, got ${wallTime}`);
  if (!Number.isSafeInteger(step)) throw new NcInputError('BAD_OPTION', `TensorBoard event: step must be an integer, got ${step}`);
  if (fileVersion !== undefined && scalars !== undefined) throw new NcInputError('BAD_OPTION', 'TensorBoard event: file_version and summary are one oneof; give one of them');
  const w = new ProtoWriter();
  if (!isDefaultZero(wallTime)) w.double(1, wallTime);
  // int64 in proto: a negative step is its 64-bit two's complement (10 varint bytes).
  if (step !== 0) w.key(2, 0).varint(BigInt.asUintN(64, BigInt(step)));
  if (fileVersion !== undefined) w.bytes(3, utf8.encode(fileVersion));
  if (scalars !== undefined) {
    const summary = new ProtoWriter();
    for (const { tag, value } of scalars) {
      if (typeof tag !== 'string' || tag.length === 0) throw new NcInputError('BAD_OPTION', 'TensorBoard event: every scalar needs a non-empty tag');
      if (typeof value !== 'number') throw new NcInputError('BAD_OPTION', `TensorBoard event: the value of "${tag}" must be a number, got ${typeof value}`);
      summary.bytes(1, new ProtoWriter().bytes(1, utf8.encode(tag)).float(2, value).finish());
    }
    w.bytes(5, summary.finish());
  }
  return w.finish();
}

/**
 * The bytes an event file starts with: one record holding the file-version event at `wallTime` (TensorFlow writes
 * the whole seconds of the time the file was created).
 */
export function encodeTensorBoardFileHeader(wallTime: number): Uint8Array {
  return encodeTensorBoardRecord(encodeTensorBoardEvent({ wallTime, fileVersion: TENSORBOARD_FILE_VERSION }));
}

/** One record holding scalars at a step: the bytes to append to an event file. */
export function encodeTensorBoardScalars(step: number, scalars: readonly TensorBoardScalar[], wallTime: number): Uint8Array {
  return encodeTensorBoardRecord(encodeTensorBoardEvent({ wallTime, step, scalars }));
}

/**
 * The file name TensorFlow's `EventsWriter` gives an event file: `events.out.tfevents.<seconds, 10 digits>.<host>`
 * followed by the writer's suffix — `.v2` for tfjs-node's `summaryFileWriter` (and so `tf.node.tensorBoard`).
 * TensorBoard reads every file whose name contains `tfevents`.
 */
export function tensorBoardEventFileName(seconds: number, host: string, suffix = '.v2'): string {
  if (!Number.isInteger(seconds) || seconds < 0) throw new NcInputError('BAD_OPTION', `TensorBoard file name: seconds must be a non-negative integer, got ${seconds}`);
  if (host.length === 0 || /[/\\\0]/.test(host)) throw new NcInputError('BAD_OPTION', `TensorBoard file name: "${host}" is not a host name`);
  return `events.out.tfevents.${String(seconds).padStart(10, '0')}.${host}${suffix}`;
}

/** The scalars of one tfjs `logs` object split the way tfjs-node's `tf.node.tensorBoard` callback writes them. */
export interface TensorBoardLogScalars {
  /** For the `train/` folder: every key but `val_*`, tagged `<prefix><key>`. */
  train: TensorBoardScalar[];
  /** For the `val/` folder: the `val_*` keys with `val_` removed, tagged `<prefix><rest>`. */
  val: TensorBoardScalar[];
}

/** Keys tfjs puts in batch logs that are counters, not metrics; tfjs-node's callback skips them. */
const SKIPPED_LOG_KEYS = new Set(['batch', 'size', 'num_steps']);

/**
 * Splits tfjs callback logs as tfjs-node's TensorBoard callback does: `val_<key>` goes to the `val` run as
 * `<prefix><key>`, every other number to the `train` run as `<prefix><key>`; `batch`, `size` and `num_steps` are
 * skipped, and so are values that are not numbers. `prefix` is `epoch_` or `batch_` there.
 */
export function tensorBoardScalarsFromLogs(logs: Readonly<Record<string, unknown>>, prefix: string): TensorBoardLogScalars {
  const out: TensorBoardLogScalars = { train: [], val: [] };
  for (const [key, value] of Object.entries(logs)) {
    if (SKIPPED_LOG_KEYS.has(key) || typeof value !== 'number') continue;
    if (key.startsWith('val_')) out.val.push({ tag: `${prefix}${key.slice(4)}`, value });
    else out.train.push({ tag: `${prefix}${key}`, value });
  }
  return out;
}
