// W8A8 Linear for ORT's CPU provider: weights int8 per output channel, activations quantised to int8 per row
// (per token) at run time, multiplied by ai.onnx MatMulInteger. Layout: W [N, K] fp32 (checkpoint Linear [out, in])
// → q [K, N] int8 ±127 (MatMulInteger's B), scales [N].
//
//   x [M, K] fp32 ─ a = max|x| per row ─ xq = round(x · 127 / a) + 128 (uint8, zero point 128)
//   ─ MatMulInteger(xq, q + 128, 128, 128) int32 [M, N] ─ · (a / 127) [M, 1] · scales [N] ─► y [M, N] fp32
//
// By default the graph stores q + 128 as uint8 with zero point 128 (the same integers), so MLAS multiplies U8U8,
// not U8S8; int8KernelsFor keeps int8 q (U8S8) only for CPUs with VNNI. MLAS's U8S8 kernel for x86 CPUs with AVX2 but no VNNI (MlasGemmU8S8KernelAvx2, chosen by CPUID in
// onnxruntime/core/mlas/lib/platform.cpp) adds pairs of u8·s8 products into a saturating int16 (vpmaddubsw):
// 2·255·127 overflows it, and on such a CPU (AMD EPYC, AVX2 only) one Linear came out 18–21 % off. Its U8U8
// kernel widens to int16 first and is exact on every CPU (docs/precision.md, "uint8 weights").
import type { F32, Int8Linear, Value } from "./graph-core";
import type { GraphBuilder } from "./graph";
import type { Int8Dot } from "./cpu-int8";

export interface Int8Matrix {
  /** [K, N] row-major: column n is output channel n */
  data: Int8Array;
  /** [N]: w[n, k] ≈ data[k, n] · scales[n] */
  scales: Float32Array;
}

/** Symmetric per-output-channel int8 of W [n, k] (checkpoint layout), transposed to MatMulInteger's [k, n]. */
export function quantizePerChannelInt8(w: Float32Array, n: number, k: number): Int8Matrix {
  if (w.length !== n * k) throw new Error(`quantize: ${w.length} values for [${n}, ${k}]`);
  const data = new Int8Array(k * n);
  const scales = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    let amax = 0;
    const off = r * k;
    for (let i = 0; i < k; i++) amax = Math.max(amax, Math.abs(w[off + i]));
    const scale = Math.fround(amax / 127 || 1);
    scales[r] = scale;
    for (let i = 0; i < k; i++) data[i * n + r] = Math.max(-127, Math.min(127, Math.round(w[off + i] / scale)));
  }
  return { data, scales };
}

/** The fp32 matrix [n, k] the int8 weight stands for (reference checks). */
export function dequantizePerChannelInt8(m: Int8Matrix, n: number, k: number): Float32Array {
  const out = new Float32Array(n * k);
  for (let r = 0; r < n; r++) for (let i = 0; i < k; i++) out[r * k + i] = Math.fround(m.data[i * n + r] * m.scales[r]);
  return out;
}

/** The stored form of q: q + 128 as uint8 (zero point 128; see the file comment). */
export function offsetBinary(q: Int8Array): Uint8Array {
  const out = new Uint8Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = q[i] + 128;
  return out;
}

/** An int8 Linear weight in the graph: q [K, N] (stored as below), scales [N] fp32. */
export interface Int8Weight {
  /** uint8 q + 128 with `zeroPoint` 128 (U8U8), or int8 q without a zero point (U8S8: VNNI CPUs only) */
  q: Value<"uint8"> | Value<"int8">;
  zeroPoint?: Value<"uint8">;
  scales: F32;
  outF: number;
  inF: number;
}

/** x [M, K] fp32 · dequant(W)ᵀ → [M, N] fp32, activations quantised per row (see the file comment). */
export function int8LinearPerRow(g: GraphBuilder, x: F32, w: Int8Weight): F32 {
  const amax = g.node("ReduceMax", [g.abs(x), g.constI64([-1], [1], "axes")], "float32", {}); // [M, 1]
  const safe = g.node("Max", [amax, g.scalarF32(1e-30)], "float32");
  const xq = g.cast(
    g.add(g.node("Round", [g.mul(x, g.div(g.scalarF32(127), safe))], "float32"), g.scalarF32(128)),
    "uint8",
  );
  const zp = g.tensor("zp128", "uint8", [], Uint8Array.of(128));
  const acc = g.node("MatMulInteger", w.zeroPoint ? [xq, w.q, zp, w.zeroPoint] : [xq, w.q, zp], "int32");
  return g.mul(g.mul(g.cast(acc, "float32"), g.mul(safe, g.scalarF32(1 / 127))), w.scales);
}

/** An int8 weight from a matrix quantised now (benchmarks, export-time matrices). */
export function int8Const(g: GraphBuilder, name: string, m: Int8Matrix, outF: number, inF: number): Int8Weight {
  return {
    q: g.tensor(`${name}.q8`, "uint8", [inF, outF], offsetBinary(m.data)),
    zeroPoint: g.tensor(`${name}.zp`, "uint8", [], Uint8Array.of(128)),
    scales: g.constF32(m.scales, [outF], `${name}.scales`),
    outF,
    inF,
  };
}

/**
 * Linear layers whose input is not an RMSNorm output: o_proj (attention output) and down_proj (SwiGLU product),
 * whose tokens and channels vary in magnitude, and embed_tokens (the lyric encoder's input: raw Qwen3 embedding
 * rows, never normalised; one Linear of 1024 inputs, under 1 % of that encoder's multiply-adds).
 */
const UNNORMED_INPUT =
  /\.(self_attn|cross_attn)\.o_proj\.weight$|\.mlp\.down_proj\.weight$|(^|\.)embed_tokens\.weight$/;

/**
 * The int8 kernel per Linear of the transformers that run on hundreds of tokens (DiT step, text encoder, lyric
 * encoder): DynamicQuantizeMatMul (int8 weights per output channel, activations uint8 per tensor, MLAS QGEMM: 2–3×
 * MatMulNBits at hundreds of rows) where the input is an RMSNorm output (q/k/v, cross-attention q, MLP gate/up:
 * every token at unit RMS, so one activation scale fits them all); MatMulNBits (8-bit blocks of 32, activations
 * int8 per block) for UNNORMED_INPUT. Measured in docs/precision.md ("The int8 DiT step's kernels", "int8 kernels
 * of the text and lyric encoders"). The LM's decode (2 rows) keeps MatMulNBits throughout.
 */
export const mixedInt8Linear = (weightKey: string): Int8Linear =>
  UNNORMED_INPUT.test(weightKey) ? "nbits" : "dynamic";

/**
 * On x86 CPUs without VNNI (server/onnx/cpu-int8.ts) MatMulNBits at hundreds of rows is slower than fp32 Gemm
 * (docs/precision.md): the Linear layers mixedInt8Linear gives to MatMulNBits stay fp32 there.
 */
export const noVnniInt8Linear = (weightKey: string): Int8Linear =>
  mixedInt8Linear(weightKey) === "nbits" ? "fp32" : "dynamic";

/** How an int8 build multiplies its Linear layers on a class of CPU (GraphBuilderOptions.int8Linear, int8Weights). */
export interface Int8Kernels {
  int8Linear: (weightKey: string) => Int8Linear;
  int8Weights: Int8WeightFormat;
}

/**
 * "u8": q + 128 as uint8 with zero point 128, multiplied by MLAS's U8U8 QGEMM, exact on every CPU; "s8": q as int8,
 * U8S8 QGEMM — twice the multiply rate with VNNI (one VPDPBUSD per 4 products), saturating without it.
 */
export type Int8WeightFormat = "u8" | "s8";

/** The kernels for the transformers that run on hundreds of tokens (DiT step, lyric encoder), per CPU class. */
export function int8KernelsFor(dot: Int8Dot): Int8Kernels {
  if (dot === "vnni") return { int8Linear: mixedInt8Linear, int8Weights: "s8" };
  if (dot === "no-vnni") return { int8Linear: noVnniInt8Linear, int8Weights: "u8" };
  return { int8Linear: mixedInt8Linear, int8Weights: "u8" };
}
