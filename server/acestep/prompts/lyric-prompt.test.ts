import { describe, expect, it } from "vitest";
import { LYRIC_GEN_PROMPT, formatLyricPrompt } from "./lyric-prompt";

describe("lyric prompt", () => {
  it("matches the exact template", () => {
    expect(LYRIC_GEN_PROMPT).toBe("# Languages\n{}\n\n# Lyric\n{}<|endoftext|>");
    expect(formatLyricPrompt("[Verse]\nhello", "en")).toBe("# Languages\nen\n\n# Lyric\n[Verse]\nhello<|endoftext|>");
  });

  it("keeps instrumental and empty lyrics verbatim", () => {
    expect(formatLyricPrompt("[Instrumental]", "unknown")).toBe(
      "# Languages\nunknown\n\n# Lyric\n[Instrumental]<|endoftext|>",
    );
    expect(formatLyricPrompt("", "ja")).toBe("# Languages\nja\n\n# Lyric\n<|endoftext|>");
  });
});
