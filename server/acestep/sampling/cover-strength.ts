// `audio_cover_strength`: a switch of conditioning after a fraction of the steps (not a blend). Ports
// `cover_steps = int(num_steps * audio_cover_strength)` and the `step_idx >= cover_steps` switch of
// `generate_audio` (acestep/models/{turbo,base,sft}/…; the cross-attention KV cache is reset at the switch).
// The non-cover condition (text2music instruction, is_cover = 0, silence source; handler `_prepare_batch`) is
// built by server/pipeline/task-latents.ts.

/** `int(num_steps · strength)`: the number of leading steps that use the cover conditioning. With
 *  `cover_noise_strength` (newer upstream) num_steps is the length of the truncated schedule. */
export function coverSteps(numSteps: number, strength: number): number {
  if (!Number.isInteger(numSteps) || numSteps < 0)
    throw new RangeError(`step count ${numSteps} must be a non-negative integer`);
  if (!Number.isFinite(strength)) throw new RangeError(`audio_cover_strength ${strength} must be finite`);
  return Math.trunc(numSteps * strength);
}
