// GraphCore: the bookkeeping half of the ONNX graph builder (op helpers live in graph.ts).
// Holds typed value handles, nodes, graph inputs/outputs with symbolic dims, lazily loaded initializers,
// and the weight-key ledger: every `param(key)` is recorded so `finish()` can fail with the full list of
// missing, unused and mis-shaped checkpoint keys (nanoGPT-style from_pretrained check).
// Initializers taken from a checkpoint are named exactly after their key and keep the checkpoint layout.

import { create } from "@bufbuild/protobuf";
import {
  AttributeProtoSchema,
  AttributeProto_AttributeType,
  NodeProtoSchema,
  TensorProto_DataType,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type NodeProto,
  type ValueInfoProto,
} from "onnx-buf";
import { f32ToF16 } from "./float16";
import type { Weights } from "./weights";

export type DType = "float32" | "float16" | "int64" | "int32" | "bool";
/** A graph dimension: a fixed size or a symbolic name such as "batch". */
export type Dim = number | string;
/** fp32: everything fp32. fp16: matrices (Linear/Conv/embedding weights) stored fp16 and multiplied in fp16;
 *  norms, softmax/attention, RoPE, residual stream and graph I/O stay fp32 (Cast at the island borders). */
export type Precision = "fp32" | "fp16";

/** A typed handle to a tensor in the graph under construction. */
export interface Value<D extends DType = DType> {
  readonly name: string;
  readonly dtype: D;
}
export type F32 = Value<"float32">;
export type F16 = Value<"float16">;
export type Float = Value<"float32" | "float16">;
export type I64 = Value<"int64">;
export type Bool = Value<"bool">;

export const ONNX_DTYPE: Record<DType, number> = {
  float32: TensorProto_DataType.FLOAT,
  float16: TensorProto_DataType.FLOAT16,
  int64: TensorProto_DataType.INT64,
  int32: TensorProto_DataType.INT32,
  bool: TensorProto_DataType.BOOL,
};
const BYTES: Record<DType, number> = { float32: 4, float16: 2, int64: 8, int32: 4, bool: 1 };

export type Attr =
  | { kind: "int"; v: number }
  | { kind: "float"; v: number }
  | { kind: "ints"; v: number[] }
  | { kind: "floats"; v: number[] }
  | { kind: "string"; v: string };
export const attr = {
  int: (v: number): Attr => ({ kind: "int", v }),
  float: (v: number): Attr => ({ kind: "float", v }),
  ints: (v: number[]): Attr => ({ kind: "ints", v }),
  floats: (v: number[]): Attr => ({ kind: "floats", v }),
  string: (v: string): Attr => ({ kind: "string", v }),
};

/** An initializer whose bytes are produced on demand at serialisation time (keeps peak memory low). */
export interface Initializer {
  name: string;
  dtype: DType;
  dims: number[];
  byteLength: number;
  load(): Uint8Array;
}

export interface BuiltModel {
  nodes: NodeProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  initializers: Initializer[];
  /** opset per domain, e.g. { "": 23, "com.microsoft": 1 } */
  opsets: Record<string, number>;
  irVersion: number;
  name: string;
  /** checkpoint keys consumed, in first-use order */
  usedKeys: string[];
}

export class WeightKeyError extends Error {
  constructor(
    readonly missing: string[],
    readonly unused: string[],
    readonly mismatched: string[],
  ) {
    const parts: string[] = [];
    if (missing.length) parts.push(`missing ${missing.length} key(s):\n  ${missing.join("\n  ")}`);
    if (mismatched.length) parts.push(`shape mismatch for ${mismatched.length} key(s):\n  ${mismatched.join("\n  ")}`);
    if (unused.length) parts.push(`unused ${unused.length} key(s):\n  ${unused.join("\n  ")}`);
    super(`onnx build: checkpoint keys do not match the graph; ${parts.join("\n")}`);
    this.name = "WeightKeyError";
  }
}

export interface GraphBuilderOptions {
  weights?: Weights;
  precision?: Precision;
  name?: string;
  /** ai.onnx opset (default 23: RMSNormalization, Attention, RotaryEmbedding). */
  opset?: number;
}

export interface FinishOptions {
  /** Every provider key under one of these prefixes must have been used ("" = all keys). */
  requireAllUsed?: string[];
  /** Keys (exact or RegExp) exempt from the unused check, e.g. `lm_head.weight` for tied embeddings. */
  ignoreUnused?: (string | RegExp)[];
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export class GraphCore {
  readonly precision: Precision;
  readonly weights: Weights | undefined;
  readonly opset: number;
  readonly name: string;
  protected readonly nodes: NodeProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly inits = new Map<string, Initializer>();
  private readonly params = new Map<string, Value>();
  private readonly used: string[] = [];
  private readonly missing = new Set<string>();
  private readonly mismatched: string[] = [];
  private readonly domains = new Set<string>();
  private readonly names = new Set<string>();
  private scopes: string[] = [];
  private counter = 0;

  constructor(opts: GraphBuilderOptions = {}) {
    this.precision = opts.precision ?? "fp32";
    this.weights = opts.weights;
    this.opset = opts.opset ?? 23;
    this.name = opts.name ?? "graph";
  }

  /** Run `fn` with node/value names prefixed by `name/` (purely cosmetic, helps reading ORT errors). */
  scope<T>(name: string, fn: () => T): T {
    this.scopes.push(name);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  protected fresh(hint: string): string {
    const base = this.scopes.length ? `/${this.scopes.join("/")}/${hint}` : `/${hint}`;
    let name = base;
    while (this.names.has(name)) name = `${base}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`onnx build: value name ${name} is already taken`);
    this.names.add(name);
    return name;
  }

  input<D extends DType>(name: string, dtype: D, dims: Dim[]): Value<D> {
    this.inputs.push(valueInfo(this.claim(name), dtype, dims));
    return { name, dtype };
  }

  /** Expose `value` as graph output `name` (through an Identity node, which ORT removes). */
  output<D extends DType>(name: string, value: Value<D>, dims?: Dim[]): void {
    this.nodes.push(
      create(NodeProtoSchema, { opType: "Identity", name: this.claim(name) + "/Identity", input: [value.name], output: [name] }),
    );
    this.names.add(name);
    this.outputs.push(valueInfo(name, value.dtype, dims));
  }

  /** Add a node; returns one handle per output dtype given. `null` inputs become "" (omitted optional input). */
  op(
    opType: string,
    inputs: (Value | null)[],
    outDtypes: DType[],
    attrs: Record<string, Attr> = {},
    domain = "",
  ): Value[] {
    if (domain) this.domains.add(domain);
    const nodeName = this.fresh(opType);
    const outs = outDtypes.map((d, i) => ({ name: outDtypes.length === 1 ? `${nodeName}_out` : `${nodeName}_out${i}`, dtype: d }));
    outs.forEach((o) => this.names.add(o.name));
    this.nodes.push(
      create(NodeProtoSchema, {
        opType,
        domain,
        name: nodeName,
        input: inputs.map((v) => (v ? v.name : "")),
        output: outs.map((o) => o.name),
        attribute: Object.entries(attrs).map(([k, a]) => attrProto(k, a)),
      }),
    );
    return outs;
  }

  /** A constant initializer built from a typed array. */
  tensor<D extends DType>(hint: string, dtype: D, dims: number[], data: ArrayBufferView): Value<D> {
    const n = dims.reduce((a, b) => a * b, 1);
    if (data.byteLength !== n * BYTES[dtype]) {
      throw new Error(`onnx build: constant ${hint} [${dims}] ${dtype} needs ${n * BYTES[dtype]} bytes, got ${data.byteLength}`);
    }
    const name = this.fresh(hint);
    this.inits.set(name, { name, dtype, dims, byteLength: data.byteLength, load: () => bytesOf(data) });
    return { name, dtype };
  }

  constI64(values: number[], dims: number[] = [values.length], hint = "const_i64"): I64 {
    return this.tensor(hint, "int64", dims, BigInt64Array.from(values.map((v) => BigInt(v))));
  }

  constF32(values: number[] | Float32Array, dims: number[] = [values.length], hint = "const_f32"): F32 {
    return this.tensor(hint, "float32", dims, Float32Array.from(values));
  }

  /**
   * A checkpoint tensor as an initializer named exactly `key`, in checkpoint layout.
   * `half`: store as fp16 when the builder precision is fp16. Missing keys and shape mismatches are
   * recorded (not thrown) so `finish()` can report all of them at once.
   */
  param(key: string, opts: { shape?: number[]; half?: boolean } = {}): Float {
    const dtype: "float32" | "float16" = opts.half && this.precision === "fp16" ? "float16" : "float32";
    const prev = this.params.get(key);
    if (prev) {
      if (prev.dtype !== dtype) throw new Error(`onnx build: key ${key} requested as both ${prev.dtype} and ${dtype}`);
      return prev as Float;
    }
    const w = this.weights;
    let dims = opts.shape ?? [];
    if (!w || !w.has(key)) {
      this.missing.add(key);
    } else {
      const shape = w.get(key).shape;
      if (opts.shape && shape.join(",") !== opts.shape.join(",")) {
        this.mismatched.push(`${key}: checkpoint [${shape}] vs expected [${opts.shape}]`);
      }
      dims = shape;
      const n = shape.reduce((a, b) => a * b, 1);
      this.inits.set(key, {
        name: key,
        dtype,
        dims,
        byteLength: n * BYTES[dtype],
        load: () => {
          const data = w.get(key).data;
          return bytesOf(dtype === "float16" ? f32ToF16(data) : data);
        },
      });
      this.used.push(key);
    }
    this.claim(key);
    const v: Float = { name: key, dtype };
    this.params.set(key, v);
    return v;
  }

  /**
   * A float initializer named exactly `name` from data computed at export time (e.g. a folded weight-norm
   * conv weight); stored fp16 when `half` and the builder precision is fp16. Not part of the key ledger.
   */
  floatInitializer(name: string, dims: number[], data: Float32Array, opts: { half?: boolean } = {}): Float {
    const n = dims.reduce((a, b) => a * b, 1);
    if (n !== data.length) throw new Error(`onnx build: initializer ${name} [${dims}] needs ${n} values, got ${data.length}`);
    const dtype: "float32" | "float16" = opts.half && this.precision === "fp16" ? "float16" : "float32";
    this.claim(name);
    this.inits.set(name, {
      name, dtype, dims, byteLength: n * BYTES[dtype],
      load: () => bytesOf(dtype === "float16" ? f32ToF16(data) : data),
    });
    return { name, dtype };
  }

  /** Checkpoint shape of `key` if the provider has it. */
  shapeOf(key: string): number[] | undefined {
    return this.weights?.has(key) ? this.weights.get(key).shape : undefined;
  }

  finish(opts: FinishOptions = {}): BuiltModel {
    const usedSet = new Set(this.used);
    const unused: string[] = [];
    const prefixes = opts.requireAllUsed ?? [];
    const ignore = opts.ignoreUnused ?? [];
    if (this.weights && prefixes.length) {
      for (const k of this.weights.keys()) {
        if (usedSet.has(k) || !prefixes.some((p) => k.startsWith(p))) continue;
        if (ignore.some((m) => (typeof m === "string" ? m === k : m.test(k)))) continue;
        unused.push(k);
      }
    }
    if (this.missing.size || unused.length || this.mismatched.length) {
      throw new WeightKeyError([...this.missing], unused.sort(), this.mismatched);
    }
    const opsets: Record<string, number> = { "": this.opset };
    for (const d of this.domains) opsets[d] = 1;
    return {
      nodes: this.nodes,
      inputs: this.inputs,
      outputs: this.outputs,
      initializers: [...this.inits.values()],
      opsets,
      irVersion: irVersionFor(this.opset),
      name: this.name,
      usedKeys: this.used,
    };
  }
}

/** IR version matching an ai.onnx opset (ONNX release table); ORT 1.30 accepts IR ≤ 13, opset ≤ 26. */
export function irVersionFor(opset: number): number {
  if (opset <= 21) return 10;
  if (opset <= 23) return 11;
  if (opset === 24) return 12;
  return 13;
}

export function valueInfo(name: string, dtype: DType, dims?: Dim[]): ValueInfoProto {
  const shape = dims
    ? {
        dim: dims.map((d) =>
          typeof d === "number"
            ? { value: { case: "dimValue" as const, value: BigInt(d) } }
            : { value: { case: "dimParam" as const, value: d } },
        ),
      }
    : undefined;
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, { value: { case: "tensorType", value: { elemType: ONNX_DTYPE[dtype], shape } } }),
  });
}

export function attrProto(name: string, a: Attr): AttributeProto {
  const T = AttributeProto_AttributeType;
  switch (a.kind) {
    case "int":
      return create(AttributeProtoSchema, { name, type: T.INT, i: BigInt(a.v) });
    case "float":
      return create(AttributeProtoSchema, { name, type: T.FLOAT, f: a.v });
    case "ints":
      return create(AttributeProtoSchema, { name, type: T.INTS, ints: a.v.map((x) => BigInt(x)) });
    case "floats":
      return create(AttributeProtoSchema, { name, type: T.FLOATS, floats: a.v });
    case "string":
      return create(AttributeProtoSchema, { name, type: T.STRING, s: new TextEncoder().encode(a.v) });
  }
}
