import { describe, expect, it } from "vitest";
import { sineTone } from "./analysis";
import { encodeAudio } from "./encode";
import { applyOutputLevelsYielding } from "./levels";
import { watchLoopGaps } from "../../test/helpers/loop-gaps";

const tone = sineTone({ freq: [440, 660], seconds: 0.2 });

describe("encodeAudio", () => {
  it("rejects what a format cannot hold", async () => {
    await expect(encodeAudio({ ...tone, sampleRate: 96000 }, { format: "mp3" })).rejects.toThrow(/sample rate 96000/);
    await expect(encodeAudio(tone, { format: "flac", bitDepth: 32 })).rejects.toThrow(/16 or 24/);
    await expect(encodeAudio({ sampleRate: 48000, channels: [] }, { format: "wav" })).rejects.toThrow(/no channels/);
  });

  it("lets the event loop run while Save Audio levels and encodes a long song to FLAC", async () => {
    // 60 s, clipping (two passes over the samples): in one piece the levels and the FLAC encoding hold the main
    // thread ~0.5 s; yielding, the longest stretch is one encoder block or one step of the level passes
    const song = sineTone({ freq: [440, 660], seconds: 60, amplitude: 1.5 });
    const gaps = watchLoopGaps();
    const lv = await applyOutputLevelsYielding(song);
    const bytes = await encodeAudio(lv.audio, { format: "flac" });
    const { maxMs, ticks } = gaps.stop();
    expect(lv.gain).toBeCloseTo(1 / 1.5, 6);
    expect(bytes.length).toBeGreaterThan(1000);
    expect(ticks).toBeGreaterThan(5);
    // generous: the shared test machine deschedules threads
    expect(maxMs, `max event-loop gap ${maxMs.toFixed(1)} ms`).toBeLessThan(250);
  });
});
