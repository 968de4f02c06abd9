// Reference forwards, one sequence at a time (batch items never interact):
//   qwen3Forward   — HF Qwen3Model / Qwen3ForCausalLM: embed → layers (causal + key padding) → norm → tied/untied head
//   encoderForward — AceStepEncoderLayer stack: bidirectional, sliding (|i−j| ≤ window) / full per layer_types, key padding
// Both use the same pre-norm layer: h += o(attn(rope(q_norm(q(x'))), rope(k_norm(k(x'))), v(x'))); h += mlp(x'').
import { addInPlace, attention, linear, rmsnorm, rope, roundAll, swiglu, type Getter } from "./math";

export interface RefDims {
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  eps: number;
  theta: number;
  intermediate: number;
}

/** One layer on x [S, H]; returns the new hidden and this layer's post-RoPE keys and values [S, Hkv·D]. */
export function refLayer(
  get: Getter,
  p: string,
  c: RefDims,
  x: Float32Array,
  s: number,
  positions: number[],
  keep: (i: number, j: number) => boolean,
  half: boolean,
): { x: Float32Array; k: Float32Array; v: Float32Array } {
  const { hidden: H, heads, kvHeads, headDim: D, eps, theta } = c;
  const a = rmsnorm(x, H, get(`${p}input_layernorm.weight`).data, eps);
  let q = linear(a, s, get(`${p}self_attn.q_proj.weight`), undefined, half);
  let k = linear(a, s, get(`${p}self_attn.k_proj.weight`), undefined, half);
  const v = linear(a, s, get(`${p}self_attn.v_proj.weight`), undefined, half);
  q = rope(rmsnorm(q, D, get(`${p}self_attn.q_norm.weight`).data, eps), s, heads, D, positions, theta);
  k = rope(rmsnorm(k, D, get(`${p}self_attn.k_norm.weight`).data, eps), s, kvHeads, D, positions, theta);
  const y = attention(q, k, v, s, s, heads, kvHeads, D, keep);
  const h = addInPlace(Float32Array.from(x), linear(y, s, get(`${p}self_attn.o_proj.weight`), undefined, half));
  const m = rmsnorm(h, H, get(`${p}post_attention_layernorm.weight`).data, eps);
  addInPlace(
    h,
    swiglu(m, s, get(`${p}mlp.gate_proj.weight`), get(`${p}mlp.up_proj.weight`), get(`${p}mlp.down_proj.weight`), half),
  );
  return { x: h, k, v };
}

export interface Qwen3RefOut {
  /** after final norm, [S, H] per item */
  hidden: Float32Array[];
  /** [layer][item] → [S, Hkv·D] */
  keys: Float32Array[][];
  values: Float32Array[][];
}

export function qwen3Forward(
  get: Getter,
  c: RefDims & { layers: number },
  ids: number[][],
  mask: number[][],
  o: { prefix: string; half?: boolean },
): Qwen3RefOut {
  const half = o.half ?? false;
  const H = c.hidden;
  const table = get(`${o.prefix}embed_tokens.weight`);
  const tdata = half ? roundAll(table.data) : table.data;
  const out: Qwen3RefOut = { hidden: [], keys: [], values: [] };
  for (let l = 0; l < c.layers; l++) {
    out.keys.push([]);
    out.values.push([]);
  }
  ids.forEach((row, b) => {
    const s = row.length;
    let x: Float32Array = new Float32Array(s * H);
    row.forEach((id, t) => x.set(tdata.subarray(id * H, (id + 1) * H), t * H));
    const positions = row.map((_, t) => t);
    const keep = (i: number, j: number) => j <= i && mask[b][j] !== 0;
    for (let l = 0; l < c.layers; l++) {
      const r = refLayer(get, `${o.prefix}layers.${l}.`, c, x, s, positions, keep, half);
      x = r.x;
      out.keys[l].push(r.k);
      out.values[l].push(r.v);
    }
    out.hidden.push(rmsnorm(x, H, get(`${o.prefix}norm.weight`).data, c.eps));
  });
  return out;
}

/** logits of one hidden row [H] against head rows [r0, r1) of `head` [V, H]. */
export function headLogits(
  hiddenRow: Float32Array,
  head: { shape: number[]; data: Float32Array },
  r0: number,
  r1: number,
  half = false,
): Float32Array {
  const H = head.shape[1];
  const rows = { shape: [r1 - r0, H], data: head.data.subarray(r0 * H, r1 * H) };
  return linear(hiddenRow, 1, rows, undefined, half);
}

export function encoderForward(
  get: Getter,
  c: RefDims,
  prefix: string,
  layerTypes: string[],
  window: number | null,
  x: Float32Array[],
  keyMask?: number[][],
  half = false,
): Float32Array[] {
  return x.map((seq, b) => {
    const s = seq.length / c.hidden;
    const positions = Array.from({ length: s }, (_, t) => t);
    let h = seq;
    layerTypes.forEach((type, l) => {
      const sliding = type === "sliding_attention" && window !== null;
      const keep = (i: number, j: number) =>
        (!sliding || Math.abs(i - j) <= window!) && (!keyMask || keyMask[b][j] !== 0);
      h = refLayer(get, `${prefix}layers.${l}.`, c, h, s, positions, keep, half).x;
    });
    return h;
  });
}
