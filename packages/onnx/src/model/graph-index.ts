import { NcInputError } from '@ncscope/core';
import { DataType, toInt, type AttributeProto, type DimensionProto, type GraphProto, type NodeProto, type TensorProto, type ValueInfoProto } from '../proto/onnx.js';
import { decodeTensor, type ConstTensor, type TensorDataContext } from './tensor-data.js';

/** A dimension as the model declares it: a size, a symbolic name (dynamic), or undefined when not stated. */
export type Dim = number | string | undefined;

/** One declared dimension: decoded messages say which oneof member is set; plain objects just carry one. */
export function dimOf(d: DimensionProto): Dim {
  if (d.value === 'dimValue') return toInt(d.dimValue);
  if (d.value === 'dimParam') return d.dimParam || undefined;
  if (d.dimValue !== undefined && d.dimValue !== null) return toInt(d.dimValue);
  return d.dimParam || undefined;
}

/** Attribute lookups with defaults (attributes are few per node; a linear scan is fine). */
export function attr(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}
export function attrInt(node: NodeProto, name: string, dflt: number): number {
  const a = attr(node, name);
  return a ? toInt(a.i) : dflt;
}
export function attrFloat(node: NodeProto, name: string, dflt: number): number {
  const a = attr(node, name);
  return a ? a.f : dflt;
}
export function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = attr(node, name);
  return a ? a.ints.map((v) => toInt(v)) : undefined;
}

/** Ops whose (first) output is not of the type of their first input. */
const FIXED_OUTPUT_TYPE: Record<string, number> = {
  Shape: DataType.INT64, Size: DataType.INT64, ArgMax: DataType.INT64, ArgMin: DataType.INT64, NonZero: DataType.INT64,
  NonMaxSuppression: DataType.INT64, Equal: DataType.BOOL, Less: DataType.BOOL, Greater: DataType.BOOL,
  LessOrEqual: DataType.BOOL, GreaterOrEqual: DataType.BOOL, Not: DataType.BOOL, And: DataType.BOOL, Or: DataType.BOOL,
  Xor: DataType.BOOL, IsNaN: DataType.BOOL, IsInf: DataType.BOOL,
};

/**
 * Lookups over one graph: who produces and consumes each value, its declared type and shape, and constant
 * folding of the few ops that carry weights (initializers, Constant, Identity, Transpose, Cast).
 *
 * Element types come from the declarations (inputs, outputs, value_info, initializers) and otherwise from node
 * semantics: most ops keep the type of their first input; Cast/CastLike/Constant/Quantize… state theirs. This is
 * what adding a value to `graph.output` needs — onnxruntime wants the element type, not the shape — without
 * running ONNX shape inference (which has no JavaScript implementation).
 */
export class GraphIndex {
  readonly producer = new Map<string, NodeProto>();
  readonly consumers = new Map<string, NodeProto[]>();
  readonly initializers = new Map<string, TensorProto>();
  readonly declared = new Map<string, ValueInfoProto>();
  private readonly typeMemo = new Map<string, number>();
  private readonly constMemo = new Map<string, ConstTensor | null>();

  constructor(readonly graph: GraphProto, readonly ctx: TensorDataContext) {
    for (const t of graph.initializer) this.initializers.set(t.name, t);
    for (const v of [...graph.input, ...graph.output, ...graph.valueInfo]) if (v.name && !this.declared.has(v.name)) this.declared.set(v.name, v);
    for (const n of graph.node) {
      for (const o of n.output) if (o) this.producer.set(o, n);
      for (const i of n.input) {
        if (!i) continue;
        const list = this.consumers.get(i);
        if (list) list.push(n);
        else this.consumers.set(i, [n]);
      }
    }
  }

  /** Graph inputs that are not initializers: the values a caller must feed. */
  get feedInputs(): ValueInfoProto[] {
    return this.graph.input.filter((v) => !this.initializers.has(v.name));
  }

  /** Whether `name` is any value of the graph (input, initializer, node output). */
  has(name: string): boolean {
    return this.producer.has(name) || this.initializers.has(name) || this.graph.input.some((v) => v.name === name);
  }

  /** Declared shape of a value (graph input/output, value_info, or initializer dims), or undefined. */
  shape(name: string): Dim[] | undefined {
    const init = this.initializers.get(name);
    if (init) return init.dims.map((d) => toInt(d));
    const tt = this.declared.get(name)?.type?.tensorType;
    if (!tt?.shape) return undefined;
    return tt.shape.dim.map(dimOf);
  }

  /** Element type (ONNX DataType) of a value, declared or derived from the producing node. */
  elemType(name: string, depth = 0): number {
    const memo = this.typeMemo.get(name);
    if (memo !== undefined) return memo;
    const t = this.elemTypeUncached(name, depth);
    this.typeMemo.set(name, t);
    return t;
  }

  private elemTypeUncached(name: string, depth: number): number {
    const init = this.initializers.get(name);
    if (init) return init.dataType;
    const declared = this.declared.get(name)?.type?.tensorType?.elemType;
    if (declared) return declared;
    const node = this.producer.get(name);
    if (!node || depth > 10_000) return DataType.UNDEFINED;
    const outIndex = node.output.indexOf(name);
    const input = (i: number) => (node.input[i] ? this.elemType(node.input[i], depth + 1) : DataType.UNDEFINED);
    switch (node.opType) {
      case 'Cast': return attrInt(node, 'to', DataType.FLOAT);
      case 'CastLike': return input(1);
      case 'Constant': {
        const a = node.attribute[0];
        if (!a) return DataType.FLOAT;
        if (a.name === 'value' && a.t) return a.t.dataType;
        if (a.name === 'value_int' || a.name === 'value_ints') return DataType.INT64;
        if (a.name === 'value_string' || a.name === 'value_strings') return DataType.STRING;
        return DataType.FLOAT;
      }
      case 'ConstantOfShape': return attr(node, 'value')?.t?.dataType ?? DataType.FLOAT;
      case 'DequantizeLinear': return input(1) || DataType.FLOAT;
      case 'QuantizeLinear': return node.input[2] ? input(2) : DataType.UINT8;
      case 'Where': return input(1);
      case 'Dropout': return outIndex === 1 ? DataType.BOOL : input(0);
      case 'TopK': case 'MaxPool': case 'Unique': return outIndex >= 1 ? DataType.INT64 : input(0);
      case 'EyeLike': case 'RandomNormalLike': case 'RandomUniformLike': return attrInt(node, 'dtype', 0) || input(0);
      case 'RandomNormal': case 'RandomUniform': return attrInt(node, 'dtype', DataType.FLOAT);
    }
    const fixed = FIXED_OUTPUT_TYPE[node.opType];
    if (fixed !== undefined && outIndex === 0) return fixed;
    for (let i = 0; i < node.input.length; i++) {
      const t = input(i);
      if (t) return t;
    }
    return DataType.UNDEFINED;
  }

  /**
   * The value of `name` if it is a constant: an initializer, a Constant node, or Identity / Transpose / Cast of a
   * constant. Undefined when it depends on the inputs (or on ops not folded here).
   */
  constant(name: string): ConstTensor | undefined {
    if (this.constMemo.has(name)) return this.constMemo.get(name) ?? undefined;
    const c = this.constantUncached(name);
    this.constMemo.set(name, c ?? null);
    return c;
  }

  /** Human-readable origin of a constant, e.g. `Transpose(fc.weight)`. */
  constantOrigin(name: string): string {
    if (this.initializers.has(name)) return name;
    const node = this.producer.get(name);
    if (!node) return name;
    if (node.opType === 'Constant') return `Constant(${node.name || name})`;
    return `${node.opType}(${this.constantOrigin(node.input[0])})`;
  }

  private constantUncached(name: string): ConstTensor | undefined {
    const init = this.initializers.get(name);
    if (init) return decodeTensor(init, this.ctx);
    const node = this.producer.get(name);
    if (!node) return undefined;
    switch (node.opType) {
      case 'Constant': {
        const a = node.attribute[0];
        if (!a) return undefined;
        if (a.name === 'value' && a.t) return decodeTensor(a.t, this.ctx);
        if (a.name === 'value_float') return { dims: [], data: Float64Array.of(a.f), dataType: DataType.FLOAT };
        if (a.name === 'value_floats') return { dims: [a.floats.length], data: Float64Array.from(a.floats), dataType: DataType.FLOAT };
        return undefined;
      }
      case 'Identity': return this.constant(node.input[0]);
      case 'Cast': {
        const c = this.constant(node.input[0]);
        return c && { ...c, dataType: attrInt(node, 'to', c.dataType) };
      }
      case 'Transpose': {
        const c = this.constant(node.input[0]);
        if (!c) return undefined;
        const perm = attrInts(node, 'perm') ?? c.dims.map((_, i) => c.dims.length - 1 - i);
        return transpose(c, perm, `${this.ctx.source}: Transpose "${node.name || name}"`);
      }
    }
    return undefined;
  }
}

/** General N-d transpose of a constant: out.dims[i] = in.dims[perm[i]]. */
export function transpose(c: ConstTensor, perm: number[], where: string): ConstTensor {
  const r = c.dims.length;
  if (perm.length !== r || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new NcInputError('BAD_MODEL', `${where}: perm [${perm.join(', ')}] does not fit a rank-${r} tensor`);
  }
  const dims = perm.map((p) => c.dims[p]);
  const inStrides = new Array<number>(r);
  for (let i = r - 1, s = 1; i >= 0; i--) { inStrides[i] = s; s *= c.dims[i]; }
  const out = new Float64Array(c.data.length);
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < r; i++) src += idx[i] * inStrides[perm[i]];
    out[o] = c.data[src];
    for (let i = r - 1; i >= 0; i--) {
      if (++idx[i] < dims[i]) break;
      idx[i] = 0;
    }
  }
  return { dims, data: out, dataType: c.dataType };
}
