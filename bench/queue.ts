// Throughput and latency of the embedded run queue (SQLite store): trivial jobs (two fake nodes) with 1 and 2
// runs at a time — jobs/s and the p50/p95 queue latency (queued → started) — and the recovery time after the
// serving process is killed (-9): from the kill until a new process has finished the first queued run.
// BullMQ mode (scale-out, needs redis-server): the same trivial jobs through a coordinator and 1 or 2 worker
// processes, and the recovery time after a worker is killed (-9) mid-job: from the kill until another worker
// finished that run. The figures depend on the machine's load; run it alone for stable numbers.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { createAppContext } from "../server/app-context";
import { RunStore } from "../server/runs/store";
import { testRegistry } from "../test/fixtures/fake-nodes";
import { createHttpServer } from "../server/http/server";
import { scaleOutRoutes } from "../server/http/worker-routes";
import { haveRedis, startRedis, type TestRedis } from "../test/helpers/redis";
import { exited, slowGraph, spawnFixture, startRunOverTrpc, startServeFixture } from "../test/helpers/processes";
import type { AddressInfo } from "node:net";

const JOBS = Number(process.env.BENCH_JOBS ?? 200);
const trivial = {
  version: 1,
  nodes: {
    n: { type: "t.num", params: { value: 1 } },
    k: { type: "t.sink", inputs: { x: { node: "n", output: "out" } } },
  },
};

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function throughput(concurrency: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "acestep-bench-queue-"));
  const app = createAppContext({
    dataDir: dir,
    registry: testRegistry(),
    concurrency,
    progressIntervalMs: 0,
    queueMaxSize: JOBS + 1,
    role: "serve",
  });
  try {
    const t0 = performance.now();
    const ids = Array.from({ length: JOBS }, () => app.runs.start({ graph: trivial }).runId);
    for (const id of ids) await app.runs.waitFor(id);
    const wall = (performance.now() - t0) / 1000;
    const latency = ids.map((id) => {
      const ev = app.store.eventsAfter(id);
      const queued = ev.find((e) => e.event.type === "run.queued")!.at;
      return ev.find((e) => e.event.type === "run.started")!.at - queued;
    });
    const done = ids.filter((id) => app.store.getRun(id)!.status === "finished").length;
    console.log(
      `embedded (sqlite), ${concurrency} at a time: ${JOBS} jobs (${done} finished) in ${wall.toFixed(2)} s = ${(JOBS / wall).toFixed(1)} jobs/s; ` +
        `queue latency p50 ${pct(latency, 50)} ms, p95 ${pct(latency, 95)} ms`,
    );
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function recovery(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "acestep-bench-recovery-"));
  try {
    const a = await startServeFixture(dir);
    await startRunOverTrpc(a.url, slowGraph(10_000));
    const next = await startRunOverTrpc(a.url, trivial);
    await new Promise((r) => setTimeout(r, 300));
    const killedAt = performance.now();
    a.child.kill("SIGKILL");
    await exited(a.child);
    const b = await startServeFixture(dir);
    const store = new RunStore(join(dir, "acestep.sqlite"));
    while (store.getRun(next)?.status !== "finished") await new Promise((r) => setTimeout(r, 5));
    const ms = performance.now() - killedAt;
    store.close();
    b.child.kill("SIGTERM");
    await exited(b.child);
    console.log(
      `recovery after kill -9 of the serving process: ${(ms / 1000).toFixed(2)} s until a restarted process finished the next queued run (process start included)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const TOKEN = "bench-token";
/** Worker lock, stalled-check period and worker ttl for the recovery figure (defaults: 30 s, 15 s, 20 s). */
const TIMING = {
  ACESTEP_WORKER_LOCK_MS: "5000",
  ACESTEP_WORKER_STALLED_CHECK_MS: "1000",
  ACESTEP_RUN_ATTEMPTS: "2",
  ACESTEP_WORKER_TTL_MS: "5000",
};

async function coordinator(redis: TestRedis, dir: string) {
  Object.assign(process.env, TIMING);
  const app = createAppContext({
    dataDir: dir,
    registry: testRegistry(),
    progressIntervalMs: 0,
    queueMaxSize: JOBS + 1,
    role: "serve",
    redisUrl: redis.url,
    apiToken: TOKEN,
  });
  const server = createHttpServer({ app, routes: scaleOutRoutes(app) });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = async () => {
    await new Promise((r) => server.close(r));
    server.closeAllConnections();
    await app.close();
  };
  return { app, url, close };
}

async function startWorker(redis: TestRedis, url: string): Promise<{ child: ChildProcess; id: string }> {
  const data = mkdtempSync(join(tmpdir(), "acestep-bench-worker-"));
  const removeData = () => rmSync(data, { recursive: true, force: true });
  const { child, firstLine } = await spawnFixture("test/fixtures/worker-fixture.ts", [redis.url, url, TOKEN, data], {
    ...process.env,
    ...TIMING,
    ACESTEP_MODELS: join(data, "none"),
  }).catch((e: unknown) => {
    removeData();
    throw e;
  });
  if (child.exitCode !== null || child.signalCode !== null) removeData();
  else child.once("exit", removeData);
  return { child, id: firstLine.split(" ")[1] };
}

const stop = async (child: ChildProcess) => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await gone;
};

async function bullThroughput(redis: TestRedis, workers: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "acestep-bench-bull-"));
  const c = await coordinator(redis, dir);
  const ws = await Promise.all(Array.from({ length: workers }, () => startWorker(redis, c.url)));
  try {
    const t0 = performance.now();
    const ids = Array.from({ length: JOBS }, () => c.app.runs.start({ graph: trivial }).runId);
    for (const id of ids) await c.app.runs.waitFor(id);
    const wall = (performance.now() - t0) / 1000;
    const latency = ids.map((id) => {
      const ev = c.app.store.eventsAfter(id);
      const queued = ev.find((e) => e.event.type === "run.queued")!.at;
      return ev.find((e) => e.event.type === "run.started")!.at - queued;
    });
    const done = ids.filter((id) => c.app.store.getRun(id)!.status === "finished").length;
    console.log(
      `BullMQ (redis), ${workers} worker process${workers === 1 ? "" : "es"} (1 job each at a time): ${JOBS} jobs (${done} finished) in ${wall.toFixed(2)} s = ${(JOBS / wall).toFixed(1)} jobs/s; ` +
        `queue latency p50 ${pct(latency, 50)} ms, p95 ${pct(latency, 95)} ms (queued → run.started stored by the coordinator)`,
    );
  } finally {
    for (const w of ws) await stop(w.child);
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function bullRecovery(redis: TestRedis): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "acestep-bench-bull-recovery-"));
  const c = await coordinator(redis, dir);
  const ws = await Promise.all([startWorker(redis, c.url), startWorker(redis, c.url)]);
  try {
    const long = {
      version: 1,
      nodes: {
        s: { type: "t.slow", params: { steps: 100, ms: 20 } },
        k: { type: "t.sink", inputs: { x: { node: "s", output: "out" } } },
      },
    };
    const id = c.app.runs.start({ graph: long }).runId;
    while (c.app.store.getRun(id)?.status !== "running") await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 300));
    const victim = ws.find((w) => w.id === c.app.store.getRun(id)!.worker)!;
    const killedAt = performance.now();
    victim.child.kill("SIGKILL");
    let restartedMs = 0;
    while (c.app.store.getRun(id)?.status !== "finished") {
      if (!restartedMs && c.app.store.getRun(id)!.attempts > 1) restartedMs = performance.now() - killedAt;
      await new Promise((r) => setTimeout(r, 5));
    }
    const ms = performance.now() - killedAt;
    console.log(
      `BullMQ recovery after kill -9 of a worker mid-job: started again on the other worker after ${(restartedMs / 1000).toFixed(2)} s, ` +
        `finished after ${(ms / 1000).toFixed(2)} s (a 2 s job; lock ${Number(TIMING.ACESTEP_WORKER_LOCK_MS) / 1000} s, worker ttl ${Number(TIMING.ACESTEP_WORKER_TTL_MS) / 1000} s, stalled check every ${
          Number(TIMING.ACESTEP_WORKER_STALLED_CHECK_MS) / 1000
        } s; attempts ${c.app.store.getRun(id)!.attempts})`,
    );
  } finally {
    for (const w of ws) await stop(w.child);
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await throughput(1);
await throughput(2);
await recovery();
if (haveRedis()) {
  const redis = await startRedis();
  try {
    await bullThroughput(redis, 1);
    await bullThroughput(redis, 2);
    await bullRecovery(redis);
  } finally {
    await redis.stop();
  }
} else console.log("BullMQ (Redis) scale-out: redis-server is not installed — no figures.");
