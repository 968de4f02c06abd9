// Key names and shapes of a Qwen3 checkpoint from its config.json: the
// Qwen3-Embedding-0.6B text encoder (Qwen3Model, keys without a prefix:
// embed_tokens.weight, layers.N..., norm.weight) and the 5 Hz LMs
// (Qwen3ForCausalLM, keys under "model."; lm_head.weight only when the
// embeddings are not tied, optional otherwise).
import { z } from "zod";
import { attentionKeys, type Layout, mlpKeys, parseConfig, type Shape } from "./shapes";

const int = z.number().int().positive();

export const qwen3ConfigSchema = z.looseObject({
  vocab_size: int,
  hidden_size: int,
  intermediate_size: int,
  num_hidden_layers: int,
  num_attention_heads: int,
  num_key_value_heads: int,
  head_dim: int,
  attention_bias: z.boolean().default(false),
  tie_word_embeddings: z.boolean().default(true),
  // Not part of the key layout, but of the graphs built from it; defaults as in the Qwen3 releases' config.json.
  rope_theta: z.number().positive().default(1_000_000),
  rms_norm_eps: z.number().positive().default(1e-6),
});
/** A Qwen3 config.json as the layout and the graph builders (server/onnx/qwen3.ts, server/models/lm) read it. */
export type Qwen3Config = z.infer<typeof qwen3ConfigSchema>;

/** `prefix` is "" for the text encoder and "model." for a causal LM; `causalLm` adds the lm_head rule. */
export function qwen3Layout(rawConfig: unknown, opts: { prefix: string; causalLm: boolean }): Layout {
  const c = parseConfig(qwen3ConfigSchema, rawConfig, opts.causalLm ? "LM" : "text encoder");
  const required = new Map<string, Shape>();
  const optional = new Map<string, Shape>();
  const add = (k: string, s: Shape) => required.set(k, s);
  const p = opts.prefix;
  const H = c.hidden_size;
  add(`${p}embed_tokens.weight`, [c.vocab_size, H]);
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const q = `${p}layers.${i}.`;
    add(`${q}input_layernorm.weight`, [H]);
    attentionKeys(add, `${q}self_attn.`, H, c.num_attention_heads, c.num_key_value_heads, c.head_dim, c.attention_bias);
    add(`${q}post_attention_layernorm.weight`, [H]);
    mlpKeys(add, `${q}mlp.`, H, c.intermediate_size);
  }
  add(`${p}norm.weight`, [H]);
  if (opts.causalLm) (c.tie_word_embeddings ? optional : required).set("lm_head.weight", [c.vocab_size, H]);
  return { required, optional };
}
