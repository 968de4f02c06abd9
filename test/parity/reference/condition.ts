// Plain-TypeScript reference of the condition encoders and packing, written
// independently of server/models/dit: text projector, lyric encoder, timbre encoder, pack_sequences (as an
// argsort, like upstream), unpack_timbre_embeddings (as the one-hot scatter upstream uses) and the null condition.
import { linear, rmsnorm, type Getter } from "./math";
import { encoderForward, type RefDims } from "./transformer";

/** text_projector: [S, text] → [S, E], no bias. */
export function refTextProjector(get: Getter, x: Float32Array, s: number): Float32Array {
  return linear(x, s, get("encoder.text_projector.weight"));
}

/** AceStepLyricEncoder for one item: embeds [S, text] + key mask [S] → [S, E]. */
export function refLyricEncoder(
  get: Getter,
  d: RefDims,
  types: string[],
  window: number | null,
  x: Float32Array,
  mask: number[],
): Float32Array {
  const p = "encoder.lyric_encoder.";
  const s = mask.length;
  const h = linear(x, s, get(`${p}embed_tokens.weight`), get(`${p}embed_tokens.bias`));
  const [out] = encoderForward(get, d, p, types, window, [h], [mask]);
  return rmsnorm(out, d.hidden, get(`${p}norm.weight`).data, d.eps);
}

/** AceStepTimbreEncoder for one reference: latents [F, C] → [E] (normed output of frame 0). */
export function refTimbreEncoder(
  get: Getter,
  d: RefDims,
  types: string[],
  window: number | null,
  x: Float32Array,
  frames: number,
): Float32Array {
  const p = "encoder.timbre_encoder.";
  const h = linear(x, frames, get(`${p}embed_tokens.weight`), get(`${p}embed_tokens.bias`));
  const [out] = encoderForward(get, d, p, types, window, [h]);
  return rmsnorm(out, d.hidden, get(`${p}norm.weight`).data, d.eps).slice(0, d.hidden);
}

/** pack_sequences for one item: concat, then argsort(mask, descending, stable); new mask = first Σmask positions. */
export function refPack(
  a: Float32Array,
  maskA: number[],
  b: Float32Array,
  maskB: number[],
  width: number,
): { h: Float32Array; mask: number[] } {
  const mask = [...maskA, ...maskB];
  const rows = [...Array(maskA.length).keys()]
    .map((i) => a.subarray(i * width, (i + 1) * width))
    .concat([...Array(maskB.length).keys()].map((i) => b.subarray(i * width, (i + 1) * width)));
  const order = [...mask.keys()].sort((i, j) => mask[j] - mask[i]); // Array.prototype.sort is stable
  const h = new Float32Array(mask.length * width);
  order.forEach((src, dst) => h.set(rows[src], dst * width));
  const n = mask.reduce((s, m) => s + m, 0);
  return { h, mask: mask.map((_, i) => (i < n ? 1 : 0)) };
}

/** unpack_timbre_embeddings: one-hot [N, B·maxCount] scatter of packed rows [N, E]. */
export function refUnpackTimbre(
  packed: Float32Array,
  width: number,
  order: number[],
): { h: Float32Array; mask: number[]; batch: number; count: number } {
  const N = order.length;
  const B = Math.max(...order) + 1;
  const counts = Array.from({ length: B }, (_, b) => order.filter((o) => o === b).length);
  const count = Math.max(...counts);
  const slot = order.map((o, k) => o * count + order.slice(0, k).filter((x) => x === o).length);
  const h = new Float32Array(B * count * width);
  const mask = new Array<number>(B * count).fill(0);
  for (let cell = 0; cell < B * count; cell++) {
    for (let k = 0; k < N; k++) {
      if (slot[k] !== cell) continue;
      mask[cell] = 1;
      for (let e = 0; e < width; e++) h[cell * width + e] += packed[k * width + e];
    }
  }
  return { h, mask, batch: B, count };
}
