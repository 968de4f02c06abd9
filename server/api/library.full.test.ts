// The official inference document's examples (ace-step/ACE-Step-1.5 docs/ja/INFERENCE.md) through the library API on
// the tiny demo models, one test per example. Long: `npm run test:full`. npm test covers each task once through
// the example graphs (test/examples.test.ts) and one library run (library.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAppContext, type AppContext } from "../app-context";
import { encodeWav } from "../audio/wav";
import { createSample, formatSample, generateMusic, understandMusic } from "./library";
import type { GenerationResult } from "./params";

const NO_LM = { thinking: false, use_cot_metas: false, use_cot_caption: false, use_cot_language: false };
const BASE = { models: { dit: "acestep-v15-base" } };
let real: AppContext;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "acestep-api-full-"));
  real = createAppContext({ dataDir: dir, progressIntervalMs: 0 });
  const sine = (f: number) => new Float32Array(48000 * 12).map((_, i) => 0.3 * Math.sin((2 * Math.PI * f * i) / 48000));
  mkdirSync(join(dir, "uploads"), { recursive: true });
  writeFileSync(
    join(dir, "uploads", "original.wav"),
    encodeWav({ sampleRate: 48000, channels: [sine(220), sine(330)] }),
  );
});
afterAll(async () => {
  await real.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("official examples end to end (tiny models)", () => {
  const tiny = { inference_steps: 2, duration: 10 };
  const noLm = { ...NO_LM, ...tiny };
  const ok = (r: GenerationResult, n = 1) => {
    expect(r.error).toBeNull();
    expect(r.audios).toHaveLength(n);
    for (const a of r.audios) {
      expect(a.key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
      expect(a.samples?.[0].length).toBeGreaterThan(0);
    }
  };
  it("quick start", async () => {
    const p = { caption: "upbeat electronic dance music with heavy bass", bpm: 128, duration: 30, inference_steps: 2 };
    ok(await generateMusic(p, { batch_size: 2, audio_format: "flac" }, { app: real }), 2);
  });
  it("1. text2music (thinking off)", async () => {
    const p = {
      ...noLm,
      task_type: "text2music",
      caption: "energetic rock with electric guitar",
      lyrics: "[Instrumental]",
      bpm: 140,
    };
    ok(await generateMusic(p, { batch_size: 2 }, { app: real }), 2);
  });
  it("2. cover", async () => {
    const p = {
      ...noLm,
      task_type: "cover",
      src_audio: "uploads/original.wav",
      caption: "jazz piano version",
      audio_cover_strength: 0.8,
    };
    ok(await generateMusic(p, { batch_size: 1 }, { app: real }));
  });
  it("3. repaint", async () => {
    const p = {
      ...noLm,
      task_type: "repaint",
      src_audio: "uploads/original.wav",
      repainting_start: 2,
      repainting_end: 6,
      caption: "smooth transition with piano solo",
    };
    ok(await generateMusic(p, { batch_size: 1 }, { app: real }));
  });
  it("4. lego (base model)", async () => {
    const p = {
      ...noLm,
      task_type: "lego",
      src_audio: "uploads/original.wav",
      instruction: "Generate the guitar track based on the audio context:",
      caption: "bluesy lead guitar",
      repainting_start: 0,
      repainting_end: -1,
    };
    ok(await generateMusic(p, { batch_size: 1 }, { app: real, ...BASE }));
    const turbo = await generateMusic(p, { batch_size: 1 }, { app: real });
    expect(turbo.error).toMatch(/lego needs a base DiT/);
  });
  it("5. extract (base model)", async () => {
    const p = {
      ...noLm,
      task_type: "extract",
      src_audio: "uploads/original.wav",
      instruction: "Extract the vocals track from the audio:",
    };
    ok(await generateMusic(p, { batch_size: 1 }, { app: real, ...BASE }));
  });
  it("6. complete (base model)", async () => {
    const p = {
      ...noLm,
      task_type: "complete",
      src_audio: "uploads/original.wav",
      instruction: "Complete the input track with drums, bass, guitar:",
      caption: "rock",
    };
    ok(await generateMusic(p, { batch_size: 1 }, { app: real, ...BASE }));
  });
  it("reference_audio (timbre) with text2music", async () => {
    ok(
      await generateMusic(
        { ...noLm, caption: "x", reference_audio: "uploads/original.wav" },
        { batch_size: 1 },
        { app: real },
      ),
    );
  });
  it("understand_music", async () => {
    expect((await understandMusic("<|audio_code_123|><|audio_code_456|>", { app: real })).success).toBe(true);
  });
  it("create_sample", async () => {
    expect(
      (await createSample("a soft Bengali love song for a quiet night", { app: real, vocalLanguage: "bn" })).success,
    ).toBe(true);
  });
  it("format_sample", async () => {
    const r = await formatSample("latin pop, reggaeton", "[Verse 1]\nBailando en la noche...", {
      app: real,
      userMetadata: { bpm: 95 },
    });
    expect(r.success).toBe(true);
  });
});
