// Repaint keeps the source outside its window by default (injection + latent crossfade + waveform splice, as
// upstream generate_music @ 01aeee3), and a negative repainting_start out-paints before the song.
// Runs the library on the tiny demo models.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAppContext, type AppContext } from "../server/app-context";
import { generateMusic } from "../server/api/library";
import { encodeWav } from "../server/audio/wav";

const SR = 48_000;
let app: AppContext;
let dir: string;
let source: Float32Array;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "acestep-repaint-"));
  app = createAppContext({ dataDir: dir, threads: 2 });
  // 6 s of two tones (longer than the 128-frame minimum, so the whole output lies inside the source)
  const n = 6 * SR;
  const ch = (source = Float32Array.from(
    { length: n },
    (_, i) => 0.3 * Math.sin((2 * Math.PI * 220 * i) / SR) + 0.1 * Math.sin((2 * Math.PI * 555 * i) / SR),
  ));
  mkdirSync(join(dir, "uploads"), { recursive: true });
  writeFileSync(join(dir, "uploads", "src.wav"), encodeWav({ sampleRate: SR, channels: [ch, ch.slice()] }, "float32"));
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

/** RMS of a − b over the sample ranges, both channels. */
function rmsDiff(a: Float32Array[], b: Float32Array[], ranges: Array<[number, number]>): number {
  let sum = 0;
  let count = 0;
  for (let c = 0; c < a.length; c++)
    for (const [from, to] of ranges)
      for (let i = Math.round(from); i < Math.min(Math.round(to), a[c].length, b[c].length); i++) {
        sum += (a[c][i] - b[c][i]) ** 2;
        count++;
      }
  return Math.sqrt(sum / count);
}

const NO_LM = { thinking: false, use_cot_metas: false, use_cot_caption: false, use_cot_language: false };
const repaint = (extra: Record<string, unknown>) =>
  generateMusic(
    {
      ...NO_LM,
      task_type: "repaint",
      src_audio: "uploads/src.wav",
      caption: "piano",
      repainting_start: 2,
      repainting_end: 4,
      ...extra,
    },
    { batch_size: 2, use_random_seed: false, seeds: [1, 2], audio_format: "wav" },
    { app },
  );

describe("repaint", () => {
  it("with two seeds keeps the audio outside the window (RMS difference ≤ 5 % of the inside one)", async () => {
    const r = await repaint({});
    expect(r.error).toBeNull();
    const [a, b] = r.audios.map((x) => x.samples!);
    const inside = rmsDiff(a, b, [[2 * SR, 4 * SR]]);
    const outside = rmsDiff(a, b, [
      [0, 1.9 * SR],
      [4.1 * SR, 6 * SR],
    ]);
    expect(inside).toBeGreaterThan(0);
    expect(outside).toBeLessThanOrEqual(0.05 * inside);
    // the kept part is the source itself: each item is anti-clipped before the splice (upstream's order), so the
    // generated part's peak does not scale it — and `samples` are what was written
    for (const item of [a, b]) {
      const src = [source, source];
      expect(rmsDiff(item, src, [[0, 1.9 * SR]])).toBeLessThan(1e-6);
      expect(rmsDiff(item, src, [[4.1 * SR, 6 * SR]])).toBeLessThan(1e-6);
    }
    // aggressive regenerates everything, as the Feb 2026 upstream did
    const [c, d] = (await repaint({ repaint_mode: "aggressive" })).audios.map((x) => x.samples!);
    expect(
      rmsDiff(c, d, [
        [0, 1.9 * SR],
        [4.1 * SR, 6 * SR],
      ]),
    ).toBeGreaterThan(0.05 * rmsDiff(c, d, [[2 * SR, 4 * SR]]));
  });

  it("a negative repainting_start pads on the left: the output grows by the pad and the source follows it", async () => {
    const r = await repaint({ repainting_start: -1, repainting_end: 1 });
    expect(r.error).toBeNull();
    const [a, b] = r.audios.map((x) => x.samples!);
    expect(a[0].length).toBeGreaterThanOrEqual(7 * SR);
    // after the window (1 s of pad + 1 s of song) both seeds carry the source
    expect(rmsDiff(a, b, [[2.1 * SR, 7 * SR]])).toBeLessThanOrEqual(0.05 * rmsDiff(a, b, [[0, 2 * SR]]));
  });
});
