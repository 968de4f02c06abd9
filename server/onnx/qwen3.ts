// Qwen3 decoder stack (HF transformers `Qwen3Model` / `Qwen3ForCausalLM`) and the text-encoder graph
// (Qwen3-Embedding-0.6B, keys without prefix: `embed_tokens.weight`, `layers.N.…`, `norm.weight`):
//   input_ids [B,S] int64, attention_mask [B,S] int64 → last_hidden_state [B,S,H] fp32 (after final norm).
// The 5 Hz LM's step graph (in-place KV cache) is server/models/lm/lm-graph.ts.
// Layer N: h += o_proj(attn(q_norm(q_proj(x')), k_norm(k_proj(x')), v_proj(x'))) with x' = input_layernorm(h),
//          h += down(SiLU(gate(x'')) · up(x'')) with x'' = post_attention_layernorm(h); causal + padding mask.

import {
  attentionDims,
  arangePositions,
  additiveMask,
  causalKeep,
  keyPaddingKeep,
  ropeTables,
  selfAttention,
  seqShape,
  shapeWith,
  swiGluMlp,
  type SeqShape,
} from "./blocks";
import { GraphBuilder, type BuiltModel, type F32, type I64, type Int8Linear, type Precision } from "./graph";
import { mixedInt8Linear } from "./int8-linear";
import type { Weights } from "./weights";
import type { Qwen3Config } from "../checkpoints/layout/qwen3";

export type { Qwen3Config } from "../checkpoints/layout/qwen3";

export interface Qwen3StackInputs {
  ids: I64; // [B, S]
  positions: I64; // [B, S]
  seq: SeqShape;
  /** additive [B, 1, S, P+S] */
  mask: F32;
  past?: { key: F32; value: F32 }[];
}

/** Embedding + all decoder layers (no final norm). Returns hidden [N = B·S, H] and each layer's new K/V. */
export function qwen3Stack(
  g: GraphBuilder,
  cfg: Qwen3Config,
  prefix: string,
  inp: Qwen3StackInputs,
): { hidden: F32; keys: F32[]; values: F32[] } {
  const H = cfg.hidden_size;
  const dims = attentionDims(cfg);
  const emb = g.embedding(inp.ids, `${prefix}embed_tokens.weight`, { vocab: cfg.vocab_size, hidden: H }); // [B,S,H]
  const { cos, sin } = ropeTables(g, inp.positions, cfg.head_dim, cfg.rope_theta);
  let h = g.reshape(emb, [-1, H]); // [N,H]
  const keys: F32[] = [];
  const values: F32[] = [];
  for (let i = 0; i < cfg.num_hidden_layers; i++) {
    const p = `${prefix}layers.${i}.`;
    g.scope(`layers.${i}`, () => {
      const a = selfAttention(g, g.rmsNorm(h, `${p}input_layernorm.weight`, cfg.rms_norm_eps, H), `${p}self_attn.`, {
        dims,
        seq: inp.seq,
        cos,
        sin,
        mask: inp.mask,
        past: inp.past?.[i],
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
      keys.push(a.key);
      values.push(a.value);
    });
  }
  return { hidden: h, keys, values };
}

export interface Qwen3BuildOptions {
  precision?: Precision;
  /** key prefix of the decoder body: "" for Qwen3-Embedding, "model." for the LMs */
  prefix?: string;
  name?: string;
  /**
   * Kernel of the int8 build's Linear layers (GraphBuilderOptions.int8Linear). Default: mixedInt8Linear
   * (server/onnx/int8-linear.ts): DynamicQuantizeMatMul for the RMSNorm-fed q/k/v and gate/up, MatMulNBits for
   * self_attn.o_proj and mlp.down_proj (docs/precision.md). The LM graph (lm-graph.ts) does not use this builder.
   */
  int8Linear?: Int8Linear | ((weightKey: string) => Int8Linear);
}

/** Qwen3-Embedding text encoder: last_hidden_state after the final RMSNorm. */
export function buildQwen3TextEncoder(weights: Weights, cfg: Qwen3Config, opts: Qwen3BuildOptions = {}): BuiltModel {
  const prefix = opts.prefix ?? "";
  const g = new GraphBuilder({
    weights,
    precision: opts.precision,
    int8Linear: opts.int8Linear ?? mixedInt8Linear,
    name: opts.name ?? "qwen3_text_encoder",
  });
  const ids = g.input("input_ids", "int64", ["batch", "seq"]);
  const am = g.input("attention_mask", "int64", ["batch", "seq"]);
  const seq = seqShape(g, ids);
  const keep = g.and(causalKeep(g, seq.s, seq.s), keyPaddingKeep(g, am)); // [B,1,S,S]
  const { hidden } = qwen3Stack(g, cfg, prefix, {
    ids,
    positions: arangePositions(g, seq),
    seq,
    mask: additiveMask(g, keep),
  });
  const out = g.rmsNorm(hidden, `${prefix}norm.weight`, cfg.rms_norm_eps, cfg.hidden_size);
  g.output("last_hidden_state", g.reshape(out, shapeWith(g, seq.bs, [cfg.hidden_size])), [
    "batch",
    "seq",
    cfg.hidden_size,
  ]);
  return g.finish({ requireAllUsed: [prefix], ignoreUnused: ["lm_head.weight"] });
}
