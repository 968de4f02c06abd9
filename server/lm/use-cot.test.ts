import { describe, expect, it } from "vitest";
import {
  buildUserMetadata,
  codesTargetDuration,
  cotCfgScale,
  cotMetadataForCodes,
  createSampleFsmOptions,
  formatSampleFsmOptions,
  maxNewTokensFor,
  mergeLmOutputs,
  planLm,
  type LmGenerationParams,
} from "./use-cot";
import { formatMetadataYaml } from "./prompts";

const base: LmGenerationParams = {
  caption: "dreamy synthwave",
  lyrics: "[Instrumental]",
  thinking: true,
  useCotMetas: true,
  useCotCaption: true,
  useCotLanguage: true,
};

describe("use_cot_* planning", () => {
  it("builds user metadata only from meaningful values", () => {
    expect(buildUserMetadata({ bpm: 120.7, keyscale: " N/A ", timesignature: " 3/4 ", duration: 61.9 })).toEqual({
      bpm: 120,
      timesignature: "3/4",
      duration: 61,
    });
    expect(buildUserMetadata({ bpm: 0, keyscale: "", duration: -1 })).toEqual({});
  });

  it("runs phase 1 unless all four metas were given, with skip flags from use_cot_caption/language", () => {
    const p = planLm({ ...base, useCotCaption: false, bpm: 90 });
    expect(p).toMatchObject({ useLm: true, inferType: "llm_dit", runCot: true, runCodes: true });
    expect(p.cot).toEqual({ skipCaption: true, skipLanguage: false, skipGenres: true, userValues: { bpm: 90 } });
    const all = planLm({ ...base, bpm: 90, keyscale: "A minor", timesignature: "4", duration: 30 });
    expect(all.runCot).toBe(false);
    expect(cotMetadataForCodes(all)).toEqual({ bpm: 90, keyscale: "A minor", timesignature: "4", duration: 30 });
  });

  it("does not run phase 1 without use_cot_metas (so no caption/language CoT either)", () => {
    const p = planLm({ ...base, useCotMetas: false });
    expect(p.runCot).toBe(false);
    expect(p.useLm).toBe(true);
    expect(formatMetadataYaml(cotMetadataForCodes(p))).toBe("");
  });

  it("uses 'dit' (CoT only) when the user gave codes or thinking is off; none for cover/repaint or no LM", () => {
    expect(planLm({ ...base, audioCodes: "<|audio_code_1|>" }).inferType).toBe("dit");
    expect(planLm({ ...base, thinking: false }).inferType).toBe("dit");
    expect(planLm({ ...base, taskType: "cover" }).inferType).toBe("none");
    expect(planLm(base, false).useLm).toBe(false);
    expect(
      planLm({ ...base, thinking: false, useCotMetas: false, useCotCaption: false, useCotLanguage: false }).useLm,
    ).toBe(false);
  });

  it("merges phase-1 output with user values winning", () => {
    const p = planLm({ ...base, bpm: 100 });
    expect(
      cotMetadataForCodes(p, {
        bpm: 140,
        caption: "LM caption",
        duration: 44,
        keyscale: "D major",
        language: "en",
        timesignature: "4",
      }),
    ).toEqual({
      bpm: 100,
      caption: "LM caption",
      duration: 44,
      keyscale: "D major",
      language: "en",
      timesignature: "4",
    });
  });

  it("targets the user's duration, else the CoT duration (later upstream), else none", () => {
    expect(codesTargetDuration(30, 44)).toBe(30);
    expect(codesTargetDuration(undefined, 44)).toBe(44);
    expect(codesTargetDuration(-1, "44")).toBe(44);
    expect(codesTargetDuration(null, 44, false)).toBeUndefined();
    expect(codesTargetDuration(null, undefined)).toBeUndefined();
  });
});

describe("LM outputs → DiT inputs and cot_* fields", () => {
  const lm = {
    bpm: 128,
    caption: "LM caption",
    duration: 61,
    keyscale: "F# minor",
    language: "'no'",
    timesignature: "3",
  };

  it("fills empty metas from the LM, uses the LM caption and maps language → vocal language", () => {
    const { dit, cot } = mergeLmOutputs({ ...base, keyscale: "C major" }, lm);
    expect(dit).toEqual({
      caption: "LM caption",
      lyrics: "[Instrumental]",
      bpm: 128,
      keyscale: "C major",
      timesignature: "3",
      duration: 61,
      vocalLanguage: "no",
    });
    expect(cot).toMatchObject({
      cot_bpm: 128,
      cot_keyscale: "",
      cot_timesignature: "3",
      cot_duration: 61,
      cot_vocal_language: "no",
      cot_caption: "",
    });
  });

  it("keeps the user caption and language when use_cot_caption / use_cot_language are off", () => {
    const { dit } = mergeLmOutputs({ ...base, useCotCaption: false, useCotLanguage: false, vocalLanguage: "ja" }, lm);
    expect(dit.caption).toBe("dreamy synthwave");
    expect(dit.vocalLanguage).toBe("ja");
  });

  it("passes user values through when there is no LM output", () => {
    const { dit, cot } = mergeLmOutputs({ ...base, bpm: 77, duration: 12 }, null);
    expect(dit).toMatchObject({
      caption: "dreamy synthwave",
      bpm: 77,
      duration: 12,
      keyscale: "",
      vocalLanguage: "unknown",
    });
    expect(cot.cot_vocal_language).toBe("unknown");
  });
});

describe("per-mode helpers", () => {
  it("disables phase-1 CFG by default (later upstream) and keeps it for f30aee4 parity", () => {
    expect(cotCfgScale(2)).toBe(1);
    expect(cotCfgScale(2, "f30aee4")).toBe(2);
  });

  it("sizes max_new_tokens per phase (PR #493)", () => {
    expect(maxNewTokensFor("codes", 150)).toBe(160);
    expect(maxNewTokensFor("cot", 150)).toBe(650);
    expect(maxNewTokensFor("codes")).toBe(3500);
    expect(maxNewTokensFor("codes", 3000, 4096)).toBe(3010);
    expect(maxNewTokensFor("cot", 3000, 2048)).toBe(1984);
  });

  it("injects create_sample / format_sample user values", () => {
    expect(createSampleFsmOptions("unknown").userValues).toEqual({});
    expect(createSampleFsmOptions("ja").userValues).toEqual({ language: "ja" });
    expect(formatSampleFsmOptions({ bpm: 0, duration: 30.9, keyscale: " A minor ", language: "en" })).toMatchObject({
      mode: "understand",
      skipLanguage: true,
      skipGenres: false,
      userValues: { duration: 30, keyscale: "A minor", language: "en" },
    });
  });
});
