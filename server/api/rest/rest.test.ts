// The ACE-Step-compatible REST facade: upstream request fields and aliases, envelope, queue (429 when full),
// /query_result shapes and status values (unknown id included), /v1/audio confinement, /health, auth.
import { afterEach, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../../../test/helpers/server";
import { encodeWav } from "../../audio/wav";
import type { ExtraRoute } from "../../http/routes";
import { RestFacade, parseReleaseBody, type RestFacadeOptions } from "./index";
import type { GenerationResult } from "../params";
import { fakeRegistry } from "../testing";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A test server with the facade registered as an ExtraRoute (the facade needs the server's app). */
async function start(opts: RestFacadeOptions = {}, config: Record<string, unknown> & { dataDir?: string } = {}) {
  let facade: RestFacade | undefined;
  const route: ExtraRoute = (req, res, url) => facade!.handle(req, res, url);
  const { dataDir, ...rest } = config;
  server = await startTestServer({ routes: [route], registry: fakeRegistry(), config: rest, dataDir });
  facade = new RestFacade(server.app, opts);
  return { s: server, facade };
}

const post = (s: TestServer, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${s.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

async function poll(
  s: TestServer,
  id: string,
): Promise<{ task_id: string; status: number; result: string; progress_text?: string }> {
  for (let i = 0; i < 400; i++) {
    const r = await (await post(s, "/query_result", { task_id_list: [id] })).json();
    if (r.data[0].status !== 0) return r.data[0];
    await new Promise((x) => setTimeout(x, 25));
  }
  throw new Error("the task did not finish");
}

/** A generate stub that records its input and waits for release() before answering. */
function gate() {
  const calls: Array<{ params: Record<string, unknown>; config: Record<string, unknown> }> = [];
  let releases: Array<() => void> = [];
  const generate: RestFacadeOptions["generate"] = async (params, config, opts) => {
    calls.push({ params, config });
    await new Promise<void>((r) => {
      releases.push(r);
      opts.signal?.addEventListener("abort", () => r());
    });
    return {
      audios: [],
      statusMessage: "ok",
      extraOutputs: { timeCosts: {}, lmMetadata: null, seedValue: "1", runId: null, graph: null, warnings: [] },
      success: true,
      error: null,
    } satisfies GenerationResult;
  };
  return {
    calls,
    generate,
    release() {
      const r = releases;
      releases = [];
      for (const f of r) f();
    },
  };
}

const envelope = { code: 200, error: null, extra: null, timestamp: expect.any(Number) };

describe("GET /health", () => {
  it("answers the upstream envelope, without a token", async () => {
    const { s } = await start({}, { apiToken: "secret" });
    const r = await fetch(`${s.url}/health`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ data: { status: "ok", service: "ACE-Step API", version: "1.0" }, ...envelope });
  });
});

describe("POST /release_task → /query_result → /v1/audio", () => {
  it("runs a generation end to end with the upstream shapes", async () => {
    const { s } = await start();
    const r = await post(s, "/release_task", {
      prompt: "warm acoustic folk",
      lyrics: "[Instrumental]",
      audio_duration: 30,
      thinking: false,
      use_cot_caption: false,
      use_cot_language: false,
      batch_size: 2,
      audio_format: "wav",
      use_random_seed: false,
      seed: "7,8",
    });
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body).toEqual({
      data: { task_id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: "queued", queue_position: 1 },
      ...envelope,
    });
    const done = await poll(s, body.data.task_id);
    expect(done).toMatchObject({ task_id: body.data.task_id, status: 1 });
    expect(typeof done.result).toBe("string");
    const items = JSON.parse(done.result);
    expect(items).toHaveLength(2);
    for (const it of items) {
      expect(Object.keys(it)).toEqual(
        expect.arrayContaining([
          "file",
          "wave",
          "status",
          "create_time",
          "env",
          "prompt",
          "lyrics",
          "metas",
          "generation_info",
          "seed_value",
          "lm_model",
          "dit_model",
          "progress",
          "stage",
        ]),
      );
      expect(it).toMatchObject({
        wave: "",
        status: 1,
        prompt: "warm acoustic folk",
        lyrics: "[Instrumental]",
        seed_value: "7,8",
        progress: 1,
        stage: "succeeded",
      });
      expect(it.metas).toMatchObject({
        duration: 30,
        genres: "N/A",
        prompt: "warm acoustic folk",
        lyrics: "[Instrumental]",
      });
      expect(it.file).toMatch(/^\/v1\/audio\?path=outputs%2F.+\.wav$/);
      const audio = await fetch(`${s.url}${it.file}`);
      expect(audio.status).toBe(200);
      expect(audio.headers.get("content-type")).toBe("audio/wav");
      expect((await audio.arrayBuffer()).byteLength).toBeGreaterThan(44);
    }
  });

  it("the REST default audio_format is mp3", async () => {
    const { s } = await start();
    const r = await (
      await post(s, "/release_task", {
        caption: "x",
        thinking: false,
        use_cot_caption: false,
        use_cot_language: false,
        batch_size: 1,
      })
    ).json();
    const [el] = JSON.parse((await poll(s, r.data.task_id)).result);
    expect(el.file).toMatch(/\.mp3$/);
    const audio = await fetch(`${s.url}${el.file}`);
    expect(audio.headers.get("content-type")).toBe("audio/mpeg");
  });

  it("a failed job has status 2 and the error in its result element", async () => {
    const { s } = await start();
    const r = await (await post(s, "/release_task", { prompt: "x", task_type: "repaint", thinking: false })).json();
    const done = await poll(s, r.data.task_id);
    expect(done.status).toBe(2);
    const [el] = JSON.parse(done.result);
    expect(el).toMatchObject({ status: 2, stage: "failed", error: expect.stringMatching(/needs src_audio/) });
  });

  it("an unknown task id answers status 0 with an empty result", async () => {
    const { s } = await start();
    const r = await post(s, "/query_result", { task_id_list: ["nope", "00000000-0000-4000-8000-000000000000"] });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({
      data: [
        { task_id: "nope", status: 0, result: "[]" },
        { task_id: "00000000-0000-4000-8000-000000000000", status: 0, result: "[]" },
      ],
      ...envelope,
    });
  });

  it("task_id_list may be a JSON string (and form-encoded)", async () => {
    const { s } = await start();
    const a = await (await post(s, "/query_result", { task_id_list: '["x1","x2"]' })).json();
    expect(a.data.map((d: { task_id: string }) => d.task_id)).toEqual(["x1", "x2"]);
    const b = await (
      await fetch(`${s.url}/query_result`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `task_id_list=${encodeURIComponent('["y"]')}`,
      })
    ).json();
    expect(b.data).toEqual([{ task_id: "y", status: 0, result: "[]" }]);
  });

  it("while queued or running: status 0 with progress and stage", async () => {
    const g = gate();
    const { s } = await start({ generate: g.generate });
    const a = (await (await post(s, "/release_task", { prompt: "a" })).json()).data.task_id;
    const q = (await (await post(s, "/query_result", { task_id_list: [a] })).json()).data[0];
    expect(q.status).toBe(0);
    expect(JSON.parse(q.result)[0]).toMatchObject({
      status: 0,
      file: "",
      progress: expect.any(Number),
      stage: expect.any(String),
    });
    g.release();
    expect((await poll(s, a)).status).toBe(1);
  });
});

describe("the queue", () => {
  it("is full at its max size: HTTP 429 'Server busy: queue is full'", async () => {
    const g = gate();
    const { s } = await start({ generate: g.generate }, { queueMaxSize: 2 });
    const first = await (await post(s, "/release_task", { prompt: "running" })).json();
    expect(first.data.queue_position).toBe(1);
    await new Promise((r) => setTimeout(r, 20)); // the worker takes it
    const second = await (await post(s, "/release_task", { prompt: "queued 1" })).json();
    const third = await (await post(s, "/release_task", { prompt: "queued 2" })).json();
    expect([second.data.queue_position, third.data.queue_position]).toEqual([1, 2]);
    const full = await post(s, "/release_task", { prompt: "one too many" });
    expect(full.status).toBe(429);
    expect(await full.json()).toEqual({ detail: "Server busy: queue is full" });
    const stats = (await (await fetch(`${s.url}/v1/stats`)).json()).data;
    expect(stats).toMatchObject({
      jobs: { total: 3, queued: 2, running: 1, succeeded: 0, failed: 0 },
      queue_size: 2,
      queue_maxsize: 2,
    });
    for (let i = 0; i < 3; i++) {
      g.release();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await poll(s, third.data.task_id)).status).toBe(1);
  });

  it("tasks are stored runs: after a restart, queued tasks run and every task id answers its true status", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "acestep-rest-restart-"));
    try {
      const g = gate();
      const first = await start({ generate: g.generate }, { dataDir, role: "serve" });
      const ids: string[] = [];
      for (const prompt of ["a", "b", "c"])
        ids.push((await (await post(first.s, "/release_task", { prompt })).json()).data.task_id);
      await new Promise((r) => setTimeout(r, 50)); // the first one runs (held by the gate)
      await first.s.close(); // graceful: the running task goes back to the queue
      server = undefined;
      const quick: RestFacadeOptions["generate"] = async () => ({
        audios: [],
        statusMessage: "ok",
        extraOutputs: { timeCosts: {}, lmMetadata: null, seedValue: "1", runId: null, graph: null, warnings: [] },
        success: true,
        error: null,
      });
      const second = await start({ generate: quick }, { dataDir, role: "serve" });
      for (const id of ids) expect((await poll(second.s, id)).status).toBe(1);
      expect(second.s.app.store.getRun(ids[0])!.attempts).toBe(2);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("defaults to the upstream maximum of 200", async () => {
    const { facade } = await start();
    expect(facade.maxSize).toBe(200);
  });
});

describe("request fields", () => {
  it("maps the upstream names, aliases, param_obj and metas onto GenerationParams with the REST defaults", () => {
    const r = parseReleaseBody({
      caption: "c",
      keyScale: "Am",
      timeSignature: "3",
      param_obj: JSON.stringify({ bpm: "120", target_duration: "45" }),
      metas: { language: "ja" },
      inference_steps: "16",
      use_random_seed: "false",
      seed: "5",
      timesteps: "0.97,0.5,0",
      constrained: "0",
      parallel_thinking: "false",
      lm_top_k: "40",
      sample_query: "desc",
    });
    expect(r.params).toMatchObject({
      caption: "c",
      keyscale: "Am",
      timesignature: "3",
      bpm: 120,
      duration: 45,
      vocalLanguage: "ja",
      inferenceSteps: 16,
      seed: 5,
      timesteps: [0.97, 0.5, 0],
      useConstrainedDecoding: false,
      lmTopK: 40,
    });
    expect(r.config).toMatchObject({ useRandomSeed: false, allowLmBatch: false, audioFormat: "mp3" });
    expect(r.request).toMatchObject({ sampleQuery: "desc" });
  });
  it("REST defaults differ from the Python API where upstream's do", () => {
    const r = parseReleaseBody({});
    expect(r.params).toMatchObject({ thinking: false, shift: 3.0, lmCfgScale: 2.5, vocalLanguage: "en", duration: -1 });
    expect(r.config).toMatchObject({ audioFormat: "mp3", allowLmBatch: true });
  });
  it("batch_size is clamped to 8; comma seeds become config.seeds; [inst] lyrics mean instrumental", () => {
    const r = parseReleaseBody({ batch_size: 20, seed: "1, 2, 3", lyrics: "[inst]" });
    expect(r.config).toMatchObject({ batchSize: 8, seeds: [1, 2, 3] });
    expect(r.params.instrumental).toBe(true);
  });
  it("bad values are 400 with the field named; other content types are 415", async () => {
    const { s } = await start();
    const bad = await post(s, "/release_task", { bpm: "fast" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ detail: 'bpm must be a number, got "fast"' });
    const text = await fetch(`${s.url}/release_task`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "x",
    });
    expect(text.status).toBe(415);
    const method = await fetch(`${s.url}/release_task`);
    expect(method.status).toBe(405);
  });
  it("accepts form-urlencoded and a body without content type", async () => {
    const g = gate();
    const { s } = await start({ generate: g.generate });
    const a = await fetch(`${s.url}/release_task`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "prompt=jazz&bpm=90&thinking=true",
    });
    expect(a.status).toBe(200);
    await new Promise((r) => setTimeout(r, 20));
    expect(g.calls[0].params).toMatchObject({ caption: "jazz", bpm: 90, thinking: true });
    g.release();
  });
  it("multipart uploads (src_audio / ctx_audio, reference_audio / ref_audio) override the *_path fields and are deleted after the job", async () => {
    const g = gate();
    const { s } = await start({ generate: g.generate });
    const wav = encodeWav({ sampleRate: 48000, channels: [new Float32Array(480), new Float32Array(480)] });
    const form = new FormData();
    form.set("prompt", "remix this");
    form.set("task_type", "repaint");
    form.set("src_audio_path", "uploads/ignored.flac");
    form.set("ctx_audio", new Blob([new Uint8Array(wav)], { type: "audio/wav" }), "song.wav");
    form.set("ref_audio", new Blob([new Uint8Array(wav)], { type: "audio/wav" }), "ref.wav");
    const r = await fetch(`${s.url}/release_task`, { method: "POST", body: form });
    expect(r.status).toBe(200);
    const id = (await r.json()).data.task_id;
    await new Promise((x) => setTimeout(x, 20));
    const p = g.calls[0].params;
    expect(p).toMatchObject({
      taskType: "repaint",
      srcAudio: expect.stringMatching(/^uploads\/api-[0-9a-f]{16}-[0-9a-f]{8}\.wav$/),
      referenceAudio: expect.stringMatching(/^uploads\/api-/),
    });
    const file = `${s.dataDir}/${p.srcAudio}`;
    expect(existsSync(file)).toBe(true);
    g.release();
    await poll(s, id);
    expect(existsSync(file)).toBe(false);
  });
  it("a non-audio upload is 415", async () => {
    const { s } = await start();
    const form = new FormData();
    form.set("src_audio", new Blob([new Uint8Array([1, 2, 3, 4, 5])]), "x.wav");
    expect((await fetch(`${s.url}/release_task`, { method: "POST", body: form })).status).toBe(415);
  });
  it("src_audio_path outside the data folder is 403", async () => {
    const { s } = await start();
    const r = await post(s, "/release_task", { src_audio_path: "/etc/passwd", task_type: "cover" });
    expect(r.status).toBe(403);
  });
});

describe("GET /v1/audio", () => {
  it("serves only inside the data folder: 400 without path, 403 outside, 404 missing", async () => {
    const { s } = await start();
    expect((await fetch(`${s.url}/v1/audio`)).status).toBe(400);
    expect((await fetch(`${s.url}/v1/audio?path=${encodeURIComponent("/etc/passwd")}`)).status).toBe(403);
    expect((await fetch(`${s.url}/v1/audio?path=${encodeURIComponent("../secret.flac")}`)).status).toBe(403);
    expect((await fetch(`${s.url}/v1/audio?path=${encodeURIComponent("outputs/none.flac")}`)).status).toBe(404);
    expect((await fetch(`${s.url}/v1/audio?path=${encodeURIComponent(`${s.dataDir}/outputs/none.flac`)}`)).status).toBe(
      404,
    );
  });
});

describe("auth (ACESTEP_API_TOKEN, the same rule as /api/)", () => {
  it("body endpoints take ai_token or the Authorization header (Bearer or bare); GET takes the header", async () => {
    const { s } = await start({ generate: gate().generate }, { apiToken: "secret" });
    const none = await post(s, "/release_task", { prompt: "x" });
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ detail: "Missing ai_token or Authorization header" });
    const badToken = await post(s, "/release_task", { prompt: "x", ai_token: "wrong" });
    expect(await badToken.json()).toEqual({ detail: "Invalid ai_token" });
    const badKey = await post(s, "/release_task", { prompt: "x" }, { authorization: "Bearer wrong" });
    expect(badKey.status).toBe(401);
    expect(await badKey.json()).toEqual({ detail: "Invalid API key" });
    expect((await post(s, "/release_task", { prompt: "x", ai_token: "secret" })).status).toBe(200);
    expect((await post(s, "/release_task", { prompt: "x" }, { authorization: "Bearer secret" })).status).toBe(200);
    expect((await post(s, "/release_task", { prompt: "x" }, { authorization: "secret" })).status).toBe(200);
    expect((await post(s, "/query_result", { task_id_list: [] })).status).toBe(401);
    expect((await post(s, "/query_result", { task_id_list: [], ai_token: "secret" })).status).toBe(200);
    expect((await fetch(`${s.url}/v1/audio?path=x.flac`)).status).toBe(401);
    expect((await fetch(`${s.url}/v1/audio?path=x.flac`, { headers: { authorization: "Bearer secret" } })).status).toBe(
      404,
    );
    expect((await fetch(`${s.url}/v1/stats`)).status).toBe(401);
  });
});
