import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** Selects a tfjs backend: 'wasm' (XNNPACK, the fastest installed here) or 'cpu' (plain JS kernels). */
export async function selectBackend(name: string): Promise<string> {
  if (name === 'wasm') {
    // The .wasm binaries ship in the package's dist folder; Node reads them from there (no fetch).
    const require = createRequire(import.meta.url);
    setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  } else if (name !== 'cpu') {
    throw new Error(`unknown backend "${name}": use wasm or cpu (install @tensorflow/tfjs-node yourself for the native one)`);
  }
  if (!(await tf.setBackend(name))) throw new Error(`the ${name} backend failed to initialise`);
  await tf.ready();
  return tf.getBackend();
}
