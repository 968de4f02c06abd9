import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request as httpRequest } from "node:http";
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync, mkdtempSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError } from "@trpc/client";
import { EventSource } from "eventsource";
import type { AppRouter } from "../server/trpc/app-router";
import { createAppContext } from "../server/app-context";
import { startTestServer, type TestServer } from "./helpers/server";
import { testRegistry } from "./fixtures/fake-nodes";
import { memoryTier } from "../server/models/tiers";

let srv: TestServer;
let client: ReturnType<typeof createTRPCClient<AppRouter>>;

beforeAll(async () => {
  srv = await startTestServer({ registry: testRegistry() });
  client = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({ url: `${srv.url}/api/trpc`, EventSource }),
        false: httpBatchLink({ url: `${srv.url}/api/trpc` }),
      }),
    ],
  });
});
afterAll(() => srv.close());

const slowGraph = (steps: number, ms = 2) => ({
  version: 1,
  nodes: {
    s: { type: "t.slow", params: { steps, ms } },
    k: { type: "t.sink", inputs: { x: { node: "s", output: "out" } } },
  },
});

function collect(runId: string, lastEventId?: string): Promise<Array<{ id: string; seq: number; type: string }>> {
  return new Promise((resolve, reject) => {
    const got: Array<{ id: string; seq: number; type: string }> = [];
    const sub = client.runs.events.subscribe(
      { runId, lastEventId },
      {
        onData: (d) => {
          got.push({ id: d.id, seq: d.data.seq, type: d.data.event.type });
          if (["run.finished", "run.failed", "run.cancelled"].includes(d.data.event.type)) {
            sub.unsubscribe();
            resolve(got);
          }
        },
        onError: reject,
      },
    );
  });
}

describe("tRPC API", () => {
  it("lists node declarations with params as JSON Schema", async () => {
    const nodes = await client.nodes.list.query();
    const slow = nodes.find((n) => n.type === "t.slow")!;
    expect(slow.params).toMatchObject({
      type: "object",
      properties: { steps: { type: "integer", minimum: 1, maximum: 10000, default: 5 } },
    });
    expect(slow.paramPorts).toMatchObject({ steps: "INT", ms: "INT" });
    expect(nodes.find((n) => n.type === "core.seed")!.params).toMatchObject({
      properties: { seed: { ui: "seed", default: -1 } },
    });
  });

  it("saves, lists, gets and deletes graphs", async () => {
    const saved = await client.graphs.save.mutate({ name: "my graph", graph: slowGraph(2) });
    expect((await client.graphs.list.query()).map((g) => g.id)).toContain(saved.id);
    expect((await client.graphs.get.query({ id: saved.id })).graph).toEqual(slowGraph(2));
    expect(await client.graphs.delete.mutate({ id: saved.id })).toEqual({ deleted: true });
    await expect(client.graphs.get.query({ id: saved.id })).rejects.toThrow(/no saved graph/);
  });

  it("streams run events in order and resumes after a last event id", async () => {
    const { runId } = await client.runs.start.mutate({ graph: slowGraph(5) });
    const all = await collect(runId);
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect(all[0].type).toBe("run.queued");
    expect(all.map((e) => e.type)).toContain("node.progress");
    expect(all.at(-1)!.type).toBe("run.finished");
    const resumed = await collect(runId, String(all[3].seq));
    expect(resumed.map((e) => e.seq)).toEqual(all.slice(4).map((e) => e.seq));
    const run = await client.runs.get.query({ runId });
    expect(run.status).toBe("finished");
    expect(Object.keys(run.timings).sort()).toEqual(["k", "s"]);
  });

  it("starts a saved graph by id with param overrides", async () => {
    const saved = await client.graphs.save.mutate({ name: "over", graph: slowGraph(2) });
    const { runId } = await client.runs.start.mutate({ graphId: saved.id, overrides: { "s.steps": 3 } });
    await srv.app.runs.waitFor(runId);
    const run = await client.runs.get.query({ runId });
    expect(run.status).toBe("finished");
    expect((run.graph as { nodes: { s: { params: { steps: number } } } }).nodes.s.params.steps).toBe(3);
  });

  it("cancels a running run", async () => {
    const { runId } = await client.runs.start.mutate({ graph: slowGraph(10_000, 2) });
    await new Promise((r) => setTimeout(r, 100));
    expect(await client.runs.cancel.mutate({ runId })).toEqual({ cancelled: true });
    await srv.app.runs.waitFor(runId);
    expect((await client.runs.get.query({ runId })).status).toBe("cancelled");
  });

  it("answers invalid graphs with every issue and no stack trace, and stays up", async () => {
    const bad = [
      "not a graph",
      [1, 2],
      { version: 99, nodes: {} },
      { version: 1, nodes: { a: { type: "t.slow", params: { steps: -5, color: 1 } } } },
      JSON.parse('{"version":1,"nodes":{"a":{"type":"t.num","params":{"__proto__":{"x":1}}}}}'),
      { version: 1, nodes: { a: { type: "core.string", params: { value: "x".repeat(300_000) } } } },
    ];
    for (const graph of bad) {
      const err = await client.runs.start.mutate({ graph }).catch((e) => e);
      expect(err).toBeInstanceOf(TRPCClientError);
      expect(err.data.code).toBe("BAD_REQUEST");
      expect(err.data.issues.length).toBeGreaterThan(0);
      expect(err.data.stack).toBeUndefined();
    }
    const multi = await client.runs.start.mutate({ graph: bad[3] }).catch((e) => e);
    expect(multi.data.issues.map((i: { code: string }) => i.code).sort()).toEqual([
      "no_output_node",
      "unknown_param",
      "value_smaller_than_min",
    ]);
    expect((await client.nodes.list.query()).length).toBeGreaterThan(0);
  });

  it("validates a large graph by POST (too long for a GET URL) and names runs in the list", async () => {
    const nodes: Record<string, unknown> = {};
    for (let i = 0; i < 300; i++)
      nodes[`n${i}`] = {
        type: "t.num",
        params: { value: i % 100 },
        ui: { x: i * 10, y: i * 10, title: `number node ${i}` },
      };
    nodes.bad = { type: "t.slow", params: { steps: 0 } };
    const r = await fetch(`${srv.url}/api/trpc/graphs.validate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ graph: { version: 1, nodes } }),
    });
    expect(r.status).toBe(200);
    const issues = (await r.json()).result.data.issues;
    expect(issues.map((i: { nodeId?: string; code: string }) => `${i.nodeId}:${i.code}`)).toContain(
      "bad:value_smaller_than_min",
    );
    const g = { ...slowGraph(1), meta: { name: "named run" } };
    const { runId } = await client.runs.start.mutate({ graph: g });
    await srv.app.runs.waitFor(runId);
    expect((await client.runs.list.query({ limit: 5 })).find((x) => x.id === runId)).toMatchObject({
      graphName: "named run",
      nodeCount: 2,
    });
  });

  it("answers system.info without waiting for the demo models (preparingModels until they are ready)", async () => {
    const first = await client.system.info.query();
    expect(first).toMatchObject({ demoWeights: true, preparingModels: true, models: [] });
    await srv.app.models.ready();
    const later = await client.system.info.query();
    expect(later.preparingModels).toBe(false);
    expect(later.memory).toEqual({
      usedBytes: srv.app.models.registry().status().usedBytes,
      budgetBytes: srv.app.config.memoryBudgetBytes,
      tier: memoryTier(srv.app.config.memoryBudgetBytes),
    });
    expect(later.models.map((m) => m.kind).sort()).toEqual(["dit", "dit", "lm", "text-encoder", "vae"]);
  });

  it("rejects a malformed request body without crashing", async () => {
    const r = await fetch(`${srv.url}/api/trpc/runs.start`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect((await fetch(`${srv.url}/api/trpc/nodes.list`)).status).toBe(200);
  });
});

function rawGet(
  url: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer; headers: Record<string, unknown> }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path, method: "GET", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks), headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("file routes", () => {
  beforeAll(() => {
    mkdirSync(join(srv.dataDir, "outputs", "r1"), { recursive: true });
    writeFileSync(join(srv.dataDir, "outputs", "r1", "a.flac"), Buffer.from("0123456789"));
    srv.app.store.addOutput({ runId: "r1", nodeId: "save", path: "outputs/r1/a.flac", kind: "audio", meta: {} }); // only recorded outputs are served
    const outside = mkdtempSync(join(tmpdir(), "outside-"));
    writeFileSync(join(outside, "secret.txt"), "TOPSECRET");
    symlinkSync(outside, join(srv.dataDir, "outputs", "link"));
  });

  it("serves files and byte ranges", async () => {
    const full = await rawGet(srv.url, "/api/files/outputs/r1/a.flac");
    expect(full.status).toBe(200);
    expect(full.body.toString()).toBe("0123456789");
    expect(full.headers["accept-ranges"]).toBe("bytes");
    const part = await rawGet(srv.url, "/api/files/outputs/r1/a.flac", { Range: "bytes=2-5" });
    expect(part.status).toBe(206);
    expect(part.body.toString()).toBe("2345");
    expect(part.headers["content-range"]).toBe("bytes 2-5/10");
    expect((await rawGet(srv.url, "/api/files/outputs/r1/a.flac", { Range: "bytes=-3" })).body.toString()).toBe("789");
    expect((await rawGet(srv.url, "/api/files/outputs/r1/a.flac", { Range: "bytes=7-" })).body.toString()).toBe("789");
    expect((await rawGet(srv.url, "/api/files/outputs/r1/a.flac", { Range: "bytes=20-30" })).status).toBe(416);
  });

  it("rejects .., absolute, encoded and symlink escapes", async () => {
    for (const p of [
      "/api/files/../acestep.sqlite",
      "/api/files/outputs/../../etc/passwd",
      "/api/files//etc/passwd",
      "/api/files/%2Fetc%2Fpasswd",
      "/api/files/%2e%2e/%2e%2e/etc/passwd",
      "/api/files/%252e%252e/etc/passwd",
      "/api/files/outputs/..%2f..%2fetc%2fpasswd",
      "/api/files/outputs%5c..%5c..%5cetc",
      "/api/files/outputs/link/secret.txt",
      "/api/files/a%00b",
    ]) {
      const r = await rawGet(srv.url, p);
      expect([400, 403, 404], p).toContain(r.status);
      expect(r.body.toString()).not.toContain("TOPSECRET");
      expect(r.body.toString()).not.toContain("root:");
    }
    expect((await rawGet(srv.url, "/api/files/outputs/link/secret.txt")).status).toBe(403);
    expect((await rawGet(srv.url, "/api/files/%2Fetc%2Fpasswd")).status).toBe(403);
  });

  it("accepts an audio upload and rejects oversize and non-audio files", async () => {
    const wav = Buffer.alloc(64);
    wav.write("RIFF", 0);
    wav.write("WAVE", 8);
    const form = new FormData();
    form.set("file", new Blob([wav]), "take 1.wav");
    const ok = await fetch(`${srv.url}/api/files/upload`, { method: "POST", body: form });
    expect(ok.status).toBe(201);
    const body = await ok.json();
    expect(body).toMatchObject({ format: "wav", bytes: 64 });
    expect(body.path).toMatch(/^uploads\/[0-9a-f]{16}-take_1\.wav$/);

    const text = new FormData();
    text.set("file", new Blob(["hello, I am not audio"]), "song.mp3");
    const r2 = await fetch(`${srv.url}/api/files/upload`, { method: "POST", body: text });
    expect(r2.status).toBe(415);
    expect((await r2.json()).error).toContain("song.mp3");

    const small = await startTestServer({ config: { maxUploadBytes: 1000 } });
    try {
      const big = new FormData();
      const payload = Buffer.alloc(200_000);
      payload.write("fLaC", 0);
      big.set("file", new Blob([payload]), "big.flac");
      const r3 = await fetch(`${small.url}/api/files/upload`, { method: "POST", body: big });
      expect(r3.status).toBe(413);
    } finally {
      await small.close();
    }
  });
});

describe("auth and restarts", () => {
  it("requires the API token when one is configured", async () => {
    const s = await startTestServer({ config: { apiToken: "s3cret" } });
    try {
      expect((await fetch(`${s.url}/api/trpc/nodes.list`)).status).toBe(401);
      expect((await fetch(`${s.url}/api/trpc/nodes.list`, { headers: { Authorization: "Bearer wrong" } })).status).toBe(
        401,
      );
      expect(
        (await fetch(`${s.url}/api/trpc/nodes.list`, { headers: { Authorization: "Bearer s3cret" } })).status,
      ).toBe(200);
    } finally {
      await s.close();
    }
  });

  it("marks a run left running at restart as interrupted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "acestep-restart-"));
    const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/crash-runner.ts", dir], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const runId = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => resolve(d.toString().trim()));
      child.on("exit", (code) => reject(new Error(`crash runner exited early (${code})`)));
    });
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const b = createAppContext({ dataDir: dir, registry: testRegistry() });
    try {
      expect(b.store.getRun(runId)!.status).toBe("interrupted");
      expect(b.store.eventsAfter(runId).at(-1)!.event.type).toBe("run.interrupted");
    } finally {
      await b.close();
    }
  });
});
