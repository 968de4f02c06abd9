// A corpus of broken, hostile and unusual files, built in the test: each gets a clear
// AudioDecodeError naming the file, or the right normalisation — never a crash.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sineTone } from "./analysis";
import { loadAudio, loadAudioFile } from "./decode";
import { encodeAudio } from "./encode";
import { buildWav, pcm16 } from "./testing";
import { AudioDecodeError } from "./types";
import { Prng } from "../random/prng";

const short = sineTone({ freq: [440, 660], seconds: 0.3 });
const pcm = pcm16(short);
const wav = (over: Partial<Parameters<typeof buildWav>[0]> = {}) =>
  buildWav({ channels: 2, sampleRate: 48000, bits: 16, data: pcm, ...over });

async function rejects(bytes: Uint8Array, name: string, reason: RegExp, opts = {}) {
  const err = await loadAudio(bytes, { name, ...opts }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AudioDecodeError);
  expect((err as AudioDecodeError).message).toMatch(new RegExp(`^${name.replace(".", "\\.")}: `));
  expect((err as AudioDecodeError).reason).toMatch(reason);
}

/** Deterministic pseudo-random bytes. */
function noise(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  const g = new Prng(seed);
  for (let i = 0; i < n; i++) out[i] = g.nextU32() >>> 24;
  return out;
}

describe("unreadable input", () => {
  it("empty file", () => rejects(new Uint8Array(0), "empty.wav", /empty/));
  it("random bytes", () => rejects(noise(50000), "noise.mp3", /unrecognised content/));
  it("ID3 tag followed by garbage", () => {
    const b = new Uint8Array(3000);
    b.set([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 100]);
    b.set(noise(2890, 7), 110);
    return rejects(b, "tagged.mp3", /unrecognised content/);
  });
  it("other formats are named", async () => {
    const aiff = new Uint8Array(64);
    aiff.set([..."FORM"].map((c) => c.charCodeAt(0)));
    aiff.set(
      [..."AIFF"].map((c) => c.charCodeAt(0)),
      8,
    );
    await rejects(aiff, "x.aiff", /unsupported audio format: AIFF/);
    const mp4 = new Uint8Array(64);
    mp4.set(
      [..."ftypM4A "].map((c) => c.charCodeAt(0)),
      4,
    );
    await rejects(mp4, "x.m4a", /MP4/);
  });
  it("unsupported WAV codec (A-law)", () =>
    rejects(wav({ formatTag: 6, bits: 8, blockAlign: 2 }), "alaw.wav", /A-law/));
  it("missing or unreadable path", async () => {
    const err = await loadAudioFile("/nonexistent/dir/song.flac").catch((e) => e);
    expect(err).toBeInstanceOf(AudioDecodeError);
    expect(err.message).toBe("song.flac: cannot read file: file not found");
    expect(err.cause.code).toBe("ENOENT");
    await expect(loadAudioFile(tmpdir())).rejects.toThrow(/not a regular file/);
  });
});

describe("truncated files", () => {
  it("WAV whose data chunk is larger than the file: error, or a warning with allowTruncated", async () => {
    const cut = wav().subarray(0, 44 + pcm.length / 2);
    await rejects(cut, "cut.wav", /truncated.*declares 57600 bytes/);
    const ok = await loadAudio(cut, { allowTruncated: true });
    expect(ok.channels[0].length).toBe(7200);
    expect(ok.warnings.join()).toMatch(/truncated/);
  });
  it("WAV cut inside the header", () => rejects(wav().subarray(0, 30), "head.wav", /fmt|truncated/));
  it("FLAC cut in half", async () => {
    const flac = await encodeAudio(short, { format: "flac" });
    await rejects(flac.subarray(0, flac.length >> 1), "cut.flac", /truncated.*declares 14400 samples/);
  });
  it("FLAC cut inside STREAMINFO", async () => {
    const flac = await encodeAudio(short, { format: "flac" });
    await rejects(flac.subarray(0, 20), "stub.flac", /truncated FLAC header/);
  });
  it("MP3 cut mid-frame: error, or the complete frames with allowTruncated", async () => {
    const mp3 = await encodeAudio(short, { format: "mp3" });
    const cut = mp3.subarray(0, mp3.length - 100);
    await rejects(cut, "cut.mp3", /truncated.*MPEG frame is cut off/);
    const ok = await loadAudio(cut, { allowTruncated: true });
    expect(ok.channels[0].length).toBeGreaterThan(0);
  });
  it("Ogg Vorbis cut mid-page", async () => {
    const ogg = await encodeAudio(short, { format: "ogg" });
    await rejects(ogg.subarray(0, ogg.length - 50), "cut.ogg", /truncated/);
  });
});

describe("absurd and edge-case headers", () => {
  it("4 GB data chunk in a small file is refused by the duration cap from the header", () =>
    rejects(wav({ dataSize: 0xfffffff0 }), "huge.wav", /duration 22369\.6 s .*exceeds the limit of 600 s/));
  it("0xFFFFFFFF data size (streaming placeholder) reads what is there, with a warning", async () => {
    const a = await loadAudio(wav({ dataSize: 0xffffffff }));
    expect(a.channels[0].length).toBe(14400);
    expect(a.warnings.join()).toMatch(/placeholder/);
  });
  it("data size 0 is a placeholder only when the RIFF size is one too", async () => {
    const piped = wav({ dataSize: 0 });
    new DataView(piped.buffer).setUint32(4, 0, true);
    expect((await loadAudio(piped)).channels[0].length).toBe(14400);
    await rejects(wav({ dataSize: 0 }), "empty.wav", /no samples/);
  });
  it("65535 channels (the WAV maximum; 2^31 does not fit the 16-bit field)", () =>
    rejects(wav({ channels: 65535, blockAlign: 0 }), "many.wav", /absurd channel count 65535/));
  it("0 channels", () => rejects(wav({ channels: 0, blockAlign: 0 }), "none.wav", /0 channels/));
  it("0 Hz sample rate (WAV and FLAC)", async () => {
    await rejects(wav({ sampleRate: 0 }), "zero.wav", /0 Hz/);
    const flac = await encodeAudio(short, { format: "flac" });
    flac[18] = 0;
    flac[19] = 0;
    flac[20] &= 0x0f; // STREAMINFO sample rate = 0
    await rejects(flac, "zero.flac", /0 Hz/);
  });
  it("absurd sample rate, bit depth and block align", async () => {
    await rejects(wav({ sampleRate: 4_000_000_000 }), "fast.wav", /unsupported sample rate/);
    await rejects(wav({ bits: 0, blockAlign: 4 }), "bits.wav", /unsupported WAV sample format/);
    await rejects(wav({ bits: 40 }), "bits40.wav", /unsupported WAV sample format/);
    await rejects(wav({ blockAlign: 7 }), "align.wav", /block align 7/);
  });
  it("chunk size past the end of the file before any data", () => {
    const b = wav({ extraChunks: [{ id: "LIST", body: new Uint8Array(8) }] });
    new DataView(b.buffer).setUint32(40, 0xffffff00, true);
    return rejects(b, "list.wav", /chunk 'LIST' declares/);
  });
  it("NaN and Inf samples in a float WAV become 0 with a warning", async () => {
    const f = new Float32Array([0.5, NaN, Infinity, -0.25]);
    const a = await loadAudio(
      buildWav({ formatTag: 3, channels: 1, sampleRate: 48000, bits: 32, data: new Uint8Array(f.buffer) }),
      { sampleRate: null },
    );
    expect(Array.from(a.channels[0])).toEqual([0.5, 0, 0, -0.25]);
    expect(a.warnings.join()).toMatch(/NaN/);
  });
});

describe("duration and size caps", () => {
  const TWO_HOURS = 2 * 3600 * 48000;
  // The files hold a header that claims two hours and almost no data: the duration comes from the header.
  const fast = (bytes: Uint8Array, name: string) =>
    rejects(bytes, name, /duration 7200\.0 s .*exceeds the limit of 600 s/);
  it("a 2-hour WAV header is refused without decoding", () => fast(wav({ dataSize: TWO_HOURS * 4 }), "long.wav"));
  it("a 2-hour FLAC STREAMINFO is refused without decoding", async () => {
    const flac = await encodeAudio(short, { format: "flac" });
    flac[21] = (flac[21] & 0xf0) | Math.floor(TWO_HOURS / 2 ** 32);
    new DataView(flac.buffer).setUint32(22, TWO_HOURS >>> 0);
    await fast(flac, "long.flac");
  });
  it("a 2-hour Ogg (last page granule) is refused without decoding", async () => {
    const ogg = await encodeAudio(short, { format: "ogg" });
    let last = ogg.length - 27;
    while (!(ogg[last] === 0x4f && ogg[last + 1] === 0x67 && ogg[last + 2] === 0x67 && ogg[last + 3] === 0x53)) last--;
    new DataView(ogg.buffer).setUint32(last + 6, TWO_HOURS, true);
    await fast(ogg, "long.ogg");
  });
  it("an MP3 of exactly the cap still loads (encoder delay and padding are tolerated)", async () => {
    const mp3 = await encodeAudio(sineTone({ freq: 440, seconds: 1 }), { format: "mp3" });
    const a = await loadAudio(mp3, { maxSeconds: 1 });
    expect(a.source.duration).toBeGreaterThan(1);
    await rejects(mp3, "a.mp3", /exceeds the limit of 0.5 s/, { maxSeconds: 0.5 });
  });
  it("maxSeconds and maxBytes are configurable", async () => {
    await rejects(wav(), "a.wav", /exceeds the limit of 0.25 s/, { maxSeconds: 0.25 });
    await rejects(wav(), "a.wav", /over the 1000-byte limit/, { maxBytes: 1000 });
    const dir = mkdtempSync(join(tmpdir(), "cap-"));
    writeFileSync(join(dir, "a.wav"), wav());
    await expect(loadAudioFile(join(dir, "a.wav"), { maxBytes: 1000 })).rejects.toThrow(
      /^a\.wav: file is \d+ bytes, over/,
    );
  });
});

describe("normalisation", () => {
  it("content wins over the extension", async () => {
    const a = await loadAudio(await encodeAudio(short, { format: "flac" }), { name: "really-flac.mp3" });
    expect(a.source.format).toBe("flac");
  });
  it("mono is duplicated, 6 channels keep the first two, everything ends at 48 kHz in [−1, 1]", async () => {
    const mono = await loadAudio(
      buildWav({
        channels: 1,
        sampleRate: 22050,
        bits: 16,
        data: pcm16(sineTone({ freq: 440, seconds: 0.2, channels: 1, sampleRate: 22050 })),
      }),
    );
    expect(mono.sampleRate).toBe(48000);
    expect(mono.channels).toHaveLength(2);
    expect(mono.channels[1]).toEqual(mono.channels[0]);
    const six = sineTone({ freq: [1, 2, 3, 4, 5, 6].map((k) => 100 * k), seconds: 0.1, amplitude: 1 });
    const a = await loadAudio(await encodeAudio(six, { format: "wav", bitDepth: 32 }));
    expect(a.channels).toEqual(six.channels.slice(0, 2));
    const hot = await loadAudio(await encodeAudio(six, { format: "wav", bitDepth: 32 }), { sampleRate: 44100 });
    expect(Math.max(...hot.channels[0].map(Math.abs))).toBeLessThanOrEqual(1);
  });
});

describe("fuzz: damaged copies of valid files never escape as anything but AudioDecodeError", () => {
  it("random truncations and byte flips", async () => {
    const tiny = sineTone({ freq: [440, 660], seconds: 0.1 });
    const files = [
      await encodeAudio(tiny, { format: "wav" }),
      await encodeAudio(tiny, { format: "flac" }),
      await encodeAudio(tiny, { format: "mp3" }),
      await encodeAudio(tiny, { format: "ogg" }),
    ];
    const rnd = noise(4000, 99);
    let r = 0;
    const next = () => (rnd[r++ % rnd.length] << 8) | rnd[r++ % rnd.length];
    for (let round = 0; round < 60; round++) {
      const src = files[round % files.length];
      const b = src.slice(0, round % 3 === 0 ? next() % src.length : src.length);
      for (let k = 0; k < 1 + (round % 5); k++) if (b.length) b[next() % Math.min(b.length, 200)] = next() & 0xff;
      const res = await loadAudio(b, { name: `fuzz${round}` }).then(
        () => null,
        (e: unknown) => e,
      );
      if (res !== null) expect(res).toBeInstanceOf(AudioDecodeError);
    }
  });
});
