// DiT step graph `dit_step.onnx`: one evaluation of AceStepDiTModel.forward → flow velocity.
// Ports `AceStepDiTModel.forward` of acestep/models/{turbo,base}/modeling_acestep_v15_*.py.
// Weight prefix `decoder.` (all of it except the cross-attention K/V weights and condition_embedder, which
// live in dit_cross_kv.onnx; the `fused` variant takes encoder_hidden_states and uses every decoder key).
//
//   timestep t [B], timestep_r r [B] ─► time_embed(t) + time_embed_r(t − r) ─► temb [B,H], proj [B,6,H]
//   context_latents [B,T,128] ++ hidden_states [B,T,64] ─► [B,T,192] ─ zero-pad T to a multiple of 2
//   ─ patchify (proj_in.1: Conv1d k=2 s=2, as one Gemm on [B·T2, 2·192]) ─► h [B,T2,H]
//   RoPE positions 0..T2−1 (theta 1e6); layer i: sliding (|i−j| ≤ 128, even i; blocked, sliding-attention.ts) or full
//   N × AceStepDiTLayer (dit-layer.ts) with cross_key.i / cross_value.i [B,Le,Hkv·D]
//   ─ norm_out·(1+scale)+shift (scale_shift_table [1,2,H] + temb; shift first)
//   ─ unpatchify (proj_out.1: ConvTranspose1d k=2 s=2, as one MatMul) ─► [B,2·T2,64] ─ crop to T ─► vt [B,T,64]
import {
  additiveMask,
  arangePositions,
  attentionDims,
  ropeTables,
  seqShape,
  shapeWith,
  windowKeep,
} from "../../onnx/blocks";
import { layerTypeOf } from "../../onnx/encoder-layers";
import { GraphBuilder, type BuiltModel, type F32, type Int8Linear, type Precision } from "../../onnx/graph";
import { mixedInt8Linear } from "../../onnx/int8-linear";
import type { Weights } from "../../onnx/weights";
import { ditStackConfig, encoderWidth, type AceStepDitConfig } from "./config";
import {
  chunk,
  conditionEmbedder,
  crossKeyValue,
  ditLayer,
  timestepEmbedding,
  type SelfAttentionKind,
} from "./dit-layer";
import { matMulParam, modulate, padTimeToMultiple } from "./ops";

export interface DitStepOptions {
  precision?: Precision;
  /** "inputs" (default): cross K/V are graph inputs from dit_cross_kv.onnx; "fused": computed in-graph from encoder_hidden_states */
  crossKv?: "inputs" | "fused";
  /** sliding layers: "blocked" (default) computes only the ±window band of scores; "mask" computes all and masks them */
  slidingAttention?: "blocked" | "mask";
  /** query block of the blocked sliding attention (default: the window) */
  slidingBlock?: number;
  /**
   * Kernel of the int8 build's Linear layers (GraphBuilderOptions.int8Linear). Default: mixedInt8Linear (server/onnx/int8-linear.ts):
   * DynamicQuantizeMatMul after an RMSNorm (q/k/v, cross q, MLP gate/up), MatMulNBits for o_proj and down_proj.
   * All-dynamic misses the DiT bar on the real checkpoint (1.14 % final-latent error vs 0.74 %: docs/precision.md).
   */
  int8Linear?: Int8Linear | ((weightKey: string) => Int8Linear);
  /** How its DynamicQuantizeMatMul weights are stored (GraphBuilderOptions.int8Weights; default "u8"). */
  int8Weights?: "u8" | "s8";
  name?: string;
}

/** Graph input names of the cross-attention K/V of layer i. */
export const crossKeyName = (i: number) => `cross_key.${i}`;
export const crossValueName = (i: number) => `cross_value.${i}`;

export function buildDitStep(weights: Weights, cfg: AceStepDitConfig, o: DitStepOptions = {}): BuiltModel {
  const fused = o.crossKv === "fused";
  const g = new GraphBuilder({
    weights,
    precision: o.precision,
    int8Linear: o.int8Linear ?? mixedInt8Linear,
    int8Weights: o.int8Weights,
    name: o.name ?? (fused ? "dit_step_fused" : "dit_step"),
  });
  const H = cfg.hidden_size;
  const P = cfg.patch_size;
  const latent = cfg.audio_acoustic_hidden_dim;
  const ctxCh = cfg.in_channels - latent;
  const kvDim = cfg.num_key_value_heads * cfg.head_dim;
  const dims = attentionDims(cfg);
  const stackCfg = ditStackConfig(cfg);

  const xt = g.input("hidden_states", "float32", ["batch", "frames", latent]);
  const t = g.input("timestep", "float32", ["batch"]);
  const r = g.input("timestep_r", "float32", ["batch"]);
  const ctx = g.input("context_latents", "float32", ["batch", "frames", ctxCh]);
  let cross: { key: F32; value: F32 }[];
  if (fused) {
    const E = encoderWidth(cfg);
    const ehs = g.input("encoder_hidden_states", "float32", ["batch", "enc", E]);
    const encSeq = seqShape(g, ehs);
    const enc = conditionEmbedder(g, ehs, E, H);
    cross = Array.from({ length: cfg.num_hidden_layers }, (_, i) =>
      crossKeyValue(g, enc, `decoder.layers.${i}.`, dims, encSeq),
    );
  } else {
    cross = Array.from({ length: cfg.num_hidden_layers }, (_, i) => ({
      key: g.input(crossKeyName(i), "float32", ["batch", "enc", kvDim]),
      value: g.input(crossValueName(i), "float32", ["batch", "enc", kvDim]),
    }));
  }

  // 1. timestep embeddings (t and t − r)
  const te = g.scope("time_embed", () => timestepEmbedding(g, t, "decoder.time_embed.", H));
  const ter = g.scope("time_embed_r", () => timestepEmbedding(g, g.sub(t, r), "decoder.time_embed_r.", H));
  const temb = g.add(te.temb, ter.temb); // [B,H]
  const timestepProj = g.add(te.proj, ter.proj); // [B,6,H]

  // 2–3. context first, pad to a multiple of the patch, patchify
  const { padded, length } = padTimeToMultiple(g, g.concat([ctx, xt], -1), P); // [B,T',C]
  const C = cfg.in_channels;
  const patches = g.reshape(g.transpose(g.reshape(padded, [0, -1, P, C]), [0, 1, 3, 2]), [-1, C * P]); // [B·T2, C·P] (c-major, k minor)
  const pin = g.add(
    matMulParam(g, patches, "decoder.proj_in.1.weight", { shape: [H, C, P], view: [H, C * P], transB: true }),
    g.param("decoder.proj_in.1.bias", { shape: [H] }),
  );
  const bsPatch = g.concat([g.shape(padded, 0, 1), g.constI64([-1])], 0);
  let h = g.reshape(pin, g.concat([bsPatch, g.constI64([H])], 0)); // [B,T2,H]
  const seq = seqShape(g, h);

  // 4. RoPE tables and the sliding-window mask, shared by all layers
  const { cos, sin } = ropeTables(g, arangePositions(g, seq), cfg.head_dim, cfg.rope_theta);
  let bandMask: F32 | undefined;
  const attentionFor = (i: number): SelfAttentionKind => {
    if (layerTypeOf(stackCfg, i) === "full_attention") return { kind: "full" };
    const window = stackCfg.sliding_window!;
    if (o.slidingAttention === "mask")
      return { kind: "mask", mask: (bandMask ??= additiveMask(g, windowKeep(g, seq.s, window))) };
    return { kind: "blocked", window, block: o.slidingBlock };
  };

  // 5. layers
  for (let i = 0; i < cfg.num_hidden_layers; i++) {
    h = g.scope(`decoder.layers.${i}`, () =>
      ditLayer(g, h, `decoder.layers.${i}.`, {
        dims,
        intermediate: cfg.intermediate_size,
        seq,
        cos,
        sin,
        attention: attentionFor(i),
        timestepProj,
        crossKey: cross[i].key,
        crossValue: cross[i].value,
      }),
    );
  }

  // 6. output head: AdaLN with the global table, unpatchify, crop
  const ss = g.add(g.toF32(g.param("decoder.scale_shift_table", { shape: [1, 2, H] })), g.unsqueeze(temb, [1])); // [B,2,H]
  const out = modulate(
    g,
    g.rmsNorm(h, "decoder.norm_out.weight", cfg.rms_norm_eps, H),
    g.add(chunk(g, ss, 1), g.scalarF32(1)),
    chunk(g, ss, 0),
  );
  const y = matMulParam(g, g.reshape(out, [-1, H]), "decoder.proj_out.1.weight", {
    shape: [H, latent, P],
    view: [H, latent * P],
    transB: false,
  }); // [B·T2, latent·P]
  const frames = g.reshape(g.transpose(g.reshape(y, shapeWith(g, seq.bs, [latent, P])), [0, 1, 3, 2]), [0, -1, latent]); // [B,T',latent]
  const vt = g.add(
    g.slice(frames, g.constI64([0]), length, [1]),
    g.param("decoder.proj_out.1.bias", { shape: [latent] }),
  );
  g.output("vt", vt, ["batch", "frames", latent]);

  const crossOnly = /^decoder\.(condition_embedder\.|layers\.\d+\.cross_attn\.(k_proj|v_proj|k_norm)\.)/;
  return g.finish({ requireAllUsed: ["decoder."], ignoreUnused: fused ? [] : [crossOnly] });
}
