import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseNpy } from '@ncscope/core';
import { arrayInput, type InputArray } from '../src/index.js';

/** packages/onnx/test/fixtures (written by scripts/make-fixtures.ts). */
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const fixture = (name: string) => join(FIXTURES, name);

/** A fixture .npy array, parsed with core's whole-file parser. */
export function npy(name: string): { data: Float32Array | Float64Array | Int32Array; shape: number[] } {
  const { header, data } = parseNpy(new Uint8Array(readFileSync(fixture(name))), name);
  return { data, shape: header.shape };
}

/** A fixture .npy as model input rows. */
export function inputOf(name: string): InputArray {
  const a = npy(name);
  return arrayInput(a.data, a.shape, name);
}

/** The classifier weights tfjs held after training (reference.json). */
export const reference = JSON.parse(readFileSync(fixture('reference.json'), 'utf8')) as Record<'mlp' | 'cnn', {
  K: number; D: number; W: number[]; b: number[];
  /** The MLP's hidden layers (out × in), for the layer-wise alignment. */
  fc1?: { out: number; in: number; W: number[] };
  fc2?: { out: number; in: number; W: number[] };
}>;

/** max_i |a_i − b_i| / max(1, |b_i|): absolute for small values, relative for large ones. */
export function maxScaledDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

/** Relative difference of two numbers (absolute below 1). */
export function relDiff(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : Infinity;
  if (Number.isNaN(a) && Number.isNaN(b)) return 0;
  return Math.abs(a - b) / Math.max(1, Math.abs(b));
}

/** A temporary directory, removed by cleanup(). */
export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'ncscope-onnx-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Concatenates the feature blocks of one tensor over all batches. */
export function concat(blocks: (Float32Array | Float64Array)[]): Float64Array {
  const out = new Float64Array(blocks.reduce((s, b) => s + b.length, 0));
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}
