// Language lists. Ports acestep/constants.py `VALID_LANGUAGES` (ace-step/ACE-Step-1.5 @ f30aee4) and the
// `language` combo of ComfyUI's `TextEncodeAceStepAudio1.5` (Comfy-Org/ComfyUI comfy/text_encoders/ace15.py).

/** The 51 official vocal-language codes (50 ISO codes + `unknown`), in upstream order. */
export const VALID_LANGUAGES = [
  "ar",
  "az",
  "bg",
  "bn",
  "ca",
  "cs",
  "da",
  "de",
  "el",
  "en",
  "es",
  "fa",
  "fi",
  "fr",
  "he",
  "hi",
  "hr",
  "ht",
  "hu",
  "id",
  "is",
  "it",
  "ja",
  "ko",
  "la",
  "lt",
  "ms",
  "ne",
  "nl",
  "no",
  "pa",
  "pl",
  "pt",
  "ro",
  "ru",
  "sa",
  "sk",
  "sr",
  "sv",
  "sw",
  "ta",
  "te",
  "th",
  "tl",
  "tr",
  "uk",
  "ur",
  "vi",
  "yue",
  "zh",
  "unknown",
] as const;

export type VocalLanguage = (typeof VALID_LANGUAGES)[number];

/** The 23 languages offered by ComfyUI's TextEncodeAceStepAudio1.5 node, in its order. */
export const COMFY_LANGUAGES = [
  "en",
  "ja",
  "zh",
  "es",
  "de",
  "fr",
  "pt",
  "ru",
  "it",
  "nl",
  "pl",
  "tr",
  "vi",
  "cs",
  "fa",
  "id",
  "ko",
  "uk",
  "hu",
  "ar",
  "sv",
  "ro",
  "el",
] as const satisfies readonly VocalLanguage[];

/** GenerationParams.vocal_language default (Python API). The REST API and Feb handler default to "en". */
export const DEFAULT_VOCAL_LANGUAGE: VocalLanguage = "unknown";

export function isValidLanguage(code: string): code is VocalLanguage {
  return (VALID_LANGUAGES as readonly string[]).includes(code);
}
