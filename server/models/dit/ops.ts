// Small graph helpers shared by the DiT-side builders (server/models/dit/*). Activations follow the
// server/onnx conventions: 2-D [N, H] around Linear layers, 3-D [B, S, H] around attention and AdaLN.
import type { F32, Float, I64 } from "../../onnx/graph-core";
import type { GraphBuilder } from "../../onnx/graph";
import { shapeWith } from "../../onnx/blocks";

/**
 * nn.Linear that stays fp32 in every precision (timestep MLPs, AdaLN projections: see
 * docs/precision.md). x [N, in] → [N, out]; weight `${p}weight` [out, in], bias `${p}bias` [out].
 */
export function linearF32(g: GraphBuilder, x: Float, p: string, dims: { in: number; out: number }, bias = true): F32 {
  const w = g.param(`${p}weight`, { shape: [dims.out, dims.in] });
  const b = bias ? g.param(`${p}bias`, { shape: [dims.out] }) : null;
  return g.gemm(g.toF32(x), w, b, { transB: true });
}

/**
 * x [N, in] times a checkpoint tensor reshaped to 2-D: `transB` ? x · Wᵀ (W viewed [out, in]) : x · W (W viewed
 * [in, out]). The initializer keeps the checkpoint name and layout; the Reshape is folded by ORT at load.
 * Matrix weights are stored fp16 in fp16 builds; the product is returned fp32.
 */
export function matMulParam(
  g: GraphBuilder,
  x: Float,
  key: string,
  o: { shape: number[]; view: [number, number]; transB: boolean },
): F32 {
  const w = g.reshape(g.param(key, { half: true, shape: o.shape }), o.view);
  return g.toF32(g.gemm(g.toCompute(x), w, null, { transB: o.transB }));
}

/** Per-head RMSNorm (`q_norm` / `k_norm`): x [N, heads·D] → [B, S, heads·D] with `bs` = [B, S]. */
export function perHeadRmsNorm(
  g: GraphBuilder,
  x: F32,
  key: string,
  heads: number,
  D: number,
  eps: number,
  bs: I64,
): F32 {
  return g.reshape(g.rmsNorm(g.reshape(x, [-1, heads, D]), key, eps, D), shapeWith(g, bs, [heads * D]));
}

/** AdaLN: norm(x)·(1 + scale) + shift, with x [B, S, H] and scale/shift [B, 1, H] (onePlusScale precomputed). */
export function modulate(g: GraphBuilder, normed: F32, onePlusScale: F32, shift: F32): F32 {
  return g.add(g.mul(normed, onePlusScale), shift);
}

/**
 * Zero-pad axis 1 of x [B, T, C] at the end up to a multiple of `m` (F.pad as in AceStepDiTModel.forward).
 * Returns the padded tensor and the original length T (int64 [1]) for the crop.
 */
export function padTimeToMultiple(g: GraphBuilder, x: F32, m: number): { padded: F32; length: I64 } {
  const length = g.shape(x, 1, 2); // [1]
  const mm = g.constI64([m]);
  const padLen = g.node("Mod", [g.sub(mm, g.node("Mod", [length, mm], "int64")), mm], "int64"); // [1]
  const zeros = g.constI64([0, 0, 0, 0]);
  const pads = g.concat([zeros, padLen, g.constI64([0])], 0); // begins [0,0,0], ends [0,pad,0]
  return { padded: g.node("Pad", [x, pads], "float32"), length };
}
