// Latent-tensor helpers of the sampling loop: the channel count, the batch size limit and per-item views of a
// [B, T, C] batch. The frame arithmetic lives in server/acestep/sampling/schedule.ts (latentFramesForDuration /
// latentFramesForCodes).

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

/** Item b of a [B, T, C] tensor (a view, no copy). */
export function itemView(x: Float32Array, b: number, frames: number, channels = LATENT_CHANNELS): Float32Array {
  const per = frames * channels;
  return x.subarray(b * per, (b + 1) * per);
}
