import { describe, expect, it } from "vitest";
import { sineTone } from "./analysis";
import { loadAudio } from "./decode";
import { buildWav, pcm16 } from "./testing";
import type { Audio } from "./types";
import { encodeWav } from "./wav";

const onGrid = (a: Audio, full: number): Audio => ({
  sampleRate: a.sampleRate,
  channels: a.channels.map((c) => c.map((x) => Math.round(x * full) / full + 0)), // + 0: no −0
});
const keep = { sampleRate: null } as const;

describe("WAV round trip", () => {
  const tone = sineTone({ freq: [440, 660], seconds: 0.5, amplitude: 0.9 });

  it("16-bit is exact for samples on the 1/32768 grid, ≤ ½ LSB otherwise", async () => {
    const grid = onGrid(tone, 32768);
    const back = await loadAudio(encodeWav(grid, "pcm16"), keep);
    expect(back.channels).toEqual(grid.channels);
    const raw = await loadAudio(encodeWav(tone, "pcm16"), keep);
    let err = 0;
    raw.channels.forEach((c, k) => c.forEach((x, i) => (err = Math.max(err, Math.abs(x - tone.channels[k][i])))));
    expect(err).toBeLessThanOrEqual(0.5 / 32768 + 1e-9);
  });

  it("24-bit is exact for samples on the 1/2^23 grid", async () => {
    const grid = onGrid(tone, 8388608);
    const back = await loadAudio(encodeWav(grid, "pcm24"), keep);
    expect(back.channels).toEqual(grid.channels);
    expect(back.source.bitDepth).toBe(24);
  });

  it("32-bit float is bit-exact, and values over 1 are clamped only at load", async () => {
    const loud: Audio = { sampleRate: 48000, channels: tone.channels.map((c) => c.map((x) => x * 1.5)) };
    const bytes = encodeWav(loud, "float32");
    expect((await loadAudio(bytes, keep)).channels[0].length).toBe(tone.channels[0].length);
    const exact = await loadAudio(encodeWav(tone, "float32"), keep);
    expect(exact.channels).toEqual(tone.channels);
    const clamped = await loadAudio(bytes, keep);
    expect(Math.max(...clamped.channels[0])).toBe(1);
  });

  it("writes WAVE_FORMAT_EXTENSIBLE for 6 channels and reads back the first two", async () => {
    const six = sineTone({ freq: [300, 500, 700, 900, 1100, 1300], seconds: 0.1 });
    const bytes = encodeWav(six, "pcm24");
    expect(new DataView(bytes.buffer).getUint16(20, true)).toBe(0xfffe);
    const back = await loadAudio(bytes, keep);
    expect(back.source.channels).toBe(6);
    expect(back.channels).toHaveLength(2);
    back.channels.forEach((c, k) => c.forEach((x, i) => expect(Math.abs(x - six.channels[k][i])).toBeLessThan(1e-6)));
    expect(back.warnings.join()).toMatch(/6 channels/);
  });

  it("reads 8-bit unsigned, 32-bit int and 64-bit float PCM", async () => {
    const m = sineTone({ freq: 1000, seconds: 0.05, channels: 1, amplitude: 0.5 });
    const n = m.channels[0].length;
    const u8 = Uint8Array.from(m.channels[0], (x) => Math.round(x * 128) + 128);
    const i32 = new Uint8Array(n * 4);
    const f64 = new Uint8Array(n * 8);
    m.channels[0].forEach((x, i) => {
      new DataView(i32.buffer).setInt32(i * 4, Math.round(x * 2 ** 31), true);
      new DataView(f64.buffer).setFloat64(i * 8, x, true);
    });
    for (const [bits, tag, data, tol] of [
      [8, 1, u8, 1 / 128],
      [32, 1, i32, 1e-7],
      [64, 3, f64, 0],
    ] as const) {
      const a = await loadAudio(buildWav({ formatTag: tag, channels: 1, sampleRate: 48000, bits, data }), keep);
      expect(a.channels).toHaveLength(2); // mono duplicated
      expect(a.channels[1]).toEqual(a.channels[0]);
      a.channels[0].forEach((x, i) => expect(Math.abs(x - m.channels[0][i])).toBeLessThanOrEqual(tol));
    }
  });

  it("handles odd-sized chunks with and without the pad byte", async () => {
    const data = pcm16(sineTone({ freq: 440, seconds: 0.01 }));
    for (const pad of [true, false]) {
      const bytes = buildWav({
        channels: 2,
        sampleRate: 48000,
        bits: 16,
        data,
        extraChunks: [{ id: "LIST", body: new Uint8Array(7).fill(65), pad }],
      });
      const a = await loadAudio(bytes, keep);
      expect(a.channels[0].length).toBe(480);
    }
  });

  it("reads RF64 with the data size in ds64", async () => {
    const data = pcm16(sineTone({ freq: 440, seconds: 0.01 }));
    const ds64 = new Uint8Array(28);
    new DataView(ds64.buffer).setUint32(8, data.length, true);
    const bytes = buildWav({
      channels: 2,
      sampleRate: 48000,
      bits: 16,
      data,
      dataSize: 0xffffffff,
      extraChunks: [{ id: "ds64", body: ds64 }],
    });
    bytes.set([0x52, 0x46, 0x36, 0x34], 0); // "RF64"
    const a = await loadAudio(bytes, keep);
    expect(a.channels[0].length).toBe(480);
    expect(a.warnings).toEqual([]);
  });
});
