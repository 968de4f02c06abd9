import { describe, expect, it } from "vitest";
import { audioInfo, peakAndRms, sineTone } from "./analysis";
import {
  applyOutputLevels,
  applyOutputLevelsYielding,
  isSilent,
  levelGain,
  scale,
  stdDev,
  type LevelPolicy,
} from "./levels";
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

  it("measures in one pass what scale() then peakAndRms() give, bit for bit, for every policy (also yielding)", async () => {
    const noisy = (amplitude: number): Audio => {
      const a = tone(amplitude);
      a.channels[1][7] = -amplitude * 1.5; // the peak on a negative sample of the second channel
      return a;
    };
    for (const policy of ["ace-peak", "ace-normalize", "comfy-std", "none"] as LevelPolicy[])
      for (const a of [noisy(0.3), noisy(3)]) {
        const r = applyOutputLevels(a, policy, -2);
        const gain = levelGain(a, policy, -2);
        const ref = scale(a, gain);
        expect(r.gain).toBe(gain);
        expect(r.audio.channels).toEqual(ref.channels);
        expect({ peak: r.peak, rms: r.rms }).toEqual(peakAndRms(ref));
        expect(await applyOutputLevelsYielding(a, policy, -2)).toEqual(r);
      }
    // longer than one step of the yielding passes (2^18 samples per channel)
    const long = sineTone({ freq: [440, 660], seconds: 12, amplitude: 1.7 });
    const r = applyOutputLevels(long);
    expect(await applyOutputLevelsYielding(long)).toEqual(r);
    expect({ peak: r.peak, rms: r.rms }).toEqual(peakAndRms(scale(long, r.gain)));
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
