// The chat completion and /format_input on the tiny demo models (a real generation and a real LM run; too slow
// for the quick suite): each answers the shape of upstream's documented example (test/fixtures/rest).
import { afterEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../../../test/helpers/server";
import type { ExtraRoute } from "../../http/routes";
import { RestFacade } from "./index";

const FIXTURES = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "rest");
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), "utf8"));

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start() {
  let facade: RestFacade | undefined;
  const route: ExtraRoute = (req, res, url) => facade!.handle(req, res, url);
  server = await startTestServer({ routes: [route] });
  facade = new RestFacade(server.app);
  return server;
}

const post = (s: TestServer, path: string, body: unknown) =>
  fetch(`${s.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** Every key of the documented example, with a value of the same JSON type (null in the example: any value). */
function expectShape(actual: unknown, example: unknown, nullable: readonly string[] = [], at = "$"): void {
  const type = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
  if (example === null || (actual === null && nullable.includes(at.split(".").pop()!))) return;
  expect(type(actual), at).toBe(type(example));
  if (Array.isArray(example)) {
    expect((actual as unknown[]).length, `${at} is empty`).toBeGreaterThan(0);
    for (const [i, a] of (actual as unknown[]).entries()) expectShape(a, example[0], nullable, `${at}[${i}]`);
  } else if (example && typeof example === "object")
    for (const [k, v] of Object.entries(example)) {
      expect(actual as object, `${at} lacks ${k}`).toHaveProperty([k]);
      expectShape((actual as Record<string, unknown>)[k], v, nullable, `${at}.${k}`);
    }
}

describe("on the tiny demo models", () => {
  it("POST /v1/chat/completions generates and answers the documented completion with the audio inline", async () => {
    const s = await start();
    const req = fixture("chat-completion.request.json");
    const r = await post(s, "/v1/chat/completions", {
      ...req,
      model: "acestep/acestep-v15-turbo",
      audio_config: { ...req.audio_config, duration: 10 },
      use_cot_caption: false,
      use_cot_language: false,
    });
    const body = await r.json();
    expect(r.status, JSON.stringify(body)).toBe(200);
    expectShape(body, fixture("chat-completion.response.json"));
    expect(body.model).toBe("acestep/acestep-v15-turbo");
    const msg = body.choices[0].message;
    expect(msg.content).toContain("**Caption:** A gentle acoustic ballad in C major, female vocal");
    expect(msg.content).toContain("**Duration:** 10s");
    expect(msg.content).toContain("## Lyrics\n[Verse 1]\nSunlight through the window");
    const url: string = msg.audio[0].audio_url.url;
    expect(url.startsWith("data:audio/mpeg;base64,")).toBe(true);
    const mp3 = Buffer.from(url.slice(url.indexOf(",") + 1), "base64");
    // an MP3 frame sync (or an ID3 tag) at the start
    expect(mp3[0] === 0xff || mp3.subarray(0, 3).toString() === "ID3").toBe(true);
    expect(mp3.length).toBeGreaterThan(1000);
  });

  it("POST /format_input runs the LM's format_sample and answers the documented data", async () => {
    const s = await start();
    const r = await post(s, "/format_input", fixture("format-input.request.json"));
    const body = await r.json();
    expect(r.status).toBe(200);
    expect(body.error, JSON.stringify(body)).toBeNull();
    expectShape(body, fixture("format-input.response.json"), ["bpm", "duration"]);
    expect(body.data.vocal_language).toBe("en"); // the user's language is kept (user metadata)
  });
});
