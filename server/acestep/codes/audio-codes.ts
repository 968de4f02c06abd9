// Audio-code strings and LM token ids. Ports acestep/handler.py `_parse_audio_code_string` (regex
// `<\|audio_code_(\d+)\|>`, clamp to [0, 63999], everything else ignored) and the code-token layout of the
// 5 Hz LM (`<|audio_code_n|>` = 151669 + n; acestep/constrained_logits_processor.py `MAX_AUDIO_CODE`) —
// ace-step/ACE-Step-1.5 @ f30aee4.

/** Largest valid code value (codebook size 64000 = 8·8·8·5·5·5). */
export const MAX_AUDIO_CODE = 63999;
export const CODEBOOK_SIZE = 64000;
/** LM token id of `<|audio_code_0|>`. */
export const AUDIO_CODE_TOKEN_OFFSET = 151669;
/** The LM vocabulary holds `<|audio_code_0|>` … `<|audio_code_65534|>`; only the first 64000 are valid. */
export const NUM_AUDIO_CODE_TOKENS = 65535;
/** Codes per second (5 Hz) and latent frames per code (25 Hz / 5 Hz). */
export const CODES_PER_SECOND = 5;
export const FRAMES_PER_CODE = 5;

const CODE_RE = /<\|audio_code_(\d+)\|>/g;

export interface ParsedCodes {
  codes: number[];
  /** How many values were outside [0, 63999] and clamped (upstream logs a warning for each). */
  clampedCount: number;
}

/**
 * `_parse_audio_code_string`: all `<|audio_code_N|>` matches in order, each clamped to [0, 63999]; text
 * between, before or after them (whitespace, other tokens, garbage) is ignored; an empty/undefined string
 * gives []. Upstream's `\d` also matches non-ASCII Unicode digits; here only ASCII digits are recognised.
 */
export function parseAudioCodesDetailed(codeString: string | null | undefined): ParsedCodes {
  const codes: number[] = [];
  let clampedCount = 0;
  if (!codeString) return { codes, clampedCount };
  for (const m of codeString.matchAll(CODE_RE)) {
    const digits = m[1];
    // Values longer than 6 digits are certainly > 63999; avoid precision loss on huge numbers.
    const raw = digits.length > 6 ? Number.POSITIVE_INFINITY : Number.parseInt(digits, 10);
    const clamped = Math.max(0, Math.min(raw, MAX_AUDIO_CODE));
    if (clamped !== raw) clampedCount++;
    codes.push(clamped);
  }
  return { codes, clampedCount };
}

export function parseAudioCodes(codeString: string | null | undefined): number[] {
  return parseAudioCodesDetailed(codeString).codes;
}

function assertCode(code: number): void {
  if (!Number.isInteger(code) || code < 0 || code > MAX_AUDIO_CODE) {
    throw new RangeError(`audio code ${code} is outside the valid range 0..${MAX_AUDIO_CODE}`);
  }
}

/** Codes → `<|audio_code_a|><|audio_code_b|>…` (no separators, as the LM emits them). */
export function formatAudioCodes(codes: Iterable<number>): string {
  let out = "";
  for (const c of codes) {
    assertCode(c);
    out += `<|audio_code_${c}|>`;
  }
  return out;
}

/** Code value → LM token id (151669 + code). */
export function codeToTokenId(code: number): number {
  assertCode(code);
  return AUDIO_CODE_TOKEN_OFFSET + code;
}

/** LM token id → code value, or null when the id is not an audio-code token. Ids for codes 64000..65534
 *  exist in the vocabulary but are invalid: they return null unless `allowInvalid` is set. */
export function tokenIdToCode(tokenId: number, allowInvalid = false): number | null {
  const code = tokenId - AUDIO_CODE_TOKEN_OFFSET;
  if (!Number.isInteger(code) || code < 0) return null;
  if (code > (allowInvalid ? NUM_AUDIO_CODE_TOKENS - 1 : MAX_AUDIO_CODE)) return null;
  return code;
}

/** True for ids 151669 … 215668 (the valid code range). */
export function isValidCodeTokenId(tokenId: number): boolean {
  return tokenIdToCode(tokenId) !== null;
}

/** LM target code count for a duration: `int(duration · 5)` (constrained_logits_processor.set_target_duration). */
export function targetCodesForDuration(durationSeconds: number): number {
  return Math.trunc(durationSeconds * CODES_PER_SECOND);
}
