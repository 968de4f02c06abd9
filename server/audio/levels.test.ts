import { describe, expect, it } from "vitest";
import { audioInfo, sineTone } from "./analysis";
import { applyOutputLevels, isSilent, levelGain, stdDev } from "./levels";
import { silence, type Audio } from "./types";

const tone = (amplitude: number): Audio => sineTone({ freq: [440, 660], seconds: 0.1, amplitude });

describe("output levels", () => {
  it("ace-peak (official anti-clip) leaves peaks ≤ 1 alone and divides hotter items by their peak", () => {
    expect(levelGain(tone(0.5), "ace-peak")).toBe(1);
    const quiet = tone(0.5);
    expect(applyOutputLevels(quiet).audio).toBe(quiet); // untouched, no copy
    const hot = applyOutputLevels(tone(2));
    expect(hot.peak).toBeCloseTo(1, 6);
    expect(hot.gain).toBeCloseTo(1 / audioInfo(tone(2)).peak, 12);
  });

  it("ace-normalize peaks at −1 dBFS by default (or the given dB), skipping near-silence", () => {
    const r = applyOutputLevels(tone(0.1), "ace-normalize");
    expect(20 * Math.log10(r.peak)).toBeCloseTo(-1, 4);
    expect(20 * Math.log10(applyOutputLevels(tone(0.1), "ace-normalize", -3).peak)).toBeCloseTo(-3, 4);
    expect(levelGain(tone(5e-7), "ace-normalize")).toBe(1);
  });

  it("comfy-std divides by max(5·std, 1)", () => {
    expect(levelGain(tone(0.1), "comfy-std")).toBe(1); // 5·std < 1
    const loud = tone(1);
    expect(levelGain(loud, "comfy-std")).toBeCloseTo(1 / (5 * stdDev(loud)), 12);
    expect(stdDev(loud)).toBeCloseTo(Math.SQRT1_2, 2);
  });

  it("silence guard: rms ≤ 1e-5 and peak ≤ 1e-5", () => {
    expect(isSilent(silence(4800))).toBe(true);
    expect(applyOutputLevels(silence(4800)).silent).toBe(true);
    expect(isSilent(tone(1e-5))).toBe(true);
    expect(isSilent(tone(2e-5))).toBe(false); // peak over the threshold
    const click = silence(4800);
    click.channels[0][10] = 0.5;
    expect(isSilent(click)).toBe(false);
  });
});
