// The BullMQ queue adapter in one process: a coordinator (store, HTTP worker API) and a worker over a real
// redis-server. Runs finish on the worker with their events and files at the coordinator; only the worker that
// started a run's attempt may report it; a run that needs a model no worker holds waits; cancel reaches workers.
// The multi-process kill -9 check is test/scale-out.full.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { createAppContext, type AppContext } from "../../app-context";
import { createHttpServer } from "../../http/server";
import { loadConfig } from "../../config";
import { testRegistry } from "../../../test/fixtures/fake-nodes";
import { haveRedis, startRedis, type TestRedis } from "../../../test/helpers/redis";
import { scaleOutRoutes } from "../../http/worker-routes";
import { restRoutes } from "../../api/rest";
import { generateTaskKind, TASK_KIND } from "../../api/rest/tasks";
import type { GenerationResult } from "../../api/params";
import { RunWorker } from "./worker";
import { REDIS_OWNER } from "../queue";
import { graphNeeds, missingModel, scaleOutTiming, shownRedisUrl, WORKER_API } from "./protocol";

const TOKEN = "scale-out-test-token";
const dirs: string[] = [];
const folder = () => {
  const d = mkdtempSync(join(tmpdir(), "acestep-scaleout-"));
  dirs.push(d);
  return d;
};
const tone = JSON.parse(readFileSync("graphs/test-tone.json", "utf8"));
const slow = (steps: number, ms = 20) => ({
  version: 1,
  nodes: {
    s: { type: "t.slow", params: { steps, ms } },
    k: { type: "t.sink", inputs: { x: { node: "s", output: "out" } } },
  },
});

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!haveRedis())("scale-out queue on BullMQ (one process)", () => {
  let redis: TestRedis;
  let app: AppContext;
  let server: Server;
  let url: string;
  let worker: RunWorker;
  let workerApp: AppContext;

  beforeAll(async () => {
    redis = await startRedis();
    app = createAppContext({
      dataDir: folder(),
      registry: testRegistry(),
      role: "serve",
      redisUrl: redis.url,
      apiToken: TOKEN,
      progressIntervalMs: 0,
    });
    server = createHttpServer({ app, routes: [...scaleOutRoutes(app), ...restRoutes(app)] });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const config = loadConfig();
    // The worker's REST task kind with a stand-in generation: one test-tone graph inside the task's run.
    const workerData = folder();
    workerApp = createAppContext({ dataDir: workerData, registry: testRegistry(), progressIntervalMs: 0 });
    const generate = async (
      params: Record<string, unknown>,
      _config: unknown,
      opts: { inside?: { runGraph(g: unknown): Promise<{ results: Record<string, Array<{ path?: string }>> }> } },
    ): Promise<GenerationResult> => {
      const outcome = await opts.inside!.runGraph(tone);
      const path = outcome.results.save[0].path!;
      const extraOutputs = { timeCosts: {}, lmMetadata: null, seedValue: "7", runId: null, graph: null, warnings: [] };
      const audio = { path, absolutePath: join(workerData, path), key: "k1", sampleRate: 48000, params, silent: false };
      return { audios: [audio], statusMessage: "ok", extraOutputs, success: true, error: null } as never;
    };
    worker = new RunWorker({
      redisUrl: redis.url,
      serverUrl: url,
      token: TOKEN,
      concurrency: 2,
      dataDir: folder(),
      modelsDir: null,
      demoModelsDir: config.demoModelsDir,
      threads: 1,
      timing: scaleOutTiming({} as NodeJS.ProcessEnv),
      registry: testRegistry(),
      models: workerApp.models,
      kinds: { [TASK_KIND]: generateTaskKind(workerApp, generate as never) },
      localOutputs: (runId) => workerApp.store.listOutputs(runId),
      heartbeatMs: 100,
      logger: () => {},
    });
    await worker.start();
  });

  afterAll(async () => {
    await worker?.close();
    await workerApp?.close();
    await new Promise((r) => server?.close(r));
    await app?.close();
    await redis?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("runs finish on the worker: events, attempts, worker and output files at the coordinator", async () => {
    const ids = [
      ...Array.from({ length: 3 }, () => app.runs.start({ graph: tone }).runId),
      ...Array.from({ length: 3 }, () => app.runs.start({ graph: slow(3) }).runId),
    ];
    await until(() => ids.every((id) => app.store.getRun(id)?.status === "finished"), "every run finished");
    for (const id of ids) {
      const run = app.store.getRun(id)!;
      expect(run.attempts).toBe(1);
      expect(run.worker).toBe(worker.id);
      const types = app.store.eventsAfter(id).map((e) => e.event.type);
      expect(types[0]).toBe("run.queued");
      expect(types).toContain("run.started");
      expect(types.filter((t) => t === "run.finished")).toHaveLength(1);
      expect(types.at(-1)).toBe("run.finished");
    }
    // The tone's flac was uploaded and downloads through /api/files with the token.
    const outs = app.store.listOutputs(ids[0]);
    expect(outs.map((o) => o.kind)).toContain("audio");
    const file = outs.find((o) => o.path.endsWith(".flac"))!;
    const r = await fetch(`${url}/api/files/${file.path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(200);
    const bytes = new Uint8Array(await r.arrayBuffer());
    expect(new TextDecoder().decode(bytes.slice(0, 4))).toBe("fLaC");
    // Seeds and timings came back with the finish report.
    expect(Object.keys(app.store.getRun(ids[0])!.timings)).toContain("save");
  });

  it("a REST task runs on the worker: /query_result answers from the store and its audio downloads", async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const r = await fetch(`${url}/release_task`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ prompt: "a tone" }),
    });
    expect(r.status).toBe(200);
    const taskId = ((await r.json()) as { data: { task_id: string } }).data.task_id;
    await until(() => app.store.getRun(taskId)?.status === "finished", "the task finished");
    expect(app.store.getRun(taskId)!.worker).toBe(worker.id);
    const q = await fetch(`${url}/query_result`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ task_id_list: [taskId] }),
    });
    const item = ((await q.json()) as { data: Array<{ status: number; result: string }> }).data[0];
    expect(item.status).toBe(1);
    const [first] = JSON.parse(item.result) as Array<{ file: string; seed_value: string }>;
    expect(first.seed_value).toBe("7");
    const audio = await fetch(`${url}${first.file}`, { headers: auth });
    expect(audio.status).toBe(200);
    expect(new TextDecoder().decode(new Uint8Array(await audio.arrayBuffer()).slice(0, 4))).toBe("fLaC");
  });

  it("stats list the worker with its host, provider, models and current job", async () => {
    const id = app.runs.start({ graph: slow(40, 20) }).runId;
    await until(() => app.store.getRun(id)?.status === "running", "the run is running");
    await until(() => app.runs.queueStats().workers.some((w) => w.jobs.includes(id)), "the worker reports the job");
    const stats = app.runs.queueStats();
    expect(stats.backend).toBe("redis");
    const w = stats.workers.find((x) => x.role === "worker")!;
    expect(w).toMatchObject({ id: worker.id, pid: process.pid, provider: "cpu", concurrency: 2 });
    expect(w.models!.length).toBeGreaterThan(0);
    // cancel reaches the worker through its next report
    expect(app.runs.cancel(id)).toBe(true);
    await until(() => app.store.getRun(id)?.status === "cancelled", "the run is cancelled");
  });

  it("only the worker of the current attempt may start, report or finish a run", async () => {
    const id = app.runs.start({ graph: slow(1) }).runId;
    await until(() => app.store.getRun(id)?.status === "finished", "the run finished");
    const post = (path: string, body: unknown, token = TOKEN) =>
      fetch(`${url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const again = await (await post(WORKER_API.start(id), { workerId: "someone-else" })).json();
    expect(again).toMatchObject({ start: false, reason: "the run is finished" });
    const fin = await post(WORKER_API.finish(id), { workerId: "someone-else", status: "failed", error: null, ms: 1 });
    expect(fin.status).toBe(409);
    expect(app.store.getRun(id)!.status).toBe("finished");
    expect((await post(WORKER_API.heartbeat, {}, "wrong")).status).toBe(401);
    const events = app.store.eventsAfter(id).map((e) => e.event.type);
    expect(events.filter((t) => t === "run.finished")).toHaveLength(1);
  });

  it("a queued run whose job Redis lost (restarted without persistence) is sent again and runs once", async () => {
    const id = crypto.randomUUID();
    app.store.createRun({
      id,
      graph: slow(1),
      graphId: null,
      outputDir: join(app.config.dataDir, "outputs", id),
      demo: false,
      owner: REDIS_OWNER,
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(app.store.getRun(id)!.status).toBe("queued"); // nothing in Redis: no worker saw it
    await app.scaleOut!.reconcile();
    await until(() => app.store.getRun(id)?.status === "finished", "the run finished");
    expect(app.store.getRun(id)!.attempts).toBe(1);
  });

  it("a CLI process on the coordinator's data folder keeps its own runs (they do not go to Redis)", async () => {
    const cli = createAppContext({ dataDir: app.config.dataDir, registry: testRegistry(), role: "cli" });
    try {
      const id = crypto.randomUUID();
      cli.store.createRun({
        id,
        graph: slow(1),
        graphId: null,
        outputDir: join(app.config.dataDir, "outputs", id),
        demo: false,
        owner: cli.runs.lease.id,
      });
      await app.scaleOut!.reconcile();
      expect(app.store.getRun(id)).toMatchObject({ status: "queued", owner: cli.runs.lease.id });
      cli.runs.queue.pump();
      await until(() => app.store.getRun(id)?.status === "finished", "the CLI ran its run");
      expect(app.store.getRun(id)!.worker).toBeNull();
    } finally {
      await cli.close();
    }
  });

  it("a run whose worker is alive and still runs it is not given to another worker", async () => {
    const q = app.scaleOut!;
    const id = crypto.randomUUID();
    app.store.createRun({
      id,
      graph: slow(1),
      graphId: null,
      outputDir: join(app.config.dataDir, "outputs", id),
      demo: false,
      owner: "test (not sent to Redis)",
    });
    const hello = {
      id: "busy-worker",
      host: "h",
      pid: 1,
      provider: "cpu",
      models: [],
      demo: true,
      concurrency: 1,
      kinds: ["graph"],
      jobs: [id],
    };
    expect(q.start(id, "busy-worker")).toMatchObject({ start: true, attempt: 1 });
    q.heartbeat(hello);
    // BullMQ took the job for stalled (busy event loop) and another worker holds it: it must wait.
    expect(q.start(id, "other-worker")).toMatchObject({ start: false, retry: true });
    expect(app.store.getRun(id)).toMatchObject({ status: "running", worker: "busy-worker", attempts: 1 });
    // Once the first worker no longer runs it (died: no heartbeat; here: it says so), the other one takes over.
    q.heartbeat({ ...hello, jobs: [] });
    expect(q.start(id, "other-worker")).toMatchObject({ start: true, attempt: 2 });
    expect(app.store.eventsAfter(id).map((e) => e.event.type)).toContain("run.requeued");
    expect(app.runs.cancel(id)).toBe(true);
  });

  it("a run that needs a model no worker holds waits in the queue", async () => {
    const graph = { version: 1, nodes: { dit: { type: "models.dit", params: { name: "no-such-dit" } } } };
    expect(graphNeeds(graph)).toEqual([{ nodeId: "dit", component: "dit", name: "no-such-dit" }]);
    expect(missingModel(graphNeeds(graph), new Map([["dit", ["acestep-v15-turbo"]]]))).toMatch(/no-such-dit/);
    expect(missingModel(graphNeeds(graph), new Map([["dit", ["no-such-dit"]]]))).toBeNull();
    expect(shownRedisUrl("redis://user:secret@10.0.0.1:6379/0")).toBe("redis://user:***@10.0.0.1:6379/0");
    // Stored directly: the loader node's name is not validated against the models here.
    const id = crypto.randomUUID();
    app.store.createRun({ id, graph, graphId: null, outputDir: join(app.config.dataDir, "outputs", id), demo: false });
    app.runs.queue.submitted(id);
    const other = app.runs.start({ graph: slow(1) }).runId;
    await until(() => app.store.getRun(other)?.status === "finished", "a later run finished");
    expect(app.store.getRun(id)!.status).toBe("queued");
    expect(app.runs.cancel(id)).toBe(true);
  });
});
