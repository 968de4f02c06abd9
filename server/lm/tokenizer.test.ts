import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createLmTokenizer, loadLmTokenizer } from "./tokenizer";
import { QWEN3_TOKENIZER_JSON, realTokenizer } from "./test/real-tokenizer";
import {
  AUDIO_CODE_BASE,
  AUDIO_CODE_END,
  DOUBLE_NEWLINE_ID,
  ENDOFTEXT_ID,
  IM_END_ID,
  IM_START_ID,
  LM_VOCAB_SIZE,
  NEWLINE_ID,
  SPACE_ID,
  THINK_END_ID,
  THINK_ID,
} from "./tokens";

describe("LmTokenizer on the real Qwen3 tokenizer", () => {
  const tok = realTokenizer();

  it("resolves every named special id to the real tokenizer's id", () => {
    expect(tok.encode("<|endoftext|>")).toEqual([ENDOFTEXT_ID]);
    expect(tok.encode("<|im_start|>")).toEqual([IM_START_ID]);
    expect(tok.encode("<|im_end|>")).toEqual([IM_END_ID]);
    expect(tok.encode("<think>")).toEqual([THINK_ID]);
    expect(tok.encode("</think>")).toEqual([THINK_END_ID]);
    expect(tok.encode("\n")).toEqual([NEWLINE_ID]);
    expect(tok.encode("\n\n")).toEqual([DOUBLE_NEWLINE_ID]);
    expect(tok.tokenToId("Ġ")).toBe(SPACE_ID);
    expect(tok.tokenToId("<|im_end|>")).toBe(IM_END_ID);
    expect([ENDOFTEXT_ID, IM_START_ID, IM_END_ID, THINK_ID, THINK_END_ID]).toEqual([
      151643, 151644, 151645, 151667, 151668,
    ]);
    expect([AUDIO_CODE_BASE, AUDIO_CODE_END, LM_VOCAB_SIZE]).toEqual([151669, 215669, 217204]);
  });

  it("encodes the ids quoted upstream", () => {
    expect(tok.encode("keyscale: G major")).toEqual([10563, 2246, 25, 479, 3598]);
    expect(tok.encode("<|im_start|>system\n# Instruction\n")).toEqual([151644, 8948, 198, 2, 29051, 198]);
    expect(tok.encode("bpm: 120")).toEqual([65, 5187, 25, 220, 16, 17, 15]); // digits are single tokens
  });

  it("maps audio codes arithmetically in both directions", () => {
    const ids = tok.encode("a<|audio_code_0|><|audio_code_63999|><|audio_code_65534|>b");
    expect(ids).toEqual([64, 151669, 215668, 217203, 65]);
    expect(tok.decode(ids)).toBe("a<|audio_code_0|><|audio_code_63999|><|audio_code_65534|>b");
    // not vocabulary tokens → plain text
    expect(tok.encode("<|audio_code_65535|>").length).toBeGreaterThan(1);
    expect(tok.encode("<|audio_code_007|>").length).toBeGreaterThan(1);
  });

  it("decodes with specials kept and round-trips unicode", () => {
    const s =
      "<|im_start|>assistant\n<think>\nkeyscale: E♭ major\ncaption: héllo 🎵 世界\n</think>\n\n<|audio_code_12|><|im_end|>";
    expect(tok.decode(tok.encode(s))).toBe(s);
    expect(tok.tokenText(145761)).toBe("♭");
    expect(tok.tokenText(AUDIO_CODE_BASE + 7)).toBe("<|audio_code_7|>");
  });

  it("caches tokenizers per path", () => {
    expect(loadLmTokenizer(QWEN3_TOKENIZER_JSON)).toBe(tok);
  });

  it("strips a checkpoint's 65 535 audio-code added tokens and checks their ids", () => {
    const json = JSON.parse(readFileSync(QWEN3_TOKENIZER_JSON, "utf8"));
    const codes = Array.from({ length: 65535 }, (_, n) => ({
      id: AUDIO_CODE_BASE + n,
      content: `<|audio_code_${n}|>`,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: false,
    }));
    const t0 = Date.now();
    const t = createLmTokenizer({ ...json, added_tokens: [...json.added_tokens, ...codes] }, {});
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(t.declaredAudioCodes).toBe(65535);
    expect(t.encode("<|audio_code_5|>x")).toEqual([151674, 87]);
    const bad = [...json.added_tokens, { ...codes[0], id: 999999 }];
    expect(() => createLmTokenizer({ ...json, added_tokens: bad }, {})).toThrow(/expected 151669/);
  });
});
