import { basename, dirname, join, normalize, resolve } from 'node:path';
import { NcInputError } from '@ncscope/core';
import { dataTypeName, decodeModel, defaultOpset, encodeModel, isFloatType, onnxType, type ModelProto, type ValueInfoProto } from '../proto/onnx.js';
import { FileReadError, readRegularFileSync } from '@ncscope/io';
import { findClassifier, linearConsumer, requireClassifier, type LinearClassifier, type LinearConsumer } from './classifier.js';
import { GraphIndex, type Dim } from './graph-index.js';
import { externalInfo, isExternal } from './tensor-data.js';

/** A graph value as `inspect` describes it. */
export interface TensorInfo {
  name: string;
  /** Element type name ("float32", "int64", …) — declared or derived from node semantics. */
  type: string;
  /** Declared shape, when the model states one: sizes, symbolic names (dynamic), undefined where unknown. */
  shape?: Dim[];
}

/** A value that could serve as features: a float output of a node that depends on the inputs. */
export interface CandidateTensor extends TensorInfo {
  /** The producing node's op type and name. */
  op: string;
  node: string;
  /** Feature dimension D per sample (product of the non-batch dims) when the shape is fully known. */
  D?: number;
}

/** What `ncscope onnx inspect` prints. */
export interface ModelInspection {
  source: string;
  producer: string;
  irVersion: number;
  opset: number;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  candidates: CandidateTensor[];
  /** The default feature tensor and classifier, or why none was found. */
  classifier?: Omit<LinearClassifier, 'weights' | 'bias'>;
  noClassifierReasons?: string[];
  /** Names of initializers whose data lives in external files. */
  externalData: string[];
}

/** Options of {@link OnnxModel.open}. */
export interface OpenModelOptions {
  /** Display name for messages when opening bytes (default "model"). */
  name?: string;
  /** Directory holding external data files when opening bytes (default: the model file's directory). */
  baseDir?: string;
}

/**
 * An ONNX model held as its decoded ModelProto: find the classifier, list candidate feature tensors, and write
 * edited copies that expose chosen values as graph outputs. Sessions are made by {@link FeatureExtractor}.
 */
export class OnnxModel {
  readonly graph: GraphIndex;
  private classifierCache?: { classifier?: LinearClassifier; reasons: string[] };

  private constructor(readonly proto: ModelProto, private encoded: Uint8Array | undefined, readonly source: string, readonly baseDir: string | undefined) {
    this.graph = new GraphIndex(proto.graph!, { source, baseDir });
  }

  /** The model's serialized bytes: as read, or (for a model made by {@link OnnxModel.fromProto}) encoded on first use. */
  get bytes(): Uint8Array {
    this.encoded ??= encodeModel(this.proto);
    return this.encoded;
  }

  /**
   * A model from a decoded ModelProto, e.g. an edited copy of another model's (the language-model runner inlines
   * the no-cache branch of a merged decoder this way). `source` names it in messages; `baseDir` holds its external
   * data files, if any.
   */
  static fromProto(proto: ModelProto, source: string, baseDir?: string): OnnxModel {
    if (!proto.graph) throw new NcInputError('BAD_MODEL', `${source}: not an ONNX model (no graph)`, { source });
    return new OnnxModel(proto, undefined, source, baseDir);
  }

  /**
   * Opens a model from a file path or from its bytes. Corrupt or truncated files, and files that are not ONNX,
   * give NcInputError BAD_MODEL. Models whose weights live in external data files (required above 2 GB) are
   * supported when opened from a path (or with `baseDir`): the files next to the model are read for the classifier
   * weights and onnxruntime is pointed at that directory.
   */
  static open(model: string | Uint8Array, options: OpenModelOptions = {}): OnnxModel {
    if (typeof model === 'string') {
      let bytes: Uint8Array;
      try {
        bytes = readRegularFileSync(model); // a FIFO or /dev/zero is refused, not read forever
      } catch (e) {
        const why = e instanceof FileReadError ? (e.code ?? e.reason) : (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        throw new NcInputError('BAD_MODEL', `${model}: cannot read the model file (${why})`, { source: model });
      }
      return new OnnxModel(decodeModel(bytes, model), bytes, model, options.baseDir ?? dirname(resolve(model)));
    }
    const name = options.name ?? 'model';
    return new OnnxModel(decodeModel(model, name), model, name, options.baseDir);
  }

  /** File name for messages. */
  get name(): string {
    return basename(this.source);
  }

  /** Initializers stored in external files. */
  get externalData(): string[] {
    return this.proto.graph!.initializer.filter(isExternal).map((t) => t.name);
  }

  /**
   * The files that hold external tensor data (each `location` joined to the model's directory, normalized, each file
   * once); empty for a model opened from bytes without `baseDir`, or one without external data. Tools that write files
   * check their outputs against these as well as against the model (the CLI's output rule).
   */
  get externalFiles(): string[] {
    const baseDir = this.baseDir;
    if (baseDir === undefined) return [];
    const files = new Set<string>();
    for (const t of this.proto.graph!.initializer) if (isExternal(t)) files.add(normalize(join(baseDir, externalInfo(t).location)));
    return [...files];
  }

  /** The graph inputs a caller feeds (inputs that are not initializers), with types and declared shapes. */
  get inputs(): TensorInfo[] {
    return this.graph.feedInputs.map((v) => this.info(v.name));
  }

  get outputs(): TensorInfo[] {
    return this.proto.graph!.output.map((v) => this.info(v.name));
  }

  private info(name: string): TensorInfo {
    return { name, type: dataTypeName(this.graph.elemType(name)), shape: this.graph.shape(name) };
  }

  /** The final linear classifier, or undefined with the reasons none was found. */
  findClassifier(): { classifier?: LinearClassifier; reasons: string[] } {
    this.classifierCache ??= findClassifier(this.graph);
    return this.classifierCache;
  }

  /** The final linear classifier, or NcInputError NO_CLASSIFIER telling how to name a tensor instead. */
  classifier(): LinearClassifier {
    const found = this.findClassifier();
    return found.classifier ?? requireClassifier(this.graph);
  }

  /** The Gemm/MatMul with a constant weight that reads `tensor` (for the subspace alignment), or why there is none. */
  consumer(tensor: string): { consumer?: LinearConsumer; reason?: string } {
    return linearConsumer(this.graph, tensor);
  }

  /** Float values produced by nodes that depend on the inputs: what `tensors` may name. In graph order. */
  candidates(): CandidateTensor[] {
    const dynamic = new Set(this.graph.feedInputs.map((v) => v.name));
    const out: CandidateTensor[] = [];
    for (const node of this.proto.graph!.node) {
      if (!node.input.some((i) => dynamic.has(i))) continue;
      for (const o of node.output) {
        if (!o) continue;
        dynamic.add(o);
        const t = this.graph.elemType(o);
        if (!isFloatType(t)) continue;
        const shape = this.graph.shape(o);
        const rest = shape?.slice(1);
        const D = rest && rest.every((d) => typeof d === 'number') ? (rest as number[]).reduce((a, b) => a * b, 1) : undefined;
        out.push({ name: o, type: dataTypeName(t), shape, op: node.opType, node: node.name, D });
      }
    }
    return out;
  }

  /** Inputs, outputs, candidate feature tensors and the default classifier. */
  inspect(): ModelInspection {
    const found = this.findClassifier();
    let classifier: ModelInspection['classifier'];
    if (found.classifier) {
      const { weights: _w, bias: _b, ...rest } = found.classifier;
      classifier = rest;
    }
    return {
      source: this.source,
      producer: [this.proto.producerName, this.proto.producerVersion].filter(Boolean).join(' '),
      irVersion: Number(this.proto.irVersion),
      opset: defaultOpset(this.proto),
      inputs: this.inputs,
      outputs: this.outputs,
      candidates: this.candidates(),
      classifier,
      noClassifierReasons: found.classifier ? undefined : found.reasons,
      externalData: this.externalData,
    };
  }

  /**
   * Checks that each name is a per-sample float value of the graph; UNKNOWN_TENSOR otherwise (with the closest
   * names), BAD_OPTION for constants, graph inputs and non-float values.
   */
  checkTensors(names: readonly string[]): void {
    if (names.length === 0) throw new NcInputError('BAD_OPTION', `${this.source}: no feature tensor named`);
    for (const name of names) {
      if (this.graph.initializers.has(name)) {
        throw new NcInputError('BAD_OPTION', `${this.source}: "${name}" is an initializer (a constant), not a per-sample tensor`, { source: this.source });
      }
      if (!this.graph.producer.has(name)) {
        if (this.graph.feedInputs.some((v) => v.name === name)) {
          throw new NcInputError('BAD_OPTION', `${this.source}: "${name}" is a graph input; name a value computed by the model`, { source: this.source });
        }
        const near = this.candidates().map((c) => c.name).filter((c) => c.toLowerCase().includes(name.toLowerCase()) || name.toLowerCase().includes(c.toLowerCase())).slice(0, 5);
        throw new NcInputError(
          'UNKNOWN_TENSOR',
          `${this.source}: no tensor named "${name}"${near.length ? ` (similar: ${near.join(', ')})` : ''}; \`ncscope onnx inspect ${this.source}\` lists the candidates`,
          { source: this.source },
        );
      }
      const t = this.graph.elemType(name);
      if (!isFloatType(t)) {
        throw new NcInputError('BAD_OPTION', `${this.source}: tensor "${name}" holds ${dataTypeName(t)} values; features must be float`, { source: this.source });
      }
    }
  }

  /**
   * Serialized copy of the model whose graph outputs are exactly `names` (each with its element type; shapes
   * are declared when known, else left out — onnxruntime fetches only graph outputs, and needs their type).
   * The original outputs are dropped so that onnxruntime need not compute what follows the features.
   */
  withOutputs(names: readonly string[]): Uint8Array {
    this.checkTensors(names);
    const outputs: ValueInfoProto[] = names.map((name) => {
      const declared = this.graph.declared.get(name);
      if (declared?.type?.tensorType?.elemType) return declared;
      return onnxType('ValueInfoProto').fromObject({ name, type: { tensorType: { elemType: this.graph.elemType(name) } } }) as unknown as ValueInfoProto;
    });
    const g = this.proto.graph!;
    const original = g.output;
    try {
      g.output = outputs;
      return encodeModel(this.proto);
    } finally {
      g.output = original;
    }
  }
}
