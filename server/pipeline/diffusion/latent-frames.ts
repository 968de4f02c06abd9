// Latent-frame helpers the diffusion nodes need around the sampling loop: duration → frames (validated), the
// batch size limit, and batch padding with silence_latent frames. Ports the padding part of handler
// `_prepare_batch` / `ConditioningTargetMixin` (ace-step/ACE-Step-1.5; `max_latent_length = max(128, longest)`,
// shorter items padded at the END with `_get_silence_latent_slice(pad)` = silence_latent[0, :pad] tiled when
// too short; `latent_masks` records the valid part, which the DiT ignores).
//
//   items [T_i, C] (i < B ≤ 8) ─ pad each to T = max(128, max T_i) with silence frames 0..pad−1 ─► [B, T, C]
//
// The frame arithmetic itself lives in server/acestep (latentFramesForDuration / latentFramesForCodes).

import {
  DURATION_MAX,
  DURATION_MIN,
  MIN_LATENT_FRAMES,
  latentFramesForCodes,
  latentFramesForDuration,
} from "../../acestep/sampling/schedule";

/** Latent channels of ACE-Step 1.5 (`audio_acoustic_hidden_dim`). */
export const LATENT_CHANNELS = 64;
/** Batch limits (REST `batch_size` max 8, UI 1–8). */
export const MIN_BATCH = 1;
export const MAX_BATCH = 8;

export function assertBatchSize(batch: number, field = "batch"): void {
  if (!Number.isInteger(batch) || batch < MIN_BATCH || batch > MAX_BATCH) {
    throw new RangeError(`${field} ${batch} must be an integer in ${MIN_BATCH}..${MAX_BATCH}`);
  }
}

/** Checks a requested duration against DURATION_MIN..DURATION_MAX (10–600 s, acestep/constants.py). */
export function assertDuration(seconds: number, field = "duration"): void {
  if (!Number.isFinite(seconds) || seconds < DURATION_MIN || seconds > DURATION_MAX) {
    throw new RangeError(`${field} ${seconds} s must be between ${DURATION_MIN} and ${DURATION_MAX} s`);
  }
}

/**
 * Frames for a text2music target of `seconds` (no codes, no source): validated to 10–600 s, then
 * `max(floor(round(d,1)·48000) // 1920, 128)` via server/acestep. The output is not trimmed back to `seconds`.
 */
export function durationToFrames(seconds: number, field = "duration"): number {
  assertDuration(seconds, field);
  return latentFramesForDuration(seconds);
}

/** Frames when audio codes set the length: 5 per code, at least 128. */
export function codesToFrames(codeCount: number): number {
  return latentFramesForCodes(codeCount);
}

/** Seconds of audio the decoder will produce for T frames (25 frames/s, untrimmed). */
export function framesToSeconds(frames: number): number {
  return frames / 25;
}

/** The batch frame count: the longest item, at least 128 (`max_latent_length = max(128, …)`). */
export function batchFrames(itemFrames: readonly number[]): number {
  if (itemFrames.length === 0) throw new RangeError("batch needs at least one item");
  for (const f of itemFrames) {
    if (!Number.isInteger(f) || f < 0) throw new RangeError(`item frame count ${f} must be a non-negative integer`);
  }
  return Math.max(MIN_LATENT_FRAMES, ...itemFrames);
}

/** `_get_silence_latent_slice(length)`: silence frames 0..length−1, tiled along time when silence is shorter. */
export function silenceSlice(silence: Float32Array, length: number, channels = LATENT_CHANNELS): Float32Array {
  const available = silence.length / channels;
  if (!Number.isInteger(available) || available < 1) {
    throw new RangeError(
      `silence latent has ${silence.length} values, not a positive multiple of ${channels} channels`,
    );
  }
  const out = new Float32Array(length * channels);
  for (let at = 0; at < length; at += available) {
    const n = Math.min(available, length - at);
    out.set(silence.subarray(0, n * channels), at * channels);
  }
  return out;
}

export interface PaddedBatch {
  /** [B, T, C] row-major. */
  latents: Float32Array;
  /** T = max(128, longest item). */
  frames: number;
  /** Valid frames of each item before padding. */
  itemFrames: number[];
  /** `latent_masks` [B, T]: 1 on an item's own frames, 0 on the silence padding. */
  latentMasks: Uint8Array;
}

/**
 * Stacks per-item latents `[T_i, C]` into `[B, T, C]`, padding each item at the end with silence-latent frames
 * (from frame 0 of silence_latent, as upstream). `frames` may force a larger T (e.g. a shared target length).
 */
export function padBatchLatents(
  items: readonly Float32Array[],
  silence: Float32Array,
  opts: { channels?: number; frames?: number } = {},
): PaddedBatch {
  const C = opts.channels ?? LATENT_CHANNELS;
  assertBatchSize(items.length, "batch size");
  const itemFrames = items.map((x, i) => {
    if (x.length % C !== 0) throw new RangeError(`item ${i} has ${x.length} values, not a multiple of ${C} channels`);
    return x.length / C;
  });
  const T = Math.max(batchFrames(itemFrames), opts.frames ?? 0);
  const latents = new Float32Array(items.length * T * C);
  const latentMasks = new Uint8Array(items.length * T);
  items.forEach((x, b) => {
    latents.set(x, b * T * C);
    const pad = T - itemFrames[b];
    if (pad > 0) latents.set(silenceSlice(silence, pad, C), (b * T + itemFrames[b]) * C);
    latentMasks.fill(1, b * T, b * T + itemFrames[b]);
  });
  return { latents, frames: T, itemFrames, latentMasks };
}

/** Item b of a [B, T, C] tensor (a view, no copy). */
export function itemView(x: Float32Array, b: number, frames: number, channels = LATENT_CHANNELS): Float32Array {
  const per = frames * channels;
  return x.subarray(b * per, (b + 1) * per);
}
