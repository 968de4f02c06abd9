// Transformer blocks shared by the Qwen3 decoder stack and the ACE-Step encoder-layer stack:
// RoPE tables, attention masks, Qwen3-style self-attention (q/k RMSNorm per head, RoPE, GQA) and the
// SwiGLU MLP. Ports `Qwen3Attention`/`Qwen3MLP` (HF transformers) and `AceStepAttention` (acestep/models/turbo/modeling_acestep_v15_turbo.py).
//
// Shapes: hidden activations are 2-D [N = B·S, H]; `bs` is the runtime int64 [B, S] of the sequence.
//   q  [N, Hq·D] → per-head RMSNorm over D → [B, S, Hq·D] → RotaryEmbedding (neox halves) ┐
//   k  [N, Hkv·D] → same, Hkv heads → [B, S, Hkv·D] (new keys, returned) ─ concat(past) ─┤→ Attention-23 (3-D,
//   v  [N, Hkv·D] → [B, S, Hkv·D] ──────────────────────────────────── concat(past) ─────┘   GQA, additive mask)
//   → [B, S, Hq·D] → o_proj → [N, H]
// Masks are additive fp32 [B|1, 1, S, T]: 0 = attend, -1e9 = blocked. A row with every key blocked
// becomes a uniform average instead of NaN (same as HF eager's finfo.min mask).

import type { Bool, F32, Float, I64, Value } from "./graph-core";
import type { GraphBuilder } from "./graph";

export interface AttentionDims {
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  eps: number;
}

/** The attention geometry of a config.json (Qwen3, AceStepConfig and its encoder-layer form). */
export function attentionDims(cfg: {
  hidden_size: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  rms_norm_eps: number;
}): AttentionDims {
  return {
    hidden: cfg.hidden_size,
    heads: cfg.num_attention_heads,
    kvHeads: cfg.num_key_value_heads,
    headDim: cfg.head_dim,
    eps: cfg.rms_norm_eps,
  };
}

export const MASK_NEG = -1e9;

/** Sequence geometry read once from a [B, S, …] tensor. */
export interface SeqShape {
  /** int64 [2] = [B, S] */
  bs: I64;
  /** int64 scalar S */
  s: I64;
}

export function seqShape(g: GraphBuilder, x: Value): SeqShape {
  const bs = g.shape(x, 0, 2);
  return { bs, s: g.gather(bs, g.scalarI64(1)) };
}

/** bs ++ tail as an int64 shape tensor. */
export function shapeWith(g: GraphBuilder, bs: I64, tail: number[]): I64 {
  return g.concat([bs, g.constI64(tail, [tail.length], "tail")], 0);
}

/**
 * RoPE tables (HF default rope): inv_freq_k = theta^(-2k/D); angle = position · inv_freq (fp32).
 * positions int64 [B, S] → cos, sin fp32 [B, S, D/2] (RotaryEmbedding-23 without position_ids).
 */
export function ropeTables(g: GraphBuilder, positions: I64, headDim: number, theta: number): { cos: F32; sin: F32 } {
  const half = headDim / 2;
  const inv = new Float32Array(half);
  // as torch evaluates it in fp32: 1 / (theta ** (arange(0, D, 2).float() / D)), each step rounded to fp32
  for (let k = 0; k < half; k++) inv[k] = 1 / Math.fround(Math.pow(theta, Math.fround((2 * k) / headDim)));
  const p = g.unsqueeze(g.cast(positions, "float32"), [-1]); // [B,S,1]
  const ang = g.mul(p, g.constF32(inv, [half], "rope_inv_freq")); // [B,S,D/2]
  return { cos: g.cos(ang), sin: g.sin(ang) };
}

/** positions 0..S-1 as int64 [B, S]. */
export function arangePositions(g: GraphBuilder, seq: SeqShape): I64 {
  const r = g.range(g.scalarI64(0), seq.s, g.scalarI64(1)); // [S]
  return g.expand(g.unsqueeze(r, [0]), seq.bs);
}

/** keep[i, j] = key j ≤ query position (T − S + i); Bool [S, T]. */
export function causalKeep(g: GraphBuilder, s: I64, t: I64): Bool {
  const one = g.scalarI64(1);
  const kpos = g.range(g.scalarI64(0), t, one); // [T]
  const qpos = g.range(g.sub(t, s), t, one); // [S]
  return g.lessOrEqual(g.unsqueeze(kpos, [0]), g.unsqueeze(qpos, [1]));
}

/** keep[i, j] = |i − j| ≤ window (eager/SDPA semantics of upstream `create_4d_mask`); Bool [1, 1, S, S]. */
export function windowKeep(g: GraphBuilder, s: I64, window: number): Bool {
  const idx = g.range(g.scalarI64(0), s, g.scalarI64(1));
  const diff = g.abs(g.sub(g.unsqueeze(idx, [1]), g.unsqueeze(idx, [0])));
  return g.unsqueeze(g.lessOrEqual(diff, g.scalarI64(window)), [0, 1]);
}

/** Key padding: int64 mask [B, T] (1 = token) → Bool [B, 1, 1, T]. */
export function keyPaddingKeep(g: GraphBuilder, mask: I64): Bool {
  return g.unsqueeze(g.not(g.equal(mask, g.scalarI64(0))), [1, 2]);
}

export function additiveMask(g: GraphBuilder, keep: Bool): F32 {
  return g.where(keep, g.scalarF32(0), g.scalarF32(MASK_NEG));
}

export interface SelfAttentionContext {
  dims: AttentionDims;
  seq: SeqShape;
  cos: F32;
  sin: F32;
  /** additive [B|1, 1, S, T] or null for unmasked bidirectional attention */
  mask: F32 | null;
  /** cached keys/values of earlier positions, sequence-major [B, P, Hkv·D] fp32 (after RoPE) */
  past?: { key: F32; value: F32 };
}

/**
 * Qwen3Attention / AceStepAttention self-attention. x [N, H] → out [N, H]; also returns this call's
 * keys/values [B, S, Hkv·D] (RoPE applied to keys) for a KV cache. Keys: `${p}{q,k,v,o}_proj.weight`,
 * `${p}{q,k}_norm.weight`.
 */
export function selfAttention(
  g: GraphBuilder,
  x: Float,
  p: string,
  c: SelfAttentionContext,
): { out: F32; key: F32; value: F32 } {
  const { hidden, heads, kvHeads, headDim: D, eps } = c.dims;
  const q = g.linear(x, `${p}q_proj.weight`, undefined, { in: hidden, out: heads * D });
  const k = g.linear(x, `${p}k_proj.weight`, undefined, { in: hidden, out: kvHeads * D });
  const v = g.linear(x, `${p}v_proj.weight`, undefined, { in: hidden, out: kvHeads * D });
  const perHead = (t: F32, n: number, key: string) =>
    g.reshape(g.rmsNorm(g.reshape(t, [-1, n, D]), key, eps, D), shapeWith(g, c.seq.bs, [n * D]));
  const qr = g.rotaryEmbedding(perHead(q, heads, `${p}q_norm.weight`), c.cos, c.sin, { numHeads: heads });
  const kr = g.rotaryEmbedding(perHead(k, kvHeads, `${p}k_norm.weight`), c.cos, c.sin, { numHeads: kvHeads });
  const v3 = g.reshape(v, shapeWith(g, c.seq.bs, [kvHeads * D]));
  const kAll = c.past ? g.concat([c.past.key, kr], 1) : kr;
  const vAll = c.past ? g.concat([c.past.value, v3], 1) : v3;
  const y = g.attention(qr, kAll, vAll, {
    mask: c.mask ?? undefined,
    qNumHeads: heads,
    kvNumHeads: kvHeads,
    scale: 1 / Math.sqrt(D),
  });
  const out = g.linear(g.reshape(y, [-1, heads * D]), `${p}o_proj.weight`, undefined, { in: heads * D, out: hidden });
  return { out, key: kr, value: v3 };
}

/** Qwen3MLP: down(SiLU(gate(x)) · up(x)), no biases. x [N, H] → [N, H]. Keys `${p}{gate,up,down}_proj.weight`. */
export function swiGluMlp(g: GraphBuilder, x: Float, p: string, hidden: number, intermediate: number): F32 {
  const gate = g.linear(x, `${p}gate_proj.weight`, undefined, { in: hidden, out: intermediate });
  const up = g.linear(x, `${p}up_proj.weight`, undefined, { in: hidden, out: intermediate });
  return g.linear(g.mul(g.silu(gate), up), `${p}down_proj.weight`, undefined, { in: intermediate, out: hidden });
}
