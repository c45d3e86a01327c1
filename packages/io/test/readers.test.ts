import { afterAll, describe, expect, it } from 'vitest';
import { openInput } from '../src/arrays/open.js';
import { encodeElements, npyBytes, npzBytes, safetensorsBytes } from './helpers/writers.js';
import { tempDir } from './helpers/temp-dir.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** Opens a file written by the test writers and reads it whole. */
async function readAll(name: string, bytes: Uint8Array, key?: string, role: 'features' | 'labels' | 'weights' | 'bias' = 'features') {
  const input = await openInput(tmp.write(name, bytes), role, key);
  try {
    return { input, data: Array.from(await input.tensor.readAll()), tensor: input.tensor };
  } finally {
    await input.close();
  }
}

const M = [1.5, -2, 3.25, 0, 7, -0.5]; // 3 × 2, exactly representable in every float width

describe('.npy reader', () => {
  const floats = ['<f2', '>f2', '<f4', '>f4', '<f8', '>f8'];
  for (const descr of floats) {
    it(`reads ${descr} features, C order`, async () => {
      const { data, tensor } = await readAll(`f-${descr.slice(1)}-${descr[0] === '<' ? 'le' : 'be'}.npy`, npyBytes(M, { descr, shape: [3, 2] }));
      expect(tensor.shape).toEqual([3, 2]);
      expect(data).toEqual(M);
    });
  }

  const ints: [string, number[]][] = [
    ['|i1', [-128, 0, 127]],
    ['|u1', [0, 5, 255]],
    ['|b1', [1, 0, 1]],
    ['<i2', [-32768, 1, 32767]],
    ['>i2', [-300, 2, 300]],
    ['<u2', [0, 1, 65535]],
    ['>u2', [0, 513, 65535]],
    ['<i4', [-2147483648, 0, 2147483647]],
    ['>i4', [-5, 6, 70000]],
    ['<u4', [0, 1, 4294967295]],
    ['>u4', [0, 9, 3000000000]],
    ['<i8', [-(2 ** 53) + 1, 0, 2 ** 53 - 1]],
    ['>i8', [-3, 4, 5]],
    ['<u8', [0, 1, 2 ** 53 - 1]],
    ['>u8', [0, 2, 9]],
  ];
  for (const [descr, values] of ints) {
    it(`reads ${descr} labels`, async () => {
      const { data } = await readAll(`l${descr.replace(/[<>|]/, (c) => ({ '<': 'le', '>': 'be', '|': '' })[c]!)}.npy`, npyBytes(values.map((v) => (descr.endsWith('8') ? BigInt(v) : v)), { descr, shape: [3] }), undefined, 'labels');
      expect(data).toEqual(values);
    });
  }

  it('reads version 2 headers', async () => {
    const { data } = await readAll('v2.npy', npyBytes(M, { descr: '<f4', shape: [3, 2], version: 2 }));
    expect(data).toEqual(M);
  });

  it('reads Fortran-ordered 1-D and 2-D arrays in row-major order, also a row range', async () => {
    expect((await readAll('f1.npy', npyBytes([3, 1, 2], { descr: '<i8', shape: [3], fortran: true }), undefined, 'labels')).data).toEqual([3, 1, 2]);
    const { data } = await readAll('f2.npy', npyBytes(M, { descr: '>f8', shape: [3, 2], fortran: true }));
    expect(data).toEqual(M);
    const input = await openInput(tmp.write('f2b.npy', npyBytes(M, { descr: '<f4', shape: [3, 2], fortran: true })), 'features');
    expect(Array.from(await input.tensor.readRows(1, 2))).toEqual(M.slice(2));
    await input.close();
  });

  it('refuses Fortran order beyond 2-D by name', async () => {
    await expect(readAll('f3.npy', npyBytes([1, 2, 3, 4, 5, 6, 7, 8], { descr: '<f4', shape: [2, 2, 2], fortran: true }))).rejects.toThrow(/f3\.npy: Fortran-ordered arrays with more than 2 dimensions/);
  });

  it('reads row ranges of C-order arrays', async () => {
    const input = await openInput(tmp.write('rows.npy', npyBytes(M, { descr: '<f4', shape: [3, 2] })), 'features');
    expect(Array.from(await input.tensor.readRows(2, 1))).toEqual([7, -0.5]);
    expect(Array.from(await input.tensor.readRows(0, 2))).toEqual(M.slice(0, 4));
    await input.close();
  });

  it('refuses a truncated data region, naming the file and the sizes', async () => {
    const full = npyBytes(M, { descr: '<f4', shape: [3, 2] });
    await expect(readAll('trunc.npy', full.slice(0, full.length - 3))).rejects.toThrow(/trunc\.npy: truncated: shape \(3, 2\) float32 needs 152 bytes, the file has 149/);
  });

  it('refuses a truncated header', async () => {
    const full = npyBytes(M, { descr: '<f4', shape: [3, 2] });
    await expect(readAll('trunc-head.npy', full.slice(0, 40))).rejects.toThrow(/trunc-head\.npy: truncated \.npy header/);
  });

  it('refuses bad magic and unknown formats', async () => {
    const bytes = npyBytes(M, { descr: '<f4', shape: [3, 2] });
    bytes[1] = 0x4f;
    await expect(readAll('magic.npy', bytes)).rejects.toThrow(/magic\.npy: unrecognised format/);
    await expect(readAll('empty.npy', new Uint8Array(0))).rejects.toThrow(/empty\.npy: unrecognised format/);
  });

  it('refuses unsupported dtypes by name', async () => {
    const bytes = npyBytes([1, 2], { descr: '<f4', shape: [2] });
    const text = new TextDecoder('latin1').decode(bytes).replace("'<f4'", "'<c8'");
    const patched = Uint8Array.from(text, (c) => c.charCodeAt(0));
    await expect(readAll('complex.npy', patched)).rejects.toThrow(/complex\.npy: unsupported dtype '<c8'/);
  });

  it('refuses a missing file and a directory', async () => {
    await expect(openInput(tmp.dir + '/nope.npy', 'features')).rejects.toThrow(/nope\.npy: no such file/);
    await expect(openInput(tmp.dir, 'features')).rejects.toThrow(/: a folder, not a file$/);
  });

  it('refuses a key for a .npy file', async () => {
    await expect(openInput(tmp.write('k.npy', npyBytes(M, { descr: '<f4', shape: [3, 2] })), 'features', 'x')).rejects.toThrow(/an array key \('x'\) applies to \.npz and \.safetensors/);
  });
});

describe('.npz reader', () => {
  const members = {
    features: npyBytes(M, { descr: '<f4', shape: [3, 2] }),
    labels: npyBytes([0, 1, 0], { descr: '<i8', shape: [3] }),
  };
  for (const level of [0, 6] as const) {
    it(`reads ${level ? 'deflated' : 'stored'} members, choosing features/labels by name`, async () => {
      const path = tmp.write(`m${level}.npz`, npzBytes(members, level));
      const f = await openInput(path, 'features');
      const l = await openInput(path, 'labels');
      expect(f.key).toBe('features');
      expect(l.key).toBe('labels');
      expect(Array.from(await f.tensor.readRows(1, 2))).toEqual(M.slice(2));
      expect(Array.from(await l.tensor.readAll())).toEqual([0, 1, 0]);
      await f.close();
      await l.close();
    });
  }

  it('reads what numpy writes: np.savez (zip64 local headers) and np.savez_compressed', async () => {
    for (const [name, b64] of [['numpy-savez.npz', 'UEsDBC0AAAAAAAAAIQD/v0I1//////////8MABQAZmVhdHVyZXMubnB5AQAQAJgAAAAAAAAAmAAAAAAAAACTTlVNUFkBAHYAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMywgMiksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgCgAAgD8AAABAAABAQAAAgEAAAKBAAADAQFBLAwQtAAAAAAAAACEAikc3qP//////////CgAUAGxhYmVscy5ucHkBABAAmAAAAAAAAACYAAAAAAAAAJNOVU1QWQEAdgB7J2Rlc2NyJzogJzxpOCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgzLCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAAAAAAAAAAABAAAAAAAAAAAAAAAAAAAAUEsBAi0DLQAAAAAAAAAhAP+/QjWYAAAAmAAAAAwAAAAAAAAAAAAAAIABAAAAAGZlYXR1cmVzLm5weVBLAQItAy0AAAAAAAAAIQCKRzeomAAAAJgAAAAKAAAAAAAAAAAAAACAAdYAAABsYWJlbHMubnB5UEsFBgAAAAACAAIAcgAAAKoBAAAAAA=='], ['numpy-compressed.npz', 'UEsDBC0AAAAIAAAAIQD/v0I1//////////8MABQAZmVhdHVyZXMubnB5AQAQAJgAAAAAAAAAWAAAAAAAAACb7BfqGxDJyFDGUK2eklqcXKRupaBuk2airqOgnpZfVFKUmBefX5SSChJ3S8wpTgWKF2ckFqQC+RrGOgpGmjoKtQpkAy4GhgZ7BgYGByAC4gYgXgDEBxwAUEsDBC0AAAAIAAAAIQCKRzeo//////////8KABQAbGFiZWxzLm5weQEAEACYAAAAAAAAAEoAAAAAAAAAm+wX6hsQychQxlCtnpJanFykbqWgbpNpoa6joJ6WX1RSlJgXn1+UkgoSd0vMKU4FihdnJBakAvkaxjqaOgq1ChQALgYoYGRABQBQSwECLQMtAAAACAAAACEA/79CNVgAAACYAAAADAAAAAAAAAAAAAAAgAEAAAAAZmVhdHVyZXMubnB5UEsBAi0DLQAAAAgAAAAhAIpHN6hKAAAAmAAAAAoAAAAAAAAAAAAAAIABlgAAAGxhYmVscy5ucHlQSwUGAAAAAAIAAgByAAAAHAEAAAAA']]) {
      const path = tmp.write(name, Buffer.from(b64, 'base64'));
      const f = await openInput(path, 'features');
      const l = await openInput(path, 'labels');
      expect(Array.from(await f.tensor.readAll())).toEqual([1, 2, 3, 4, 5, 6]);
      expect(Array.from(await l.tensor.readAll())).toEqual([0, 1, 0]);
      await f.close();
      await l.close();
    }
  });

  it('uses the only member by default, --*-key when given, and lists members when ambiguous', async () => {
    const one = tmp.write('one.npz', npzBytes({ arr_0: members.features }));
    expect((await readAll('one.npz', npzBytes({ arr_0: members.features }))).data).toEqual(M);
    const two = tmp.write('two.npz', npzBytes({ a: members.features, b: members.labels }));
    expect((await readAll('two-b.npz', npzBytes({ a: members.features, b: members.labels }), 'b', 'labels')).data).toEqual([0, 1, 0]);
    await expect(openInput(two, 'features')).rejects.toThrow(/two\.npz: holds several arrays \('a', 'b'\); pass featuresKey to choose the features/);
    await expect(openInput(two, 'labels', 'zz')).rejects.toThrow(/two\.npz: no member 'zz' \(it has 'a', 'b'\)/);
    expect(one).toBeTruthy();
  });

  it('refuses truncated and corrupt archives, naming the file', async () => {
    const bytes = npzBytes(members, 0);
    await expect(readAll('cut.npz', bytes.slice(0, bytes.length - 30))).rejects.toThrow(/cut\.npz: not a valid \.npz\/zip archive: end of central directory not found/);
    const deflated = npzBytes(members, 6);
    const broken = deflated.slice();
    for (let i = 40; i < 80; i++) broken[i] = 0xff; // inside the first member's deflate stream
    await expect(readAll('corrupt.npz', broken)).rejects.toThrow(/corrupt\.npz: member 'features\.npy'/);
  });
});

describe('.safetensors reader', () => {
  const tensors = {
    features: { dtype: 'F32', shape: [3, 2], data: encodeElements(M, 'f4', true) },
    labels: { dtype: 'I64', shape: [3], data: encodeElements([2n, 0n, 1n], 'i8', true) },
    'fc.weight': { dtype: 'F64', shape: [2, 2], data: encodeElements([1, 2, 3, 4], 'f8', true) },
    'fc.bias': { dtype: 'F16', shape: [2], data: encodeElements([0.5, -1], 'f2', true) },
  };

  it('reads tensors by role name, *.weight / *.bias suffix, and explicit key; skips __metadata__', async () => {
    const path = tmp.write('model.safetensors', safetensorsBytes(tensors, { format: 'pt' }));
    const read = async (role: 'features' | 'labels' | 'weights' | 'bias', key?: string) => {
      const i = await openInput(path, role, key);
      const d = Array.from(await i.tensor.readAll());
      await i.close();
      return { key: i.key, d };
    };
    expect(await read('features')).toEqual({ key: 'features', d: M });
    expect(await read('labels')).toEqual({ key: 'labels', d: [2, 0, 1] });
    expect(await read('weights')).toEqual({ key: 'fc.weight', d: [1, 2, 3, 4] });
    expect(await read('bias')).toEqual({ key: 'fc.bias', d: [0.5, -1] });
    expect(await read('labels', 'fc.bias')).toEqual({ key: 'fc.bias', d: [0.5, -1] });
  });

  it('reads every dtype, BF16 included', async () => {
    const cases: [string, string, number[]][] = [
      ['F64', 'f8', M], ['F32', 'f4', M], ['F16', 'f2', M], ['I64', 'i8', [-1, 2, 3]], ['I32', 'i4', [-1, 2, 3]],
      ['I16', 'i2', [-1, 2, 3]], ['I8', 'i1', [-1, 2, 3]], ['U8', 'u1', [1, 2, 255]], ['U16', 'u2', [1, 2, 65535]],
      ['U32', 'u4', [1, 2, 4000000000]], ['U64', 'u8', [1, 2, 3]], ['BOOL', 'b1', [1, 0, 1]],
    ];
    for (const [dtype, kind, values] of cases) {
      const data = encodeElements(kind.endsWith('8') && kind !== 'f8' ? values.map(BigInt) : values, kind, true);
      const { data: got } = await readAll(`t-${dtype}.safetensors`, safetensorsBytes({ x: { dtype, shape: [values.length], data } }));
      expect(got, dtype).toEqual(values);
    }
    // bfloat16 = the top 16 bits of a float32
    const f32 = encodeElements(M, 'f4', true);
    const bf = new Uint8Array(M.length * 2);
    for (let i = 0; i < M.length; i++) bf.set(f32.subarray(i * 4 + 2, i * 4 + 4), i * 2);
    expect((await readAll('bf16.safetensors', safetensorsBytes({ x: { dtype: 'BF16', shape: [3, 2], data: bf } }))).data).toEqual(M);
  });

  it('refuses truncated files, bad offsets, bad headers and unsupported dtypes', async () => {
    const good = safetensorsBytes({ x: tensors.features });
    await expect(readAll('cut.safetensors', good.slice(0, good.length - 4))).rejects.toThrow(/cut\.safetensors: tensor 'x': truncated/);
    const badOffsets = safetensorsBytes({ x: { dtype: 'F32', shape: [3, 3], data: encodeElements(M, 'f4', true) } });
    await expect(readAll('offsets.safetensors', badOffsets)).rejects.toThrow(/offsets\.safetensors: tensor 'x': (truncated|data_offsets)/);
    const notJson = good.slice();
    notJson[8] = 0x21;
    await expect(readAll('json.safetensors', notJson)).rejects.toThrow(/json\.safetensors: not a valid \.safetensors file: header is not JSON/);
    await expect(readAll('c64.safetensors', safetensorsBytes({ x: { dtype: 'C64', shape: [1], data: new Uint8Array(8) } }))).rejects.toThrow(/c64\.safetensors: tensor 'x': dtype C64 is not supported/);
  });
});
