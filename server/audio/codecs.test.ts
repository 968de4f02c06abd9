import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sineTone } from "./analysis";
import { loadAudio } from "./decode";
import { encodeAudio } from "./encode";
import { bestLag, chirp, dominant, snrDb } from "./testing";
import type { Audio } from "./types";

const onGrid = (a: Audio, full: number): Audio => ({
  sampleRate: a.sampleRate,
  channels: a.channels.map((c) => c.map((x) => Math.round(x * full) / full + 0)),
});
const onPath = (cmd: string) => {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};
const fixture = (f: string) => new Uint8Array(readFileSync(join(import.meta.dirname, "fixtures", f)));
const tone = sineTone({ freq: [440, 660], seconds: 1, amplitude: 0.5 });
/** Sweeps (not steady sines) so the encoder delay can be found by cross-correlation. */
const sweep: Audio = { sampleRate: 48000, channels: [chirp(1, 200, 4000), chirp(1, 3000, 300)] };

describe("FLAC", () => {
  it("16-bit round trip is bit-exact on the 1/32768 grid (including −1.0)", async () => {
    const grid = onGrid(tone, 32768);
    grid.channels[1][7] = -1;
    const back = await loadAudio(await encodeAudio(grid, { format: "flac" }), { name: "t.flac" });
    expect(back.source).toMatchObject({ format: "flac", bitDepth: 16, frames: 48000 });
    expect(back.channels).toEqual(grid.channels);
  });

  it("24-bit round trip is bit-exact on the 1/2^23 grid; 6 channels keep the first two", async () => {
    const six = onGrid(sineTone({ freq: [300, 500, 700, 900, 1100, 1300], seconds: 0.2 }), 8388608);
    const back = await loadAudio(await encodeAudio(six, { format: "flac", bitDepth: 24 }));
    expect(back.source).toMatchObject({ channels: 6, bitDepth: 24 });
    expect(back.channels).toEqual(six.channels.slice(0, 2));
  });

  it.skipIf(!onPath("flac"))("passes `flac -t` with MD5 and total samples set (needs the flac tool)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flac-t-"));
    const path = join(dir, "t.flac");
    writeFileSync(path, await encodeAudio(tone, { format: "flac" }));
    const out = execFileSync("flac", ["-t", path], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    expect(out + "").not.toMatch(/WARNING/);
    const info = execFileSync("metaflac", ["--show-total-samples", "--show-md5sum", path], { encoding: "utf8" });
    expect(info).toMatch(/^48000\n[0-9a-f]{32}\n$/);
    expect(info).not.toMatch(/0{32}/);
  });
});

describe("lossy codecs", () => {
  it("MP3 192k: SNR ≥ 25 dB after aligning for the encoder delay", async () => {
    const back = await loadAudio(await encodeAudio(sweep, { format: "mp3", bitrate: 192 }), { name: "t.mp3" });
    expect(back.source.format).toBe("mp3");
    const lag = bestLag(sweep.channels[0], back.channels[0], 4000, 4000);
    expect(lag).toBeGreaterThan(500); // LAME delay is not trimmed (no LAME tag is written)
    for (const c of [0, 1]) expect(snrDb(sweep.channels[c], back.channels[c], 4000, 40000, lag)).toBeGreaterThan(25);
  });

  it("MP3 128k (the default bitrate) is smaller than 192k", async () => {
    const a = await encodeAudio(tone, { format: "mp3" });
    const b = await encodeAudio(tone, { format: "mp3", bitrate: 192 });
    expect(a.length).toBeLessThan(b.length);
  });

  it("Ogg Vorbis: SNR ≥ 25 dB after alignment", async () => {
    const back = await loadAudio(await encodeAudio(sweep, { format: "ogg" }), { name: "t.ogg" });
    expect(back.source.format).toBe("ogg-vorbis");
    const lag = bestLag(sweep.channels[0], back.channels[0], 4000, 4000);
    for (const c of [0, 1]) expect(snrDb(sweep.channels[c], back.channels[c], 4000, 40000, lag)).toBeGreaterThan(25);
  });

  it("Ogg Opus stereo fixture decodes to 48 kHz with the right tones", async () => {
    const a = await loadAudio(fixture("tone-440-660.opus"), { name: "tone.opus" });
    expect(a.source).toMatchObject({ format: "ogg-opus", sampleRate: 48000, channels: 2 });
    expect(a.source.frames).toBeGreaterThanOrEqual(24000);
    expect(a.source.frames).toBeLessThan(24000 + 960);
    expect(dominant(a.channels[0], 48000, [440, 660])).toBe(440);
    expect(dominant(a.channels[1], 48000, [440, 660])).toBe(660);
  });

  it("Ogg Opus 5.1 keeps front left/right (Vorbis channel order), not centre", async () => {
    const a = await loadAudio(fixture("six-channel.opus"), { name: "six.opus" });
    expect(a.source.channels).toBe(6);
    const all = [300, 500, 700, 900, 1100, 1300];
    expect(dominant(a.channels[0], 48000, all)).toBe(300);
    expect(dominant(a.channels[1], 48000, all)).toBe(500);
  });
});
