// Lyric-branch prompt. Ports acestep/handler.py `_format_lyrics` (ace-step/ACE-Step-1.5 @ f30aee4; later
// upstream names the same template `LYRIC_GEN_PROMPT` in acestep/constants.py).

/** `LYRIC_GEN_PROMPT` with `{}` placeholders (language, lyrics). Ends in `<|endoftext|>`, no newline. */
export const LYRIC_GEN_PROMPT = "# Languages\n{}\n\n# Lyric\n{}<|endoftext|>";

/** Lyrics string used for instrumental songs; no separate flag reaches the DiT. */
export const INSTRUMENTAL_LYRICS = "[Instrumental]";

/**
 * `_format_lyrics(lyrics, language)` → `# Languages\n{language}\n\n# Lyric\n{lyrics}<|endoftext|>`.
 * The language is inserted verbatim (upstream does not validate it here).
 */
export function formatLyricPrompt(lyrics: string, language: string): string {
  return `# Languages\n${language}\n\n# Lyric\n${lyrics}<|endoftext|>`;
}
