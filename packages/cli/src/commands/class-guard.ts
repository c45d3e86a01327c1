import { totalmem } from 'node:os';
import { NcInputError, checkClassCount, formatBytes, type ClassCostScope } from '@ncscope/core';
import { CliError } from '../errors.js';

/**
 * The CLI's bounds on K, checked before anything K-sized is allocated (a K that cannot fit used to end in V8's
 * "Fatal JavaScript invalid size error", a RangeError stack, or minutes of work on a mostly empty table):
 * - memory: the K- and D-sized tables of the command (core's `classTableBytes`) must fit this machine's memory
 *   (the smaller of the physical memory and the process's cgroup limit), or `NCSCOPE_MAX_MEMORY` when set
 *   (bytes, or with a K/M/G/T suffix in powers of 1024: `NCSCOPE_MAX_MEMORY=4G` on a shared node);
 * - samples: `--classes K` above {@link MAX_CLASSES_WITHOUT_SAMPLES} may not exceed the number of samples (most
 *   classes would be empty — a typo such as one zero too many, not a class count).
 */

/** Above this many classes, a K stated by --classes may not exceed the number of samples (core's label rule uses the same number). */
export const MAX_CLASSES_WITHOUT_SAMPLES = 1024;

/** The environment variable that sets the memory bound instead of the machine's memory. */
export const MEMORY_ENV = 'NCSCOPE_MAX_MEMORY';

/** `4G`, `512M`, `1073741824` → bytes (K/M/G/T are powers of 1024); CliError naming the variable otherwise. */
export function parseMemory(text: string, name = MEMORY_ENV): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(text);
  const bytes = m ? Number(m[1]) * 1024 ** ' kmgt'.indexOf(m[2].toLowerCase() || ' ') : NaN;
  if (!(Number.isFinite(bytes) && bytes >= 1)) throw new CliError(`${name}: expected a number of bytes, optionally with K, M, G or T (e.g. 4G), got '${text}'`);
  return Math.floor(bytes);
}

/** Bytes this process may use: NCSCOPE_MAX_MEMORY when set, else the physical memory, or the cgroup's limit when that is lower. */
export function machineMemoryBytes(): number {
  const env = process.env[MEMORY_ENV];
  if (env !== undefined && env !== '') return parseMemory(env);
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  const total = totalmem();
  return constrained !== undefined && constrained > 0 && constrained < total ? constrained : total;
}

/** The memory bound as the messages name it. */
export function memoryBoundName(bytes = machineMemoryBytes()): string {
  const env = process.env[MEMORY_ENV];
  return env !== undefined && env !== '' ? `the ${formatBytes(bytes)} of ${MEMORY_ENV}=${env}` : `the ${formatBytes(bytes)} of this machine's memory`;
}

/**
 * TOO_LARGE unless the command's tables for K classes of D features fit this machine's memory. `statedBy`
 * names where K came from (`--classes 1000000000`, `label 99999 of y.npy`, `means.json`).
 */
export function checkClassMemory(K: number, D: number, options: { statedBy: string; scope?: ClassCostScope; classifier?: boolean }): void {
  const maxBytes = machineMemoryBytes();
  checkClassCount({ K, D, classifier: options.classifier, scope: options.scope ?? 'analysis', maxBytes, statedBy: options.statedBy, boundName: memoryBoundName(maxBytes), raiseHint: '' });
}

/**
 * TOO_LARGE when `--classes K` exceeds both {@link MAX_CLASSES_WITHOUT_SAMPLES} and the N samples of the
 * labels (`where`): at least K − N classes would have no samples.
 */
export function checkClassesAgainstSamples(K: number, N: number, where: string): void {
  if (K <= MAX_CLASSES_WITHOUT_SAMPLES || K <= N) return;
  throw new NcInputError(
    'TOO_LARGE',
    `--classes ${K}: more classes than the ${N.toLocaleString('en')} samples of ${where} (at least ${(K - N).toLocaleString('en')} classes would have no samples); ` +
      `past ${MAX_CLASSES_WITHOUT_SAMPLES.toLocaleString('en')} classes, K may not exceed the number of samples. Check the value`,
    { source: where },
  );
}
