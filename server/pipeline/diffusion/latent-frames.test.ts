import { describe, expect, it } from "vitest";
import {
  MAX_BATCH,
  assertBatchSize,
  batchFrames,
  codesToFrames,
  durationToFrames,
  framesToSeconds,
  itemView,
  padBatchLatents,
  silenceSlice,
} from "./latent-frames";

const C = 2;
const frames = (t: number, v: number) => new Float32Array(t * C).fill(v);

describe("duration → frames", () => {
  it("uses floor(round(d,1)·25) with a minimum of 128", () => {
    expect(durationToFrames(30)).toBe(750);
    expect(durationToFrames(10)).toBe(250);
    expect(durationToFrames(12.345)).toBe(307); // round(12.345, 1) = 12.3 → 307.5 → 307
    expect(durationToFrames(600)).toBe(15000);
    expect(framesToSeconds(750)).toBe(30);
  });

  it("rejects durations outside 10–600 s, naming the field", () => {
    expect(() => durationToFrames(700)).toThrow(/duration 700 s must be between 10 and 600/);
    expect(() => durationToFrames(3, "audio_duration")).toThrow(/audio_duration 3 s/);
    expect(() => durationToFrames(Number.NaN)).toThrow(RangeError);
  });

  it("codes set the length: 5 frames per code, at least 128", () => {
    expect(codesToFrames(150)).toBe(750);
    expect(codesToFrames(10)).toBe(128);
  });
});

describe("batch padding", () => {
  it("limits the batch to 1–8", () => {
    expect(() => assertBatchSize(0)).toThrow(/1\.\.8/);
    expect(() => assertBatchSize(MAX_BATCH + 1)).toThrow(RangeError);
    expect(() => assertBatchSize(2.5)).toThrow(RangeError);
    expect(() => assertBatchSize(8)).not.toThrow();
  });

  it("batch frames = max(128, longest item)", () => {
    expect(batchFrames([100, 120])).toBe(128);
    expect(batchFrames([100, 300, 200])).toBe(300);
    expect(() => batchFrames([])).toThrow(RangeError);
  });

  it("silence slices start at frame 0 and tile when silence is shorter", () => {
    const silence = Float32Array.from([0, 0.5, 1, 1.5, 2, 2.5]); // 3 frames × 2
    expect(Array.from(silenceSlice(silence, 2, C))).toEqual([0, 0.5, 1, 1.5]);
    expect(Array.from(silenceSlice(silence, 5, C))).toEqual([0, 0.5, 1, 1.5, 2, 2.5, 0, 0.5, 1, 1.5]);
  });

  it("pads each item at the end with silence frames and records latent masks", () => {
    const silence = new Float32Array(200 * C).map((_, i) => -(i + 1));
    const p = padBatchLatents([frames(130, 1), frames(150, 2)], silence, { channels: C });
    expect(p.frames).toBe(150);
    expect(p.itemFrames).toEqual([130, 150]);
    const a = itemView(p.latents, 0, 150, C);
    expect(Array.from(a.subarray(0, 130 * C)).every((v) => v === 1)).toBe(true);
    expect(Array.from(a.subarray(130 * C))).toEqual(Array.from(silence.subarray(0, 20 * C)));
    expect(Array.from(itemView(p.latents, 1, 150, C)).every((v) => v === 2)).toBe(true);
    expect(p.latentMasks.subarray(0, 150).reduce((s, v) => s + v, 0)).toBe(130);
    expect(p.latentMasks.subarray(150).every((v) => v === 1)).toBe(true);
  });

  it("pads short batches up to 128 frames", () => {
    const p = padBatchLatents([frames(100, 1)], new Float32Array(64 * C), { channels: C });
    expect(p.frames).toBe(128);
    expect(p.latents.length).toBe(128 * C);
    expect(() => padBatchLatents([new Float32Array(3)], new Float32Array(4), { channels: C })).toThrow(/multiple of 2/);
  });
});
