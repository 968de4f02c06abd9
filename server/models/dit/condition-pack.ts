// Host-side condition packing and the CFG null condition. Plain TypeScript, no graph.
// Ports `pack_sequences`, `AceStepTimbreEncoder.unpack_timbre_embeddings`, the packing order of
// `AceStepConditionEncoder.forward` and the `null_condition_emb` broadcast of the CFG branch
// (modeling_acestep_v15_*.py; generate_audio of the base/sft models).
//
//   lyric  [B,Ll,E] + mask ┐
//   timbre [B,R,E]  + mask ┴ pack ─► [B,Ll+R,E] ┐
//   text   [B,Lt,E] + mask ──────────────────────┴ pack ─► encoder_hidden_states [B,Le,E], encoder_attention_mask [B,Le]
// pack: concatenate along time, then per item a stable sort that puts every valid (mask ≠ 0) position first in
// its original order, followed by the padding positions (their hidden values are kept, not zeroed: the DiT
// ignores the mask and attends to them when B > 1). The new mask marks the first Σmask positions.
// Null condition: null_condition_emb [1,1,E] broadcast to the full [B,Le,E] of the conditional sequence.

/** A batch of sequences, row-major [batch, length, width], with a per-position mask [batch, length] (1 = real). */
export interface MaskedSequence {
  data: Float32Array;
  batch: number;
  length: number;
  width: number;
  mask: ArrayLike<number>;
}

function check(s: MaskedSequence, what: string): void {
  if (s.data.length !== s.batch * s.length * s.width) {
    throw new Error(`condition pack: ${what} has ${s.data.length} values, expected ${s.batch}×${s.length}×${s.width}`);
  }
  if (s.mask.length !== s.batch * s.length)
    throw new Error(`condition pack: ${what} mask has ${s.mask.length} entries, expected ${s.batch}×${s.length}`);
}

/** `pack_sequences(a, b, mask_a, mask_b)`. */
export function packSequences(a: MaskedSequence, b: MaskedSequence): MaskedSequence {
  check(a, "first sequence");
  check(b, "second sequence");
  if (a.batch !== b.batch || a.width !== b.width) {
    throw new Error(
      `condition pack: cannot pack [${a.batch},${a.length},${a.width}] with [${b.batch},${b.length},${b.width}]`,
    );
  }
  const { batch: B, width: W } = a;
  const L = a.length + b.length;
  const data = new Float32Array(B * L * W);
  const mask = new Int32Array(B * L);
  for (let n = 0; n < B; n++) {
    const src = (j: number): [Float32Array, number, boolean] =>
      j < a.length
        ? [a.data, (n * a.length + j) * W, a.mask[n * a.length + j] !== 0]
        : [b.data, (n * b.length + (j - a.length)) * W, b.mask[n * b.length + (j - a.length)] !== 0];
    let out = 0;
    for (const wantValid of [true, false]) {
      for (let j = 0; j < L; j++) {
        const [d, off, valid] = src(j);
        if (valid !== wantValid) continue;
        data.set(d.subarray(off, off + W), (n * L + out) * W);
        mask[n * L + out] = valid ? 1 : 0;
        out++;
      }
    }
  }
  return { data, batch: B, length: L, width: W, mask };
}

/** Packing order of AceStepConditionEncoder: pack(pack(lyric, timbre), text). */
export function packConditions(lyric: MaskedSequence, timbre: MaskedSequence, text: MaskedSequence): MaskedSequence {
  return packSequences(packSequences(lyric, timbre), text);
}

/**
 * `unpack_timbre_embeddings`: packed per-reference embeddings [N,E] with `order[k]` = the batch item of row k
 * → [B, maxCount, E] (rows of one item in their packed order) and the validity mask [B, maxCount].
 * Upstream takes B = max(order) + 1; pass `batch` to keep items without a reference (they get an all-zero row set).
 */
export function unpackTimbre(
  embeds: Float32Array,
  width: number,
  order: ArrayLike<number>,
  batch?: number,
): MaskedSequence {
  const N = order.length;
  if (embeds.length !== N * width)
    throw new Error(`condition pack: timbre embeds have ${embeds.length} values, expected ${N}×${width}`);
  let B = batch ?? 0;
  for (let k = 0; k < N; k++) {
    if (!Number.isInteger(order[k]) || order[k] < 0)
      throw new Error(`condition pack: refer_audio_order_mask[${k}] = ${order[k]} is not a batch index`);
    if (batch === undefined) B = Math.max(B, order[k] + 1);
    else if (order[k] >= batch)
      throw new Error(`condition pack: refer_audio_order_mask[${k}] = ${order[k]} is outside batch ${batch}`);
  }
  const counts = new Array<number>(B).fill(0);
  for (let k = 0; k < N; k++) counts[order[k]]++;
  const maxCount = Math.max(0, ...counts);
  const data = new Float32Array(B * maxCount * width);
  const mask = new Int32Array(B * maxCount);
  const next = new Array<number>(B).fill(0);
  for (let k = 0; k < N; k++) {
    const n = order[k];
    const pos = n * maxCount + next[n]++;
    data.set(embeds.subarray(k * width, (k + 1) * width), pos * width);
    mask[pos] = 1;
  }
  return { data, batch: B, length: maxCount, width, mask };
}

/** `null_condition_emb` [1,1,E] (or [E]) broadcast to [batch, length, E]: the unconditional CFG sequence. */
export function nullCondition(nullEmb: Float32Array, batch: number, length: number): Float32Array {
  const E = nullEmb.length;
  const out = new Float32Array(batch * length * E);
  for (let i = 0; i < batch * length; i++) out.set(nullEmb, i * E);
  return out;
}

/** Key of the null condition in the DiT checkpoint. */
export const NULL_CONDITION_KEY = "null_condition_emb";
