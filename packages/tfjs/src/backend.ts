import { NcInputError } from '@ncscope/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Switches tfjs to the backend `name` and checks that it really runs: a backend that was never registered (its
 * package not imported) or that failed to start (WebGL without a context, wasm without its .wasm files) is a
 * `BAD_OPTION` {@link NcInputError} saying which and what to do — where `tf.setBackend` throws a bare error for the
 * first and returns `false` for the second (and tfjs may silently fall back to another backend).
 */
export async function useBackend(name: string): Promise<void> {
  const registered = Object.keys(tf.engine().registryFactory);
  if (tf.findBackendFactory(name) === null) {
    throw new NcInputError('BAD_OPTION', `tfjs backend "${name}" is not registered: import '@tensorflow/tfjs-backend-${name}' (or @tensorflow/tfjs) before using it; registered: ${registered.join(', ') || 'none'}`, { source: name });
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    throw new NcInputError('BAD_OPTION', `tfjs backend "${name}" failed to start: ${(e as Error).message}`, { source: name });
  }
  if (!ok || tf.getBackend() !== name) {
    const hint = name === 'wasm' ? ' (are its .wasm files served? call setWasmPaths from @tensorflow/tfjs-backend-wasm)' : name === 'webgl' ? ' (no WebGL context in this page or process)' : '';
    throw new NcInputError('BAD_OPTION', `tfjs backend "${name}" is registered but failed to start${hint}; running on ${tf.getBackend() ?? 'none'}`, { source: name });
  }
  await tf.ready();
}
