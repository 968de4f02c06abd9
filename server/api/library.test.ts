// The library API over the engine: results (paths, keys, seeds, samples, time_costs, lm_metadata, cot_*),
// user errors as success=false, the LM helpers, and one real run on the tiny demo models. The official
// examples end to end are in library.full.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAppContext, type AppContext } from "../app-context";
import { validateGraph } from "../graph/validate";
import { generateUuidFromParams, pythonJsonDumps } from "../audio/result-key";
import { encodeWav } from "../audio/wav";
import { loadAudioFile } from "../audio/decode";
import {
  TIME_COST_KEYS,
  keyDict,
  buildGraph,
  createSample,
  formatSample,
  generateMusic,
  itemKey,
  parseGenerationParams,
  understandMusic,
  type ProgressInfo,
} from "./library";
import { fakeRegistry } from "./testing";

const NO_LM = { thinking: false, use_cot_metas: false, use_cot_caption: false, use_cot_language: false };
let app: AppContext;
let real: AppContext;
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "acestep-api-"));
  dirs.push(d);
  return d;
};

beforeAll(() => {
  app = createAppContext({ dataDir: tmp(), registry: fakeRegistry(), progressIntervalMs: 0 });
  real = createAppContext({ dataDir: tmp(), progressIntervalMs: 0 });
});
afterAll(async () => {
  await app.close();
  await real.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("generateMusic (stand-in nodes with the real declarations)", () => {
  it("returns one audio per batch item with path, key, sample_rate, params (seed, codes) and samples", async () => {
    const r = await generateMusic(
      { ...NO_LM, caption: "lofi piano", bpm: 90 },
      { batch_size: 2, use_random_seed: false, seeds: [11, 22], audio_format: "wav" },
      { app },
    );
    expect(r.error).toBeNull();
    expect(r.success).toBe(true);
    expect(r.audios).toHaveLength(2);
    r.audios.forEach((a, i) => {
      expect(a.path).toMatch(/^outputs\/[0-9a-f-]+\/.+\.wav$/);
      expect(existsSync(a.absolutePath)).toBe(true);
      expect(a.sampleRate).toBe(48000);
      expect(a.params.seed).toBe([11, 22][i]);
      expect(a.params.caption).toBe("lofi piano");
      expect(a.samples).toHaveLength(2);
      expect(a.samples![0].length).toBeGreaterThan(0);
      // upstream generate_uuid_from_params over GenerationParams.to_dict() with this item's seed
      expect(a.key).toBe(generateUuidFromParams(keyDict(a.params)));
      // the file is named by its key, as upstream's {key}.{format}
      expect(a.path.split("/").pop()).toBe(`${a.key}.wav`);
    });
    expect(r.audios[0].key).not.toBe(r.audios[1].key);
    expect(r.audios[0].samples![0]).not.toEqual(r.audios[1].samples![0]);
    expect(r.extraOutputs.seedValue).toBe("11, 22");
    expect(r.extraOutputs.lmMetadata).toBeNull();
    expect(r.extraOutputs.runId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("items with the same key share one {key}.{format} file, as upstream (the later item is written last)", async () => {
    const r = await generateMusic(
      { ...NO_LM, caption: "twins" },
      { batch_size: 2, use_random_seed: false, seeds: [3, 3], audio_format: "wav" },
      { app },
    );
    expect(r.audios[0].key).toBe(r.audios[1].key);
    expect(r.audios[0].path).toBe(r.audios[1].path);
    expect(r.audios[0].path.endsWith(`/${r.audios[0].key}.wav`)).toBe(true);
    expect(existsSync(r.audios[0].absolutePath)).toBe(true);
  });

  it("save_dir: each result is written as {save_dir}/{key}.{format} and path names it; a bad folder is a user error", async () => {
    const saveDir = join(tmp(), "out", "nested");
    const r = await generateMusic(
      { ...NO_LM, caption: "saved" },
      { batch_size: 2, use_random_seed: false, seeds: [11, 22], audio_format: "wav" },
      { app, saveDir },
    );
    expect(r.error).toBeNull();
    expect(readdirSync(saveDir).sort()).toEqual(r.audios.map((a) => `${a.key}.wav`).sort());
    for (const a of r.audios) {
      expect(a.path).toBe(join(saveDir, `${a.key}.wav`));
      expect(a.absolutePath).toBe(a.path);
      // the same bytes as the file the run wrote into its folder
      const run = app.store.listOutputs(r.extraOutputs.runId!).find((o) => o.path.endsWith(`/${a.key}.wav`));
      expect(readFileSync(a.path)).toEqual(readFileSync(join(app.config.dataDir, run!.path)));
    }
    const notDir = join(tmp(), "a-file");
    writeFileSync(notDir, "x");
    const bad = await generateMusic({ ...NO_LM }, { batch_size: 1 }, { app, saveDir: join(notDir, "sub") });
    expect(bad.success).toBe(false);
    expect(bad.error).toMatch(/save_dir: cannot create ".*a-file\/sub" \(ENOTDIR\)/);
  });

  it("progress inside a job (REST): only this graph's stages, in order, ending at 1; a throwing callback is ignored", async () => {
    const seen: Array<{ fraction: number; stage: string; event: string }> = [];
    let result: Awaited<ReturnType<typeof generateMusic>> | undefined;
    app.runs.registerKind("progress-test", {
      run: async (ctx) => {
        ctx.setStage("before");
        result = await generateMusic(
          { ...NO_LM, caption: "job" },
          { batch_size: 1 },
          {
            app,
            inside: { runId: ctx.run.id, runGraph: (g) => ctx.runGraph(g) },
            progress: (fraction, _desc, info) => {
              seen.push({ fraction, stage: info.stage, event: info.event });
              throw new Error("a caller's bug");
            },
          },
        );
        return { status: result.success ? "finished" : "failed" };
      },
    });
    const { runId } = app.runs.submit("progress-test", {});
    await app.runs.waitFor(runId);
    expect(result?.error).toBeNull();
    const fractions = seen.map((c) => c.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(seen.at(-1)).toMatchObject({ fraction: 1, stage: "done" });
    const finished = seen.filter((c) => c.event === "finished").map((c) => c.stage);
    expect(new Set(finished)).toEqual(new Set(Object.keys((result!.extraOutputs.graph as { nodes: object }).nodes)));
    expect(finished.indexOf("sampler")).toBeLessThan(finished.indexOf("save"));
  });

  it("keys are deterministic: the same params and seed give the same key", async () => {
    const a = await generateMusic(
      { ...NO_LM, caption: "same" },
      { batch_size: 1, use_random_seed: false, seeds: [5] },
      { app },
    );
    const b = await generateMusic(
      { ...NO_LM, caption: "same" },
      { batch_size: 1, use_random_seed: false, seeds: [5] },
      { app },
    );
    expect(a.audios[0].key).toBe(b.audios[0].key);
    expect(a.audios[0].key).toBe(itemKey(parseGenerationParams({ ...NO_LM, caption: "same", seed: 5 })));
  });

  it("the hashed dict writes Python's int/float literals: dataclass defaults keep theirs, whole numbers given are ints", () => {
    const d = pythonJsonDumps(keyDict(parseGenerationParams({ duration: 30, seed: 1 })));
    expect(d).toContain('"duration": 30, ');
    expect(d).toContain('"repainting_end": -1, ');
    expect(d).toContain('"shift": 1.0, ');
    expect(d).toContain('"guidance_scale": 7.0, ');
    expect(d).toContain('"lm_top_p": 0.9, ');
    expect(d).toContain('"bpm": null, ');
    expect(d.startsWith('{"audio_codes": "", "audio_cover_strength": 1.0, "bpm": null, "caption": "", ')).toBe(true);
    const rest = pythonJsonDumps(keyDict(parseGenerationParams({ duration: 30 }), "rest"));
    expect(rest).toContain('"duration": 30.0, ');
    expect(rest).toContain('"repainting_end": -1.0, ');
  });

  it("time_costs carries the upstream keys (DiT only without the LM)", async () => {
    const r = await generateMusic(NO_LM, { batch_size: 1 }, { app });
    const keys = Object.keys(r.extraOutputs.timeCosts);
    for (const k of [
      "dit_encoder_time_cost",
      "dit_diffusion_time_cost",
      "dit_diffusion_per_step_time_cost",
      "dit_total_time_cost",
      "dit_offload_time_cost",
      "dit_vae_decode_time_cost",
      "pipeline_total_time",
    ])
      expect(keys).toContain(k);
    expect(keys.every((k) => (TIME_COST_KEYS as readonly string[]).includes(k))).toBe(true);
    expect(keys).not.toContain("lm_total_time");
  });

  it("with the LM: lm_metadata, LM codes per item, cot_* filled for what the user left empty", async () => {
    const r = await generateMusic(
      { caption: "anthem", lyrics: "[verse]\nhey", use_cot_lyrics: true },
      { batch_size: 2, use_random_seed: false, seeds: [1, 2] },
      { app },
    );
    expect(r.success).toBe(true);
    expect(r.extraOutputs.lmMetadata).toMatchObject({
      bpm: 123,
      keyscale: "D minor",
      timesignature: "4",
      duration: 30,
      language: "en",
      caption: "lm caption",
    });
    expect(r.extraOutputs.timeCosts.lm_total_time).toBeGreaterThanOrEqual(0);
    const [a, b] = r.audios;
    expect(a.params.audioCodes).toBe("<|audio_code_0|><|audio_code_1|><|audio_code_2|>");
    expect(b.params.audioCodes).toBe("<|audio_code_1|><|audio_code_2|><|audio_code_3|>");
    expect(a.params).toMatchObject({
      cotBpm: 123,
      cotKeyscale: "D minor",
      cotTimesignature: "4",
      cotDuration: 30,
      cotCaption: "",
      cotLyrics: "",
      useCotLyrics: true,
    });
    expect(a.key).not.toBe(b.key);
  });

  it("user errors never throw: success=false with the field named", async () => {
    const bad = await generateMusic({ bpm: 500, foo: 1 }, {}, { app });
    expect(bad.success).toBe(false);
    expect(bad.error).toMatch(/unknown GenerationParams field "foo"/);
    expect(bad.error).toMatch(/bpm must be 30–300/);
    const cfg = await generateMusic({}, { batch_size: 12 }, { app });
    expect(cfg.error).toMatch(/batch_size must be 1–8/);
    const noSrc = await generateMusic({ ...NO_LM, task_type: "repaint" }, {}, { app });
    expect(noSrc.error).toMatch(/needs src_audio/);
    const missing = await generateMusic({ ...NO_LM, task_type: "cover", src_audio: "uploads/nope.flac" }, {}, { app });
    expect(missing.error).toMatch(/src_audio: no file "uploads\/nope.flac"/);
    const codes = await generateMusic({ ...NO_LM, audio_codes: "garbage" }, {}, { app });
    expect(codes.error).toMatch(/audio_codes has no <\|audio_code_N\|> tokens/);
    expect(codes.statusMessage).toMatch(/^Error: /);
  });

  it("src_audio outside the data folder is copied in (library) or refused (REST)", async () => {
    const outside = join(tmp(), "song.wav");
    writeFileSync(
      outside,
      encodeWav({ sampleRate: 48000, channels: [new Float32Array(4800), new Float32Array(4800)] }),
    );
    const ok = await generateMusic({ ...NO_LM, task_type: "cover", src_audio: outside }, { batch_size: 1 }, { app });
    expect(ok.success).toBe(true);
    const g = ok.extraOutputs.graph as { nodes: Record<string, { params?: Record<string, unknown> }> };
    expect(String(g.nodes.src.params?.file)).toMatch(/^uploads\/[0-9a-f]{16}-song\.wav$/);
    const refused = await generateMusic(
      { ...NO_LM, task_type: "cover", src_audio: outside },
      { batch_size: 1 },
      { app, outsidePaths: "refuse" },
    );
    expect(refused.error).toMatch(/outside the data folder/);
  });

  it("loras: Load LoRA nodes chained before the sampler; an adapter outside the data folder is copied in or refused", async () => {
    const outside = join(tmp(), "my-style");
    mkdirSync(outside);
    writeFileSync(join(outside, "adapter_config.json"), "{}");
    writeFileSync(join(outside, "adapter_model.safetensors"), "x");
    const loras = [
      { path: outside, scale: 0.8 },
      { path: "loras/other.safetensors", scale: -0.5 },
    ];
    const ok = await generateMusic({ ...NO_LM, caption: "x" }, { batch_size: 1 }, { app, loras });
    expect(ok.success).toBe(true);
    const g = ok.extraOutputs.graph as {
      nodes: Record<string, { params?: Record<string, unknown>; inputs?: Record<string, { node: string }> }>;
    };
    expect(String(g.nodes.lora0.params?.file)).toMatch(/^loras\/[0-9a-f]{16}-my-style$/);
    expect(existsSync(join(app.config.dataDir, String(g.nodes.lora0.params?.file), "adapter_model.safetensors"))).toBe(
      true,
    );
    expect(g.nodes.lora1.params).toEqual({ file: "loras/other.safetensors", scale: -0.5 });
    expect(g.nodes.lora1.inputs?.dit.node).toBe("lora0");
    expect(g.nodes.sampler.inputs?.dit.node).toBe("lora1");
    expect(validateGraph(g as never, app.registry).ok).toBe(true);
    const refused = await generateMusic(
      { ...NO_LM, caption: "x" },
      { batch_size: 1 },
      { app, loras, outsidePaths: "refuse" },
    );
    expect(refused.error).toMatch(/LoRA .*my-style" is outside the data folder/);
  });

  it("buildGraph gives a graph the editor's validator accepts", () => {
    const g = buildGraph({ caption: "x", inference_steps: 12 }, { batch_size: 3 }, { app });
    expect(validateGraph(g, app.registry).ok).toBe(true);
    expect(g.nodes.sampler.params?.steps).toBe(12);
  });
});

describe("with this build's real nodes (tiny demo models)", () => {
  it("text2music runs end to end with progress; samples are what was written (anti-clipped, equal to the decoded wav within 16-bit rounding)", async () => {
    const calls: Array<{ fraction: number; desc: string; info: ProgressInfo }> = [];
    const r = await generateMusic(
      { ...NO_LM, caption: "y", inference_steps: 2, duration: 10 },
      { batch_size: 2, audio_format: "wav" },
      { app: real, progress: (fraction, desc, info) => calls.push({ fraction, desc, info }) },
    );
    expect(r.error).toBeNull();
    // progress: per stage and per step, the overall fraction never decreasing and ending at 1
    const fractions = calls.map((c) => c.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(calls.at(-1)).toMatchObject({ fraction: 1, info: { stage: "done", event: "done" } });
    const samplerSteps = calls.filter((c) => c.info.stage === "sampler" && c.info.event === "step");
    // the turbo DiT runs its fixed 8-step table, as upstream; the last step is always reported
    expect(samplerSteps.at(-1)?.info).toMatchObject({ step: 8, total: 8, nodeType: "ace.ditSampler" });
    const finishedOrder = calls.filter((c) => c.info.event === "finished").map((c) => c.info.stage);
    expect(new Set(finishedOrder)).toEqual(new Set(Object.keys((r.extraOutputs.graph as { nodes: object }).nodes)));
    expect(finishedOrder.indexOf("sampler")).toBeLessThan(finishedOrder.indexOf("decode"));
    expect(finishedOrder.indexOf("decode")).toBeLessThan(finishedOrder.indexOf("save"));
    for (const a of r.audios) {
      const file = await loadAudioFile(a.absolutePath, { sampleRate: null });
      expect(file.channels).toHaveLength(a.samples!.length);
      let peak = 0;
      let worst = 0;
      a.samples!.forEach((ch, c) => {
        expect(file.channels[c].length).toBe(ch.length);
        for (let i = 0; i < ch.length; i++) {
          peak = Math.max(peak, Math.abs(ch[i]));
          worst = Math.max(worst, Math.abs(ch[i] - file.channels[c][i]));
        }
      });
      expect(peak).toBeLessThanOrEqual(1);
      expect(peak).toBeGreaterThan(0.5); // the demo decode peaks far above 1.0: anti-clipped to exactly 1.0
      expect(worst).toBeLessThanOrEqual(1 / 32767);
    }
    const run = real.store.getRun(r.extraOutputs.runId!);
    const ran = Object.keys((run!.graph as { nodes: object }).nodes).sort();
    expect(ran).toEqual(Object.keys((r.extraOutputs.graph as { nodes: object }).nodes).sort());
  });
});

describe("LM helpers (stand-in nodes)", () => {
  it("understandMusic returns caption, lyrics and metadata", async () => {
    const r = await understandMusic("<|audio_code_123|><|audio_code_456|>", {
      app,
      temperature: 0.85,
      useConstrainedDecoding: true,
    });
    expect(r).toMatchObject({
      success: true,
      error: null,
      caption: "lm.understand caption",
      bpm: 100,
      keyscale: "C major",
      duration: 60,
      language: "en",
      timesignature: "4",
    });
  });
  it("createSample echoes instrumental", async () => {
    const r = await createSample("a soft Bengali love song for a quiet night", {
      app,
      instrumental: false,
      vocalLanguage: "bn",
      temperature: 0.85,
    });
    expect(r).toMatchObject({ success: true, instrumental: false, caption: "lm.createSample caption" });
  });
  it("formatSample with user metadata", async () => {
    const r = await formatSample("latin pop, reggaeton", "[Verse 1]\nBailando en la noche...", {
      app,
      userMetadata: { bpm: 95 },
      temperature: 0.85,
    });
    expect(r).toMatchObject({ success: true, caption: "lm.formatSample caption" });
  });
  it("understandMusic takes audio: the file is staged like src_audio and fed to LM Understand with a DiT and a VAE", async () => {
    const outside = join(tmp(), "listen.wav");
    writeFileSync(
      outside,
      encodeWav({ sampleRate: 48000, channels: [new Float32Array(4800), new Float32Array(4800)] }),
    );
    const r = await understandMusic({ audio: outside }, { app });
    expect(r).toMatchObject({ success: true, caption: "lm.understand caption" });
    expect(readdirSync(join(app.config.dataDir, "uploads")).some((f) => f.endsWith("-listen.wav"))).toBe(true);
    const missing = await understandMusic({ audio: "uploads/nope.wav" }, { app });
    expect(missing.error).toMatch(/audio: no file "uploads\/nope.wav"/);
    const refused = await understandMusic({ audio: outside }, { app, outsidePaths: "refuse" });
    expect(refused.error).toMatch(/outside the data folder/);
  });

  it("LM Understand's audio input needs a DiT and a VAE, and not codes as well", () => {
    const L = (node: string, output: string) => ({ node, output });
    const nodes = {
      lmModel: { type: "models.lm" },
      dit: { type: "models.dit" },
      vae: { type: "models.vae" },
      src: { type: "audio.load", params: { file: "uploads/x.wav" } },
      codes: { type: "ace.audioCodes", params: { codes: "<|audio_code_1|>" } },
    };
    const issues = (inputs: Record<string, { node: string; output: string }>) =>
      real.runs
        .validate({
          version: 1,
          nodes: { ...nodes, u: { type: "lm.understand", inputs: { lm: L("lmModel", "lm"), ...inputs } } },
        })
        .map((i) => i.message)
        .join("\n");
    expect(issues({ audio: L("src", "audio"), dit: L("dit", "dit"), vae: L("vae", "vae") })).toBe("");
    expect(issues({ audio: L("src", "audio"), vae: L("vae", "vae") })).toMatch(/needs a DiT .* connected to "dit"/);
    expect(issues({ audio: L("src", "audio"), dit: L("dit", "dit") })).toMatch(/needs a VAE .* connected to "vae"/);
    expect(
      issues({ audio: L("src", "audio"), codes: L("codes", "codes"), dit: L("dit", "dit"), vae: L("vae", "vae") }),
    ).toMatch(/codes or audio, not both/);
  });

  it("bad sampling values are user errors", async () => {
    expect((await understandMusic("", { app, temperature: 5 })).error).toMatch(/temperature must be 0.0–2.0/);
  });
});
