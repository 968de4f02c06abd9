// The metadata FSM: constrained vocabulary, injected values, codes mode, masks and the sampling pipeline; the
// random-walk property tests are server/lm/test/fsm-properties.ts (a sample of seeds here, all in fsm.full.test.ts).
import { describe, expect, it } from "vitest";
import { generateWithLogits } from "../generate";
import { parseLmOutput } from "../prompts";
import { fakeLogitsFn, walk } from "../test/fake-model";
import { CAP, describeFsmProperties, expectValidMetadata, tok } from "../test/fsm-properties";
import { AUDIO_CODE_BASE, AUDIO_CODE_END, EOS_ID } from "../tokens";
import { createMetadataFsm } from "./fsm";
import { applyAllowed, isAllowed } from "./mask";
import { forcedSequence, getFsmVocab } from "./vocab";

describe("constrained vocab (real Qwen3 tokenizer)", () => {
  it("forces fixed strings by the longest single-token prefix, like upstream", () => {
    const v = getFsmVocab(tok);
    expect(v.fixed.get("<think>")).toEqual([151667]);
    expect(v.fixed.get("</think>")).toEqual([151668]);
    expect(v.fixed.get("keyscale:")).toEqual([10563, 2246, 25]);
    // greedy "bp"+"m"+":" — not the natural encoding [65, 5187, 25]
    expect(v.fixed.get("bpm:")).toEqual([17808, 76, 25]);
    expect(
      forcedSequence(tok, "bpm:")
        .map((i) => tok.tokenText(i))
        .join(""),
    ).toBe("bpm:");
    expect(getFsmVocab(tok, 600, true).fixed.get("bpm:")).toEqual([65, 5187, 25]);
    const fsm = createMetadataFsm({ tokenizer: tok, mode: "cot", naturalFieldNames: true });
    expect(walk(fsm, 1).slice(0, 5)).toEqual([151667, 198, 65, 5187, 25]);
  });

  it("builds tries with every allowed value", () => {
    const v = getFsmVocab(tok);
    expect(v.tries.bpm.values.length).toBe(271);
    expect(v.tries.duration.values.length).toBe(591);
    expect(getFsmVocab(tok, CAP).tries.duration.values).toEqual(["10", "11", "12"]);
    expect(v.tries.timesignature.values).toEqual(["2", "3", "4", "6"]);
    expect(v.tries.keyscale.values.length).toBe(70);
    expect(v.tries.language.values.length).toBe(51);
    // keyscale "G major" value tokens [479 " G", 3598 " major"] (ids quoted upstream)
    expect(v.tries.keyscale.root.children.get(479)?.children.get(3598)?.terminal).toBe(true);
  });
});

describeFsmProperties({ singlePass: 150, cot: 40, understand: 20 });

describe("metadata FSM — injected values, codes mode and masks", () => {
  it("injects user values verbatim (unvalidated) and still completes", () => {
    const userValues = {
      bpm: 123,
      duration: 11,
      keyscale: "C Major",
      timesignature: "4/4",
      language: "ja",
      caption: "My own caption: with colon",
    };
    for (let seed = 0; seed < 20; seed++) {
      const fsm = createMetadataFsm({ tokenizer: tok, mode: "cot+codes", userValues, maxDuration: CAP });
      const ids = walk(fsm, seed);
      const text = tok.decode(ids);
      expect(
        text.startsWith(
          "<think>\nbpm: 123\ncaption: My own caption: with colon\nduration: 11\nkeyscale: C Major\nlanguage: ja\ntimesignature: 4/4\n</think>\n\n",
        ),
      ).toBe(true);
      expect(fsm.codesCount).toBe(55);
      expect(fsm.values).toMatchObject({
        bpm: "123",
        duration: "11",
        keyscale: "C Major",
        timesignature: "4/4",
        language: "ja",
      });
    }
  });

  it("injects only the given fields and generates the rest", () => {
    for (let seed = 0; seed < 50; seed++) {
      const fsm = createMetadataFsm({
        tokenizer: tok,
        mode: "cot",
        userValues: { duration: 42 },
        captionMaxTokens: 16,
      });
      const text = tok.decode(walk(fsm, seed));
      const m = parseLmOutput(text).metadata;
      expect(m.duration).toBe(42);
      expectValidMetadata(m, { caption: true, language: true, maxDuration: 600 });
    }
  });

  it("codes mode: only valid codes, EOS forced at exactly targetDuration·5", () => {
    const fsm = createMetadataFsm({ tokenizer: tok, mode: "codes", targetDuration: 7.5 });
    const ids = walk(fsm, 3);
    expect(ids.length).toBe(38);
    expect(ids.slice(0, 37).every((i) => i >= AUDIO_CODE_BASE && i < AUDIO_CODE_END)).toBe(true);
    expect(ids[37]).toBe(EOS_ID);
    const open = createMetadataFsm({ tokenizer: tok, mode: "codes" });
    const a = open.allowedTokens();
    expect(
      isAllowed(a, EOS_ID) && isAllowed(a, AUDIO_CODE_BASE) && !isAllowed(a, AUDIO_CODE_END) && !isAllowed(a, 198),
    ).toBe(true);
  });

  it("applyMask leaves exactly the allowed tokens finite", () => {
    const fsm = createMetadataFsm({ tokenizer: tok, mode: "codes", targetCodes: 2 });
    const l = new Float32Array(217204).fill(1);
    const a = fsm.applyMask(l);
    let finite = 0;
    const finiteButBlocked: number[] = [];
    for (let i = 0; i < l.length; i++)
      if (l[i] > -Infinity) {
        finite++;
        if (!isAllowed(a, i)) finiteButBlocked.push(i);
      }
    expect(finiteButBlocked).toEqual([]);
    expect(finite).toBe(64000);
    const l2 = new Float32Array(10).fill(0);
    applyAllowed(l2, { kind: "only", ids: Int32Array.of(3), ranges: [[6, 8]] });
    expect([...l2].map((v) => v > -Infinity)).toEqual([
      false,
      false,
      false,
      true,
      false,
      false,
      true,
      true,
      false,
      false,
    ]);
  });
});

describe("generateWithLogits + FSM with the full sampling pipeline", () => {
  it("produces valid, reproducible results with CFG, top-p and temperature", async () => {
    const cond = tok.encode("<|im_start|>user\nx<|im_end|>\n<|im_start|>assistant\n");
    const uncond = tok.encode("<|im_start|>user\nNO USER INPUT<|im_end|>\n<|im_start|>assistant\n");
    const run = (seed: number) =>
      generateWithLogits(fakeLogitsFn(seed), {
        prompt: cond,
        uncondPrompt: uncond,
        seed,
        maxNewTokens: 400,
        fsm: createMetadataFsm({ tokenizer: tok, mode: "cot+codes", maxDuration: 10, captionMaxTokens: 12 }),
        sampling: { cfgScale: 2, temperature: 0.85, topP: 0.9, repetitionPenalty: 1.1 },
      });
    for (let seed = 0; seed < 3; seed++) {
      const r = await run(seed);
      expect(r.stopReason).toBe("stop");
      const { metadata, audioCodes } = parseLmOutput(tok.decode(r.tokens));
      expectValidMetadata(metadata, { caption: true, language: true, maxDuration: 10 });
      expect(audioCodes.split("<|audio_code_").length - 1).toBe(50);
      expect(r.forwardCalls).toBeLessThan(2 * r.tokens.length); // forced steps skip the model
    }
    expect((await run(7)).tokens).toEqual((await run(7)).tokens);
  });
});
