import { describe, expect, it } from "vitest";
import { formatAudioCodes } from "../codes/audio-codes";
import { planConditioning } from "./conditioning-plan";

const SR = 48000;
const codes150 = formatAudioCodes(Array.from({ length: 150 }, (_, i) => i));

describe("conditioning plan per task (tasks.md §3.1)", () => {
  it("text2music without codes: silence, all-ones mask, not a cover, T from the duration", () => {
    const p = planConditioning({ task: "text2music", duration: 30 });
    expect(p).toMatchObject({
      task: "text2music", instruction: "Fill the audio semantic mask based on the given conditions:", isCover: false,
      srcLatents: "silence", chunkMask: { kind: "all" }, frames: 750, usesLm: true, lmGeneratesCodes: true, nonCover: null,
    });
    expect(planConditioning({ task: "text2music" }).frames).toBeNull();
  });

  it("text2music with codes becomes a cover with the cover instruction and T = 5·codes", () => {
    const p = planConditioning({ task: "text2music", audioCodes: codes150, duration: 60, srcSamples: 10 * SR });
    expect(p).toMatchObject({
      task: "cover", instruction: "Generate audio semantic tokens based on the given conditions:", isCover: true,
      srcLatents: "code-hints", chunkMask: { kind: "all" }, frames: 750, codeCount: 150, usesLm: true, lmGeneratesCodes: false,
    });
    expect(p.warnings).toContain("audio codes given: the source audio is ignored");
  });

  it("cover from source audio goes through the tokenizer bottleneck and skips the LM", () => {
    const p = planConditioning({ task: "cover", srcSamples: 20 * SR, duration: 60, audioCoverStrength: 0.2 });
    expect(p).toMatchObject({ task: "cover", isCover: true, srcLatents: "source-tokenized", frames: 500, usesLm: false });
    expect(p.nonCover).toEqual({ instruction: "Fill the audio semantic mask based on the given conditions:", isCover: false, srcLatents: "silence" });
  });

  it("cover without any input falls back to text2music", () => {
    const p = planConditioning({ task: "cover", duration: 10 });
    expect(p.task).toBe("text2music");
    expect(p.instruction).toBe("Fill the audio semantic mask based on the given conditions:");
    expect(p.isCover).toBe(false);
    expect(p.warnings[0]).toMatch(/falls back to text2music/);
  });

  it("repaint: window mask, source with the window silenced, never a cover", () => {
    const p = planConditioning({ task: "repaint", srcSamples: 60 * SR, repaintingStart: 10, repaintingEnd: 20 });
    expect(p).toMatchObject({
      task: "repaint", instruction: "Repaint the mask area based on the given conditions:", isCover: false,
      srcLatents: "source-window-silenced", chunkMask: { kind: "window", startFrame: 250, endFrame: 500 }, frames: 1500,
      usesLm: false, repaintInjection: false,
    });
    expect(planConditioning({ task: "repaint", srcSamples: 60 * SR, repaintingStart: 10, repaintingEnd: 20, era: "newer" }).repaintInjection)
      .toBe(true);
  });

  it("repaint out-painting pads the source and shifts the window", () => {
    const p = planConditioning({ task: "repaint", srcSamples: 30 * SR, repaintingStart: -5, repaintingEnd: 35 });
    expect(p.padding).toMatchObject({ leftPadSamples: 5 * SR, rightPadSamples: 5 * SR, paddedSamples: 40 * SR, start: 0, end: 40 });
    expect(p.frames).toBe(1000);
    expect(p.chunkMask).toEqual({ kind: "window", startFrame: 0, endFrame: 1000 });
  });

  it("repaint rejects end before start", () => {
    expect(() => planConditioning({ task: "repaint", srcSamples: 30 * SR, repaintingStart: 20, repaintingEnd: 5 })).toThrow(/after start/);
  });

  it("lego: whole file by default, Feb silences its own context, newer keeps it", () => {
    const feb = planConditioning({ task: "lego", variant: "base", trackName: "guitar", srcSamples: 30 * SR, repaintingStart: 0, repaintingEnd: -1 });
    expect(feb).toMatchObject({
      instruction: "Generate the GUITAR track based on the audio context:", isCover: false,
      srcLatents: "source-window-silenced", chunkMask: { kind: "window", startFrame: 0, endFrame: 750 }, usesLm: true,
    });
    const newer = planConditioning({ task: "lego", trackName: "guitar", srcSamples: 30 * SR, era: "newer" });
    expect(newer.srcLatents).toBe("source");
    expect(newer.repaintInjection).toBe(false);
  });

  it("extract and complete keep the source with an all-ones mask", () => {
    expect(planConditioning({ task: "extract", trackName: "vocals", srcSamples: 30 * SR })).toMatchObject({
      instruction: "Extract the VOCALS track from the audio:", isCover: false, srcLatents: "source", chunkMask: { kind: "all" },
    });
    expect(planConditioning({ task: "complete", completeTrackClasses: ["drums", "bass"], srcSamples: 30 * SR })).toMatchObject({
      instruction: "Complete the input track with DRUMS | BASS:", isCover: false, srcLatents: "source",
    });
  });

  it("repaint without a source uses the raw bounds on the duration's frames", () => {
    const p = planConditioning({ task: "repaint", duration: 30, repaintingStart: 10, repaintingEnd: 20 });
    expect(p).toMatchObject({ srcLatents: "silence", chunkMask: { kind: "window", startFrame: 250, endFrame: 500 }, padding: null });
    expect(planConditioning({ task: "repaint", duration: 30, repaintingStart: 10, repaintingEnd: -1 }).chunkMask).toEqual({ kind: "all" });
  });

  it("warns when the model variant does not support the task", () => {
    expect(planConditioning({ task: "extract", variant: "turbo", srcSamples: SR * 30 }).warnings[0]).toMatch(/not supported by turbo/);
  });

  it("derives is_cover from the instruction text in Feb and from the task in newer upstream", () => {
    const custom = "generate audio semantic tokens based on the given conditions";
    const feb = planConditioning({ task: "extract", instruction: custom, srcSamples: 30 * SR });
    expect(feb.isCover).toBe(true);
    expect(feb.instruction).toBe(`${custom}:`);
    expect(planConditioning({ task: "extract", instruction: custom, srcSamples: 30 * SR, era: "newer" }).isCover).toBe(false);
  });
});
