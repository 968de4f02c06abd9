// `audio_cover_strength`: a switch of conditioning after a fraction of the steps (not a blend). Ports
// `cover_steps = int(num_steps * audio_cover_strength)` and the `step_idx >= cover_steps` switch of
// `generate_audio` (acestep/models/{turbo,base,sft}/…; the cross-attention KV cache is reset at the switch),
// plus the non-cover condition rule of handler `_prepare_batch` (text2music instruction, is_cover = 0,
// src = silence).

import { DEFAULT_DIT_INSTRUCTION } from "../tasks/instructions";

/** Whether a second, non-cover conditioning must be prepared (strength < 1). */
export function needsNonCoverCondition(strength: number): boolean {
  return strength < 1.0;
}

/** `int(num_steps · strength)`: the number of leading steps that use the cover conditioning. With
 *  `cover_noise_strength` (newer upstream) num_steps is the length of the truncated schedule. */
export function coverSteps(numSteps: number, strength: number): number {
  if (!Number.isInteger(numSteps) || numSteps < 0)
    throw new RangeError(`step count ${numSteps} must be a non-negative integer`);
  if (!Number.isFinite(strength)) throw new RangeError(`audio_cover_strength ${strength} must be finite`);
  return Math.trunc(numSteps * strength);
}

export type StepCondition = "cover" | "nonCover";

/** Which conditioning step i uses. */
export function conditionForStep(stepIndex: number, nCoverSteps: number): StepCondition {
  return stepIndex < nCoverSteps ? "cover" : "nonCover";
}

/** What differs in the non-cover conditioning: the text prompt's instruction becomes the text2music one,
 *  is_cover is 0 and the context source latents are silence; caption, metas, lyrics, timbre and chunk masks
 *  stay the same. */
export const NON_COVER_CONDITION = {
  instruction: DEFAULT_DIT_INSTRUCTION,
  isCover: false,
  srcLatents: "silence",
} as const;
