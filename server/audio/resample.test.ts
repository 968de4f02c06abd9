import { describe, expect, it } from "vitest";
import { sineTone } from "./analysis";
import { resample, resampledLength } from "./resample";
import { snrDb } from "./testing";

/** The ideal output: the same sine evaluated on the output grid. */
const ideal = (freq: number, n: number, rate: number, amplitude = 0.5) =>
  Float32Array.from({ length: n }, (_, i) => amplitude * Math.sin((2 * Math.PI * freq * i) / rate));
/** Skip the first/last 1000 output samples: the band-limited start/end transient is not resampling error. */
const EDGE = 1000;

describe("resample", () => {
  it("44.1 kHz → 48 kHz: exact length and SNR ≥ 90 dB against the ideal sine", async () => {
    const src = sineTone({ freq: [997, 5000], seconds: 2, sampleRate: 44100 });
    const out = await resample(src, 48000);
    expect(out.sampleRate).toBe(48000);
    expect(out.channels[0].length).toBe(96000);
    [997, 5000].forEach((f, c) => {
      const ref = ideal(f, 96000, 48000);
      expect(snrDb(ref, out.channels[c], EDGE, 96000 - EDGE)).toBeGreaterThan(90);
    });
  });

  it("keeps the tail: the last samples are not zeros (no filter-tail drop)", async () => {
    const src = sineTone({ freq: 1000, seconds: 1, sampleRate: 44100, channels: 1 });
    const out = await resample(src, 48000);
    const ref = ideal(1000, 48000, 48000);
    expect(snrDb(ref, out.channels[0], 48000 - 2 * EDGE, 48000 - 200)).toBeGreaterThan(60);
  });

  it("input longer than libsamplerate-js's 4 MB buffer still has the exact length", async () => {
    const src = sineTone({ freq: 440, seconds: 15, sampleRate: 44100 }); // 661,500 stereo frames
    const out = await resample(src, 48000, "fastest");
    expect(out.channels[0].length).toBe(720000);
    const ref = ideal(440, 720000, 48000);
    expect(snrDb(ref, out.channels[1], EDGE, 720000 - EDGE)).toBeGreaterThan(90);
  });

  it.each([
    [8000, 48000],
    [22050, 48000],
    [96000, 48000],
    [384000, 48000], // above libsamplerate-js's 192 kHz argument check: only the ratio is passed
    [48000, 44100],
    [47999, 48000],
  ])("%i → %i has length round(n·out/in) and the right tone", async (inRate, outRate) => {
    const n = Math.round(inRate * 0.25) + 3;
    const src = { sampleRate: inRate, channels: [ideal(1000, n, inRate)] };
    const out = await resample(src, outRate);
    const want = Math.round((n * outRate) / inRate);
    expect(out.channels[0].length).toBe(want);
    expect(snrDb(ideal(1000, want, outRate), out.channels[0], EDGE, want - EDGE)).toBeGreaterThan(80);
  });

  it("same rate is a copy", async () => {
    const src = sineTone({ freq: 440, seconds: 0.01 });
    const out = await resample(src, 48000);
    expect(out.channels).toEqual(src.channels);
    expect(out.channels[0]).not.toBe(src.channels[0]);
  });

  it("resampledLength rounds exactly in integers", () => {
    expect(resampledLength(44100, 44100, 48000)).toBe(48000);
    expect(resampledLength(1, 44100, 48000)).toBe(1);
    expect(resampledLength(600 * 44100 + 1, 44100, 48000)).toBe(600 * 48000 + 1);
  });
});
