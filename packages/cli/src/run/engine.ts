import { NcInputError, registerEngine, releaseEngine, selectEngine, type SelectedEngine } from '@ncscope/core';

/** `--engine` values: `auto` (core's rule: onnxruntime for large inputs, else js), or one engine by name. */
export type EngineChoice = 'auto' | 'js' | 'onnxruntime';

/** The `--engine` choices, for the option's help. */
export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'js', 'onnxruntime'];

// The onnxruntime engine, loaded on first use only: the engine entry point of @ncscope/onnx (not its model-editing
// half with the protobuf schema), so `--engine js`, small inputs and every other command never load the native runtime.
registerEngine('onnxruntime', async (options) => {
  const mod = (await import('@ncscope/onnx/engine')) as Record<string, unknown>;
  const create = mod.createOnnxProductEngine;
  if (typeof create !== 'function') throw new Error('@ncscope/onnx does not export createOnnxProductEngine');
  return create({ executionProviders: options.executionProviders ? [...options.executionProviders] : undefined });
});

/**
 * The engine of a command's spread phase, by core's registry and its `auto` rule (`work` = multiply-adds of the
 * spread phase, core's `spreadWork`). A named engine that fails to start is an error naming the flag.
 */
export async function chooseEngine(choice: EngineChoice, work = Infinity): Promise<SelectedEngine> {
  try {
    return await selectEngine(choice, work);
  } catch (e) {
    throw e instanceof NcInputError ? e.relocate({ ...e.where, source: `--engine ${choice}` }) : e;
  }
}

/** The engine's name for reports: `js (auto: small input, …)` when `auto` explains its choice. */
export function engineLabel(selected: Pick<SelectedEngine, 'engine' | 'note'>): string {
  return selected.note ? `${selected.engine.name} (${selected.note})` : selected.engine.name;
}

export { releaseEngine };
