// Ports: the special-token table of the ACE-Step 5 Hz LM vocabulary (acestep-5Hz-lm-* tokenizer.json; acestep.cpp
// src/prompt.h, ComfyUI comfy/text_encoders/ace15.py audio_start_id/audio_end_id, constrained_logits_processor.py
// MAX_AUDIO_CODE). Pure constants; tokenizer.test.ts checks them against the real Qwen3 tokenizer.

/** `<|endoftext|>`: Qwen pad token; stop token of the pt path. */
export const ENDOFTEXT_ID = 151643;
/** `<|im_start|>` (ChatML). */
export const IM_START_ID = 151644;
/** `<|im_end|>`: ChatML end of turn and the LM's generation EOS. */
export const IM_END_ID = 151645;
/** `<think>`: CoT open (one token). */
export const THINK_ID = 151667;
/** `</think>`: CoT close (one token). */
export const THINK_END_ID = 151668;
/** `\n` (byte-level BPE "Ċ"). */
export const NEWLINE_ID = 198;
/** `\n\n` ("ĊĊ"). */
export const DOUBLE_NEWLINE_ID = 271;
/** `" "` alone ("Ġ"): a space before a digit is its own token. */
export const SPACE_ID = 220;

/** First Qwen3 special token id (`<|endoftext|>`); 151643…151668 are the 26 Qwen3 specials. */
export const FIRST_SPECIAL_ID = 151643;
/** Size of the Qwen3 text vocabulary including its 26 specials (= first audio-code id). */
export const TEXT_VOCAB_SIZE = 151669;

/** `<|audio_code_n|>` = AUDIO_CODE_BASE + n. */
export const AUDIO_CODE_BASE = 151669;
/** Number of audio-code tokens in the checkpoints' vocabulary (n = 0…65534). */
export const AUDIO_CODE_TOKENS = 65535;
/** Only codes 0…63999 are valid (the 64 000-entry FSQ codebook); `MAX_AUDIO_CODE` upstream. */
export const MAX_AUDIO_CODE = 63999;
/** Exclusive end of the valid code ids (ComfyUI `audio_end_id`). */
export const AUDIO_CODE_END = AUDIO_CODE_BASE + MAX_AUDIO_CODE + 1; // 215669
/** Full LM vocabulary (logits length): 151669 + 65535. */
export const LM_VOCAB_SIZE = AUDIO_CODE_BASE + AUDIO_CODE_TOKENS; // 217204

/** Generation EOS. */
export const EOS_ID = IM_END_ID;
/** Stop on both `<|im_end|>` and `<|endoftext|>` (EOS or pad, as acestep/llm_inference.py `_check_eos_token`). */
export const DEFAULT_STOP_IDS: readonly number[] = [IM_END_ID, ENDOFTEXT_ID];

/** Audio-code rate: 5 codes per second of audio. */
export const CODES_PER_SECOND = 5;

/** Code index of an id, or -1 when the id is not an audio-code token. */
export function audioCodeOf(id: number): number {
  return id >= AUDIO_CODE_BASE && id < LM_VOCAB_SIZE ? id - AUDIO_CODE_BASE : -1;
}
/** True for the ids the constrained decoder may emit as codes (n ≤ 63999). */
export function isValidAudioCodeId(id: number): boolean {
  return id >= AUDIO_CODE_BASE && id < AUDIO_CODE_END;
}
