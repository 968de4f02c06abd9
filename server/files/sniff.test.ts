// Uploads accept exactly what the decoder decodes: every format sniffAudio accepts decodes, and what the decoder
// refuses (AIFF, Speex in Ogg) is refused at upload.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { encodeAudio, type OutputFormat } from "../audio/encode";
import { loadAudio } from "../audio/decode";
import { sniffAudio } from "./sniff";

const tone = new Float32Array(4800).map((_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / 48000));
const audio = { sampleRate: 48000, channels: [tone, tone.slice()] };

/** A minimal AIFF file: FORM header, COMM chunk (1 channel, 16-bit, 48 kHz), SSND chunk with a little silence. */
function aiff(): Uint8Array {
  const frames = 480;
  const b = Buffer.alloc(12 + 26 + 16 + frames * 2);
  b.write("FORM", 0);
  b.writeUInt32BE(b.length - 8, 4);
  b.write("AIFF", 8);
  b.write("COMM", 12);
  b.writeUInt32BE(18, 16);
  b.writeUInt16BE(1, 20);
  b.writeUInt32BE(frames, 22);
  b.writeUInt16BE(16, 26);
  b.set([0x40, 0x0e, 0xbb, 0x80, 0, 0, 0, 0, 0, 0], 28); // 48000 as an 80-bit extended float
  b.write("SSND", 38);
  b.writeUInt32BE(8 + frames * 2, 42);
  return new Uint8Array(b);
}

/** An Ogg page whose first packet is a Speex header (the decoder has no Speex codec). */
function oggSpeex(): Uint8Array {
  const body = Buffer.alloc(80);
  body.write("Speex   ", 0);
  const page = Buffer.alloc(27 + 1 + body.length);
  page.write("OggS", 0);
  page[5] = 2; // beginning of stream
  page[26] = 1; // one segment
  page[27] = body.length;
  body.copy(page, 28);
  return new Uint8Array(page);
}

describe("upload sniffing agrees with the decoder", () => {
  for (const format of ["wav", "flac", "mp3", "ogg"] as OutputFormat[])
    it(`accepts ${format}, which decodes`, async () => {
      const bytes = await encodeAudio(audio, { format });
      expect(sniffAudio(bytes)).toBe(format);
      expect((await loadAudio(bytes)).channels[0].length).toBeGreaterThan(0);
    });

  it("accepts Ogg Opus, which decodes", async () => {
    const bytes = new Uint8Array(
      readFileSync(join(import.meta.dirname, "..", "audio", "fixtures", "tone-440-660.opus")),
    );
    expect(sniffAudio(bytes)).toBe("ogg");
    expect((await loadAudio(bytes)).channels[0].length).toBeGreaterThan(0);
  });

  it("refuses AIFF, which the decoder refuses", async () => {
    const bytes = aiff();
    expect(sniffAudio(bytes)).toBeNull();
    await expect(loadAudio(bytes)).rejects.toThrow(/unsupported audio format: AIFF/);
  });

  it("refuses Speex in Ogg, which the decoder refuses", async () => {
    const bytes = oggSpeex();
    expect(sniffAudio(bytes)).toBeNull();
    await expect(loadAudio(bytes)).rejects.toThrow(/speex/i);
  });

  it("refuses bytes that are no audio at all", () => {
    expect(sniffAudio(new TextEncoder().encode("just some text, not audio at all"))).toBeNull();
  });
});
