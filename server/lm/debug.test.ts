import { describe, expect, it } from "vitest";
import { debugLmPrompt } from "./debug";
import { realTokenizer } from "./test/real-tokenizer";

describe("debugLmPrompt", () => {
  const tokenizer = realTokenizer();

  it("returns the exact phase-1 prompt and its ids", () => {
    const { prompt, ids } = debugLmPrompt({ mode: "cot", caption: "rock", lyrics: "", tokenizer });
    expect(prompt.endsWith("# Lyric\n\n<|im_end|>\n<|im_start|>assistant\n")).toBe(true);
    expect(ids.slice(0, 6)).toEqual([151644, 8948, 198, 2, 29051, 198]);
    expect(ids.slice(-3)).toEqual([151644, 77091, 198]);
    expect(tokenizer.decode(ids)).toBe(prompt);
  });

  it("renders phase-2 cond/uncond and understand prompts with audio-code ids", () => {
    const cond = debugLmPrompt({ mode: "codes", caption: "rock", lyrics: "", metadata: { bpm: 120 }, tokenizer });
    expect(cond.prompt.endsWith("<think>\nbpm: 120\n</think>\n\n")).toBe(true);
    expect(cond.ids.slice(-2)).toEqual([151668, 271]);
    const uncond = debugLmPrompt({ mode: "codes", uncond: true, metadata: { bpm: 120 }, tokenizer });
    expect(uncond.prompt).toContain("<|im_start|>user\nNO USER INPUT<|im_end|>\n");
    const u = debugLmPrompt({ mode: "understand", codes: "<|audio_code_3|><|audio_code_4|>", tokenizer });
    expect(u.ids).toContain(151672);
    expect(u.ids).toContain(151673);
  });
});
