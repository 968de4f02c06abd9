// Task latents inspected against acestep/handler.py `_prepare_batch`: instruction, chunk mask, source latents, frames.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAppContext, type AppContext } from "../server/app-context";
import { DitRunner } from "../server/pipeline/dit-runner";
import {
  audioToCodes,
  coverFromAudio,
  coverFromCodes,
  minimumLengthNote,
  sourceTask,
  text2musicLatent,
  windowTask,
  type TaskMeta,
} from "../server/pipeline/task-latents";
import { vaeEncode } from "../server/pipeline/vae";
import type { ManifestEntry } from "../server/models/convert/manifest";
import type { AudioValue } from "../nodes/values";

let app: AppContext;
let dir: string;
let turbo: DitRunner;
let vae: ManifestEntry;
const tone = (seconds: number): AudioValue => {
  const n = Math.round(seconds * 48_000);
  const ch = Float32Array.from({ length: n }, (_, i) => 0.4 * Math.sin((2 * Math.PI * 220 * i) / 48_000));
  return { sampleRate: 48_000, channels: [ch, ch.slice()] };
};
const src = tone(2); // 50 frames (the tiny VAE encoder is slow: keep sources short)

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "acestep-tasks-"));
  app = createAppContext({ dataDir: dir });
  turbo = new DitRunner(app.models, await app.models.find("dit", "acestep-v15-turbo"));
  vae = await app.models.find("vae");
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

const meta = (l: { meta?: Record<string, unknown> }) => l.meta as unknown as TaskMeta;
const maskOf = (m: TaskMeta) => Array.from({ length: m.frames }, (_, t) => m.context[t * 128 + 64]);
const srcRow = (m: TaskMeta, t: number) => Array.from(m.context.subarray(t * 128, t * 128 + 64));

describe("length notes", () => {
  it("say when the 128-frame minimum makes the result longer than the source, and only then", () => {
    expect(minimumLengthNote(1.5 * 48_000, 128)).toEqual([
      "the source is 1.50 s; latents have at least 128 frames, so the result is 5.12 s long",
    ]);
    expect(minimumLengthNote(6 * 48_000, 150)).toEqual([]);
    expect(minimumLengthNote(5.12 * 48_000, 128)).toEqual([]);
  });
});

describe("task latents (handler `_prepare_batch`, `prepare_padding_info`)", () => {
  it("text2music: silence source, all-ones chunk mask, text2music instruction, min 128 frames", () => {
    const m = meta(text2musicLatent(turbo, 128));
    expect(m.instruction).toBe("Fill the audio semantic mask based on the given conditions:");
    expect(maskOf(m).every((x) => x === 1)).toBe(true);
    expect(srcRow(m, 5)).toEqual(Array.from(turbo.silenceFrames(6).subarray(5 * 64, 6 * 64)));
  });

  it("repaint: window mask, source kept outside, silence inside; out-painting pads and shifts the window", async () => {
    const l = await windowTask(turbo, vae, src, { task: "repaint", start: 0.4, end: 1.2 });
    const m = meta(l);
    expect(m.instruction).toBe("Repaint the mask area based on the given conditions:");
    expect(m.frames).toBe(128); // 50 source frames, padded with silence to the 128-frame minimum
    expect(m.notes).toEqual(["the source is 2.00 s; latents have at least 128 frames, so the result is 5.12 s long"]);
    expect(m.window).toEqual({ startFrame: 10, endFrame: 30 });
    const mask = maskOf(m);
    expect(mask.slice(0, 10).every((x) => x === 0)).toBe(true);
    expect(mask.slice(10, 30).every((x) => x === 1)).toBe(true);
    expect(mask.slice(30).every((x) => x === 0)).toBe(true);
    const enc = await vaeEncode(app.models, vae, src);
    expect(srcRow(m, 5)).toEqual(Array.from(enc.data.subarray(5 * 64, 6 * 64)));
    expect(srcRow(m, 40)).toEqual(Array.from(enc.data.subarray(40 * 64, 41 * 64)));
    expect(srcRow(m, 20)).toEqual(Array.from(turbo.silenceFrames(21).subarray(20 * 64, 21 * 64)));

    const out = meta(await windowTask(turbo, vae, src, { task: "repaint", start: -1, end: 2.5 }));
    expect(out.padding).toMatchObject({ leftPadSamples: 48_000, rightPadSamples: 24_000, start: 0, end: 3.5 });
    expect(out.window).toEqual({ startFrame: 0, endFrame: 87 });
  });

  it("cover from audio goes through the tokenizer → detokenizer bottleneck; from codes T = max(5·N, 128)", async () => {
    const m = meta(await coverFromAudio(turbo, vae, src, 1, undefined));
    expect(m.instruction).toBe("Generate audio semantic tokens based on the given conditions:");
    expect(m.srcKind).toBe("source-tokenized");
    expect(maskOf(m).every((x) => x === 1)).toBe(true);
    const codes = await audioToCodes(turbo, vae, src);
    expect(codes).toHaveLength(10);
    expect(codes.every((c) => Number.isInteger(c) && c >= 0 && c < 64000)).toBe(true);
    const hints = await turbo.detokenize([codes]);
    expect(srcRow(m, 7)).toEqual(Array.from(hints.subarray(7 * 64, 8 * 64)));
    // cover_noise_strength re-noises upstream's src_latents: the VAE latents, not the bottlenecked hints
    const lat = await vaeEncode(app.models, vae, src);
    expect(Array.from(m.noiseSrc!.subarray(7 * 64, 8 * 64))).toEqual(Array.from(lat.data.subarray(7 * 64, 8 * 64)));
    expect(m.noiseSrc).toHaveLength(m.frames * 64);

    const fromCodes = meta(await coverFromCodes(turbo, codes, 0.5));
    expect(fromCodes.frames).toBe(128);
    expect(fromCodes.srcKind).toBe("code-hints");
    expect(fromCodes.coverStrength).toBe(0.5);
    expect(fromCodes.nonCover!.instruction).toBe("Fill the audio semantic mask based on the given conditions:");
    expect(meta(await coverFromCodes(turbo, [...codes, ...codes, ...codes], 1)).frames).toBe(150);
  });

  it("lego, extract and complete carry their exact instructions", async () => {
    const lego = meta(await windowTask(turbo, vae, src, { task: "lego", track: "guitar", start: 0, end: null }));
    expect(lego.instruction).toBe("Generate the GUITAR track based on the audio context:");
    const ex = meta(await sourceTask(turbo, vae, src, { task: "extract", tracks: ["vocals"] }));
    expect(ex.instruction).toBe("Extract the VOCALS track from the audio:");
    expect(maskOf(ex).every((x) => x === 1)).toBe(true);
    const co = meta(await sourceTask(turbo, vae, src, { task: "complete", tracks: ["drums", "bass"] }));
    expect(co.instruction).toBe("Complete the input track with DRUMS | BASS:");
  });
});

describe("task validation", () => {
  const withTask = (task: Record<string, unknown>, ditName = "") => ({
    version: 1,
    nodes: {
      dit: { type: "models.dit", params: { name: ditName } },
      vae: { type: "models.vae" },
      tone: { type: "audio.testTone" },
      task: {
        ...task,
        inputs: {
          dit: { node: "dit", output: "dit" },
          vae: { node: "vae", output: "vae" },
          audio: { node: "tone", output: "audio" },
          ...((task.inputs as object) ?? {}),
        },
      },
      dec: {
        type: "vae.decode",
        inputs: { vae: { node: "vae", output: "vae" }, latent: { node: "task", output: "latent" } },
      },
      save: { type: "audio.save", inputs: { audio: { node: "dec", output: "audio" } } },
    },
  });
  const issues = (g: unknown) => app.runs.validate(g).map((i) => `${i.nodeId}.${i.field}:${i.code}`);

  it("refuses lego/extract/complete on turbo, naming the dit input", () => {
    expect(issues(withTask({ type: "ace.lego", params: { track: "guitar" } }))).toEqual(["task.dit:cross_field"]);
    expect(issues(withTask({ type: "ace.extract" }, "acestep-v15-turbo"))).toEqual(["task.dit:cross_field"]);
    expect(issues(withTask({ type: "ace.complete" }, "acestep-v15-base"))).toEqual([]);
  });

  it("refuses a repaint end before its start and unknown stems", () => {
    expect(issues(withTask({ type: "ace.repaint", params: { start: 5, end: 3 } }))).toEqual(["task.end:cross_field"]);
    expect(issues(withTask({ type: "ace.complete", params: { tracks: "drums, kazoo" } }, "acestep-v15-base"))).toEqual([
      "task.tracks:cross_field",
    ]);
  });

  it("refuses a cover with neither source audio nor codes, and durations over 600 s", () => {
    const g = withTask({ type: "ace.cover" });
    delete (g.nodes.task as { inputs: Record<string, unknown> }).inputs.audio;
    expect(issues(g)).toEqual(["task.audio:cross_field"]);
    const empty = {
      version: 1,
      nodes: {
        dit: { type: "models.dit" },
        l: { type: "ace.emptyLatent", params: { duration: 700 }, inputs: { dit: { node: "dit", output: "dit" } } },
        vae: { type: "models.vae" },
        d: {
          type: "vae.decode",
          inputs: { vae: { node: "vae", output: "vae" }, latent: { node: "l", output: "latent" } },
        },
        s: { type: "audio.save", inputs: { audio: { node: "d", output: "audio" } } },
      },
    };
    expect(issues(empty)).toEqual(["l.duration:value_bigger_than_max"]);
  });

  it("fails a base-only task at run time when the DiT turns out to be turbo", async () => {
    const g = withTask({ type: "ace.extract" }, "acestep-v15-base");
    (g.nodes.dit.params as { name: string }).name = "acestep-v15-turbo";
    // validation catches the name; bypass it by naming the folder through a param link is not possible, so run the node directly:
    const { ExtractNode } = await import("../nodes/ace/tasks");
    await expect(
      ExtractNode.run(
        {
          inputs: {
            dit: { kind: "DIT", id: "acestep-v15-turbo", name: "t", demo: true },
            vae: { kind: "VAE", id: "vae", name: "vae", demo: true },
            audio: src,
          },
          params: { track: "vocals" },
        },
        {
          nodeId: "x",
          runId: "r",
          signal: new AbortController().signal,
          outputDir: dir,
          services: { models: app.models },
          progress() {},
          throwIfCancelled() {},
          result() {},
          log() {},
        },
      ),
    ).rejects.toThrow(/needs a base DiT/);
  });
});
