/**
 * An independent reader of TensorBoard event files for the tests: its own bit-by-bit CRC-32C (no table, unlike the
 * writer's), its own TFRecord framing checks and its own protocol-buffer decoding of `tensorflow.Event`
 * (event.proto / summary.proto field numbers). Nothing here imports ncscope.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** CRC-32C one bit at a time: reflected Castagnoli polynomial 0x82F63B78, init and final XOR 0xFFFFFFFF. */
export function crc32cBitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** TensorFlow's masked CRC: rotate right by 15 bits, add 0xa282ead8 (mod 2³²). */
export function maskBitwise(crc: number): number {
  const rotated = ((crc >>> 15) | (crc << 17)) >>> 0;
  return Number((BigInt(rotated) + 0xa282ead8n) % 0x100000000n);
}

/** One decoded Event. */
export interface ReadEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  /** Summary values that carry `simple_value` (tag → value, in file order). */
  scalars?: { tag: string; value: number }[];
}

/** Splits TFRecord framing, checking both masked CRCs of every record; throws on any mismatch or trailing bytes. */
export function readRecords(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 12 > bytes.length) throw new Error(`truncated record header at byte ${at}`);
    const length = Number(view.getBigUint64(at, true));
    const lengthCrc = view.getUint32(at + 8, true);
    if (lengthCrc !== maskBitwise(crc32cBitwise(bytes.subarray(at, at + 8)))) throw new Error(`length CRC mismatch at byte ${at}`);
    const data = bytes.subarray(at + 12, at + 12 + length);
    if (data.length !== length || at + 16 + length > bytes.length) throw new Error(`truncated record at byte ${at}`);
    const dataCrc = view.getUint32(at + 12 + length, true);
    if (dataCrc !== maskBitwise(crc32cBitwise(data))) throw new Error(`data CRC mismatch at byte ${at}`);
    out.push(data);
    at += 16 + length;
  }
  return out;
}

type Field = { field: number; wire: number; int?: bigint; bytes?: Uint8Array; f64?: number; f32?: number };

function fields(buf: Uint8Array): Field[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Field[] = [];
  let at = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (at >= buf.length) throw new Error('truncated varint');
      const b = buf[at++];
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
      shift += 7n;
    }
  };
  while (at < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ field, wire, int: varint() });
    else if (wire === 1) { out.push({ field, wire, f64: view.getFloat64(at, true) }); at += 8; }
    else if (wire === 5) { out.push({ field, wire, f32: view.getFloat32(at, true) }); at += 4; }
    else if (wire === 2) { const n = Number(varint()); out.push({ field, wire, bytes: buf.subarray(at, at + n) }); at += n; }
    else throw new Error(`unexpected wire type ${wire}`);
  }
  if (at !== buf.length) throw new Error('field overran the message');
  return out;
}

/** Decodes a `tensorflow.Event` (wall_time 1, step 2, file_version 3, summary 5 → value 1 → tag 1, simple_value 2). */
export function decodeEvent(data: Uint8Array): ReadEvent {
  const event: ReadEvent = { wallTime: 0, step: 0 };
  for (const f of fields(data)) {
    if (f.field === 1 && f.wire === 1) event.wallTime = f.f64!;
    else if (f.field === 2 && f.wire === 0) event.step = Number(BigInt.asIntN(64, f.int!));
    else if (f.field === 3 && f.wire === 2) event.fileVersion = new TextDecoder().decode(f.bytes);
    else if (f.field === 5 && f.wire === 2) {
      event.scalars = [];
      for (const v of fields(f.bytes!)) {
        if (v.field !== 1 || v.wire !== 2) throw new Error(`unexpected Summary field ${v.field}`);
        let tag = '';
        let value: number | undefined;
        for (const g of fields(v.bytes!)) {
          if (g.field === 1 && g.wire === 2) tag = new TextDecoder().decode(g.bytes);
          else if (g.field === 2 && g.wire === 5) value = g.f32!;
          else throw new Error(`unexpected Summary.Value field ${g.field}`);
        }
        if (value === undefined) throw new Error(`summary value "${tag}" has no simple_value`);
        event.scalars.push({ tag, value });
      }
    } else throw new Error(`unexpected Event field ${f.field} (wire ${f.wire})`);
  }
  return event;
}

/** Every event of one file; checks that the first is the file-version event. */
export function readEventFile(path: string): ReadEvent[] {
  const events = readRecords(new Uint8Array(readFileSync(path))).map(decodeEvent);
  if (events[0]?.fileVersion !== 'brain.Event:2') throw new Error(`${path}: the first event is not file_version brain.Event:2`);
  return events;
}

/** A run folder's scalars: tag → [[step, value], …] over every event file in it (sorted by name, as TensorBoard reads them). */
export function readRunScalars(dir: string): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  const files = readdirSync(dir).filter((f) => f.includes('tfevents')).sort();
  if (files.length === 0) throw new Error(`${dir}: no event file`);
  for (const f of files) {
    for (const e of readEventFile(join(dir, f)).slice(1)) {
      for (const s of e.scalars ?? []) {
        const list = out.get(s.tag) ?? [];
        list.push([e.step, s.value]);
        out.set(s.tag, list);
      }
    }
  }
  return out;
}
