// Throughput and latency of the embedded run queue (SQLite store): trivial jobs (two fake nodes) with 1 and 2
// runs at a time — jobs/s and the p50/p95 queue latency (queued → started) — and the recovery time after the
// serving process is killed (-9): from the kill until a new process has finished the first queued run.
// The figures depend on the machine's load; run it alone for stable numbers.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { createAppContext } from "../server/app-context";
import { RunStore } from "../server/runs/store";
import { testRegistry } from "../test/fixtures/fake-nodes";

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

async function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/serve-fixture.ts", dataDir], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.once("data", (d: Buffer) => resolve(d.toString().trim()));
    child.once("exit", (code) => reject(new Error(`the server exited early (${code})`)));
  });
  return { child, url };
}

async function recovery(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "acestep-bench-recovery-"));
  const post = (url: string, graph: unknown) =>
    fetch(`${url}/api/trpc/runs.start`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ graph }),
    }).then(async (r) => ((await r.json()) as { result: { data: { runId: string } } }).result.data.runId);
  try {
    const a = await startServer(dir);
    const long = {
      version: 1,
      nodes: {
        s: { type: "t.slow", params: { steps: 10_000, ms: 5 } },
        k: { type: "t.sink", inputs: { x: { node: "s", output: "out" } } },
      },
    };
    await post(a.url, long);
    const next = await post(a.url, trivial);
    await new Promise((r) => setTimeout(r, 300));
    const killedAt = performance.now();
    a.child.kill("SIGKILL");
    await new Promise((r) => a.child.once("exit", r));
    const b = await startServer(dir);
    const store = new RunStore(join(dir, "acestep.sqlite"));
    while (store.getRun(next)?.status !== "finished") await new Promise((r) => setTimeout(r, 5));
    const ms = performance.now() - killedAt;
    store.close();
    b.child.kill("SIGTERM");
    await new Promise((r) => b.child.once("exit", r));
    console.log(
      `recovery after kill -9 of the serving process: ${(ms / 1000).toFixed(2)} s until a restarted process finished the next queued run (process start included)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await throughput(1);
await throughput(2);
await recovery();
console.log("BullMQ (Redis) scale-out: not implemented in this build — no figures.");
