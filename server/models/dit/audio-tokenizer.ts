// Audio tokenizer graph `audio_tokenizer.onnx`: 25 Hz VAE latents → 5 Hz FSQ codes.
// Ports `AceStepAudioTokenizer.forward` + `AttentionPooler` + `ResidualFSQ.forward` (modeling_acestep_v15_*.py,
// vector-quantize-pytorch ≥ 1.27). Weight prefix `tokenizer.`: audio_acoustic_proj.{weight,bias} (64→E),
// attention_pooler.{embed_tokens.{weight,bias}, special_token [1,1,E], layers.0..1, norm.weight},
// quantizer.project_in.{weight,bias} (E→6), quantizer.project_out.{weight,bias} (6→E).
//
//   latents [B,T,64] (T a multiple of 5; the host pads with silence_latent frames, `tokenize`)
//   ─ audio_acoustic_proj ─► [B·T,E] ─ groups of 5 ─ embed_tokens ─ prepend special_token ─► [B·T5,6,E]
//   ─ 2 encoder layers (RoPE 0..5, no mask) ─ token 0 ─ norm ─► [B·T5,E]
//   ─ project_in ─► [B·T5,6] ─ FSQ (fsq-graph.ts) ─► indices [B,T5] int64;  project_out ─► quantized [B,T5,E]
import { aceEncoderLayerStack } from "../../onnx/encoder-layers";
import { GraphBuilder, type BuiltModel, type Precision } from "../../onnx/graph";
import type { Weights } from "../../onnx/weights";
import { encoderStackConfig, type AceStepDitConfig } from "./config";
import { fsqQuantize } from "./fsq-graph";

export const TOKENIZER_PREFIX = "tokenizer.";

export function buildAudioTokenizer(
  weights: Weights,
  cfg: AceStepDitConfig,
  o: { precision?: Precision } = {},
): BuiltModel {
  const g = new GraphBuilder({ weights, precision: o.precision, name: "audio_tokenizer" });
  const ec = encoderStackConfig(cfg);
  const E = ec.hidden_size;
  const C = cfg.audio_acoustic_hidden_dim;
  const P = cfg.pool_window_size;
  const d = cfg.fsq_input_levels.length;
  const pp = `${TOKENIZER_PREFIX}attention_pooler.`;
  const x = g.input("latents", "float32", ["batch", "frames", C]);
  const proj = g.linear(
    g.reshape(x, [-1, C]),
    `${TOKENIZER_PREFIX}audio_acoustic_proj.weight`,
    `${TOKENIZER_PREFIX}audio_acoustic_proj.bias`,
    { in: C, out: E },
  ); // [B·T,E]
  const emb = g.reshape(g.linear(proj, `${pp}embed_tokens.weight`, `${pp}embed_tokens.bias`, { in: E, out: E }), [
    -1,
    P,
    E,
  ]); // [B·T5,P,E]
  const groups = g.shape(emb, 0, 1);
  const special = g.expand(
    g.toF32(g.param(`${pp}special_token`, { shape: [1, 1, E] })),
    g.concat([groups, g.constI64([1, E])], 0),
  );
  const h = aceEncoderLayerStack(g, g.concat([special, emb], 1), ec, {
    prefix: pp,
    numLayers: cfg.num_attention_pooler_hidden_layers,
  });
  const pooled = g.rmsNorm(g.reshape(g.slice(h, [0], [1], [1]), [-1, E]), `${pp}norm.weight`, ec.rms_norm_eps, E); // [B·T5,E]
  const z = g.linear(
    pooled,
    `${TOKENIZER_PREFIX}quantizer.project_in.weight`,
    `${TOKENIZER_PREFIX}quantizer.project_in.bias`,
    { in: cfg.fsq_dim, out: d },
  );
  const { values, index } = fsqQuantize(g, z, cfg.fsq_input_levels);
  const quantized = g.linear(
    values,
    `${TOKENIZER_PREFIX}quantizer.project_out.weight`,
    `${TOKENIZER_PREFIX}quantizer.project_out.bias`,
    { in: d, out: cfg.fsq_dim },
  );
  const b = g.shape(x, 0, 1);
  g.output("indices", g.reshape(index, g.concat([b, g.constI64([-1])], 0)), ["batch", "codes"]);
  g.output("quantized", g.reshape(quantized, g.concat([b, g.constI64([-1, cfg.fsq_dim])], 0)), [
    "batch",
    "codes",
    cfg.fsq_dim,
  ]);
  return g.finish({ requireAllUsed: [TOKENIZER_PREFIX] });
}
