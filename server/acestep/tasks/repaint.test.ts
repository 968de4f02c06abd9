import { describe, expect, it } from "vitest";
import { pyFloorDiv } from "../numeric";
import {
  RepaintWindowError,
  applyBoundaryBlend,
  applyRepaintInjection,
  chunkMask,
  framesForSamples,
  injectionCutoff,
  planRepaintPadding,
  repaintMask,
  resolveRepaintConfig,
  softRepaintMask,
  spliceRepaintWaveform,
  waveformSpliceMask,
  windowToFrames,
  windowedSrcLatents,
} from "./repaint";

const SR = 48000;

describe("repaint padding and window (handler prepare_padding_info)", () => {
  it("keeps an inner window unpadded", () => {
    const p = planRepaintPadding({ srcSamples: 60 * SR, start: 10, end: 20 });
    expect(p).toMatchObject({ leftPadSamples: 0, rightPadSamples: 0, paddedSamples: 60 * SR, start: 10, end: 20 });
    expect(windowToFrames(p.start, p.end, framesForSamples(p.paddedSamples))).toEqual({
      startFrame: 250,
      endFrame: 500,
    });
  });

  it("resolves end = −1 or null to the end of the source", () => {
    expect(planRepaintPadding({ srcSamples: 30 * SR, start: 5, end: -1 })).toMatchObject({ start: 5, end: 30 });
    expect(planRepaintPadding({ srcSamples: 30 * SR, start: null, end: null })).toMatchObject({ start: 0, end: 30 });
  });

  it("out-paints to the left when start < 0 and shifts both bounds", () => {
    const p = planRepaintPadding({ srcSamples: 30 * SR, start: -5, end: 10 });
    expect(p).toMatchObject({
      leftPadSeconds: 5,
      leftPadSamples: 5 * SR,
      rightPadSamples: 0,
      paddedSamples: 35 * SR,
      start: 0,
      end: 15,
    });
    expect(windowToFrames(p.start, p.end, framesForSamples(p.paddedSamples))).toEqual({ startFrame: 0, endFrame: 375 });
  });

  it("out-paints to the right when end is past the source", () => {
    const p = planRepaintPadding({ srcSamples: 30 * SR, start: 25, end: 40 });
    expect(p).toMatchObject({
      leftPadSamples: 0,
      rightPadSeconds: 10,
      rightPadSamples: 10 * SR,
      paddedSamples: 40 * SR,
      start: 25,
      end: 40,
    });
    expect(windowToFrames(p.start, p.end, 1000)).toEqual({ startFrame: 625, endFrame: 1000 });
  });

  it("pads both sides at once", () => {
    const p = planRepaintPadding({ srcSamples: 10 * SR, start: -2.5, end: 12 });
    expect(p).toMatchObject({
      leftPadSamples: 120000,
      rightPadSamples: 96000,
      paddedSamples: 696000,
      start: 0,
      end: 14.5,
    });
  });

  it("rejects end before or equal to start, and missing source", () => {
    expect(() => planRepaintPadding({ srcSamples: 30 * SR, start: 20, end: 10 })).toThrow(RepaintWindowError);
    expect(() => planRepaintPadding({ srcSamples: 30 * SR, start: 10, end: 10 })).toThrow(/must be after start/);
    expect(() => planRepaintPadding({ srcSamples: 30 * SR, start: 40, end: -1 })).toThrow(RepaintWindowError);
    expect(() => planRepaintPadding({ srcSamples: 0, start: 0, end: 1 })).toThrow(/source audio/);
  });

  it("floors to 25 Hz frames and clamps to [0, T−1] / [start+1, T]", () => {
    expect(windowToFrames(10.039, 10.041, 1000)).toEqual({ startFrame: 250, endFrame: 251 }); // end floor 251
    expect(windowToFrames(10.01, 10.02, 1000)).toEqual({ startFrame: 250, endFrame: 251 }); // same frame → +1
    expect(windowToFrames(50, 60, 1000)).toEqual({ startFrame: 999, endFrame: 1000 });
    expect(windowToFrames(20, 10, 1000)).toBeNull();
  });

  it("uses Python float floor division", () => {
    expect(pyFloorDiv(10 * SR, 1920)).toBe(250);
    expect(pyFloorDiv(7.9999999 * SR, 1920)).toBe(199);
    expect(pyFloorDiv(-1, 1920)).toBe(-1);
  });

  it("builds the chunk mask", () => {
    expect(Array.from(chunkMask(6, { startFrame: 2, endFrame: 4 }))).toEqual([0, 0, 1, 1, 0, 0]);
    expect(Array.from(chunkMask(3, null))).toEqual([1, 1, 1]);
  });
});

describe("source latents for repaint / lego (handler _prepare_batch)", () => {
  const target = Float32Array.from([1, 1, 2, 2, 3, 3, 4, 4]); // [T=4, C=2]
  const silence = Float32Array.from([9, 9, 9, 9, 9, 9, 9, 9]);
  const w = { startFrame: 1, endFrame: 3 };

  it("silences the repaint window", () => {
    expect(Array.from(windowedSrcLatents(target, silence, 2, w, "repaint"))).toEqual([1, 1, 9, 9, 9, 9, 4, 4]);
  });

  it("silences lego's window in Feb and keeps the source in newer upstream", () => {
    expect(Array.from(windowedSrcLatents(target, silence, 2, w, "lego", "feb"))).toEqual([1, 1, 9, 9, 9, 9, 4, 4]);
    expect(Array.from(windowedSrcLatents(target, silence, 2, w, "lego", "newer"))).toEqual(Array.from(target));
  });
});

describe("newer repaint injection and crossfade (repaint_step_injection.py)", () => {
  it("injects for round(0.5·N) steps with Python rounding", () => {
    expect(injectionCutoff(8)).toBe(4);
    expect(injectionCutoff(5)).toBe(2); // round(2.5) = 2
    expect(injectionCutoff(7)).toBe(4); // round(3.5) = 4
    expect(injectionCutoff(30, 0.25)).toBe(8); // round(7.5) = 8
  });

  it("replaces frames outside the window with the re-noised source", () => {
    const mask = repaintMask(3, { startFrame: 1, endFrame: 2 });
    const x = Float32Array.from([5, 5, 5]);
    const clean = Float32Array.from([1, 1, 1]);
    const noise = Float32Array.from([-1, -1, -1]);
    expect(Array.from(applyRepaintInjection(x, clean, mask, 0.25, noise, 1))).toEqual([0.5, 5, 0.5]);
  });

  it("ramps linearly over 10 frames outside each side of the window", () => {
    const mask = repaintMask(40, { startFrame: 15, endFrame: 25 });
    const soft = softRepaintMask(mask, 10);
    expect(soft[4]).toBe(0);
    expect(soft[5]).toBe(0.09090909361839294); // torch.linspace(0, 1, 12)[1]
    expect(soft[14]).toBe(0.9090908765792847); // torch.linspace(0, 1, 12)[10]
    expect(Array.from(soft.subarray(15, 25))).toEqual(new Array(10).fill(1));
    expect(soft[25]).toBeCloseTo(10 / 11, 6);
    expect(soft[34]).toBeCloseTo(1 / 11, 6);
    expect(soft[35]).toBe(0);
  });

  it("matches torch.linspace ramp values and shortens ramps at the edges", () => {
    const soft = softRepaintMask(repaintMask(8, { startFrame: 2, endFrame: 3 }), 10);
    // left ramp of 2 frames: linspace(0,1,4)[1:-1]; right ramp of 5 frames: linspace(1,0,7)[1:-1]
    expect(Array.from(soft)).toEqual([
      0.3333333432674408,
      0.6666666269302368,
      1, // torch.linspace(0, 1, 4)[1:-1]
      0.8333333134651184,
      0.6666666269302368,
      0.5,
      0.3333333432674408,
      0.1666666716337204,
    ]);
    const ten = softRepaintMask(repaintMask(30, { startFrame: 11, endFrame: 12 }), 10);
    expect(Array.from(ten.subarray(1, 11))).toEqual([
      0.09090909361839294, 0.1818181872367859, 0.27272728085517883, 0.3636363744735718, 0.4545454680919647,
      0.5454545021057129, 0.6363636255264282, 0.7272727489471436, 0.8181818127632141, 0.9090908765792847,
    ]);
  });

  it("leaves all-true and all-false masks unchanged", () => {
    expect(Array.from(softRepaintMask(Uint8Array.from([1, 1, 1])))).toEqual([1, 1, 1]);
    expect(Array.from(softRepaintMask(Uint8Array.from([0, 0])))).toEqual([0, 0]);
    expect(Array.from(softRepaintMask(Uint8Array.from([0, 1, 0]), 0))).toEqual([0, 1, 0]);
  });

  it("blends generated and source latents with the soft mask", () => {
    const mask = repaintMask(4, { startFrame: 1, endFrame: 2 });
    const out = applyBoundaryBlend(Float32Array.from([8, 8, 8, 8]), Float32Array.from([2, 2, 2, 2]), mask, 1, 1);
    // soft = [0.5, 1, 0.5, 0]
    expect(Array.from(out)).toEqual([5, 8, 5, 2]);
  });
});

describe("repaint mode / strength and the waveform splice (generate_music @ 01aeee3)", () => {
  it("resolves modes as _resolve_repaint_config (Python round half to even)", () => {
    expect(resolveRepaintConfig()).toEqual({ injectionRatio: 0.5, crossfadeFrames: 12, wavCrossfadeSeconds: 0.025 });
    expect(resolveRepaintConfig("aggressive", 0.1)).toEqual({
      injectionRatio: 0,
      crossfadeFrames: 0,
      wavCrossfadeSeconds: 0,
    });
    expect(resolveRepaintConfig("conservative", 0.9)).toEqual({
      injectionRatio: 1,
      crossfadeFrames: 25,
      wavCrossfadeSeconds: 0.05,
    });
    expect(resolveRepaintConfig("balanced", 0.7).crossfadeFrames).toBe(8); // round(7.5) = 8
    expect(resolveRepaintConfig("balanced", 3).injectionRatio).toBe(0);
  });

  it("builds the sample mask with ramps outside the window", () => {
    expect(Array.from(waveformSpliceMask(8, 3, 5, 1))).toEqual([0, 0, 0.5, 1, 1, 0.5, 0, 0]);
    expect(Array.from(waveformSpliceMask(6, 0, 2, 3))).toEqual([1, 1, 0.75, 0.5, 0.25, 0]);
  });

  it("puts the source back outside the window, exactly, even where the prediction diverged", () => {
    const pred = [Float32Array.from([NaN, 9, 9, 9, 9, 9, 9, 9, 7])];
    const src = [Float32Array.from([1, 1, 1, 1, 1, 1, 1, 1])];
    const out = spliceRepaintWaveform(pred, src, {
      startSeconds: 0.3,
      endSeconds: 0.5,
      sampleRate: 10,
      crossfadeSeconds: 0.1,
    });
    // 8 shared samples spliced; the decoded sample past the source stays
    expect(Array.from(out[0])).toEqual([1, 1, 5, 9, 9, 5, 1, 1, 7]);
    const all = spliceRepaintWaveform(pred, src, {
      startSeconds: 0,
      endSeconds: 2,
      sampleRate: 10,
      crossfadeSeconds: 0,
    });
    expect(Array.from(all[0]).slice(1)).toEqual([9, 9, 9, 9, 9, 9, 9, 7]);
  });
});
