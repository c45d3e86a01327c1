/**
 * TensorBoard event encoding (formats/tensorboard.ts): CRC-32C against the standard check values and a bit-by-bit
 * reference, a golden file's bytes against a hand derivation from the format, and round trips of random events
 * through the independent reader in test/helpers/tensorboard-reader.ts (CRCs checked there).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NcInputError, crc32c, encodeTensorBoardEvent, encodeTensorBoardFileHeader, encodeTensorBoardRecord, encodeTensorBoardScalars, maskCrc32c,
  tensorBoardEventFileName, tensorBoardScalarsFromLogs,
} from '../src/index.js';
import { crc32cBitwise, decodeEvent, maskBitwise, readRecords } from '../../../test/helpers/tensorboard-reader.js';

const GOLDEN = new URL('../../../test/fixtures/tensorboard/events.out.tfevents.1700000000.golden-host.v2', import.meta.url);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
const u32le = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

describe('CRC-32C', () => {
  it('gives the standard check values (RFC 3720 B.4 and "123456789")', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('equals the bit-by-bit reference on random bytes, and masks as TensorFlow does', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const c = crc32c(bytes);
      expect(c).toBe(crc32cBitwise(bytes));
      expect(maskCrc32c(c)).toBe(maskBitwise(c));
    }));
    // mask(0) = rotr(0, 15) + 0xa282ead8; mask(1) = (1 << 17) + 0xa282ead8.
    expect(maskCrc32c(0)).toBe(0xa282ead8);
    expect(maskCrc32c(1)).toBe(0xa282ead8 + 0x20000);
    expect(maskCrc32c(0xffffffff)).toBe((0xffffffff + 0xa282ead8) % 2 ** 32);
  });
});

describe('event file bytes', () => {
  /**
   * The golden file (test/fixtures/tensorboard/…golden-host.v2), derived by hand from the format:
   *
   * Record 1 — the file-version event at wall time 1,700,000,000 s:
   *   field 1 (wall_time, double): key (1 << 3) | 1 = 0x09; 1.7e9 = 2³⁰ · (1 + 626,258,176/2³⁰): sign 0, biased
   *     exponent 1023 + 30 = 0x41D, fraction 626,258,176 · 2²² = 0x9_5504_4000_0000 → 0x41D9_54FC_4000_0000,
   *     little-endian 00 00 00 40 FC 54 D9 41;
   *   field 3 (file_version, string): key (3 << 3) | 2 = 0x1A, length 13, "brain.Event:2".
   *   → 1 + 8 + 1 + 1 + 13 = 24 bytes of data; length prefix 24 as uint64 LE = 18 00 00 00 00 00 00 00.
   * Record 2 — step 3, wall time 1,700,000,001.5 s, scalars epoch_loss = 0.25 and epoch_nc1 = 0:
   *   field 1: 0x09, 1,700,000,001.5 = 1.7e9 + 1.5 → fraction + 1.5 · 2²² = + 0x60_0000 → 00 00 60 40 FC 54 D9 41;
   *   field 2 (step, varint): key 0x10, value 0x03;
   *   field 5 (summary): key 0x2A, length 37, holding two Summary.value entries (field 1, key 0x0A):
   *     value 1: length 17 = tag (0x0A, 10, "epoch_loss") + simple_value (key (2 << 3) | 5 = 0x15, float32
   *       0.25 = 2⁻² → 0x3E80_0000, LE 00 00 80 3E);
   *     value 2: length 16 = tag (0x0A, 9, "epoch_nc1") + simple_value 0x15, 00 00 00 00 — written although zero,
   *       because simple_value is a member of Summary.Value's oneof.
   *   → 1 + 8 + 2 + 2 + 37 = 50 bytes of data; length prefix 50 = 32 00 00 00 00 00 00 00.
   * The four masked CRC32Cs are computed here by the bit-by-bit reference (a separate CRC implementation).
   */
  function handDerived(): Uint8Array {
    const ev1 = [0x09, 0x00, 0x00, 0x00, 0x40, 0xfc, 0x54, 0xd9, 0x41, 0x1a, 13, ...ascii('brain.Event:2')];
    const value1 = [0x0a, 10, ...ascii('epoch_loss'), 0x15, 0x00, 0x00, 0x80, 0x3e];
    const value2 = [0x0a, 9, ...ascii('epoch_nc1'), 0x15, 0x00, 0x00, 0x00, 0x00];
    const summary = [0x0a, value1.length, ...value1, 0x0a, value2.length, ...value2];
    const ev2 = [0x09, 0x00, 0x00, 0x60, 0x40, 0xfc, 0x54, 0xd9, 0x41, 0x10, 0x03, 0x2a, summary.length, ...summary];
    expect([ev1.length, value1.length, value2.length, summary.length, ev2.length]).toEqual([24, 17, 16, 37, 50]);
    const record = (data: number[]) => {
      const length = [data.length, 0, 0, 0, 0, 0, 0, 0];
      return [...length, ...u32le(maskBitwise(crc32cBitwise(Uint8Array.from(length)))), ...data, ...u32le(maskBitwise(crc32cBitwise(Uint8Array.from(data))))];
    };
    return Uint8Array.from([...record(ev1), ...record(ev2)]);
  }

  it('the golden file equals the hand derivation, and the encoder writes exactly those bytes', () => {
    const golden = new Uint8Array(readFileSync(GOLDEN));
    const expected = handDerived();
    expect(Buffer.from(golden).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
    const encoded = new Uint8Array([
      ...encodeTensorBoardFileHeader(1_700_000_000),
      ...encodeTensorBoardScalars(3, [{ tag: 'epoch_loss', value: 0.25 }, { tag: 'epoch_nc1', value: 0 }], 1_700_000_001.5),
    ]);
    expect(Buffer.from(encoded).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
  });

  it('names files as TensorFlow’s EventsWriter with tfjs-node’s .v2 suffix', () => {
    expect(tensorBoardEventFileName(1_700_000_000, 'golden-host')).toBe('events.out.tfevents.1700000000.golden-host.v2');
    expect(tensorBoardEventFileName(42, 'h', '')).toBe('events.out.tfevents.0000000042.h');
    expect(() => tensorBoardEventFileName(1.5, 'h')).toThrow(NcInputError);
    expect(() => tensorBoardEventFileName(1, 'a/b')).toThrow(/not a host name/);
  });

  it('round-trips random events through the independent reader (every value as float32, every step)', () => {
    const scalar = fc.record({ tag: fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }), value: fc.float({ noDefaultInfinity: false }) });
    const event = fc.record({
      wallTime: fc.double({ min: 0, max: 4e9, noNaN: true }),
      step: fc.oneof(fc.integer({ min: -5, max: 1000 }), fc.maxSafeInteger(), fc.constant(Number.MIN_SAFE_INTEGER)),
      scalars: fc.array(scalar, { maxLength: 6 }),
    });
    fc.assert(fc.property(fc.array(event, { maxLength: 8 }), (events) => {
      const bytes = new Uint8Array(events.flatMap((e) => [...encodeTensorBoardScalars(e.step, e.scalars, e.wallTime)]));
      const read = readRecords(bytes).map(decodeEvent);
      expect(read).toHaveLength(events.length);
      read.forEach((r, i) => {
        const e = events[i];
        expect(r.step).toBe(e.step);
        expect(Object.is(r.wallTime, e.wallTime === 0 ? 0 : e.wallTime)).toBe(true);
        expect(r.scalars!.map((s) => s.tag)).toEqual(e.scalars.map((s) => s.tag));
        r.scalars!.forEach((s, j) => expect(Object.is(s.value, Math.fround(e.scalars[j].value))).toBe(true));
      });
    }));
  });

  it('frames any payload, and a flipped bit fails the reader’s CRC check', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), (data, at) => {
      const rec = encodeTensorBoardRecord(data);
      expect(readRecords(rec)).toEqual([data]);
      const bad = rec.slice();
      bad[at % bad.length] ^= 0x10;
      expect(() => readRecords(bad)).toThrow(/CRC|truncated/);
    }));
  });

  it('refuses events it cannot encode with BAD_OPTION', () => {
    const code = (f: () => unknown) => { try { f(); } catch (e) { return (e as NcInputError).code; } return 'none'; };
    expect(code(() => encodeTensorBoardEvent({ wallTime: 1, step: 1.5 }))).toBe('BAD_OPTION');
    expect(code(() => encodeTensorBoardEvent({ wallTime: NaN }))).toBe('BAD_OPTION');
    expect(code(() => encodeTensorBoardEvent({ wallTime: 1, scalars: [{ tag: '', value: 1 }] }))).toBe('BAD_OPTION');
    expect(code(() => encodeTensorBoardEvent({ wallTime: 1, fileVersion: 'x', scalars: [] }))).toBe('BAD_OPTION');
  });
});

describe('tfjs logs → TensorBoard scalars (tfjs-node’s callback conventions)', () => {
  it('puts val_* under val/ without the prefix, skips counters and non-numbers', () => {
    const split = tensorBoardScalarsFromLogs({ loss: 0.5, acc: 0.9, val_loss: 0.7, val_acc: 0.8, nc1: 0.1, batch: 3, size: 32, num_steps: 4, note: 'x' }, 'epoch_');
    expect(split.train).toEqual([{ tag: 'epoch_loss', value: 0.5 }, { tag: 'epoch_acc', value: 0.9 }, { tag: 'epoch_nc1', value: 0.1 }]);
    expect(split.val).toEqual([{ tag: 'epoch_loss', value: 0.7 }, { tag: 'epoch_acc', value: 0.8 }]);
  });
});
