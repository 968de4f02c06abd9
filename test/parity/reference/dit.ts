// Plain-TypeScript reference of AceStepDiTModel (acestep/models/turbo/modeling_acestep_v15_turbo.py), one batch item at a time, written from the
// spec and the official modeling file independently of server/models/dit. Naive loops; float64 accumulation
// inside the shared math.ts primitives, results stored fp32. Layouts: [T, C] row-major per item; checkpoint
// tensors in their own layout (Conv1d [H, C, k], ConvTranspose1d [H, out, k], Linear [out, in]).
import { addInPlace, attention, linear, rmsnorm, rope, silu, swiglu, type Getter } from "./math";

export interface DitRefConfig {
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  eps: number;
  theta: number;
  layers: number;
  /** "sliding_attention" | "full_attention" per layer */
  layerTypes: string[];
  /** null: every layer full */
  window: number | null;
  patch: number;
  latent: number;
  /** context channels (src latents + chunk mask) */
  context: number;
  /** condition width fed to condition_embedder */
  condition: number;
}

const f = Math.fround;

/** sinusoid [cos(1000·t·freqs), sin(1000·t·freqs)], 256 wide, with torch's fp32 rounding of each step. */
export function refSinusoid(t: number, dim = 256, maxPeriod = 10000): Float32Array {
  const half = dim / 2;
  const out = new Float32Array(dim);
  const ts = f(f(t) * 1000);
  const negLog = f(-Math.log(maxPeriod));
  for (let k = 0; k < half; k++) {
    const freq = f(Math.exp(f(f(negLog * k) / half)));
    const arg = f(ts * freq);
    out[k] = Math.cos(arg);
    out[half + k] = Math.sin(arg);
  }
  return out;
}

/** TimestepEmbedding: temb [H] = linear_2(SiLU(linear_1(sinusoid))); proj [6H] = time_proj(SiLU(temb)). */
export function refTimestepEmbedding(get: Getter, p: string, t: number): { temb: Float32Array; proj: Float32Array } {
  const h1 = linear(refSinusoid(t), 1, get(`${p}linear_1.weight`), get(`${p}linear_1.bias`)).map(silu);
  const temb = linear(h1, 1, get(`${p}linear_2.weight`), get(`${p}linear_2.bias`));
  const proj = linear(temb.map(silu), 1, get(`${p}time_proj.weight`), get(`${p}time_proj.bias`));
  return { temb, proj };
}

/** Per-head RMSNorm over D of x [S, heads·D]. */
function headNorm(x: Float32Array, D: number, w: Float32Array, eps: number): Float32Array {
  return rmsnorm(x, D, w, eps);
}

/** norm(x)·(1 + scale) + shift per row, scale/shift [H]. */
function adaLN(
  x: Float32Array,
  H: number,
  w: Float32Array,
  eps: number,
  scale: Float32Array,
  shift: Float32Array,
): Float32Array {
  const n = rmsnorm(x, H, w, eps);
  for (let i = 0; i < n.length; i++) n[i] = f(f(n[i] * f(1 + scale[i % H])) + shift[i % H]);
  return n;
}

/** Cross-attention K/V of every layer from the raw condition enc [Le, E] (condition_embedder applied here). */
export function refCrossKv(
  get: Getter,
  c: DitRefConfig,
  enc: Float32Array,
): { key: Float32Array[]; value: Float32Array[] } {
  const Le = enc.length / c.condition;
  const e = linear(enc, Le, get("decoder.condition_embedder.weight"), get("decoder.condition_embedder.bias"));
  const key: Float32Array[] = [];
  const value: Float32Array[] = [];
  for (let l = 0; l < c.layers; l++) {
    const p = `decoder.layers.${l}.cross_attn.`;
    key.push(headNorm(linear(e, Le, get(`${p}k_proj.weight`)), c.headDim, get(`${p}k_norm.weight`).data, c.eps));
    value.push(linear(e, Le, get(`${p}v_proj.weight`)));
  }
  return { key, value };
}

/**
 * One DiT forward for one item: xt [T, latent], ctx [T, context], t, r, cross K/V per layer [Le, Hkv·D]
 * → vt [T, latent].
 */
export function refDitForward(
  get: Getter,
  c: DitRefConfig,
  xt: Float32Array,
  ctx: Float32Array,
  t: number,
  r: number,
  cross: { key: Float32Array[]; value: Float32Array[] },
): Float32Array {
  const { hidden: H, heads, kvHeads, headDim: D, eps, patch: P, latent } = c;
  const T = xt.length / latent;
  const C = c.context + latent;
  const Le = cross.key[0].length / (kvHeads * D);

  // timestep embeddings
  const a = refTimestepEmbedding(get, "decoder.time_embed.", t);
  const b = refTimestepEmbedding(get, "decoder.time_embed_r.", f(f(t) - f(r)));
  const temb = addInPlace(Float32Array.from(a.temb), b.temb);
  const proj = addInPlace(Float32Array.from(a.proj), b.proj); // [6H]

  // [ctx, xt] per frame, zero padded to a multiple of P
  const T2 = Math.ceil(T / P);
  const x = new Float32Array(T2 * P * C);
  for (let i = 0; i < T; i++) {
    x.set(ctx.subarray(i * c.context, (i + 1) * c.context), i * C);
    x.set(xt.subarray(i * latent, (i + 1) * latent), i * C + c.context);
  }

  // Conv1d(C → H, kernel P, stride P): h[j, o] = bias[o] + Σ_c Σ_k W[o, c, k] · x[P·j + k, c]
  const win = get("decoder.proj_in.1.weight").data;
  const bin = get("decoder.proj_in.1.bias").data;
  let h: Float32Array = new Float32Array(T2 * H);
  for (let j = 0; j < T2; j++) {
    for (let o = 0; o < H; o++) {
      let s = 0;
      for (let ch = 0; ch < C; ch++)
        for (let k = 0; k < P; k++) s += win[(o * C + ch) * P + k] * x[(j * P + k) * C + ch];
      h[j * H + o] = s + bin[o];
    }
  }

  const positions = Array.from({ length: T2 }, (_, i) => i);
  for (let l = 0; l < c.layers; l++) {
    const p = `decoder.layers.${l}.`;
    const sst = get(`${p}scale_shift_table`).data;
    const mod = (i: number) => Float32Array.from({ length: H }, (_, e) => f(sst[i * H + e] + proj[i * H + e]));
    const [shift, scale, gate, cShift, cScale, cGate] = [0, 1, 2, 3, 4, 5].map(mod);
    const sliding = c.layerTypes[l] === "sliding_attention" && c.window !== null;

    // self-attention
    const sa = adaLN(h, H, get(`${p}self_attn_norm.weight`).data, eps, scale, shift);
    const q = rope(
      headNorm(linear(sa, T2, get(`${p}self_attn.q_proj.weight`)), D, get(`${p}self_attn.q_norm.weight`).data, eps),
      T2,
      heads,
      D,
      positions,
      c.theta,
    );
    const k = rope(
      headNorm(linear(sa, T2, get(`${p}self_attn.k_proj.weight`)), D, get(`${p}self_attn.k_norm.weight`).data, eps),
      T2,
      kvHeads,
      D,
      positions,
      c.theta,
    );
    const v = linear(sa, T2, get(`${p}self_attn.v_proj.weight`));
    const y = attention(q, k, v, T2, T2, heads, kvHeads, D, (i, j) => !sliding || Math.abs(i - j) <= c.window!);
    const ao = linear(y, T2, get(`${p}self_attn.o_proj.weight`));
    for (let i = 0; i < h.length; i++) h[i] = f(h[i] + f(ao[i] * gate[i % H]));

    // cross-attention
    const cn = rmsnorm(h, H, get(`${p}cross_attn_norm.weight`).data, eps);
    const cq = headNorm(
      linear(cn, T2, get(`${p}cross_attn.q_proj.weight`)),
      D,
      get(`${p}cross_attn.q_norm.weight`).data,
      eps,
    );
    const cy = attention(cq, cross.key[l], cross.value[l], T2, Le, heads, kvHeads, D, () => true);
    addInPlace(h, linear(cy, T2, get(`${p}cross_attn.o_proj.weight`)));

    // MLP
    const m = adaLN(h, H, get(`${p}mlp_norm.weight`).data, eps, cScale, cShift);
    const ff = swiglu(
      m,
      T2,
      get(`${p}mlp.gate_proj.weight`),
      get(`${p}mlp.up_proj.weight`),
      get(`${p}mlp.down_proj.weight`),
    );
    const hn = new Float32Array(h.length);
    for (let i = 0; i < h.length; i++) hn[i] = f(h[i] + f(ff[i] * cGate[i % H]));
    h = hn;
  }

  // output head: (shift, scale) = scale_shift_table [1,2,H] + temb
  const so = get("decoder.scale_shift_table").data;
  const oShift = Float32Array.from({ length: H }, (_, e) => f(so[e] + temb[e]));
  const oScale = Float32Array.from({ length: H }, (_, e) => f(so[H + e] + temb[e]));
  const o = adaLN(h, H, get("decoder.norm_out.weight").data, eps, oScale, oShift);

  // ConvTranspose1d(H → latent, kernel P, stride P): y[P·j + k, oc] = bias[oc] + Σ_c o[j, c] · W[c, oc, k]; crop to T
  const wout = get("decoder.proj_out.1.weight").data;
  const bout = get("decoder.proj_out.1.bias").data;
  const vt = new Float32Array(T * latent);
  for (let j = 0; j < T2; j++) {
    for (let k = 0; k < P; k++) {
      const frame = j * P + k;
      if (frame >= T) continue;
      for (let oc = 0; oc < latent; oc++) {
        let s = 0;
        for (let ch = 0; ch < H; ch++) s += o[j * H + ch] * wout[(ch * latent + oc) * P + k];
        vt[frame * latent + oc] = s + bout[oc];
      }
    }
  }
  return vt;
}
