import { createHash } from 'node:crypto';
import type { OpenedInput } from '../arrays/open.js';

/** Arrays with at most this many data bytes are hashed whole. */
export const WHOLE_HASH_BYTES = 2 ** 21;
/** Larger arrays: this many blocks of {@link SAMPLE_BLOCK_BYTES}, spread evenly from the first byte to the last. */
export const SAMPLE_BLOCKS = 64;
export const SAMPLE_BLOCK_BYTES = 2 ** 14;

/**
 * The input fingerprint a statistics shard records, so that `stats merge` can tell shards of one input from shards
 * of another (a file that changed between tasks, a copy that differs): SHA-256 over, for the features and the labels,
 * the array key, element type, byte order, storage order and shape, then the data bytes — all of them for arrays up
 * to 2 MiB, else 64 blocks of 16 KiB spread evenly over the data (first and last block included; 1 MiB per array).
 *
 * Every task of a job computes the same value from the file alone (not from its path, time stamps or its own
 * rows), at the cost of at most 2 MiB of positioned reads. Different shapes, types or keys always differ; contents
 * that differ in any sampled byte differ — a retrained or re-exported model, a reshuffled or regenerated file
 * changes every block. A change confined to unsampled bytes goes unnoticed. A full hash would make every task read
 * the whole file, which is what sharding avoids (bench/shards.bench.ts measures both).
 */
export async function inputFingerprint(features: OpenedInput, labels: OpenedInput): Promise<string> {
  const hash = createHash('sha256');
  hash.update('ncscope.input/1\n');
  for (const input of [features, labels]) {
    const t = input.tensor;
    const { dtype, littleEndian, fortranOrder, shape } = t.layout;
    hash.update(`${input.key ?? ''}\0${dtype}\0${littleEndian ? '<' : '>'}\0${fortranOrder ? 'F' : 'C'}\0${shape.join(',')}\n`);
    const bytes = t.dataBytes;
    if (bytes <= WHOLE_HASH_BYTES) {
      hash.update(await t.readDataBytes(0, bytes));
      continue;
    }
    const step = (bytes - SAMPLE_BLOCK_BYTES) / (SAMPLE_BLOCKS - 1);
    for (let j = 0; j < SAMPLE_BLOCKS; j++) hash.update(await t.readDataBytes(Math.round(j * step), SAMPLE_BLOCK_BYTES));
  }
  return hash.digest('hex').slice(0, 32);
}
