// Plain-TypeScript reference of the audio tokenizer and detokenizer, independent of
// server/models/dit: AceStepAudioTokenizer (audio_acoustic_proj → AttentionPooler → ResidualFSQ) and
// AudioTokenDetokenizer, one batch item at a time. The FSQ arithmetic is the host module
// server/acestep/codes/fsq.ts (itself tested against vector-quantize-pytorch's formulas).
import { indexToValues, quantizeProjected } from "../../../server/acestep/codes/fsq";
import { linear, rmsnorm, type Getter } from "./math";
import { encoderForward, type RefDims } from "./transformer";

/** latents [T, C] (T a multiple of `pool`) → codes [T/pool] and quantized [T/pool, E]. */
export function refTokenize(
  get: Getter,
  d: RefDims,
  types: string[],
  window: number | null,
  latents: Float32Array,
  channels: number,
  pool: number,
): { indices: number[]; quantized: Float32Array } {
  const E = d.hidden;
  const T = latents.length / channels;
  const groups = T / pool;
  const pp = "tokenizer.attention_pooler.";
  const proj = linear(
    latents,
    T,
    get("tokenizer.audio_acoustic_proj.weight"),
    get("tokenizer.audio_acoustic_proj.bias"),
  );
  const emb = linear(proj, T, get(`${pp}embed_tokens.weight`), get(`${pp}embed_tokens.bias`));
  const special = get(`${pp}special_token`).data;
  const seqs: Float32Array[] = [];
  for (let gi = 0; gi < groups; gi++) {
    const s = new Float32Array((pool + 1) * E);
    s.set(special, 0);
    s.set(emb.subarray(gi * pool * E, (gi + 1) * pool * E), E);
    seqs.push(s);
  }
  const pooled = new Float32Array(groups * E);
  encoderForward(get, d, pp, types, window, seqs).forEach((h, gi) => pooled.set(h.subarray(0, E), gi * E));
  const normed = rmsnorm(pooled, E, get(`${pp}norm.weight`).data, d.eps);
  const z = linear(
    normed,
    groups,
    get("tokenizer.quantizer.project_in.weight"),
    get("tokenizer.quantizer.project_in.bias"),
  );
  const dim = z.length / groups;
  const indices: number[] = [];
  const values = new Float32Array(groups * dim);
  for (let gi = 0; gi < groups; gi++) {
    const q = quantizeProjected(z.subarray(gi * dim, (gi + 1) * dim));
    indices.push(q.index);
    values.set(q.values, gi * dim);
  }
  const quantized = linear(
    values,
    groups,
    get("tokenizer.quantizer.project_out.weight"),
    get("tokenizer.quantizer.project_out.bias"),
  );
  return { indices, quantized };
}

/** codes [T5] → LM hints [pool·T5, C]: FSQ decode → project_out → embed_tokens → +special_tokens → layers → norm → proj_out. */
export function refDetokenize(
  get: Getter,
  d: RefDims,
  types: string[],
  window: number | null,
  indices: number[],
  pool: number,
): Float32Array {
  const n = indices.length;
  const values = new Float32Array(n * 6);
  indices.forEach((idx, i) => values.set(indexToValues(idx), i * 6));
  const quantized = linear(
    values,
    n,
    get("tokenizer.quantizer.project_out.weight"),
    get("tokenizer.quantizer.project_out.bias"),
  );
  return refDetokenizeQuantized(get, d, types, window, quantized, n, pool);
}

/** `AudioTokenDetokenizer(quantized [T5, E])` → [pool·T5, C]. */
export function refDetokenizeQuantized(
  get: Getter,
  d: RefDims,
  types: string[],
  window: number | null,
  quantized: Float32Array,
  n: number,
  pool: number,
): Float32Array {
  const E = d.hidden;
  const emb = linear(quantized, n, get("detokenizer.embed_tokens.weight"), get("detokenizer.embed_tokens.bias"));
  const special = get("detokenizer.special_tokens").data; // [1, pool, E]
  const seqs: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    const s = new Float32Array(pool * E);
    for (let p = 0; p < pool; p++)
      for (let e = 0; e < E; e++) s[p * E + e] = Math.fround(emb[i * E + e] + special[p * E + e]);
    seqs.push(s);
  }
  const hs = encoderForward(get, d, "detokenizer.", types, window, seqs);
  const flat = new Float32Array(n * pool * E);
  hs.forEach((h, i) => flat.set(h, i * pool * E));
  const normed = rmsnorm(flat, E, get("detokenizer.norm.weight").data, d.eps);
  return linear(normed, n * pool, get("detokenizer.proj_out.weight"), get("detokenizer.proj_out.bias"));
}
