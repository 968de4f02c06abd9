import { describe, expect, it } from "vitest";
import { sineTone } from "./analysis";
import { encodeAudio } from "./encode";

const tone = sineTone({ freq: [440, 660], seconds: 0.2 });

describe("encodeAudio", () => {
  it("rejects what a format cannot hold", async () => {
    await expect(encodeAudio({ ...tone, sampleRate: 96000 }, { format: "mp3" })).rejects.toThrow(/sample rate 96000/);
    await expect(encodeAudio(tone, { format: "flac", bitDepth: 32 })).rejects.toThrow(/16 or 24/);
    await expect(encodeAudio({ sampleRate: 48000, channels: [] }, { format: "wav" })).rejects.toThrow(/no channels/);
  });
});
