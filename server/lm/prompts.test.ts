import { describe, expect, it } from "vitest";
import golden from "./test/yaml-golden.json";
import {
  buildCodesPrompts,
  buildCotPrompt,
  buildCotUncondPrompt,
  buildCreateSamplePrompt,
  buildFormatSamplePrompt,
  buildUnderstandPrompt,
  extractLyrics,
  formatMetadataAsCot,
  formatMetadataYaml,
  parseLmOutput,
} from "./prompts";
import { dumpYamlMapping } from "./yaml";

const SYS_GEN =
  "<|im_start|>system\n# Instruction\nGenerate audio semantic tokens based on the given conditions:\n\n<|im_end|>\n";
const USER_CL = "<|im_start|>user\n# Caption\nA calm piano melody\n\n# Lyric\n[Instrumental]\n<|im_end|>\n";

describe("generate_music prompts", () => {
  it("renders the phase-1 CoT prompt byte-exactly", () => {
    expect(buildCotPrompt("A calm piano melody", "[Instrumental]")).toBe(
      "<|im_start|>system\n# Instruction\nGenerate audio semantic tokens based on the given conditions:\n\n<|im_end|>\n" +
        "<|im_start|>user\n# Caption\nA calm piano melody\n\n# Lyric\n[Instrumental]\n<|im_end|>\n" +
        "<|im_start|>assistant\n",
    );
  });

  it("keeps an empty lyric as `# Lyric\\n\\n`", () => {
    expect(buildCotPrompt("c", "")).toContain("<|im_start|>user\n# Caption\nc\n\n# Lyric\n\n<|im_end|>\n");
  });

  it("renders the phase-1 unconditional prompt for default and meaningful negatives", () => {
    expect(buildCotUncondPrompt("la la")).toBe(
      SYS_GEN + "<|im_start|>user\n# Lyric\nla la\n<|im_end|>\n<|im_start|>assistant\n",
    );
    expect(buildCotUncondPrompt("la la", "")).toBe(buildCotUncondPrompt("la la"));
    expect(buildCotUncondPrompt("la la", "harsh noise")).toBe(
      SYS_GEN + "<|im_start|>user\n# Caption\nharsh noise\n\n# Lyric\nla la\n<|im_end|>\n<|im_start|>assistant\n",
    );
  });

  const meta = {
    bpm: 120,
    caption: "Warm lo-fi",
    duration: 30,
    keyscale: "G major",
    language: "en",
    timesignature: "4/4",
  };
  const yaml = "bpm: 120\ncaption: Warm lo-fi\nduration: 30\nkeyscale: G major\nlanguage: en\ntimesignature: 4";

  it("renders the training-aligned (open-turn) phase-2 prompts by default", () => {
    const p = buildCodesPrompts({ caption: "A calm piano melody", lyrics: "[Instrumental]", metadata: meta });
    expect(p.cond).toBe(SYS_GEN + USER_CL + "<|im_start|>assistant\n<think>\n" + yaml + "\n</think>\n\n");
    expect(p.uncond).toBe(
      SYS_GEN + "<|im_start|>user\nNO USER INPUT<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
    );
    const n = buildCodesPrompts({ caption: "x", lyrics: "", metadata: {}, negative: "distorted" });
    expect(n.uncond).toBe(
      SYS_GEN + "<|im_start|>user\ndistorted<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
    );
    expect(n.cond.endsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n")).toBe(true);
    const legacy = buildCodesPrompts({
      caption: "A calm piano melody",
      lyrics: "[Instrumental]",
      metadata: meta,
      legacyUncond: true,
    });
    expect(legacy.uncond).toBe(SYS_GEN + USER_CL + "<|im_start|>assistant\n<think>\n\n</think>\n\n");
  });

  it("renders the f30aee4 closed-turn phase-2 prompts as an option", () => {
    const p = buildCodesPrompts({
      caption: "A calm piano melody",
      lyrics: "[Instrumental]",
      metadata: meta,
      layout: "closed",
    });
    expect(p.cond).toBe(SYS_GEN + USER_CL + "<|im_start|>assistant\n<think>\n" + yaml + "\n</think>\n\n<|im_end|>\n");
    expect(p.uncond).toBe(SYS_GEN + USER_CL + "<|im_start|>assistant\n<think>\n\n</think>\n\n<|im_end|>\n");
    const n = buildCodesPrompts({
      caption: "A calm piano melody",
      lyrics: "[Instrumental]",
      metadata: meta,
      layout: "closed",
      negative: "noise",
    });
    expect(n.uncond).toContain("<|im_start|>user\n# Caption\nnoise\n\n# Lyric\n[Instrumental]\n<|im_end|>\n");
  });
});

describe("understand / create_sample / format_sample prompts", () => {
  it("understand: codes as the user turn, NO USER INPUT when empty", () => {
    expect(buildUnderstandPrompt("<|audio_code_1|><|audio_code_2|>")).toBe(
      "<|im_start|>system\n# Instruction\nUnderstand the given musical conditions and describe the audio semantics accordingly:\n\n<|im_end|>\n" +
        "<|im_start|>user\n<|audio_code_1|><|audio_code_2|><|im_end|>\n<|im_start|>assistant\n",
    );
    expect(buildUnderstandPrompt("")).toContain("<|im_start|>user\nNO USER INPUT<|im_end|>\n");
  });

  it("create_sample: query + instrumental flag", () => {
    expect(buildCreateSamplePrompt("a sad song about rain", true)).toBe(
      "<|im_start|>system\n# Instruction\nExpand the user's input into a more detailed and specific musical description:\n\n<|im_end|>\n" +
        "<|im_start|>user\na sad song about rain\n\ninstrumental: true<|im_end|>\n<|im_start|>assistant\n",
    );
    expect(buildCreateSamplePrompt("", false)).toContain(
      "<|im_start|>user\nNO USER INPUT\n\ninstrumental: false<|im_end|>\n",
    );
  });

  it("format_sample: no trailing newline after the lyrics; defaults for empty inputs", () => {
    expect(buildFormatSamplePrompt("rock", "[Verse]\nhey")).toBe(
      "<|im_start|>system\n# Instruction\nFormat the user's input into a more detailed and specific musical description:\n\n<|im_end|>\n" +
        "<|im_start|>user\n# Caption\nrock\n\n# Lyric\n[Verse]\nhey<|im_end|>\n<|im_start|>assistant\n",
    );
    expect(buildFormatSamplePrompt("", "")).toContain(
      "<|im_start|>user\n# Caption\nNO USER INPUT\n\n# Lyric\n[Instrumental]<|im_end|>\n",
    );
  });
});

describe("CoT re-serialisation (PyYAML 6.0.3 golden outputs)", () => {
  it.each(golden as { in: Record<string, string | number>; out: string }[])(
    "dumps %j like PyYAML",
    ({ in: items, out }) => {
      expect(dumpYamlMapping(items)).toBe(out);
    },
  );

  it("normalises time signatures and digit strings, drops genres and nulls", () => {
    expect(
      formatMetadataYaml({ bpm: "120", timesignature: "3/4", genres: "pop", keyscale: null, duration: "30" }),
    ).toBe("bpm: 120\nduration: 30\ntimesignature: 3");
    expect(formatMetadataYaml({ timesignature: "6/8" })).toBe("timesignature: 6/8");
    expect(formatMetadataAsCot({})).toBe("<think>\n\n</think>");
    expect(formatMetadataAsCot({ language: "no" })).toBe("<think>\nlanguage: 'no'\n</think>");
  });
});

describe("parseLmOutput / extractLyrics", () => {
  it("parses the real phase-1 output of upstream issue #1101", () => {
    const { metadata, audioCodes } = parseLmOutput(
      "<think>\nbpm: 168\nduration: 122\nkeyscale: E♭ major\nlanguage: unknown\ntimesignature: 4\n<|im_end|>",
    );
    expect(metadata).toEqual({
      bpm: 168,
      duration: 122,
      keyscale: "E♭ major",
      language: "unknown",
      timesignature: "4",
    });
    expect(audioCodes).toBe("");
  });

  it("joins folded caption lines, collects codes, keeps YAML quotes", () => {
    const text =
      "<think>\nbpm: 73\ncaption: An upbeat track with guitars,\n  punchy drums\n\n  and more\nduration: 273\ngenres: Chinese folk\n" +
      "keyscale: G major\nlanguage: 'no'\ntimesignature: 4\n</think>\n\n<|audio_code_56535|><|audio_code_62918|><|im_end|>";
    const { metadata, audioCodes } = parseLmOutput(text);
    expect(metadata).toEqual({
      bpm: 73,
      caption: "An upbeat track with guitars, punchy drums and more",
      duration: 273,
      genres: "Chinese folk",
      keyscale: "G major",
      language: "'no'",
      timesignature: "4",
    });
    expect(audioCodes).toBe("<|audio_code_56535|><|audio_code_62918|>");
  });

  it("falls back to the text before the first code when there is no </think>", () => {
    expect(parseLmOutput("bpm: 90\nduration: x\n<|audio_code_1|>").metadata).toEqual({ bpm: 90, duration: "x" });
  });

  it("extracts lyrics after </think>, dropping a `# Lyric` header and <|im_end|>", () => {
    expect(extractLyrics("<think>\nbpm: 1\n</think>\n\n# Lyric\n[Verse]\nhello\n<|im_end|>")).toBe("[Verse]\nhello");
    expect(extractLyrics("<think>\n</think>\n[Chorus]\nla<|im_end|>")).toBe("[Chorus]\nla");
    expect(extractLyrics("no think")).toBe("");
    // upstream regex `^#\s*Lyri[c|cs]?\s*\n` is a character class: a "# Lyrics" header is NOT removed
    expect(extractLyrics("<think>\n</think>\n# Lyrics\nla")).toBe("# Lyrics\nla");
  });
});
