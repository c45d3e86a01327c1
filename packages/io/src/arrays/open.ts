import { NcInputError } from '@ncscope/core';
import { FileStore } from '../file/byte-store.js';
import { isNpy, openNpy } from './npy.js';
import { isZip, npzKeys, openNpzMember } from './npz.js';
import { openSafetensor, readSafetensorsHeader } from './safetensors.js';
import type { Tensor } from './tensor.js';

/** What an input file provides: features, labels, classifier weights or bias (picks the default array keys). */
export type InputRole = 'features' | 'labels' | 'weights' | 'bias';

/** Array names tried, in order, when an `.npz`/`.safetensors` holds several arrays and no `--<role>-key` is given. */
export const DEFAULT_KEYS: Record<InputRole, string[]> = {
  features: ['features', 'feature', 'feats', 'embeddings', 'embedding', 'activations', 'penultimate', 'x', 'h'],
  labels: ['labels', 'label', 'targets', 'target', 'y'],
  weights: ['weights', 'weight', 'classifier.weight', 'fc.weight', 'head.weight', 'linear.weight', 'W', 'w'],
  bias: ['bias', 'classifier.bias', 'fc.bias', 'head.bias', 'linear.bias', 'b'],
};

/** An opened input: the tensor plus the format and the key chosen (for the report's provenance). */
export interface OpenedInput {
  tensor: Tensor;
  format: 'npy' | 'npz' | 'safetensors';
  key?: string;
  close(): Promise<void>;
}

/**
 * Opens `path` for `role`, recognising the format by its first bytes (".npy" magic, zip signature, else the
 * safetensors header): `.npy` is the array itself; in `.npz` and `.safetensors` files `key` picks the array, and
 * without it the only array, else the first name of {@link DEFAULT_KEYS} present (exact, then case-insensitive,
 * then for weights/bias a unique `*.weight`/`*.bias`), is used. Only headers are read here.
 */
export async function openInput(path: string, role: InputRole, key?: string): Promise<OpenedInput> {
  const store = await FileStore.open(path);
  try {
    const head = await store.read(0, Math.min(store.size, 8));
    if (isNpy(head)) {
      if (key !== undefined) throw NcInputError.at('UNKNOWN_ARRAY', { source: path }, `an array key ('${key}') applies to .npz and .safetensors files; a .npy file holds one array`);
      return { tensor: await openNpy(store), format: 'npy', close: () => store.close() };
    }
    if (isZip(head)) {
      const members = await npzKeys(store);
      const chosen = chooseKey(path, role, members.map((m) => m.key), key, 'member');
      const { entry } = members.find((m) => m.key === chosen)!;
      return { tensor: await openNpzMember(store, entry, chosen), format: 'npz', key: chosen, close: () => store.close() };
    }
    if (head.length === 8 && looksLikeSafetensors(head, store.size)) {
      const { dataStart, tensors } = await readSafetensorsHeader(store);
      const chosen = chooseKey(path, role, [...tensors.keys()], key, 'tensor');
      return { tensor: openSafetensor(store, dataStart, chosen, tensors.get(chosen)!), format: 'safetensors', key: chosen, close: () => store.close() };
    }
    throw NcInputError.at('BAD_FILE', { source: path }, 'unrecognised format (expected .npy, .npz or .safetensors)');
  } catch (e) {
    await store.close();
    throw e;
  }
}

/** A safetensors file starts with a u64 LE header length that fits the file; the header begins with '{' (checked when parsed). */
function looksLikeSafetensors(head: Uint8Array, size: number): boolean {
  const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  return n > 1n && n <= BigInt(size - 8);
}

/** Picks the array for `role` among `names`; errors list what is there and the flag to use. */
export function chooseKey(path: string, role: InputRole, names: string[], key: string | undefined, noun: 'member' | 'tensor'): string {
  const list = names.length ? names.map((n) => `'${n}'`).join(', ') : 'none';
  if (key !== undefined) {
    if (names.includes(key)) return key;
    throw NcInputError.at('UNKNOWN_ARRAY', { source: path }, `no ${noun} '${key}' (it has ${list})`);
  }
  if (names.length === 0) throw NcInputError.at('UNKNOWN_ARRAY', { source: path }, 'holds no arrays');
  if (names.length === 1) return names[0];
  const wanted = DEFAULT_KEYS[role];
  for (const w of wanted) if (names.includes(w)) return w;
  for (const w of wanted) {
    const hit = names.find((n) => n.toLowerCase() === w.toLowerCase());
    if (hit) return hit;
  }
  if (role === 'weights' || role === 'bias') {
    const suffix = role === 'weights' ? '.weight' : '.bias';
    const hits = names.filter((n) => n.endsWith(suffix));
    if (hits.length === 1) return hits[0];
  }
  throw NcInputError.at('UNKNOWN_ARRAY', { source: path }, `holds several arrays (${list})`, [{ option: `${role}Key`, purpose: `to choose the ${role}` }]);
}
