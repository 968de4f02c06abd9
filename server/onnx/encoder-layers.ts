// ACE-Step encoder-layer stack (`AceStepEncoderLayer`, acestep/models/turbo/modeling_acestep_v15_turbo.py), shared by the lyric encoder
// (`encoder.lyric_encoder.`), timbre encoder (`encoder.timbre_encoder.`), attention pooler
// (`tokenizer.attention_pooler.`) and detokenizer (`detokenizer.`).
//   x [B, S, H] fp32 (already embedded) → N × { h += SelfAttn(input_layernorm(h)); h += MLP(post_attention_layernorm(h)) }
//   → [B, S, H] fp32 (no final norm: the component applies `${prefix}norm.weight` itself)
// Self-attention is bidirectional, RoPE on q/k (positions 0..S−1), q_norm/k_norm per head, GQA.
// Layer i is `layer_types[i]` of the config: "sliding_attention" keeps keys with |i − j| ≤ sliding_window,
// "full_attention" keeps all; an optional key padding mask [B, S] (lyric encoder) applies to both.
// Keys: `${prefix}layers.${i}.{input_layernorm,post_attention_layernorm}.weight`,
//       `${prefix}layers.${i}.self_attn.{q,k,v,o}_proj.weight`, `…self_attn.{q,k}_norm.weight`,
//       `${prefix}layers.${i}.mlp.{gate,up,down}_proj.weight`.

import {
  attentionDims,
  additiveMask,
  arangePositions,
  keyPaddingKeep,
  ropeTables,
  selfAttention,
  seqShape,
  shapeWith,
  swiGluMlp,
  windowKeep,
} from "./blocks";
import { GraphBuilder, type BuiltModel, type F32, type I64, type Precision } from "./graph";
import type { Weights } from "./weights";

/** AceStepConfig fields used by encoder layers (config.json names). */
export interface AceStepEncoderConfig {
  hidden_size: number;
  intermediate_size: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  rms_norm_eps: number;
  rope_theta: number;
  /** window in tokens; null disables sliding layers */
  sliding_window: number | null;
  /** per layer index; default: even → sliding_attention, odd → full_attention */
  layer_types?: string[];
}

export type LayerType = "sliding_attention" | "full_attention";

export function layerTypeOf(cfg: AceStepEncoderConfig, i: number): LayerType {
  const t = cfg.layer_types?.[i] ?? (i % 2 === 0 ? "sliding_attention" : "full_attention");
  if (t !== "sliding_attention" && t !== "full_attention")
    throw new Error(`ace encoder: layer_types[${i}] = ${t} is not supported`);
  return cfg.sliding_window == null ? "full_attention" : t;
}

export interface EncoderStackOptions {
  /** component prefix ending in ".", e.g. "encoder.lyric_encoder." */
  prefix: string;
  numLayers: number;
  /** int64 [B, S], 1 = token, 0 = padding (keys only) */
  keyMask?: I64;
}

export function aceEncoderLayerStack(g: GraphBuilder, x: F32, cfg: AceStepEncoderConfig, o: EncoderStackOptions): F32 {
  const H = cfg.hidden_size;
  const dims = attentionDims(cfg);
  const seq = seqShape(g, x);
  const { cos, sin } = ropeTables(g, arangePositions(g, seq), cfg.head_dim, cfg.rope_theta);
  const pad = o.keyMask ? keyPaddingKeep(g, o.keyMask) : null; // [B,1,1,S]
  const masks: Partial<Record<LayerType, F32 | null>> = {};
  const maskFor = (t: LayerType): F32 | null => {
    if (t in masks) return masks[t]!;
    let keep = t === "sliding_attention" ? windowKeep(g, seq.s, cfg.sliding_window!) : null;
    // ORT 1.30 CPU Attention needs the mask's query axis to be S (no broadcast of [B,1,1,S]): expand.
    if (pad) {
      const b1 = g.slice(seq.bs, [0], [1], [0]);
      const s1 = g.slice(seq.bs, [1], [2], [0]);
      keep = keep ? g.and(keep, pad) : g.expand(pad, g.concat([b1, g.constI64([1]), s1, s1], 0)); // [B,1,S,S]
    }
    return (masks[t] = keep ? additiveMask(g, keep) : null);
  };
  let h = g.reshape(x, [-1, H]);
  for (let i = 0; i < o.numLayers; i++) {
    const p = `${o.prefix}layers.${i}.`;
    g.scope(`${o.prefix}layers.${i}`, () => {
      const a = selfAttention(g, g.rmsNorm(h, `${p}input_layernorm.weight`, cfg.rms_norm_eps, H), `${p}self_attn.`, {
        dims,
        seq,
        cos,
        sin,
        mask: maskFor(layerTypeOf(cfg, i)),
      });
      h = g.add(h, a.out);
      h = g.add(
        h,
        swiGluMlp(
          g,
          g.rmsNorm(h, `${p}post_attention_layernorm.weight`, cfg.rms_norm_eps, H),
          `${p}mlp.`,
          H,
          cfg.intermediate_size,
        ),
      );
    });
  }
  return g.reshape(h, shapeWith(g, seq.bs, [H]));
}

/**
 * Stand-alone graph of the stack (plus optional final `${prefix}norm.weight`), used by parity tests and
 * as the template for the components: hidden_states [B,S,H] fp32 (+ attention_mask [B,S] int64) → [B,S,H].
 */
export function buildAceEncoderStack(
  weights: Weights,
  cfg: AceStepEncoderConfig,
  o: {
    prefix: string;
    numLayers: number;
    paddingMask?: boolean;
    finalNorm?: boolean;
    precision?: Precision;
    name?: string;
  },
): BuiltModel {
  const g = new GraphBuilder({ weights, precision: o.precision, name: o.name ?? "ace_encoder_stack" });
  const x = g.input("hidden_states", "float32", ["batch", "seq", cfg.hidden_size]);
  const keyMask = o.paddingMask ? g.input("attention_mask", "int64", ["batch", "seq"]) : undefined;
  let h = aceEncoderLayerStack(g, x, cfg, { prefix: o.prefix, numLayers: o.numLayers, keyMask });
  if (o.finalNorm) h = g.rmsNorm(h, `${o.prefix}norm.weight`, cfg.rms_norm_eps, cfg.hidden_size);
  g.output("last_hidden_state", h, ["batch", "seq", cfg.hidden_size]);
  return g.finish({ requireAllUsed: [`${o.prefix}layers.`], ignoreUnused: [] });
}
