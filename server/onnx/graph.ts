// GraphBuilder: typed op helpers over GraphCore, plus the checkpoint-aware blocks every stack uses
// (linear, RMSNorm, embedding lookup, fp16 island casts).
// Shape conventions: `linear` takes 2-D activations [N, in] and a checkpoint Linear weight [out, in]
// (Gemm transB=1, so the initializer keeps the checkpoint layout) → [N, out].
// In fp16 precision matrices are stored fp16 and multiplied in fp16; their outputs are cast back to
// fp32 right away, so norms, softmax/attention, RoPE and residual adds run in fp32.

import {
  GraphCore,
  ONNX_DTYPE,
  attr,
  type Attr,
  type Bool,
  type DType,
  type F32,
  type Float,
  type I64,
  type Precision,
  type Value,
} from "./graph-core";

import { quantizeBlockwise, type QuantBits, type QuantizedMatrix } from "./quantize";
import {
  int8LinearPerRow,
  offsetBinary,
  quantizePerChannelInt8,
  type Int8Matrix,
  type Int8Weight,
} from "./int8-linear";

export * from "./graph-core";

/** Input-feature block of the int8/int4 builds' MatMulNBits weights. */
export const NBITS_BLOCK = 32;

/** A quantised Linear weight ready for `matMulNBits`. */
export interface NBitsWeight {
  packed: Value<"uint8">;
  scales: F32;
  outF: number;
  inF: number;
  bits: QuantBits;
  block: number;
}

/** Weight bits of a precision, or null when it does not quantise. */
export function nbitsOf(p: Precision): QuantBits | null {
  return p === "int8" ? 8 : p === "int4" ? 4 : null;
}

type Same<V extends Value> = Value<V["dtype"]>;

export class GraphBuilder extends GraphCore {
  private readonly halfCache = new Map<string, Value<"float16">>();

  // ---- generic single-output op ------------------------------------------------------------
  node<D extends DType>(
    opType: string,
    inputs: (Value | null)[],
    dtype: D,
    attrs?: Record<string, Attr>,
    domain?: string,
  ): Value<D> {
    return this.op(opType, inputs, [dtype], attrs, domain)[0] as Value<D>;
  }

  // ---- elementwise -------------------------------------------------------------------------
  add<V extends Value>(a: V, b: Value): Same<V> {
    return this.node("Add", [a, b], a.dtype);
  }
  sub<V extends Value>(a: V, b: Value): Same<V> {
    return this.node("Sub", [a, b], a.dtype);
  }
  mul<V extends Value>(a: V, b: Value): Same<V> {
    return this.node("Mul", [a, b], a.dtype);
  }
  div<V extends Value>(a: V, b: Value): Same<V> {
    return this.node("Div", [a, b], a.dtype);
  }
  neg<V extends Value>(a: V): Same<V> {
    return this.node("Neg", [a], a.dtype);
  }
  abs<V extends Value>(a: V): Same<V> {
    return this.node("Abs", [a], a.dtype);
  }
  sin<V extends Float>(a: V): Same<V> {
    return this.node("Sin", [a], a.dtype);
  }
  cos<V extends Float>(a: V): Same<V> {
    return this.node("Cos", [a], a.dtype);
  }
  exp<V extends Float>(a: V): Same<V> {
    return this.node("Exp", [a], a.dtype);
  }
  sigmoid<V extends Float>(a: V): Same<V> {
    return this.node("Sigmoid", [a], a.dtype);
  }
  /** SiLU(x) = x·sigmoid(x) */
  silu<V extends Float>(a: V): Same<V> {
    return this.mul(a, this.sigmoid(a)) as Same<V>;
  }
  where<V extends Value>(cond: Bool, a: V, b: Value): Same<V> {
    return this.node("Where", [cond, a, b], a.dtype);
  }
  equal(a: Value, b: Value): Bool {
    return this.node("Equal", [a, b], "bool");
  }
  less(a: Value, b: Value): Bool {
    return this.node("Less", [a, b], "bool");
  }
  lessOrEqual(a: Value, b: Value): Bool {
    return this.node("LessOrEqual", [a, b], "bool");
  }
  and(a: Bool, b: Bool): Bool {
    return this.node("And", [a, b], "bool");
  }
  not(a: Bool): Bool {
    return this.node("Not", [a], "bool");
  }
  cast<D extends DType>(x: Value, to: D): Value<D> {
    return x.dtype === to ? (x as Value<D>) : this.node("Cast", [x], to, { to: attr.int(ONNX_DTYPE[to]) });
  }
  identity<V extends Value>(x: V): Same<V> {
    return this.node("Identity", [x], x.dtype);
  }

  // ---- linear algebra ----------------------------------------------------------------------
  matMul<V extends Value>(a: V, b: Value): Same<V> {
    return this.node("MatMul", [a, b], a.dtype);
  }
  gemm<V extends Float>(
    a: V,
    b: Value,
    c: Value | null,
    o: { transA?: boolean; transB?: boolean; alpha?: number; beta?: number } = {},
  ): Same<V> {
    const attrs: Record<string, Attr> = {};
    if (o.transA) attrs.transA = attr.int(1);
    if (o.transB) attrs.transB = attr.int(1);
    if (o.alpha !== undefined) attrs.alpha = attr.float(o.alpha);
    if (o.beta !== undefined) attrs.beta = attr.float(o.beta);
    return this.node("Gemm", c ? [a, b, c] : [a, b], a.dtype, attrs);
  }
  softmax<V extends Float>(x: V, axis = -1): Same<V> {
    return this.node("Softmax", [x], x.dtype, { axis: attr.int(axis) });
  }

  // ---- shape -------------------------------------------------------------------------------
  shape(x: Value, start?: number, end?: number): I64 {
    const attrs: Record<string, Attr> = {};
    if (start !== undefined) attrs.start = attr.int(start);
    if (end !== undefined) attrs.end = attr.int(end);
    return this.node("Shape", [x], "int64", attrs);
  }
  /** `shape` may be a runtime int64 tensor or literal dims (0 = copy, -1 = infer). */
  reshape<V extends Value>(x: V, shape: I64 | number[]): Same<V> {
    const s = Array.isArray(shape) ? this.constI64(shape, [shape.length], "shape") : shape;
    return this.node("Reshape", [x, s], x.dtype);
  }
  transpose<V extends Value>(x: V, perm: number[]): Same<V> {
    return this.node("Transpose", [x], x.dtype, { perm: attr.ints(perm) });
  }
  unsqueeze<V extends Value>(x: V, axes: number[]): Same<V> {
    return this.node("Unsqueeze", [x, this.constI64(axes, [axes.length], "axes")], x.dtype);
  }
  squeeze<V extends Value>(x: V, axes: number[]): Same<V> {
    return this.node("Squeeze", [x, this.constI64(axes, [axes.length], "axes")], x.dtype);
  }
  concat<V extends Value>(xs: [V, ...Value[]], axis: number): Same<V> {
    return this.node("Concat", xs, xs[0].dtype, { axis: attr.int(axis) });
  }
  slice<V extends Value>(
    x: V,
    starts: number[] | I64,
    ends: number[] | I64,
    axes: number[],
    steps?: number[],
  ): Same<V> {
    const t = (v: number[] | I64, h: string) => (Array.isArray(v) ? this.constI64(v, [v.length], h) : v);
    const ins: Value[] = [x, t(starts, "starts"), t(ends, "ends"), this.constI64(axes, [axes.length], "axes")];
    if (steps) ins.push(this.constI64(steps, [steps.length], "steps"));
    return this.node("Slice", ins, x.dtype);
  }
  gather<V extends Value>(data: V, indices: Value<"int64" | "int32">, axis = 0): Same<V> {
    return this.node("Gather", [data, indices], data.dtype, { axis: attr.int(axis) });
  }
  expand<V extends Value>(x: V, shape: I64): Same<V> {
    return this.node("Expand", [x, shape], x.dtype);
  }
  /** Range(start, limit, delta) over int64 scalars. */
  range(start: I64, limit: I64, delta: I64): I64 {
    return this.node("Range", [start, limit, delta], "int64");
  }
  scalarI64(v: number): I64 {
    return this.constI64([v], [], "scalar");
  }
  scalarF32(v: number): F32 {
    return this.constF32([v], [], "scalar");
  }

  // ---- normalisation / attention / convolution (ai.onnx 23) --------------------------------
  rmsNormalization<V extends Float>(x: V, scale: Value, epsilon: number, axis = -1): Same<V> {
    return this.node("RMSNormalization", [x, scale], x.dtype, { axis: attr.int(axis), epsilon: attr.float(epsilon) });
  }
  layerNormalization<V extends Float>(x: V, scale: Value, bias: Value | null, epsilon: number, axis = -1): Same<V> {
    return this.node("LayerNormalization", bias ? [x, scale, bias] : [x, scale], x.dtype, {
      axis: attr.int(axis),
      epsilon: attr.float(epsilon),
    });
  }
  /** ONNX Attention-23. 3-D q/k/v ([B,S,heads·D]) need qNumHeads/kvNumHeads; attnMask is bool (true = keep) or additive float. */
  attention<V extends Float>(
    q: V,
    k: Value,
    v: Value,
    o: {
      mask?: Value;
      qNumHeads?: number;
      kvNumHeads?: number;
      scale?: number;
      isCausal?: boolean;
      softmaxPrecision?: DType;
    } = {},
  ): Same<V> {
    const attrs: Record<string, Attr> = {};
    if (o.qNumHeads !== undefined) attrs.q_num_heads = attr.int(o.qNumHeads);
    if (o.kvNumHeads !== undefined) attrs.kv_num_heads = attr.int(o.kvNumHeads);
    if (o.scale !== undefined) attrs.scale = attr.float(o.scale);
    if (o.isCausal) attrs.is_causal = attr.int(1);
    if (o.softmaxPrecision) attrs.softmax_precision = attr.int(ONNX_DTYPE[o.softmaxPrecision]);
    return this.node("Attention", o.mask ? [q, k, v, o.mask] : [q, k, v], q.dtype, attrs);
  }
  /** ONNX RotaryEmbedding-23. 3-D x [B,S,heads·D] needs numHeads; caches [B,S,D/2] (no position ids) or [maxPos,D/2]. */
  rotaryEmbedding<V extends Float>(
    x: V,
    cos: Value,
    sin: Value,
    o: { numHeads?: number; positionIds?: I64; interleaved?: boolean } = {},
  ): Same<V> {
    const attrs: Record<string, Attr> = { interleaved: attr.int(o.interleaved ? 1 : 0) };
    if (o.numHeads !== undefined) attrs.num_heads = attr.int(o.numHeads);
    return this.node("RotaryEmbedding", o.positionIds ? [x, cos, sin, o.positionIds] : [x, cos, sin], x.dtype, attrs);
  }
  conv<V extends Float>(
    x: V,
    w: Value,
    b: Value | null,
    o: { strides?: number[]; pads?: number[]; dilations?: number[]; group?: number } = {},
  ): Same<V> {
    return this.node("Conv", b ? [x, w, b] : [x, w], x.dtype, convAttrs(o));
  }
  convTranspose<V extends Float>(
    x: V,
    w: Value,
    b: Value | null,
    o: { strides?: number[]; pads?: number[]; dilations?: number[]; group?: number } = {},
  ): Same<V> {
    return this.node("ConvTranspose", b ? [x, w, b] : [x, w], x.dtype, convAttrs(o));
  }

  // ---- precision islands -------------------------------------------------------------------
  /** x in the matmul dtype of this build (fp16 in fp16 mode); memoised so shared inputs are cast once. */
  toCompute(x: Float): Float {
    if (this.precision !== "fp16" || x.dtype === "float16") return x;
    let h = this.halfCache.get(x.name);
    if (!h) this.halfCache.set(x.name, (h = this.cast(x, "float16")));
    return h;
  }
  toF32(x: Value<"float32" | "float16" | "bfloat16">): F32 {
    return this.cast(x, "float32");
  }

  // ---- checkpoint-aware blocks ---------------------------------------------------------------
  /**
   * nn.Linear on 2-D activations: x [N, in] → [N, out] fp32, weight `weightKey` [out, in] (checkpoint layout).
   * `dims` (optional) is checked against the checkpoint and used for the error report if the key is missing.
   */
  linear(x: Float, weightKey: string, biasKey?: string, dims?: { in: number; out: number }): F32 {
    const bits = nbitsOf(this.precision);
    const shape = this.shapeOf(weightKey) ?? (dims ? [dims.out, dims.in] : undefined);
    const kernel = bits === 8 ? this.int8Linear(weightKey) : "nbits";
    if ((kernel === "dynamic" || kernel === "dynamic-row") && shape && shape.length === 2) {
      const w = this.int8Param(weightKey, dims ? [dims.out, dims.in] : undefined);
      const y = kernel === "dynamic" ? this.dynamicQuantizeMatMul(x, w) : int8LinearPerRow(this, this.toF32(x), w);
      return biasKey ? this.add(y, this.param(biasKey, { shape: [shape[0]] })) : y;
    }
    if (bits && kernel === "nbits" && shape && shape.length === 2 && shape[1] % NBITS_BLOCK === 0) {
      const y = this.matMulNBits(x, this.nbitsParam(weightKey, bits, dims ? [dims.out, dims.in] : undefined));
      return biasKey ? this.add(y, this.param(biasKey, { shape: [shape[0]] })) : y;
    }
    const w = this.param(weightKey, { half: true, shape: dims ? [dims.out, dims.in] : undefined });
    const out = this.shapeOf(weightKey)?.[0] ?? dims?.out;
    if (this.precision !== "fp16" || w.dtype === "float32") {
      const b = biasKey ? this.param(biasKey, { shape: out !== undefined ? [out] : undefined }) : null;
      return this.gemm(this.toF32(x), w, b, { transB: true });
    }
    const y = this.toF32(this.gemm(this.toCompute(x), w, null, { transB: true }));
    return biasKey ? this.add(y, this.param(biasKey, { shape: out !== undefined ? [out] : undefined })) : y;
  }

  // ---- weight-only quantisation (com.microsoft MatMulNBits) --------------------------------------
  /**
   * Checkpoint Linear weight `key` [out, in] quantised at serialisation time (server/onnx/quantize.ts layout):
   * initializers `${key}.q${bits}` uint8 [out, in/block, block·bits/8] and `${key}.scales` fp32 [out, in/block].
   */
  nbitsParam(key: string, bits: QuantBits, shape?: number[], block = NBITS_BLOCK): NBitsWeight {
    const dims = this.useKey(key, shape);
    const [outF, inF] = dims ?? shape ?? [0, 0];
    const w = this.weights;
    let cached: QuantizedMatrix | null = null;
    let served = 0;
    // both initializers come from one quantisation, computed when the first is serialised and dropped after the second
    const take = <T>(pick: (q: QuantizedMatrix) => T): T => {
      cached ??= quantizeBlockwise(w!.get(key).data, outF, inF, bits, block);
      const v = pick(cached);
      if (++served % 2 === 0) cached = null;
      return v;
    };
    const nb = Math.max(1, Math.floor(inF / block));
    const packed = this.lazyInitializer(`${key}.q${bits}`, "uint8", [outF, nb, (block * bits) / 8], () =>
      take((q) => q.packed),
    );
    const scales = this.lazyInitializer(`${key}.scales`, "float32", [outF, nb], () => take((q) => q.scales));
    return { packed, scales, outF, inF, bits, block };
  }

  /** Like nbitsParam for a matrix computed at export time (quantised now). */
  nbitsConst(
    name: string,
    data: Float32Array,
    outF: number,
    inF: number,
    bits: QuantBits,
    block = NBITS_BLOCK,
  ): NBitsWeight {
    const q = quantizeBlockwise(data, outF, inF, bits, block);
    const nb = inF / block;
    const packed = this.tensor(`${name}.q${bits}`, "uint8", [outF, nb, (block * bits) / 8], q.packed);
    const scales = this.tensor(`${name}.scales`, "float32", [outF, nb], q.scales);
    return { packed, scales, outF, inF, bits, block };
  }

  /** x [N, in] · dequant(W)ᵀ → [N, out] fp32 (symmetric: MatMulNBits' default zero point 2^(bits−1)). */
  matMulNBits(x: Float, w: NBitsWeight, accuracyLevel = this.nbitsAccuracyLevel): F32 {
    return this.node(
      "MatMulNBits",
      [this.toF32(x), w.packed, w.scales],
      "float32",
      {
        K: attr.int(w.inF),
        N: attr.int(w.outF),
        bits: attr.int(w.bits),
        block_size: attr.int(w.block),
        accuracy_level: attr.int(accuracyLevel),
      },
      "com.microsoft",
    );
  }

  // ---- int8 weights per output channel (com.microsoft DynamicQuantizeMatMul) ---------------------------
  /**
   * Checkpoint Linear weight `key` [out, in] quantised at serialisation time (server/onnx/int8-linear.ts layout):
   * initializers `${key}.q8c` uint8 [in, out] (int8 + 128), `${key}.zp` uint8 128 and `${key}.scales` fp32 [out];
   * with int8Weights "s8" `${key}.q8c` int8 [in, out] and no zero point (VNNI CPUs: server/onnx/int8-linear.ts).
   */
  int8Param(key: string, shape?: number[]): Int8Weight {
    const dims = this.useKey(key, shape);
    const [outF, inF] = dims ?? shape ?? [0, 0];
    const w = this.weights;
    let cached: Int8Matrix | null = null;
    let served = 0;
    // both initializers come from one quantisation, computed when the first is serialised and dropped after the second
    const take = <T>(pick: (q: Int8Matrix) => T): T => {
      cached ??= quantizePerChannelInt8(w!.get(key).data, outF, inF);
      const v = pick(cached);
      if (++served % 2 === 0) cached = null;
      return v;
    };
    const scales = () => this.lazyInitializer(`${key}.scales`, "float32", [outF], () => take((m) => m.scales));
    if (this.int8Weights === "s8") {
      const q = this.lazyInitializer(`${key}.q8c`, "int8", [inF, outF], () => take((m) => m.data));
      return { q, scales: scales(), outF, inF };
    }
    const q = this.lazyInitializer(`${key}.q8c`, "uint8", [inF, outF], () => take((m) => offsetBinary(m.data)));
    const zeroPoint = this.tensor(`${key}.zp`, "uint8", [], Uint8Array.of(128));
    return { q, zeroPoint, scales: scales(), outF, inF };
  }

  /** x [N, in] · dequant(W)ᵀ → [N, out] fp32; x quantised to uint8 per tensor at run time (MLAS QGEMM U8U8/U8S8). */
  dynamicQuantizeMatMul(x: Float, w: Int8Weight): F32 {
    return this.node(
      "DynamicQuantizeMatMul",
      w.zeroPoint ? [this.toF32(x), w.q, w.scales, w.zeroPoint] : [this.toF32(x), w.q, w.scales],
      "float32",
      {},
      "com.microsoft",
    );
  }

  /** RMSNorm over the last `axis..` dims with checkpoint weight `key` (kept fp32), computed in fp32. */
  rmsNorm(x: Float, key: string, eps: number, dim?: number): F32 {
    return this.rmsNormalization(this.toF32(x), this.param(key, { shape: dim ? [dim] : undefined }), eps, -1);
  }

  /** nn.Embedding lookup: ids (any shape, int64) → [...ids, hidden] fp32; table `key` [vocab, hidden]. */
  embedding(ids: I64, key: string, dims?: { vocab: number; hidden: number }): F32 {
    const shape = dims ? [dims.vocab, dims.hidden] : undefined;
    // bf16/int builds gather straight from the bf16 table (no fp32 copy of it at run time)
    const table =
      this.precision === "fp32" || this.precision === "fp16"
        ? this.param(key, { half: true, shape })
        : this.storedParam(key, "bfloat16", shape);
    return this.toF32(this.gather(table, ids, 0));
  }
}

function convAttrs(o: {
  strides?: number[];
  pads?: number[];
  dilations?: number[];
  group?: number;
}): Record<string, Attr> {
  const a: Record<string, Attr> = {};
  if (o.strides) a.strides = attr.ints(o.strides);
  if (o.pads) a.pads = attr.ints(o.pads);
  if (o.dilations) a.dilations = attr.ints(o.dilations);
  if (o.group) a.group = attr.int(o.group);
  return a;
}
