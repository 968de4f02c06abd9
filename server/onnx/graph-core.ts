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
import { f32ToBf16, f32ToF16 } from "./float16";
import type { Weights } from "./weights";

export type DType = "float32" | "float16" | "bfloat16" | "int64" | "int32" | "uint8" | "int8" | "bool";
/** A graph dimension: a fixed size or a symbolic name such as "batch". */
export type Dim = number | string;
/**
 * Weight precision of a build (docs/precision.md has the measured error of each):
 * - fp32: everything fp32.
 * - fp16: matrices (Linear/Conv/embedding weights) stored fp16 and multiplied in fp16; norms, softmax/attention,
 *   RoPE, residual stream and graph I/O stay fp32 (Cast at the island borders). For providers with fp16 kernels.
 * - bf16: matrices stored bf16 (half the bytes on disk) and Cast to fp32 in the graph, which ORT folds at load:
 *   the compute is fp32 (for providers without bf16 kernels, e.g. ORT CPU).
 * - int8 / int4: Linear weights quantised symmetric per block of 32 input features and multiplied by
 *   com.microsoft MatMulNBits (int8 activations on the CPU provider); embedding tables stored bf16, every other
 *   matrix fp32.
 */
export type Precision = "fp32" | "fp16" | "bf16" | "int8" | "int4";
export const PRECISIONS: readonly Precision[] = ["fp32", "fp16", "bf16", "int8", "int4"];

/** A typed handle to a tensor in the graph under construction. */
export interface Value<D extends DType = DType> {
  readonly name: string;
  readonly dtype: D;
}
export type F32 = Value<"float32">;
export type F16 = Value<"float16">;
export type BF16 = Value<"bfloat16">;
export type Float = Value<"float32" | "float16">;
export type I64 = Value<"int64">;
export type Bool = Value<"bool">;

export const ONNX_DTYPE: Record<DType, number> = {
  float32: TensorProto_DataType.FLOAT,
  float16: TensorProto_DataType.FLOAT16,
  bfloat16: TensorProto_DataType.BFLOAT16,
  uint8: TensorProto_DataType.UINT8,
  int8: TensorProto_DataType.INT8,
  int64: TensorProto_DataType.INT64,
  int32: TensorProto_DataType.INT32,
  bool: TensorProto_DataType.BOOL,
};
const BYTES: Record<DType, number> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  uint8: 1,
  int8: 1,
  bool: 1,
};

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
  /**
   * MatMulNBits accuracy_level of int8/int4 builds: 4 (default) = int8 activations, the fast MLAS path on x86
   * (8-bit weights at level 0 take a slow dequantising path); 0 = fp32 compute, exact w.r.t. the dequantised
   * weights (tests)
   */
  nbitsAccuracyLevel?: 0 | 1 | 2 | 3 | 4;
  /**
   * Kernel of the int8 build's Linear layers: "nbits" (default) = MatMulNBits, 8-bit blocks of 32 inputs;
   * "dynamic" = com.microsoft DynamicQuantizeMatMul, int8 weights per output channel (stored + 128 as uint8, so
   * MLAS runs its U8U8 QGEMM, exact on every CPU) and activations quantised to uint8 per tensor at run time (2–3×
   * MatMulNBits on many rows on a VNNI CPU, e.g. the DiT step; see docs/precision.md); "dynamic-row" = the same weights, activations quantised per row (per token) in the graph
   * and multiplied by ai.onnx MatMulInteger (server/onnx/int8-linear.ts). A function chooses per checkpoint weight
   * key. int4 builds always use MatMulNBits.
   */
  int8Linear?: Int8Linear | ((weightKey: string) => Int8Linear);
  /** How "dynamic"/"dynamic-row" weights are stored (server/onnx/int8-linear.ts Int8WeightFormat); default "u8". */
  int8Weights?: "u8" | "s8";
}

export type Int8Linear = "nbits" | "dynamic" | "dynamic-row" | "fp32";

export interface FinishOptions {
  /** Every provider key under one of these prefixes must have been used ("" = all keys). */
  requireAllUsed?: string[];
  /** Keys (exact or RegExp) exempt from the unused check, e.g. `lm_head.weight` for tied embeddings. */
  ignoreUnused?: (string | RegExp)[];
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Storage dtypes of float weights. */
export type MatrixDtype = "float32" | "float16" | "bfloat16";

function encodeMatrix(data: Float32Array, dtype: MatrixDtype): Uint8Array {
  return bytesOf(dtype === "float16" ? f32ToF16(data) : dtype === "bfloat16" ? f32ToBf16(data) : data);
}

export class GraphCore {
  readonly precision: Precision;
  readonly weights: Weights | undefined;
  readonly opset: number;
  readonly name: string;
  readonly nbitsAccuracyLevel: number;
  readonly int8Linear: (weightKey: string) => Int8Linear;
  readonly int8Weights: "u8" | "s8";
  protected readonly nodes: NodeProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly inits = new Map<string, Initializer>();
  private readonly params = new Map<string, Value>();
  private readonly widened = new Map<string, F32>();
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
    this.nbitsAccuracyLevel = opts.nbitsAccuracyLevel ?? 4;
    const k = opts.int8Linear ?? "nbits";
    this.int8Linear = typeof k === "function" ? k : () => k;
    this.int8Weights = opts.int8Weights ?? "u8";
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
      create(NodeProtoSchema, {
        opType: "Identity",
        name: this.claim(name) + "/Identity",
        input: [value.name],
        output: [name],
      }),
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
    const outs = outDtypes.map((d, i) => ({
      name: outDtypes.length === 1 ? `${nodeName}_out` : `${nodeName}_out${i}`,
      dtype: d,
    }));
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
      throw new Error(
        `onnx build: constant ${hint} [${dims}] ${dtype} needs ${n * BYTES[dtype]} bytes, got ${data.byteLength}`,
      );
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

  /** Storage dtype of a matrix initializer (`half`: a Linear/Conv/embedding weight) in this build's precision. */
  matrixDtype(half: boolean | undefined): MatrixDtype {
    if (!half) return "float32";
    return this.precision === "fp16" ? "float16" : this.precision === "bf16" ? "bfloat16" : "float32";
  }

  /**
   * A checkpoint tensor as an initializer named exactly `key`, in checkpoint layout.
   * `half`: a matrix, stored in `matrixDtype(true)`: fp16 is returned as is (fp16 compute island), bf16 through a
   * Cast to fp32 (folded by ORT at load). Missing keys and shape mismatches are recorded (not thrown) so
   * `finish()` can report all of them at once.
   */
  param(key: string, opts: { shape?: number[]; half?: boolean } = {}): Float {
    return this.widen(this.storedParam(key, this.matrixDtype(opts.half), opts.shape));
  }

  /** The initializer of checkpoint tensor `key` stored as `dtype` (no Cast), recorded in the key ledger. */
  storedParam<D extends MatrixDtype>(key: string, dtype: D, shape?: number[]): Value<D> {
    const prev = this.params.get(key);
    if (prev) {
      if (prev.dtype !== dtype) throw new Error(`onnx build: key ${key} requested as both ${prev.dtype} and ${dtype}`);
      return prev as Value<D>;
    }
    const w = this.weights;
    let dims = shape ?? [];
    if (!w || !w.has(key)) {
      this.missing.add(key);
    } else {
      const actual = w.get(key).shape;
      if (shape && actual.join(",") !== shape.join(",")) {
        this.mismatched.push(`${key}: checkpoint [${actual}] vs expected [${shape}]`);
      }
      dims = actual;
      const n = actual.reduce((a, b) => a * b, 1);
      this.inits.set(key, {
        name: key,
        dtype,
        dims,
        byteLength: n * BYTES[dtype],
        load: () => encodeMatrix(w.get(key).data, dtype),
      });
      this.used.push(key);
    }
    this.claim(key);
    const v: Value<D> = { name: key, dtype };
    this.params.set(key, v);
    return v;
  }

  /**
   * Checkpoint tensor `key` stored as `dtype` and used as fp32 (one memoised Cast, folded by ORT at load): storage
   * precision for components whose compute stays fp32 whatever the build precision (e.g. the VAE's convolutions).
   */
  paramStoredAs(key: string, dtype: MatrixDtype, shape?: number[]): F32 {
    return this.widen(this.storedParam(key, dtype, shape), true) as F32;
  }

  /** bf16-stored values (and fp16 ones when `all`) become fp32 through one memoised Cast; others pass through. */
  private widen(v: Value<MatrixDtype>, all = false): Float {
    if (v.dtype === "float32" || (v.dtype === "float16" && !all)) return v as Float;
    let c = this.widened.get(v.name);
    if (!c)
      this.widened.set(v.name, (c = this.op("Cast", [v], ["float32"], { to: attr.int(ONNX_DTYPE.float32) })[0] as F32));
    return c;
  }

  /** Mark checkpoint key `key` as consumed (for weights stored in a derived form, e.g. quantised). */
  protected useKey(key: string, shape?: number[]): number[] | undefined {
    const w = this.weights;
    if (!w || !w.has(key)) {
      this.missing.add(key);
      return undefined;
    }
    const actual = w.get(key).shape;
    if (shape && actual.join(",") !== shape.join(","))
      this.mismatched.push(`${key}: checkpoint [${actual}] vs expected [${shape}]`);
    if (!this.used.includes(key)) this.used.push(key);
    return actual;
  }

  /** An initializer whose bytes come from `load` at serialisation time. */
  protected lazyInitializer<D extends DType>(
    hint: string,
    dtype: D,
    dims: number[],
    load: () => ArrayBufferView,
  ): Value<D> {
    const name = this.fresh(hint);
    const n = dims.reduce((a, b) => a * b, 1);
    this.inits.set(name, { name, dtype, dims, byteLength: n * BYTES[dtype], load: () => bytesOf(load()) });
    return { name, dtype };
  }

  /**
   * A float initializer named exactly `name` from data computed at export time (e.g. a folded weight-norm
   * conv weight); a matrix when `half` (stored as `matrixDtype(true)`, see `param`). Not part of the key ledger.
   */
  floatInitializer(name: string, dims: number[], data: Float32Array, opts: { half?: boolean } = {}): Float {
    const n = dims.reduce((a, b) => a * b, 1);
    if (n !== data.length)
      throw new Error(`onnx build: initializer ${name} [${dims}] needs ${n} values, got ${data.length}`);
    const dtype = this.matrixDtype(opts.half);
    this.claim(name);
    this.inits.set(name, { name, dtype, dims, byteLength: n * BYTES[dtype], load: () => encodeMatrix(data, dtype) });
    return this.widen({ name, dtype });
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
