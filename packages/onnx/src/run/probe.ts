import * as ort from 'onnxruntime-node';
import type { OnnxModel } from '../model/onnx-model.js';

/** Shapes observed by running one all-zero sample: value name → dims (batch first). */
export interface ProbeResult {
  shapes: Map<string, number[]>;
  /** Why the probe was skipped or failed, if it was. */
  skipped?: string;
}

/**
 * Runs the model once on an all-zero batch (one row, or the fixed batch size) with every candidate tensor as a
 * graph output, to learn the shapes the model does not declare. Needs a single input whose per-sample dims are
 * all fixed; otherwise (or if onnxruntime refuses) it reports why and returns no shapes.
 */
export async function probeShapes(model: OnnxModel, options: { inputName?: string; executionProviders?: readonly string[] } = {}): Promise<ProbeResult> {
  const feeds = model.graph.feedInputs;
  const input = options.inputName ? feeds.find((f) => f.name === options.inputName) : feeds.length === 1 ? feeds[0] : undefined;
  if (!input) return { shapes: new Map(), skipped: `the model has ${feeds.length} inputs; name one to probe` };
  const shape = model.graph.shape(input.name);
  if (!shape) return { shapes: new Map(), skipped: `input "${input.name}" declares no shape` };
  const rest = shape.slice(1);
  if (!rest.every((d) => typeof d === 'number' && d > 0)) return { shapes: new Map(), skipped: `input "${input.name}" has dynamic per-sample dimensions [${shape.map((d) => d ?? '?').join(', ')}]` };
  const type = model.inputs.find((i) => i.name === input.name)!.type;
  const batch = typeof shape[0] === 'number' && shape[0] > 0 ? shape[0] : 1;
  const dims = [batch, ...(rest as number[])];
  const count = dims.reduce((a, b) => a * b, 1);
  const data = type === 'float32' ? new Float32Array(count) : type === 'float64' ? new Float64Array(count) : type === 'int64' ? new BigInt64Array(count) : type === 'int32' ? new Int32Array(count) : type === 'uint8' ? new Uint8Array(count) : undefined;
  if (!data) return { shapes: new Map(), skipped: `input type ${type} is not probed` };
  const names = model.candidates().map((c) => c.name);
  if (names.length === 0) return { shapes: new Map() };
  let session: ort.InferenceSession | undefined;
  try {
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: (options.executionProviders ?? ['cpu']) as ort.InferenceSession.ExecutionProviderConfig[],
      logSeverityLevel: 3,
    };
    if (model.externalData.length > 0 && model.baseDir) sessionOptions.extra = { session: { model_external_initializers_file_folder_path: model.baseDir } };
    session = await ort.InferenceSession.create(model.withOutputs(names), sessionOptions);
    const out = await session.run({ [input.name]: new ort.Tensor(type as ort.Tensor.Type, data as never, dims) });
    const shapes = new Map<string, number[]>();
    for (const n of names) {
      const v = out[n];
      if (v && v instanceof ort.Tensor) shapes.set(n, [...v.dims]);
    }
    return { shapes };
  } catch (e) {
    return { shapes: new Map(), skipped: `onnxruntime could not run the probe: ${(e as Error).message.split('\n')[0]}` };
  } finally {
    await session?.release();
  }
}
