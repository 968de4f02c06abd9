// DiT building blocks (AceStepDiTModel of acestep/models/turbo/modeling_acestep_v15_turbo.py), used by dit-step.ts and
// dit-cross-kv.ts. Ports `TimestepEmbedding`, `AceStepDiTLayer` and the cross-attention branch of `AceStepAttention`
// (acestep/models/{turbo,base}/modeling_acestep_v15_*.py).
//
//   timestep t [B] ─ sinusoid(1000·t) [B,256] (cos half first) ─ linear_1 ─ SiLU ─ linear_2 ─► temb [B,H]
//                                                              └ SiLU ─ time_proj ─► proj [B,6H] → [B,6,H]
//   layer i (h [B,S,H], mod = scale_shift_table [1,6,H] + proj [B,6,H] → shift,scale,gate,c_shift,c_scale,c_gate):
//     h += SelfAttn(self_attn_norm(h)·(1+scale)+shift)·gate      (RoPE, q/k norm, GQA, sliding or full)
//     h += CrossAttn(cross_attn_norm(h); K/V of the condition)    (q_norm on q, no RoPE, no mask, no gate)
//     h += MLP(mlp_norm(h)·(1+c_scale)+c_shift)·c_gate
//   cross K/V (once per generation): enc [N,H] ─ k_proj ─ k_norm ─► [B,Le,Hkv·D];  v_proj ─► [B,Le,Hkv·D]
// Keys under `decoder.`: time_embed{,_r}.{linear_1,linear_2,time_proj}.{weight,bias};
//   layers.i.{self_attn_norm,cross_attn_norm,mlp_norm}.weight, layers.i.scale_shift_table [1,6,H],
//   layers.i.{self_attn,cross_attn}.{q,k,v,o}_proj.weight, …{q,k}_norm.weight, layers.i.mlp.{gate,up,down}_proj.weight.
import { shapeWith, swiGluMlp, type AttentionDims, type SeqShape } from "../../onnx/blocks";
import type { F32, Float } from "../../onnx/graph-core";
import type { GraphBuilder } from "../../onnx/graph";
import { TIMESTEP_MAX_PERIOD, TIMESTEP_SCALE, TIMESTEP_SINUSOID_DIM } from "./config";
import { linearF32, modulate, perHeadRmsNorm } from "./ops";
import { slidingWindowAttention } from "./sliding-attention";

/**
 * freqs_k = exp(−ln(max_period)·k/half), k = 0..half−1, evaluated with torch's fp32 steps
 * (`-math.log(max_period) * arange(half, fp32) / half`, then exp in fp32).
 */
export function timestepFrequencies(dim = TIMESTEP_SINUSOID_DIM, maxPeriod = TIMESTEP_MAX_PERIOD): Float32Array {
  const half = dim / 2;
  const a = Math.fround(-Math.log(maxPeriod));
  const f = new Float32Array(half);
  for (let k = 0; k < half; k++) f[k] = Math.fround(Math.exp(Math.fround(Math.fround(a * k) / half)));
  return f;
}

/** TimestepEmbedding: t [B] → temb [B,H] and proj [B,6,H] (both fp32 in every precision). */
export function timestepEmbedding(g: GraphBuilder, t: F32, p: string, H: number): { temb: F32; proj: F32 } {
  const freqs = timestepFrequencies();
  const half = freqs.length;
  const args = g.mul(
    g.unsqueeze(g.mul(t, g.scalarF32(TIMESTEP_SCALE)), [1]),
    g.constF32(freqs, [half], "timestep_freqs"),
  ); // [B,half]
  const sinusoid = g.concat([g.cos(args), g.sin(args)], 1); // [B,256], cos first
  const h1 = g.silu(linearF32(g, sinusoid, `${p}linear_1.`, { in: 2 * half, out: H }));
  const temb = linearF32(g, h1, `${p}linear_2.`, { in: H, out: H });
  const proj = linearF32(g, g.silu(temb), `${p}time_proj.`, { in: H, out: 6 * H });
  return { temb, proj: g.reshape(proj, [-1, 6, H]) };
}

/** Chunk i (0..n−1) of m [B, n, H] along axis 1 → [B, 1, H]. */
export function chunk(g: GraphBuilder, m: F32, i: number): F32 {
  return g.slice(m, [i], [i + 1], [1]);
}

/**
 * full: every key; mask: full scores under an additive [1,1,S,S] band mask; blocked: only the band's scores
 * (sliding-attention.ts). mask and blocked give the same result (|i − j| ≤ window).
 */
export type SelfAttentionKind =
  { kind: "full" } | { kind: "mask"; mask: F32 } | { kind: "blocked"; window: number; block?: number };

/** AceStepAttention self-attention: x [N,H] → [N,H]; q/k per-head RMSNorm, RoPE on q and k, GQA, no biases. */
export function ditSelfAttention(
  g: GraphBuilder,
  x: Float,
  p: string,
  c: { dims: AttentionDims; seq: SeqShape; cos: F32; sin: F32; attention: SelfAttentionKind },
): F32 {
  const { hidden: H, heads, kvHeads, headDim: D, eps } = c.dims;
  const bs = c.seq.bs;
  const q = perHeadRmsNorm(
    g,
    g.linear(x, `${p}q_proj.weight`, undefined, { in: H, out: heads * D }),
    `${p}q_norm.weight`,
    heads,
    D,
    eps,
    bs,
  );
  const k = perHeadRmsNorm(
    g,
    g.linear(x, `${p}k_proj.weight`, undefined, { in: H, out: kvHeads * D }),
    `${p}k_norm.weight`,
    kvHeads,
    D,
    eps,
    bs,
  );
  const v = g.reshape(
    g.linear(x, `${p}v_proj.weight`, undefined, { in: H, out: kvHeads * D }),
    shapeWith(g, bs, [kvHeads * D]),
  );
  const qr = g.rotaryEmbedding(q, c.cos, c.sin, { numHeads: heads });
  const kr = g.rotaryEmbedding(k, c.cos, c.sin, { numHeads: kvHeads });
  const a = c.attention;
  const y =
    a.kind === "blocked"
      ? slidingWindowAttention(g, qr, kr, v, c.seq, { window: a.window, block: a.block, heads, kvHeads, headDim: D })
      : g.attention(qr, kr, v, {
          mask: a.kind === "mask" ? a.mask : undefined,
          qNumHeads: heads,
          kvNumHeads: kvHeads,
          scale: 1 / Math.sqrt(D),
        });
  return g.linear(g.reshape(y, [-1, heads * D]), `${p}o_proj.weight`, undefined, { in: heads * D, out: H });
}

export interface DitLayerContext {
  dims: AttentionDims;
  intermediate: number;
  /** patch-token sequence geometry ([B, S]) */
  seq: SeqShape;
  cos: F32;
  sin: F32;
  /** how this layer's self-attention sees keys */
  attention: SelfAttentionKind;
  /** timestep projection [B, 6, H] (time_embed + time_embed_r) */
  timestepProj: F32;
  /** this layer's cross-attention keys / values [B, Le, Hkv·D] */
  crossKey: F32;
  crossValue: F32;
}

/** One AceStepDiTLayer on h [B, S, H] → [B, S, H]. Keys under `p` = `decoder.layers.i.`. */
export function ditLayer(g: GraphBuilder, h: F32, p: string, c: DitLayerContext): F32 {
  const { hidden: H, heads, kvHeads, headDim: D, eps } = c.dims;
  const bsH = shapeWith(g, c.seq.bs, [H]);
  const mod = g.add(g.toF32(g.param(`${p}scale_shift_table`, { shape: [1, 6, H] })), c.timestepProj); // [B,6,H]
  const one = g.scalarF32(1);
  const [shift, scale, gate, cShift, cScale, cGate] = [0, 1, 2, 3, 4, 5].map((i) => chunk(g, mod, i));

  // 1. self-attention with AdaLN and gate
  const sa = modulate(g, g.rmsNorm(h, `${p}self_attn_norm.weight`, eps, H), g.add(scale, one), shift);
  const a = ditSelfAttention(g, g.reshape(sa, [-1, H]), `${p}self_attn.`, {
    dims: c.dims,
    seq: c.seq,
    cos: c.cos,
    sin: c.sin,
    attention: c.attention,
  });
  h = g.add(h, g.mul(g.reshape(a, bsH), gate));

  // 2. cross-attention on the precomputed condition K/V (no modulation, no gate)
  const ca = g.reshape(g.rmsNorm(h, `${p}cross_attn_norm.weight`, eps, H), [-1, H]);
  const q = perHeadRmsNorm(
    g,
    g.linear(ca, `${p}cross_attn.q_proj.weight`, undefined, { in: H, out: heads * D }),
    `${p}cross_attn.q_norm.weight`,
    heads,
    D,
    eps,
    c.seq.bs,
  );
  const y = g.attention(q, c.crossKey, c.crossValue, {
    qNumHeads: heads,
    kvNumHeads: kvHeads,
    scale: 1 / Math.sqrt(D),
  });
  const co = g.linear(g.reshape(y, [-1, heads * D]), `${p}cross_attn.o_proj.weight`, undefined, {
    in: heads * D,
    out: H,
  });
  h = g.add(h, g.reshape(co, bsH));

  // 3. MLP with AdaLN and gate
  const m = modulate(g, g.rmsNorm(h, `${p}mlp_norm.weight`, eps, H), g.add(cScale, one), cShift);
  const ff = swiGluMlp(g, g.reshape(m, [-1, H]), `${p}mlp.`, H, c.intermediate);
  return g.add(h, g.mul(g.reshape(ff, bsH), cGate));
}

/**
 * Cross-attention K/V of one layer from the embedded condition enc [N = B·Le, H]:
 * key = k_norm(k_proj(enc)) per head, value = v_proj(enc), both [B, Le, Hkv·D]. Keys under `p` = `decoder.layers.i.`.
 */
export function crossKeyValue(
  g: GraphBuilder,
  enc: Float,
  p: string,
  dims: AttentionDims,
  encSeq: SeqShape,
): { key: F32; value: F32 } {
  const { hidden: H, kvHeads, headDim: D, eps } = dims;
  const k = g.linear(enc, `${p}cross_attn.k_proj.weight`, undefined, { in: H, out: kvHeads * D });
  const v = g.linear(enc, `${p}cross_attn.v_proj.weight`, undefined, { in: H, out: kvHeads * D });
  return {
    key: perHeadRmsNorm(g, k, `${p}cross_attn.k_norm.weight`, kvHeads, D, eps, encSeq.bs),
    value: g.reshape(v, shapeWith(g, encSeq.bs, [kvHeads * D])),
  };
}

/** condition_embedder: encoder_hidden_states [B, Le, E] → enc [B·Le, H] (Linear with bias). */
export function conditionEmbedder(g: GraphBuilder, ehs: F32, E: number, H: number): F32 {
  return g.linear(g.reshape(ehs, [-1, E]), "decoder.condition_embedder.weight", "decoder.condition_embedder.bias", {
    in: E,
    out: H,
  });
}
