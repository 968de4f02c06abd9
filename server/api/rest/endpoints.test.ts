// The four REST endpoints upstream has besides the task routes: POST /v1/chat/completions (OpenRouter format,
// plain and streamed), GET /v1/models, POST /format_input and POST /create_random_sample. Each answers the shape
// of upstream's documented example (test/fixtures/rest, from ace-step/ACE-Step-1.5 docs/en/API.md and ace-step/ACE-Step-1.5 docs/en/Openrouter_API_DOC.md),
// the model list on the tiny demo models (the chat completion and /format_input on them in
// endpoints.full.test.ts); message parsing and field mapping against upstream's rules.
import { afterEach, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../../../test/helpers/server";
import { encodeWav } from "../../audio/wav";
import type { ExtraRoute } from "../../http/routes";
import type { GenerationResult } from "../params";
import { fakeRegistry } from "../testing";
import { BUILT_IN_CUSTOM, BUILT_IN_SIMPLE } from "./examples";
import { RestFacade, type RestFacadeOptions } from "./index";
import {
  chatToReleaseBody,
  formatLmContent,
  looksLikeLyrics,
  parseMessages,
  zChatCompletionRequest,
} from "./openrouter";
import { parseReleaseBody } from "./fields";

const FIXTURES = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "rest");
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), "utf8"));

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(opts: RestFacadeOptions & { real?: boolean } = {}, config: Record<string, unknown> = {}) {
  let facade: RestFacade | undefined;
  const route: ExtraRoute = (req, res, url) => facade!.handle(req, res, url);
  server = await startTestServer({ routes: [route], registry: opts.real ? undefined : fakeRegistry(), config });
  facade = new RestFacade(server.app, opts);
  return server;
}

const post = (s: TestServer, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${s.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

/**
 * `actual` has every key of the documented example with a value of the same JSON type (arrays: each element
 * like the example's first). `nullable` names the keys upstream's model allows to be null.
 */
function expectShape(actual: unknown, example: unknown, nullable: readonly string[] = [], at = "$"): void {
  const type = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
  const key = at.split(".").pop()!;
  if (example === null || (actual === null && nullable.includes(key))) return; // documented null: any value
  expect(type(actual), at).toBe(type(example));
  if (Array.isArray(example)) {
    expect((actual as unknown[]).length, `${at} is empty`).toBeGreaterThan(0);
    for (const [i, a] of (actual as unknown[]).entries()) expectShape(a, example[0], nullable, `${at}[${i}]`);
  } else if (example && typeof example === "object") {
    for (const [k, v] of Object.entries(example)) {
      expect(actual as object, `${at} lacks ${k}`).toHaveProperty([k]);
      expectShape((actual as Record<string, unknown>)[k], v, nullable, `${at}.${k}`);
    }
  }
}

/** A generate stub answering one wav file the way generateMusic does. */
function stubGenerate(dataDir: () => string): NonNullable<RestFacadeOptions["generate"]> {
  return async (params) => {
    const rel = "outputs/stub/k.wav";
    mkdirSync(join(dataDir(), "outputs", "stub"), { recursive: true });
    writeFileSync(join(dataDir(), rel), encodeWav({ sampleRate: 48000, channels: [new Float32Array(480)] }));
    return {
      audios: [
        {
          path: rel,
          absolutePath: join(dataDir(), rel),
          key: "k",
          sampleRate: 48000,
          params: { ...params, cotBpm: 111, cotKeyscale: "D minor" } as never,
          samples: null,
        } as never,
      ],
      statusMessage: "ok",
      extraOutputs: { timeCosts: {}, lmMetadata: null, seedValue: "1", runId: null, graph: null, warnings: [] },
      success: true,
      error: null,
    } satisfies GenerationResult;
  };
}

describe("chat messages (openrouter_adapter.py `_parse_messages`)", () => {
  it("tags give prompt and lyrics; lyrics-like text is lyrics; plain text becomes the sample query", () => {
    const req = zChatCompletionRequest.parse(fixture("chat-completion.request.json"));
    expect(parseMessages(req.messages)).toMatchObject({
      prompt: "A gentle acoustic ballad in C major, female vocal",
      lyrics: expect.stringMatching(/^\[Verse 1\]\nSunlight through the window\n[\s\S]*We are the light$/),
      sampleQuery: null,
    });
    const plain = parseMessages([{ role: "user", content: "a sad jazz song about rain" }]);
    expect(plain).toMatchObject({ prompt: "", lyrics: "", sampleQuery: "a sad jazz song about rain" });
    const lyr = parseMessages([
      { role: "system", content: "be nice" },
      { role: "user", content: "[Verse]\nla la" },
    ]);
    expect(lyr).toMatchObject({ prompt: "", lyrics: "[Verse]\nla la", sampleQuery: null, system: "be nice" });
    // four short lines read as lyrics; three do not
    expect(looksLikeLyrics("a\nb\nc\nd")).toBe(true);
    expect(looksLikeLyrics("a\nb\nc")).toBe(false);
  });

  it("input_audio parts are collected in order; assistant messages are ignored", () => {
    const m = parseMessages([
      { role: "assistant", content: "<prompt>ignored</prompt>" },
      {
        role: "user",
        content: [
          { type: "text", text: "<prompt>cover it</prompt>" },
          { type: "input_audio", input_audio: { data: "AAAA", format: "wav" } },
          { type: "input_audio", input_audio: { data: "BBBB", format: "mp3" } },
        ],
      },
    ]);
    expect(m.prompt).toBe("cover it");
    expect(m.audios).toEqual([
      { data: "AAAA", format: "wav" },
      { data: "BBBB", format: "mp3" },
    ]);
  });

  it("maps onto /release_task fields with the adapter's defaults (8 steps, batch 1, mp3, en)", () => {
    const req = zChatCompletionRequest.parse({
      model: "acestep/acestep-v15-base",
      messages: [{ role: "user", content: "x" }],
      audio_config: { instrumental: true, bpm: 90, format: "wav" },
      seed: "4,5",
    });
    const p = parseReleaseBody(
      chatToReleaseBody(req, { prompt: "x", lyrics: "", sampleQuery: null }, { src: null, reference: "r.wav" }),
    );
    expect(p.params).toMatchObject({
      caption: "x",
      lyrics: "[inst]",
      instrumental: true,
      bpm: 90,
      inferenceSteps: 8,
      guidanceScale: 7,
      vocalLanguage: "en",
      lmTopK: 0,
      referenceAudio: "r.wav",
      taskType: "text2music",
    });
    expect(p.config).toMatchObject({ batchSize: 1, audioFormat: "wav", useRandomSeed: false, seeds: [4, 5] });
    expect(p.request).toMatchObject({ model: "acestep-v15-base" });
  });

  it("the assistant text lists the metadata and the lyrics, as `_format_lm_content`", () => {
    const s = { caption: "c", lyrics: "[Verse]\nx", bpm: 120, duration: 30, keyscale: "C major", timesignature: "4" };
    expect(formatLmContent(s)).toBe(
      "## Metadata\n**Caption:** c\n**BPM:** 120\n**Duration:** 30s\n**Key:** C major\n**Time Signature:** 4\n\n## Lyrics\n[Verse]\nx",
    );
    expect(formatLmContent({ ...s, caption: "", bpm: null, duration: null, keyscale: "", timesignature: "" })).toBe(
      "## Lyrics\n[Verse]\nx",
    );
    expect(
      formatLmContent({ caption: "", lyrics: "[inst]", bpm: null, duration: null, keyscale: "", timesignature: "" }),
    ).toBe("Music generated successfully.");
  });
});

describe("POST /v1/chat/completions (stand-in generation)", () => {
  it("refuses bodies upstream refuses: 400 with the reason", async () => {
    const s = await start({ generate: stubGenerate(() => s.dataDir) });
    const bad = await post(s, "/v1/chat/completions", { messages: [{ role: "robot", content: "x" }] });
    expect(bad.status).toBe(400);
    expect((await bad.json()).detail).toMatch(/^Invalid request format: messages\.0\.role/);
    const empty = await post(s, "/v1/chat/completions", { messages: [{ role: "system", content: "x" }] });
    expect(await empty.json()).toEqual({
      detail: "No valid prompt, lyrics, sample query, or input audio found in request",
    });
    const notAudio = await post(s, "/v1/chat/completions", {
      messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "aGVsbG8=" } }] }],
    });
    expect(notAudio.status).toBe(415);
    const uploads = join(s.dataDir, "uploads");
    expect(existsSync(uploads) ? readdirSync(uploads) : []).toEqual([]);
  });

  it("routes input audio by task type and deletes it after the task", async () => {
    const seen: Record<string, unknown>[] = [];
    const s = await start({
      generate: async (p, c, o) => {
        seen.push(p);
        return stubGenerate(() => s.dataDir)(p, c, o);
      },
    });
    const wav = Buffer.from(encodeWav({ sampleRate: 48000, channels: [new Float32Array(4800)] })).toString("base64");
    const audio = (d: string) => ({ type: "input_audio", input_audio: { data: d, format: "wav" } });
    const r = await post(s, "/v1/chat/completions", {
      model: "acestep/x",
      task_type: "cover",
      messages: [{ role: "user", content: [{ type: "text", text: "<prompt>p</prompt>" }, audio(wav), audio(wav)] }],
    });
    expect(r.status).toBe(200);
    expect(seen[0]).toMatchObject({ taskType: "cover", srcAudio: expect.stringMatching(/^uploads\//) });
    expect(seen[0].referenceAudio).toMatch(/^uploads\//);
    expect(readdirSync(join(s.dataDir, "uploads"))).toEqual([]);
  });

  it("streams role, content, audio and stop chunks, then [DONE]", async () => {
    const s = await start({ generate: stubGenerate(() => s.dataDir) });
    const r = await post(s, "/v1/chat/completions", {
      model: "acestep/acestep-v15-turbo",
      stream: true,
      lyrics: "[Verse]\nla",
      messages: [{ role: "user", content: "warm folk" }],
    });
    expect(r.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = (await r.text()).split("\n\n").filter((e) => e !== "");
    expect(events.at(-1)).toBe("data: [DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.replace(/^data: /, "")));
    const example = fixture("chat-completion-chunk.json");
    example.choices[0].delta = {}; // the documented chunk's delta is one of several (role, content, audio, none)
    for (const c of chunks) expectShape(c, example);
    const deltas = chunks.map((c) => c.choices[0].delta);
    expect(deltas[0]).toEqual({ role: "assistant", content: "Generating music" });
    const text = deltas.map((d) => d.content ?? "").join("");
    expect(text).toContain("**Caption:** warm folk\n**BPM:** 111");
    expect(text).toContain("**Key:** D minor");
    expect(text).toContain("## Lyrics\n[Verse]\nla");
    expect(deltas.find((d) => d.audio)?.audio[0].audio_url.url).toMatch(/^data:audio\/wav;base64,UklGR/);
    expect(chunks.at(-1).choices[0].finish_reason).toBe("stop");
  });

  it("a failed generation: HTTP 500 {detail}, or an error chunk when streaming", async () => {
    const fail: RestFacadeOptions["generate"] = async () => ({
      audios: [],
      statusMessage: "",
      extraOutputs: { timeCosts: {}, lmMetadata: null, seedValue: "", runId: null, graph: null, warnings: [] },
      success: false,
      error: "dit: out of memory",
    });
    const s = await start({ generate: fail });
    const body = { model: "m", lyrics: "x", messages: [{ role: "user", content: "y" }] };
    const r = await post(s, "/v1/chat/completions", body);
    expect(r.status).toBe(500);
    expect(await r.json()).toEqual({ detail: "dit: out of memory" });
    const st = await (await post(s, "/v1/chat/completions", { ...body, stream: true })).text();
    expect(st).toContain('"delta":{"content":"\\n\\nError: dit: out of memory"}');
    expect(st).toContain('"finish_reason":"error"');
    expect(st.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("needs the token like the other routes", async () => {
    const s = await start({ generate: stubGenerate(() => s.dataDir) }, { apiToken: "secret" });
    const body = { model: "m", lyrics: "x", messages: [{ role: "user", content: "y" }] };
    expect((await post(s, "/v1/chat/completions", body)).status).toBe(401);
    expect((await post(s, "/v1/chat/completions", body, { authorization: "Bearer secret" })).status).toBe(200);
    expect((await fetch(`${s.url}/v1/models`)).status).toBe(401);
    expect((await post(s, "/format_input", {})).status).toBe(401);
    expect((await post(s, "/create_random_sample", { ai_token: "secret" })).status).toBe(200);
  });
});

describe("/query_result metas (upstream metas_out)", () => {
  it("CoT values win over the request's, which win over the LM metadata; missing ones are N/A; prompt/lyrics are the user's", async () => {
    const s = await start({
      generate: async (p, c, o) => {
        const r = await stubGenerate(() => s.dataDir)(p, c, o); // cot bpm 111, cot key D minor
        return { ...r, extraOutputs: { ...r.extraOutputs, lmMetadata: { bpm: 90, timesignature: "3", duration: 42 } } };
      },
    });
    const body = { prompt: "folk", lyrics: "[Verse]\nla", bpm: 100, time_signature: "4", audio_format: "wav" };
    const { data } = await (await post(s, "/release_task", body)).json();
    let done: { status: number; result: string } | undefined;
    for (let i = 0; i < 200 && !(done && done.status !== 0); i++) {
      done = (await (await post(s, "/query_result", { task_id_list: [data.task_id] })).json()).data[0];
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(JSON.parse(done!.result)[0].metas).toEqual({
      bpm: 111, // cot_bpm
      duration: 42, // neither CoT nor request: the LM metadata
      genres: "N/A",
      keyscale: "D minor",
      timesignature: "4", // the request's, over the LM's "3"
      prompt: "folk",
      lyrics: "[Verse]\nla",
    });
  });
});

describe("POST /create_random_sample", () => {
  it("answers an example of the asked kind; custom ones also carry the documented field names", async () => {
    const s = await start();
    const simple = await (await post(s, "/create_random_sample", {})).json();
    expect(BUILT_IN_SIMPLE).toContainEqual(simple.data);
    expect(simple).toMatchObject({ code: 200, error: null, extra: null });
    const custom = await (await post(s, "/create_random_sample", { sample_type: "custom_mode" })).json();
    expectShape(custom, fixture("create-random-sample.response.json"));
    const original = BUILT_IN_CUSTOM.find((e) => e.caption === custom.data.caption)!;
    expect(custom.data).toMatchObject({ ...original, key_scale: original.keyscale, vocal_language: original.language });
  });

  it("reads example_*.json of the data folder instead, when there are some", async () => {
    const s = await start();
    const dir = join(s.dataDir, "examples", "simple_mode");
    mkdirSync(dir, { recursive: true });
    const mine = { description: "mine", instrumental: true, vocal_language: "fr" };
    writeFileSync(join(dir, "example_1.json"), JSON.stringify(mine));
    writeFileSync(join(dir, "example_2.json"), "{broken");
    const r = await (await post(s, "/create_random_sample", { sample_type: "simple_mode" })).json();
    expect(r.data).toEqual(mine);
  });
});

describe("on the tiny demo models", () => {
  it("GET /v1/models lists the installed DiTs in the OpenRouter shape, the default (turbo) first", async () => {
    const s = await start({ real: true });
    const r = await (await fetch(`${s.url}/v1/models`)).json();
    expectShape(r, fixture("models.openrouter.json"));
    const ids = r.data.map((m: { id: string }) => m.id);
    const dits = (await s.app.models.entries("dit")).map((e) => `acestep/${e.name}`);
    expect([...ids].sort()).toEqual([...dits].sort());
    expect(ids[0]).toBe(`acestep/${(await s.app.models.find("dit")).name}`);
    expect(ids[0]).toMatch(/turbo/);
  });
});

describe("POST /format_input (stand-in LM; the real LM in endpoints.full.test.ts)", () => {
  it("answers the documented data from format_sample, with upstream's fallbacks", async () => {
    const s = await start();
    const r = await post(s, "/format_input", fixture("format-input.request.json"));
    const body = await r.json();
    expectShape(body, fixture("format-input.response.json"), ["bpm", "duration"]);
    expect(body.data).toMatchObject({ caption: "lm.formatSample caption", key_scale: "C major", vocal_language: "en" });
  });

  it("a failed format is HTTP 200 with code 500 and the error, as upstream", async () => {
    const s = await start();
    const r = await post(s, "/format_input", { prompt: "x", temperature: "5" });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({
      data: null,
      code: 500,
      error: "format_sample failed: temperature must be 0.0–2.0, got 5",
    });
  });
});
