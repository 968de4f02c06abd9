// Lyric encoder graph `lyric_encoder.onnx`. Ports `AceStepLyricEncoder`
// (modeling_acestep_v15_*.py). Weight prefix `encoder.lyric_encoder.`: embed_tokens.{weight,bias}
// (Linear text_hidden_dim→E), layers.0..7 (AceStepEncoderLayer), norm.weight.
//
//   inputs_embeds [B,Ll,1024] (Qwen3 embed_tokens lookup, no transformer) ─ embed_tokens ─► [B,Ll,E]
//   ─ 8 encoder layers (bidirectional, RoPE 0..Ll−1, sliding/full per layer_types, key padding mask
//     from attention_mask on every layer) ─ norm ─► hidden_states [B,Ll,E]
// Padded positions are computed too (they attend to the real tokens): the DiT attends to them when B > 1.
import { seqShape, shapeWith } from "../../onnx/blocks";
import { aceEncoderLayerStack } from "../../onnx/encoder-layers";
import { GraphBuilder, type BuiltModel, type Int8Linear, type Precision } from "../../onnx/graph";
import { mixedInt8Linear } from "../../onnx/int8-linear";
import type { Weights } from "../../onnx/weights";
import { encoderStackConfig, type AceStepDitConfig } from "./config";

export const LYRIC_PREFIX = "encoder.lyric_encoder.";

export interface LyricEncoderOptions {
  precision?: Precision;
  /**
   * Kernel of the int8 build's Linear layers (GraphBuilderOptions.int8Linear). Default: mixedInt8Linear
   * (server/onnx/int8-linear.ts): DynamicQuantizeMatMul for the RMSNorm-fed q/k/v and gate/up, MatMulNBits for
   * o_proj, down_proj and embed_tokens (its input, a raw embedding row, is not normalised). docs/precision.md.
   */
  int8Linear?: Int8Linear | ((weightKey: string) => Int8Linear);
  /** How its DynamicQuantizeMatMul weights are stored (GraphBuilderOptions.int8Weights; default "u8"). */
  int8Weights?: "u8" | "s8";
}

export function buildLyricEncoder(weights: Weights, cfg: AceStepDitConfig, o: LyricEncoderOptions = {}): BuiltModel {
  const g = new GraphBuilder({
    weights,
    precision: o.precision,
    int8Linear: o.int8Linear ?? mixedInt8Linear,
    int8Weights: o.int8Weights,
    name: "lyric_encoder",
  });
  const ec = encoderStackConfig(cfg);
  const E = ec.hidden_size;
  const x = g.input("inputs_embeds", "float32", ["batch", "seq", cfg.text_hidden_dim]);
  const mask = g.input("attention_mask", "int64", ["batch", "seq"]);
  const emb = g.linear(
    g.reshape(x, [-1, cfg.text_hidden_dim]),
    `${LYRIC_PREFIX}embed_tokens.weight`,
    `${LYRIC_PREFIX}embed_tokens.bias`,
    { in: cfg.text_hidden_dim, out: E },
  );
  const h = aceEncoderLayerStack(g, g.reshape(emb, shapeWith(g, seqShape(g, x).bs, [E])), ec, {
    prefix: LYRIC_PREFIX,
    numLayers: cfg.num_lyric_encoder_hidden_layers,
    keyMask: mask,
  });
  g.output("hidden_states", g.rmsNorm(h, `${LYRIC_PREFIX}norm.weight`, ec.rms_norm_eps, E), ["batch", "seq", E]);
  return g.finish({ requireAllUsed: [LYRIC_PREFIX] });
}
