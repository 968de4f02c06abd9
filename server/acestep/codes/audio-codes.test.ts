import { describe, expect, it } from "vitest";
import {
  codeToTokenId,
  formatAudioCodes,
  isValidCodeTokenId,
  parseAudioCodes,
  parseAudioCodesDetailed,
  targetCodesForDuration,
  tokenIdToCode,
} from "./audio-codes";

describe("audio code strings", () => {
  it("parses concatenated code tokens in order", () => {
    expect(parseAudioCodes("<|audio_code_0|><|audio_code_123|><|audio_code_63999|>")).toEqual([0, 123, 63999]);
  });

  it("clamps values above 63999 and counts them", () => {
    expect(
      parseAudioCodesDetailed("<|audio_code_64000|><|audio_code_65534|><|audio_code_99999999999999999999|>"),
    ).toEqual({ codes: [63999, 63999, 63999], clampedCount: 3 });
  });

  it("ignores garbage between, before and after codes", () => {
    expect(
      parseAudioCodes("<think>bpm: 120</think>\n<|audio_code_5|> xx <|audio_code_-3|><|audio_code_7|>junk"),
    ).toEqual([5, 7]);
    expect(parseAudioCodes("<|audio_code_|><|audio_code_1 |>")).toEqual([]);
    expect(parseAudioCodes("")).toEqual([]);
    expect(parseAudioCodes(undefined)).toEqual([]);
  });

  it("keeps leading zeros as decimal", () => {
    expect(parseAudioCodes("<|audio_code_007|>")).toEqual([7]);
  });

  it("formats codes back without separators and round-trips", () => {
    const s = formatAudioCodes([1, 2, 63999]);
    expect(s).toBe("<|audio_code_1|><|audio_code_2|><|audio_code_63999|>");
    expect(parseAudioCodes(s)).toEqual([1, 2, 63999]);
    expect(() => formatAudioCodes([64000])).toThrow(RangeError);
    expect(() => formatAudioCodes([1.5])).toThrow(RangeError);
  });

  it("maps codes to LM token ids 151669 + code", () => {
    expect(codeToTokenId(0)).toBe(151669);
    expect(codeToTokenId(63999)).toBe(215668);
    expect(tokenIdToCode(151669)).toBe(0);
    expect(tokenIdToCode(215668)).toBe(63999);
    expect(tokenIdToCode(215669)).toBeNull();
    expect(tokenIdToCode(215669, true)).toBe(64000);
    expect(tokenIdToCode(217203, true)).toBe(65534);
    expect(tokenIdToCode(217204, true)).toBeNull();
    expect(tokenIdToCode(151668)).toBeNull();
    expect(isValidCodeTokenId(151645)).toBe(false);
  });

  it("targets int(duration·5) codes", () => {
    expect(targetCodesForDuration(30)).toBe(150);
    expect(targetCodesForDuration(10.39)).toBe(51);
    expect(targetCodesForDuration(600)).toBe(3000);
  });
});
