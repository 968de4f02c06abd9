// Cross-attention K/V graph `dit_cross_kv.onnx`: run once per generation (and again when the conditioning
// changes, e.g. the cover → non-cover switch), its outputs fed to every `dit_step.onnx` call.
// Ports the `past_key_value is not None and not is_updated` branch of `AceStepAttention.forward`
// (cross-attention, EncoderDecoderCache) plus `AceStepDiTModel.condition_embedder`.
// Weight prefix `decoder.`: condition_embedder.{weight,bias}, layers.i.cross_attn.{k_proj,v_proj,k_norm}.weight.
//
//   encoder_hidden_states [B,Le,E] ─ condition_embedder (Linear E→H, bias) ─► enc [B·Le,H]
//   per layer i: k_norm(k_proj(enc)) per head ─► cross_key.i [B,Le,Hkv·D];  v_proj(enc) ─► cross_value.i [B,Le,Hkv·D]
// No RoPE on cross keys. Sequence-major, KV heads packed (same layout as the LM cache).
import { attentionDims, seqShape } from "../../onnx/blocks";
import { GraphBuilder, type BuiltModel, type Precision } from "../../onnx/graph";
import type { Weights } from "../../onnx/weights";
import { encoderWidth, type AceStepDitConfig } from "./config";
import { conditionEmbedder, crossKeyValue } from "./dit-layer";
import { crossKeyName, crossValueName } from "./dit-step";

export function buildDitCrossKv(
  weights: Weights,
  cfg: AceStepDitConfig,
  o: { precision?: Precision; name?: string } = {},
): BuiltModel {
  const g = new GraphBuilder({ weights, precision: o.precision, name: o.name ?? "dit_cross_kv" });
  const H = cfg.hidden_size;
  const E = encoderWidth(cfg);
  const kvDim = cfg.num_key_value_heads * cfg.head_dim;
  const dims = attentionDims(cfg);
  const ehs = g.input("encoder_hidden_states", "float32", ["batch", "enc", E]);
  const encSeq = seqShape(g, ehs);
  const enc = conditionEmbedder(g, ehs, E, H);
  for (let i = 0; i < cfg.num_hidden_layers; i++) {
    const kv = g.scope(`decoder.layers.${i}.cross_attn`, () =>
      crossKeyValue(g, enc, `decoder.layers.${i}.`, dims, encSeq),
    );
    g.output(crossKeyName(i), kv.key, ["batch", "enc", kvDim]);
    g.output(crossValueName(i), kv.value, ["batch", "enc", kvDim]);
  }
  return g.finish({
    requireAllUsed: ["decoder.condition_embedder.", "decoder.layers."],
    ignoreUnused: [/^decoder\.layers\.\d+\.(?!cross_attn\.(k_proj|v_proj|k_norm)\.)/],
  });
}
