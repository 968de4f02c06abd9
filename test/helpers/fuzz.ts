// Seeded fuzzing of the input surfaces (issue 14): graphs.validate, runs.start, `acestep validate` and the REST
// /release_task, fed generated bad input (types, names, nesting, sizes, prototype names, unicode, duplicate keys,
// non-finite numbers). Each answer must be a clear error: no 5xx, no stack trace, no crash; the server stays healthy.
// test/fuzz.test.ts runs a few per surface in `npm test`; test/fuzz.full.test.ts runs ≥ 1000 per surface.
import fc from "fast-check";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./server";
import { runCliInProcess } from "./cli";
import { testRegistry } from "../fixtures/fake-nodes";
import { RestFacade, REST_FIELDS } from "../../server/api/rest";
import type { ExtraRoute } from "../../server/http/server";
import type { GenerationResult } from "../../server/api/params";

export const FUZZ_SEED = 20261202;

const PROTO_NAMES = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "isPrototypeOf",
  "__defineGetter__",
  "toLocaleString",
];
const NODE_TYPES = ["t.num", "t.add", "t.sink", "t.slow", "t.noise", "core.int", "core.string", "audio.testTone"];

/** Names: prototype members, dotted and empty ids, unicode, control characters, over-long. */
const name = fc.oneof(
  fc.constantFrom(
    ...PROTO_NAMES,
    "a",
    "s",
    "k",
    "a.b",
    "a.b.c",
    "",
    " ",
    "ü",
    "😀",
    "\u0000",
    "x".repeat(70),
    "value",
    "steps",
    "out",
    "x",
  ),
  fc.string({ maxLength: 10, unit: "binary" }),
);

const scalar = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -0, 0.1, 1000.5, -1),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 20, unit: "binary" }),
);

const jsonish = fc.oneof(
  { depthSize: "small" },
  scalar,
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(scalar, { maxLength: 5 }),
  fc.dictionary(name, scalar, { maxKeys: 4 }),
);

const link = fc.oneof(fc.record({ node: name, output: name }, { requiredKeys: [] }), jsonish);

const node = fc.oneof(
  fc.record(
    {
      type: fc.oneof(fc.constantFrom(...NODE_TYPES), name, jsonish),
      params: fc.oneof(fc.dictionary(name, jsonish, { maxKeys: 4 }), jsonish),
      inputs: fc.oneof(fc.dictionary(name, link, { maxKeys: 3 }), jsonish),
      ui: jsonish,
      extra: jsonish,
    },
    { requiredKeys: [] },
  ),
  jsonish,
);

const graphValue = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        version: fc.oneof(fc.constant(1), jsonish),
        nodes: fc.oneof(fc.dictionary(name, node, { maxKeys: 6 }), jsonish),
        meta: jsonish,
        ui: jsonish,
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: jsonish },
);

/** How the JSON text of a value is made hostile. */
type Twist = "none" | "deep" | "infinite" | "duplicate" | "huge-string" | "huge-key" | "truncated";
const twist = fc.constantFrom<Twist>(
  "none",
  "none",
  "deep",
  "infinite",
  "duplicate",
  "huge-string",
  "huge-key",
  "truncated",
);

function twisted(text: string, how: Twist, depth: number): string {
  switch (how) {
    case "none":
      return text;
    case "deep":
      return `{"version":1,"nodes":{"a":{"type":"t.num","params":{"value":${"[".repeat(depth)}${"]".repeat(depth)}}}},"meta":${text}}`;
    case "infinite":
      return /-?\d+(\.\d+)?/.test(text)
        ? text.replace(/-?\d+(\.\d+)?([eE][+-]?\d+)?/, "1e999")
        : `{"version":1,"nodes":{"a":{"type":"t.num","params":{"value":-1e999}}}}`;
    case "duplicate":
      return text.startsWith("{") && text !== "{}"
        ? `{"nodes":{"a":{"type":"t.num"},"a":{"type":"t.sink"}},${text.slice(1)}`
        : `{"version":1,"version":1,"nodes":{}}`;
    case "huge-string":
      return `{"version":1,"nodes":{"a":{"type":"core.string","params":{"value":"${"y".repeat(300_000)}"}}},"meta":${text}}`;
    case "huge-key":
      return `{"version":1,"nodes":{"${"k".repeat(200_000)}":{"type":"t.num"}},"meta":${text}}`;
    case "truncated":
      return text.slice(0, Math.max(0, text.length - 1 - (depth % 5)));
  }
}

/** A hostile graph as JSON text. */
export const graphText = fc
  .tuple(graphValue, twist, fc.integer({ min: 20, max: 5000 }))
  .map(([g, how, depth]) => twisted(JSON.stringify(g) ?? "null", how, depth));

const overridesText = fc.oneof(
  fc.constant(undefined),
  fc
    .dictionary(
      fc.oneof(
        name,
        fc.tuple(name, name).map(([a, b]) => `${a}.${b}`),
      ),
      jsonish,
      { maxKeys: 4 },
    )
    .map((o) => JSON.stringify(o)),
  jsonish.map((v) => JSON.stringify(v) ?? "null"),
  fc.integer({ min: 30, max: 3000 }).map((d) => `{"a.value":${"[".repeat(d)}${"]".repeat(d)}}`),
);

/** The body of a graphs.validate / runs.start call: graph and overrides, sometimes no graph or no object at all. */
export const trpcBody = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(graphText, overridesText)
      .map(([g, o]) => `{"graph":${g}${o === undefined ? "" : `,"overrides":${o}`}}`),
  },
  { weight: 1, arbitrary: overridesText.map((o) => (o === undefined ? "{}" : `{"overrides":${o}}`)) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      jsonish.map((v) => JSON.stringify(v) ?? ""),
      fc.string({ maxLength: 30, unit: "binary" }),
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(name, jsonish)
      .map(([k, v]) => `{"graphId":${JSON.stringify(k)},"graph":${JSON.stringify(v) ?? "null"}}`),
  },
);

const REST_NAMES = REST_FIELDS.flatMap((f) => f.names);
const restValue = fc.oneof(
  jsonish,
  fc.string({ maxLength: 40, unit: "binary" }),
  fc.constantFrom("1e999", "NaN", "-1", "[1,2,3,4,5,6,7,8,9]", "{", "0,1,2,3,4,5,6,7,8,9", "x".repeat(5000)),
);
const restFields = fc.dictionary(
  fc.oneof(fc.constantFrom(...REST_NAMES, "param_obj", "metas", "ai_token"), name),
  restValue,
  { maxKeys: 8 },
);

/** A /release_task request: JSON, urlencoded, multipart (with random bytes as src_audio) or text, sometimes mislabelled. */
export const releaseRequest = fc.oneof(
  restFields.map((f) => ({ type: "application/json", body: Buffer.from(JSON.stringify(f)) })),
  fc
    .tuple(graphText, fc.constantFrom("application/json", "", "application/vnd.x+json"))
    .map(([t, type]) => ({ type, body: Buffer.from(t) })),
  restFields.map((f) => ({
    type: "application/x-www-form-urlencoded",
    body: Buffer.from(
      new URLSearchParams(
        Object.entries(f).map(([k, v]) => [k, typeof v === "string" ? v : (JSON.stringify(v) ?? "")]),
      ).toString(),
    ),
  })),
  fc
    .tuple(
      restFields,
      fc.uint8Array({ maxLength: 256 }),
      fc.constantFrom("src_audio", "reference_audio", "ctx_audio", "other"),
    )
    .map(([f, bytes, field]) => multipart(f, field, bytes)),
  fc
    .tuple(
      fc.string({ maxLength: 60, unit: "binary" }),
      fc.constantFrom("text/plain", "multipart/form-data; boundary=x", "image/png"),
    )
    .map(([t, type]) => ({ type, body: Buffer.from(t) })),
);

function multipart(
  fields: Record<string, unknown>,
  fileField: string,
  bytes: Uint8Array,
): { type: string; body: Buffer } {
  const b = "fuzz-boundary-7d1";
  const parts = Object.entries(fields).map(
    ([k, v]) =>
      `--${b}\r\nContent-Disposition: form-data; name="${k.replace(/["\r\n]/g, "_")}"\r\n\r\n${typeof v === "string" ? v : JSON.stringify(v)}\r\n`,
  );
  const file = Buffer.concat([
    Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="${fileField}"; filename="f.wav"\r\n\r\n`),
    Buffer.from(bytes),
    Buffer.from(`\r\n--${b}--\r\n`),
  ]);
  return { type: `multipart/form-data; boundary=${b}`, body: Buffer.concat([Buffer.from(parts.join("")), file]) };
}

/** An answer that is a clear error (or a success): no 5xx, no stack trace, a short readable message. */
export function expectClearAnswer(status: number, text: string, what: string): void {
  expect(status, `${what}: ${text.slice(0, 300)}`).toBeLessThan(500);
  expect(text, what).not.toMatch(
    /\n\s+at |Maximum call stack|Cannot read propert|is not a function|undefined \(reading/,
  );
  expect(text.length, what).toBeLessThan(200_000);
}

export interface FuzzServer {
  srv: TestServer;
  facade: RestFacade;
  close(): Promise<void>;
}

export async function startFuzzServer(): Promise<FuzzServer> {
  let facade: RestFacade | undefined;
  const route: ExtraRoute = (req, res, url) => facade!.handle(req, res, url);
  const srv = await startTestServer({ registry: testRegistry(), routes: [route], config: { queueMaxSize: 100_000 } });
  const ok: GenerationResult = {
    audios: [],
    statusMessage: "",
    extraOutputs: { timeCosts: {}, lmMetadata: null, seedValue: "", runId: null, graph: null, warnings: [] },
    success: true,
    error: null,
  };
  facade = new RestFacade(srv.app, { generate: async () => ok });
  return { srv, facade, close: () => srv.close() };
}

async function post(url: string, type: string, body: Buffer | string): Promise<{ status: number; text: string }> {
  const r = await fetch(url, {
    method: "POST",
    headers: type ? { "content-type": type } : {},
    body: typeof body === "string" ? body : new Uint8Array(body),
  });
  return { status: r.status, text: await r.text() };
}

/** Fuzzes graphs.validate and runs.start over HTTP. */
export async function fuzzTrpc(
  s: FuzzServer,
  procedure: "graphs.validate" | "runs.start",
  numRuns: number,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(trpcBody, async (body) => {
      const r = await post(`${s.srv.url}/api/trpc/${procedure}`, "application/json", body);
      expectClearAnswer(r.status, r.text, procedure);
      const answer = JSON.parse(r.text) as {
        result?: { data?: { issues?: Array<{ message: string }> } };
        error?: { message: string };
      };
      if (answer.error) expect(answer.error.message.length).toBeGreaterThan(0);
      for (const i of answer.result?.data?.issues ?? []) expect(i.message.length).toBeGreaterThan(0);
    }),
    { numRuns, seed: FUZZ_SEED },
  );
}

/** Fuzzes the REST /release_task. */
export async function fuzzRelease(s: FuzzServer, numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(releaseRequest, async ({ type, body }) => {
      const r = await post(`${s.srv.url}/release_task`, type, body);
      expectClearAnswer(r.status, r.text, "/release_task");
      const answer = JSON.parse(r.text) as { detail?: string; data?: unknown };
      if (r.status !== 200) expect(String(answer.detail ?? "").length).toBeGreaterThan(0);
    }),
    { numRuns, seed: FUZZ_SEED },
  );
}

/** Fuzzes `acestep validate <file>` in-process: exit 0 or 1 with a message, never a throw. */
export async function fuzzCliValidate(numRuns: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "acestep-fuzz-"));
  const file = join(dir, "graph.json");
  try {
    await fc.assert(
      fc.asyncProperty(graphText, async (text) => {
        writeFileSync(file, text);
        const r = await runCliInProcess(["validate", file]);
        expect([0, 1]).toContain(r.code);
        expectClearAnswer(r.code === 1 ? 400 : 200, r.err + r.out, "acestep validate");
        if (r.code === 1) expect(r.err).toMatch(/issue/);
      }),
      { numRuns, seed: FUZZ_SEED },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A GET on a new connection (not one of fetch's pooled keep-alive sockets): status code. */
function freshGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

/** The server still answers new connections after the fuzzing. */
export async function expectHealthy(s: FuzzServer): Promise<void> {
  expect(await freshGet(`${s.srv.url}/health`)).toBe(200);
  expect(await freshGet(`${s.srv.url}/api/trpc/nodes.list`)).toBe(200);
}

/** The fuzz suite over every input surface with `numRuns` seeded cases each (npm test: 100; test:full: 1000). */
export function describeFuzzSuite(numRuns: number): void {
  let s: FuzzServer;
  beforeAll(async () => {
    s = await startFuzzServer();
  });
  afterAll(() => s.close());

  describe(`fuzz (${numRuns} hostile inputs per surface)`, () => {
    it("graphs.validate answers each with issues or a clear error", () => fuzzTrpc(s, "graphs.validate", numRuns));
    it("runs.start answers each with a run or a clear error", () => fuzzTrpc(s, "runs.start", numRuns));
    it("/release_task answers each with a task or a clear error", () => fuzzRelease(s, numRuns));
    it("acestep validate answers each with exit 0/1 and a message", () => fuzzCliValidate(numRuns));
    it("the server is healthy afterwards", () => expectHealthy(s));
  });
}
