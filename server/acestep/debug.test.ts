import { describe, expect, it } from "vitest";
import { debugCodes, debugPrompt, debugSchedule } from "./debug";

describe("debug helpers", () => {
  it("prints the exact prompts for a task", () => {
    expect(
      debugPrompt({
        caption: "dreamy synthwave",
        lyrics: "[Verse]\nneon lights",
        bpm: 100,
        keyscale: "A minor",
        timesignature: "4",
        duration: 45.7,
        language: "en",
      }),
    ).toEqual({
      textPrompt:
        "# Instruction\nFill the audio semantic mask based on the given conditions:\n\n# Caption\ndreamy synthwave\n\n" +
        "# Metas\n- bpm: 100\n- timesignature: 4\n- keyscale: A minor\n- duration: 45 seconds\n<|endoftext|>\n",
      lyricPrompt: "# Languages\nen\n\n# Lyric\n[Verse]\nneon lights<|endoftext|>",
    });
  });

  it("uses the track in the instruction and defaults the language to unknown", () => {
    const p = debugPrompt({ caption: "c", lyrics: "", task: "lego", track: "drums" });
    expect(p.textPrompt.startsWith("# Instruction\nGenerate the DRUMS track based on the audio context:\n\n")).toBe(
      true,
    );
    expect(p.textPrompt).toContain("- duration: 30 seconds\n");
    expect(p.lyricPrompt).toBe("# Languages\nunknown\n\n# Lyric\n<|endoftext|>");
    expect(debugPrompt({ caption: "c", lyrics: "", task: "complete", track: ["bass", "fx"] }).textPrompt).toContain(
      "Complete the input track with BASS | FX:",
    );
  });

  it("returns closed schedules", () => {
    expect(debugSchedule({ model: "turbo", shift: 3 })).toEqual([
      1.0, 0.9545454545454546, 0.9, 0.8333333333333334, 0.75, 0.6428571428571429, 0.5, 0.3, 0,
    ]);
    expect(debugSchedule({ model: "base", shift: 1, steps: 4 })).toEqual([1, 0.75, 0.5, 0.25, 0]);
  });

  it("decodes codes into digits and values", () => {
    const [a, b] = debugCodes("<|audio_code_35847|> <|audio_code_70000|>");
    expect(a.index).toBe(35847);
    expect(a.digits).toEqual([7, 0, 0, 0, 4, 2]);
    expect(a.values).toEqual([1, -1, -1, -1, 1, 0]);
    expect(b.index).toBe(63999);
  });
});
