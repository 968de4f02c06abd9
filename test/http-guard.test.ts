// The server against browser-borne attacks and over-wide file serving (issue 14), with real HTTP requests:
// DNS rebinding (Host), cross-site POSTs (Origin / Sec-Fetch-Site / simple content types), only recorded
// outputs and uploads served, stale temp files swept at start, tRPC bodies capped and checked for duplicate keys.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request as httpRequest } from "node:http";
import { existsSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { startTestServer, type TestServer } from "./helpers/server";
import { testRegistry } from "./fixtures/fake-nodes";
import { tokenMatches } from "../server/http/auth";
import { RestFacade } from "../server/api/rest";
import type { ExtraRoute } from "../server/http/server";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request (fetch cannot set Host, Origin or Sec-Fetch-Site); `chunks` are sent chunked. */
function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer | Buffer[],
): Promise<Answer> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    req.on("error", reject);
    if (Array.isArray(body)) {
      const write = (i: number) => {
        if (i >= body.length) return void req.end();
        if (req.destroyed) return;
        req.write(body[i], () => setImmediate(() => write(i + 1)));
      };
      write(0);
    } else req.end(body);
  });
}

/** A multipart body with one small WAV file in the field `file`. */
function wavForm(): { body: Buffer; type: string } {
  const wav = Buffer.alloc(64);
  wav.write("RIFF", 0);
  wav.write("WAVE", 8);
  const b = "----acestep-test-boundary";
  const head = `--${b}\r\nContent-Disposition: form-data; name="file"; filename="t.wav"\r\nContent-Type: audio/wav\r\n\r\n`;
  return {
    body: Buffer.concat([Buffer.from(head), wav, Buffer.from(`\r\n--${b}--\r\n`)]),
    type: `multipart/form-data; boundary=${b}`,
  };
}

let srv: TestServer;
let facade: RestFacade | undefined;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "acestep-guard-"));
  // Temp files of an interrupted write: an old one (swept at start) and a fresh one (another writer's, kept).
  mkdirSync(join(dataDir, "outputs", "r9"), { recursive: true });
  const stale = join(dataDir, "outputs", "r9", ".take.wav.0a1b2c.tmp");
  writeFileSync(stale, "half");
  const old = new Date(Date.now() - 3600_000);
  utimesSync(stale, old, old);
  writeFileSync(join(dataDir, "outputs", "r9", ".take.wav.3d4e5f.tmp"), "in progress");
  const route: ExtraRoute = (req, res, url) => facade!.handle(req, res, url);
  srv = await startTestServer({
    registry: testRegistry(),
    dataDir,
    routes: [route],
    config: { allowedOrigins: ["https://studio.example"] },
  });
  facade = new RestFacade(srv.app, {
    generate: async () => ({ audios: [], statusMessage: "", extraOutputs: {} as never, success: true, error: null }),
  });
});
afterAll(() => srv.close());

const host = () => new URL(srv.url).host;

describe("Host header (DNS rebinding)", () => {
  it("refuses a foreign Host without a token, on every route", async () => {
    for (const path of ["/api/files/acestep.sqlite", "/api/trpc/nodes.list", "/v1/stats", "/"]) {
      const r = await send(srv.url, "GET", path, { Host: `evil.example:${new URL(srv.url).port}` });
      expect(r.status, path).toBe(421);
      expect(JSON.parse(r.body).error).toContain("evil.example");
    }
  });

  it("accepts localhost names and the bound address", async () => {
    for (const h of [host(), `localhost:${new URL(srv.url).port}`, "[::1]:1234", "app.localhost"])
      expect((await send(srv.url, "GET", "/api/trpc/nodes.list", { Host: h })).status, h).toBe(200);
  });
});

describe("cross-site requests (CSRF)", () => {
  it("refuses a cross-origin form POST to /release_task and a cross-origin upload", async () => {
    const form = await send(
      srv.url,
      "POST",
      "/release_task",
      { Host: host(), Origin: "http://evil.example", "Content-Type": "application/x-www-form-urlencoded" },
      Buffer.from("prompt=x"),
    );
    expect(form.status).toBe(403);
    expect(facade!.app.store.listRuns()).toEqual([]); // no task was queued
    const { body, type } = wavForm();
    const up = await send(
      srv.url,
      "POST",
      "/api/files/upload",
      { Host: host(), Origin: "http://evil.example", "Content-Type": type },
      body,
    );
    expect(up.status).toBe(403);
    expect(JSON.parse(up.body).error).toContain("evil.example");
  });

  it("refuses Sec-Fetch-Site cross-site and same-site, and an Origin of null", async () => {
    const { body, type } = wavForm();
    const metadata: Array<Record<string, string>> = [
      { "Sec-Fetch-Site": "cross-site" },
      { "Sec-Fetch-Site": "same-site" },
      { Origin: "null" },
    ];
    for (const h of metadata)
      expect(
        (await send(srv.url, "POST", "/api/files/upload", { Host: host(), "Content-Type": type, ...h }, body)).status,
      ).toBe(403);
  });

  it("accepts same-origin browser requests, listed origins and non-browser clients", async () => {
    const { body, type } = wavForm();
    const same = await send(
      srv.url,
      "POST",
      "/api/files/upload",
      { Host: host(), Origin: srv.url, "Sec-Fetch-Site": "same-origin", "Content-Type": type },
      body,
    );
    expect(same.status).toBe(201);
    const listed = await send(
      srv.url,
      "POST",
      "/api/files/upload",
      { Host: host(), Origin: "https://studio.example", "Sec-Fetch-Site": "cross-site", "Content-Type": type },
      body,
    );
    expect(listed.status).toBe(201);
    const curl = await send(
      srv.url,
      "POST",
      "/release_task",
      { Host: host(), "Content-Type": "application/x-www-form-urlencoded" },
      Buffer.from("prompt=x"),
    );
    expect(curl.status).toBe(200);
  });

  it("refuses the simple form content types on the tRPC API", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {
      const r = await send(
        srv.url,
        "POST",
        "/api/trpc/runs.start",
        { Host: host(), "Content-Type": type },
        Buffer.from('{"graphId":"x"}'),
      );
      expect(r.status, type).toBe(415);
    }
  });
});

describe("served files", () => {
  it("never serves the database, its WAL or anything not recorded", async () => {
    for (const p of ["acestep.sqlite", "acestep.sqlite-wal", "outputs/r9/.take.wav.3d4e5f.tmp"]) {
      if (!existsSync(join(dataDir, p.split("/").join("/")))) continue;
      const r = await send(srv.url, "GET", `/api/files/${p}`, { Host: host() });
      expect(r.status, p).toBe(404);
      const v1 = await send(srv.url, "GET", `/v1/audio?path=${encodeURIComponent(p)}`, { Host: host() });
      expect(v1.status, p).toBe(404);
    }
    expect(existsSync(join(dataDir, "acestep.sqlite"))).toBe(true);
    mkdirSync(join(dataDir, "outputs", "r2"), { recursive: true });
    writeFileSync(join(dataDir, "outputs", "r2", "unrecorded.wav"), "RIFF");
    expect((await send(srv.url, "GET", "/api/files/outputs/r2/unrecorded.wav", { Host: host() })).status).toBe(404);
  });

  it("serves recorded outputs and uploads", async () => {
    writeFileSync(join(dataDir, "outputs", "r2", "song.wav"), "RIFFdata");
    srv.app.store.addOutput({ runId: "r2", nodeId: "save", path: "outputs/r2/song.wav", kind: "audio", meta: {} });
    expect((await send(srv.url, "GET", "/api/files/outputs/r2/song.wav", { Host: host() })).body).toBe("RIFFdata");
    expect(
      (await send(srv.url, "GET", `/v1/audio?path=${encodeURIComponent("outputs/r2/song.wav")}`, { Host: host() }))
        .status,
    ).toBe(200);
    mkdirSync(join(dataDir, "uploads"), { recursive: true });
    writeFileSync(join(dataDir, "uploads", "abc-take.wav"), "RIFFup");
    expect((await send(srv.url, "GET", "/api/files/uploads/abc-take.wav", { Host: host() })).body).toBe("RIFFup");
  });

  it("removed the stale temp file of an interrupted write at start, and kept a fresh one", () => {
    expect(existsSync(join(dataDir, "outputs", "r9", ".take.wav.0a1b2c.tmp"))).toBe(false);
    expect(existsSync(join(dataDir, "outputs", "r9", ".take.wav.3d4e5f.tmp"))).toBe(true);
  });
});

describe("tRPC bodies", () => {
  it("answers an oversized chunked body with 413, not a connection reset", async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const r = await send(
      srv.url,
      "POST",
      "/api/trpc/graphs.validate",
      { Host: host(), "Content-Type": "application/json", "Transfer-Encoding": "chunked" },
      Array.from({ length: 10 }, () => chunk),
    );
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error.data.code).toBe("PAYLOAD_TOO_LARGE");
    expect((await send(srv.url, "GET", "/api/trpc/nodes.list", { Host: host() })).status).toBe(200);
  });

  it("reports duplicate node ids instead of keeping the last one", async () => {
    const text = '{"graph":{"version":1,"nodes":{"a":{"type":"t.num"},"a":{"type":"t.nope"}}}}';
    const r = await send(
      srv.url,
      "POST",
      "/api/trpc/graphs.validate",
      { Host: host(), "Content-Type": "application/json" },
      Buffer.from(text),
    );
    expect(r.status).toBe(400);
    const e = JSON.parse(r.body).error;
    expect(e.message).toContain("graph.nodes.a");
    expect(e.data.issues[0]).toMatchObject({ code: "duplicate_key", field: "graph.nodes.a" });
  });
});

describe("graphs.validate without a graph", () => {
  it("answers a readable message, not raw schema JSON", async () => {
    const empty = await send(
      srv.url,
      "POST",
      "/api/trpc/graphs.validate",
      { Host: host(), "Content-Type": "application/json" },
      Buffer.from("{}"),
    );
    expect(empty.status).toBe(200);
    expect(JSON.parse(empty.body).result.data.issues[0]).toMatchObject({
      field: "graph",
      message: expect.stringContaining("no graph to validate"),
    });
    const none = await send(
      srv.url,
      "POST",
      "/api/trpc/graphs.validate",
      { Host: host(), "Content-Type": "application/json" },
      Buffer.from("null"),
    );
    expect(none.status).toBe(400);
    expect(JSON.parse(none.body).error.message).toBe("Invalid input: expected object, received null");
    const noGraph = await send(
      srv.url,
      "POST",
      "/api/trpc/runs.start",
      { Host: host(), "Content-Type": "application/json" },
      Buffer.from('{"overrides":{}}'),
    );
    expect(JSON.parse(noGraph.body).error.message).toContain("give either a graph or a graphId");
    const wrong = await send(
      srv.url,
      "POST",
      "/api/trpc/graphs.validate",
      { Host: host(), "Content-Type": "application/json" },
      Buffer.from('{"graph":{},"overrides":[1]}'),
    );
    expect(JSON.parse(wrong.body).error.message).toMatch(/^overrides: /);
  });
});

describe("token comparison", () => {
  it("compares digests: right token only, whatever the length", () => {
    expect(tokenMatches("secret-token", "secret-token")).toBe(true);
    for (const wrong of ["", "secret", "secret-token-and-more", "secret-tokeN"])
      expect(tokenMatches(wrong, "secret-token")).toBe(false);
    expect(tokenMatches(null, "secret-token")).toBe(false);
  });
});

describe("bodies and the token", () => {
  let locked: TestServer;
  beforeAll(async () => {
    let f: RestFacade | undefined;
    const route: ExtraRoute = (req, res, url) => f!.handle(req, res, url);
    locked = await startTestServer({
      registry: testRegistry(),
      routes: [route],
      config: { apiToken: "secret", maxUploadBytes: 256 * 1024 },
    });
    f = new RestFacade(locked.app, {
      generate: async () => ({ audios: [], statusMessage: "", extraOutputs: {} as never, success: true, error: null }),
    });
  });
  afterAll(() => locked.close());
  const lockedHost = () => new URL(locked.url).host;

  it("answers an unauthenticated /release_task 401 without reading its body (not 415 after reading it)", async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 0x41);
    const r = await send(
      locked.url,
      "POST",
      "/release_task",
      { Host: lockedHost(), "Content-Type": "application/octet-stream" },
      big,
    );
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body).detail).toContain("Authorization");
    const chunked = await send(
      locked.url,
      "POST",
      "/release_task",
      { Host: lockedHost(), "Content-Type": "application/json", "Transfer-Encoding": "chunked" },
      [big, big],
    );
    expect(chunked.status).toBe(401);
    const odd = await send(
      locked.url,
      "POST",
      "/query_result",
      { Host: lockedHost(), "Content-Type": "image/png" },
      Buffer.from("x"),
    );
    expect(odd.status).toBe(401);
  });

  it("still takes ai_token in a small body, and a header token with a large one", async () => {
    const small = await send(
      locked.url,
      "POST",
      "/release_task",
      { Host: lockedHost(), "Content-Type": "application/json" },
      Buffer.from('{"prompt":"x","ai_token":"secret"}'),
    );
    expect(small.status).toBe(200);
    const wrong = await send(
      locked.url,
      "POST",
      "/release_task",
      { Host: lockedHost(), "Content-Type": "application/json" },
      Buffer.from('{"prompt":"x","ai_token":"nope"}'),
    );
    expect(wrong.status).toBe(401);
    const padded = Buffer.from(JSON.stringify({ prompt: "x", lyrics: "la ".repeat(40_000) }));
    const header = await send(
      locked.url,
      "POST",
      "/release_task",
      { Host: lockedHost(), "Content-Type": "application/json", Authorization: "Bearer secret" },
      padded,
    );
    expect(header.status).toBe(200);
  });

  it("answers an oversized chunked upload 413 (not a connection reset), the server fine after", async () => {
    const { type } = wavForm();
    const piece = Buffer.alloc(128 * 1024, 0x42);
    const r = await send(
      locked.url,
      "POST",
      "/api/files/upload",
      { Host: lockedHost(), Authorization: "Bearer secret", "Content-Type": type, "Transfer-Encoding": "chunked" },
      Array.from({ length: 6 }, () => piece),
    );
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error).toContain("limit");
    expect((await send(locked.url, "GET", "/health", { Host: lockedHost() })).status).toBe(200);
  });
});
