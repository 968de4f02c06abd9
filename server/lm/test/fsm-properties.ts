// The metadata FSM's property tests: random walks over the allowed tokens (a seeded random-logits model) must
// always give parseable metadata with allowed values, in upstream's field order. server/lm/constrained/fsm.test.ts
// runs a sample of seeds in `npm test`; fsm.full.test.ts runs 1000 / 200 / 100 of them.
import { describe, expect, it } from "vitest";
import { parseLmOutput, type ParsedLmMetadata } from "../prompts";
import { walk } from "./fake-model";
import { realTokenizer } from "./real-tokenizer";
import { AUDIO_CODE_BASE, AUDIO_CODE_END, EOS_ID, IM_END_ID, THINK_END_ID } from "../tokens";
import { KEYSCALES, VALID_LANGUAGES } from "../constrained/constants";
import { createMetadataFsm, type MetadataFsmOptions } from "../constrained/fsm";

export const tok = realTokenizer();
export const CAP = 12; // memory-tier style duration cap: ≤ 60 codes per generation

export function expectValidMetadata(
  m: ParsedLmMetadata,
  o: { caption: boolean; language: boolean; genres?: boolean; maxDuration: number },
) {
  expect(typeof m.bpm).toBe("number");
  expect(m.bpm as number).toBeGreaterThanOrEqual(30);
  expect(m.bpm as number).toBeLessThanOrEqual(300);
  expect(typeof m.duration).toBe("number");
  expect(m.duration as number).toBeGreaterThanOrEqual(10);
  expect(m.duration as number).toBeLessThanOrEqual(o.maxDuration);
  expect(KEYSCALES).toContain(m.keyscale);
  expect(["2", "3", "4", "6"]).toContain(m.timesignature);
  if (o.language) expect(VALID_LANGUAGES).toContain(m.language);
  else expect(m.language).toBeUndefined();
  if (o.caption) expect((m.caption ?? "").length).toBeGreaterThan(0);
  else expect(m.caption).toBeUndefined();
  if (o.genres) expect((m.genres ?? "").length).toBeGreaterThan(0);
}

/** Field names at line starts, in order. */
export const fieldOrder = (cot: string) =>
  cot
    .split("\n")
    .map((l) => /^(\w+):/.exec(l)?.[1])
    .filter(Boolean);

export interface FsmPropertyRuns {
  /** cot+codes walks (varying caption caps, skipped caption / language) */
  singlePass: number;
  /** phase-1 (cot) walks that stop at EOS */
  cot: number;
  /** understand-mode walks */
  understand: number;
}

export function describeFsmProperties(runs: FsmPropertyRuns): void {
  describe("metadata FSM — property tests with a seeded random-logits model", () => {
    it(`${runs.singlePass} single-pass generations: metadata parses, every value is allowed, codes = duration·5 exactly`, () => {
      for (let seed = 0; seed < runs.singlePass; seed++) {
        const opts: MetadataFsmOptions = {
          tokenizer: tok,
          mode: "cot+codes",
          maxDuration: CAP,
          captionMaxTokens: seed % 10 === 0 ? 512 : 24,
          skipCaption: seed % 5 === 1,
          skipLanguage: seed % 7 === 2,
        };
        const fsm = createMetadataFsm(opts);
        const ids = walk(fsm, seed);
        expect(fsm.done).toBe(true);
        expect(ids[0]).toBe(151667);
        const end = ids.indexOf(THINK_END_ID);
        expect(end).toBeGreaterThan(0);
        expect(ids[end + 1]).toBe(271); // "\n\n"
        const head = ids.slice(0, end + 1);
        expect(head.some((i) => i >= AUDIO_CODE_BASE || i === IM_END_ID)).toBe(false);
        const codes = ids.slice(end + 2, -1);
        expect(ids[ids.length - 1]).toBe(EOS_ID);
        expect(codes.every((i) => i >= AUDIO_CODE_BASE && i < AUDIO_CODE_END)).toBe(true);
        const text = tok.decode(ids);
        const { metadata, audioCodes } = parseLmOutput(text);
        expectValidMetadata(metadata, { caption: !opts.skipCaption, language: !opts.skipLanguage, maxDuration: CAP });
        expect(codes.length).toBe((metadata.duration as number) * 5);
        expect(audioCodes.split("<|audio_code_").length - 1).toBe(codes.length);
        const expectedOrder = ["bpm", "caption", "duration", "keyscale", "language", "timesignature"].filter(
          (f) => !(f === "caption" && opts.skipCaption) && !(f === "language" && opts.skipLanguage),
        );
        expect(fieldOrder(text.slice(0, text.indexOf("</think>")))).toEqual(expectedOrder);
      }
    });

    it("phase 1 (cot) stops with EOS where </think> would go (stop_at_reasoning)", () => {
      for (let seed = 0; seed < runs.cot; seed++) {
        const fsm = createMetadataFsm({ tokenizer: tok, mode: "cot", captionMaxTokens: 24 });
        const ids = walk(fsm, seed);
        expect(ids[ids.length - 1]).toBe(EOS_ID);
        expect(ids.includes(THINK_END_ID)).toBe(false);
        const text = tok.decode(ids);
        expect(text).toMatch(/^<think>\nbpm: \d+\ncaption:/);
        expect(text).toMatch(/\ntimesignature: [2346]\n<\|im_end\|>$/);
        expectValidMetadata(parseLmOutput(text).metadata, { caption: true, language: true, maxDuration: 600 });
      }
    });

    it("understand mode: genres line, then free text that never contains audio codes", () => {
      for (let seed = 0; seed < runs.understand; seed++) {
        const fsm = createMetadataFsm({
          tokenizer: tok,
          mode: "understand",
          captionMaxTokens: 24,
          genresMaxTokens: 12,
        });
        const ids = walk(fsm, seed, 400);
        const end = ids.indexOf(THINK_END_ID);
        expect(end).toBeGreaterThan(0);
        expect(ids.slice(end + 1).some((i) => i >= AUDIO_CODE_BASE)).toBe(false);
        const text = tok.decode(ids.slice(0, end + 1));
        const m = parseLmOutput(text).metadata;
        expectValidMetadata(m, { caption: true, language: true, genres: true, maxDuration: 600 });
        expect(fieldOrder(text)).toEqual([
          "bpm",
          "caption",
          "duration",
          "genres",
          "keyscale",
          "language",
          "timesignature",
        ]);
      }
    });
  });
}
