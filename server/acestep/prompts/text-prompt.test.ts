import { describe, expect, it } from "vitest";
import {
  DEFAULT_METAS,
  SFT_GEN_PROMPT,
  extractCaptionFromSftFormat,
  formatMetas,
  formatTextPrompt,
  withTokenizerEos,
} from "./text-prompt";

describe("SFT_GEN_PROMPT", () => {
  it("is the exact template", () => {
    expect(SFT_GEN_PROMPT).toBe("# Instruction\n{}\n\n# Caption\n{}\n\n# Metas\n{}<|endoftext|>\n");
  });

  it("formats the default metas with N/A and 30 seconds", () => {
    expect(DEFAULT_METAS).toBe("- bpm: N/A\n- timesignature: N/A\n- keyscale: N/A\n- duration: 30 seconds\n");
    expect(formatMetas()).toBe(DEFAULT_METAS);
    expect(formatMetas({ bpm: null, keyscale: "  ", timesignature: "", duration: -1 })).toBe(DEFAULT_METAS);
    expect(formatMetas({ bpm: 0, timesignature: "N/A", duration: 0 })).toBe(DEFAULT_METAS);
  });

  it("orders bpm, timesignature, keyscale, duration and truncates the duration", () => {
    expect(formatMetas({ bpm: 128, keyscale: "F# minor", timesignature: "4", duration: 30.9 })).toBe(
      "- bpm: 128\n- timesignature: 4\n- keyscale: F# minor\n- duration: 30 seconds\n",
    );
    expect(formatMetas({ duration: 183.165 })).toBe(
      "- bpm: N/A\n- timesignature: N/A\n- keyscale: N/A\n- duration: 183 seconds\n",
    );
    expect(formatMetas({ timesignature: 3 })).toContain("- timesignature: 3\n");
  });

  it("builds the full text prompt for text2music", () => {
    expect(
      formatTextPrompt({
        instruction: "Fill the audio semantic mask based on the given conditions:",
        caption: "upbeat electronic dance music with heavy bass",
        metas: { bpm: 128, duration: 30 },
      }),
    ).toBe(
      "# Instruction\nFill the audio semantic mask based on the given conditions:\n\n" +
        "# Caption\nupbeat electronic dance music with heavy bass\n\n" +
        "# Metas\n- bpm: 128\n- timesignature: N/A\n- keyscale: N/A\n- duration: 30 seconds\n<|endoftext|>\n",
    );
  });

  it("appends the missing colon to the instruction", () => {
    expect(formatTextPrompt({ instruction: "Extract the VOCALS track from the audio", caption: "x" })).toMatch(
      /^# Instruction\nExtract the VOCALS track from the audio:\n\n# Caption\nx\n\n# Metas\n/,
    );
  });

  it("keeps only the # Caption section of a caption that is itself an SFT prompt", () => {
    const sft = "# Instruction\nFoo:\n\n# Caption\n  jazz piano trio \n\n# Metas\n- bpm: 90\n";
    expect(extractCaptionFromSftFormat(sft)).toBe("jazz piano trio");
    expect(extractCaptionFromSftFormat("# Instruction\nX\n# Caption\nline1\nline2\n")).toBe("line1\nline2");
    expect(extractCaptionFromSftFormat("# Caption only\nno instruction")).toBe("# Caption only\nno instruction");
    expect(formatTextPrompt({ instruction: "I:", caption: sft })).toContain("# Caption\njazz piano trio\n\n# Metas\n");
  });

  it("shows the tokenizer's extra EOS separately", () => {
    expect(withTokenizerEos("a<|endoftext|>\n")).toBe("a<|endoftext|>\n<|endoftext|>");
  });
});
