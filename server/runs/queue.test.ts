// The durable queue in the store: queued runs survive their process, only runs of expired leases become
// `interrupted`, two processes on one data folder never disturb each other, one cap, graceful shutdown.
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { hostname, tmpdir } from "node:os";
import { createAppContext, type AppContext, type AppContextOptions } from "../app-context";
import { createCaller } from "../trpc/app-router";
import { testRegistry } from "../../test/fixtures/fake-nodes";
import { RunStore } from "./store";
import { QueueFullError, QUEUE_FULL_MESSAGE, REDIS_OWNER } from "./queue";

const dirs: string[] = [];
const apps: AppContext[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function folder(): string {
  const d = mkdtempSync(join(tmpdir(), "acestep-queue-"));
  dirs.push(d);
  return d;
}

function open(dataDir: string, opts: AppContextOptions = {}): AppContext {
  const app = createAppContext({
    dataDir,
    registry: testRegistry(),
    progressIntervalMs: 0,
    lease: { heartbeatMs: 50, ttlMs: 2000 },
    ...opts,
  });
  apps.push(app);
  return app;
}

const slow = (steps: number, ms = 5) => ({
  version: 1,
  nodes: {
    s: { type: "t.slow", params: { steps, ms } },
    k: { type: "t.sink", inputs: { x: { node: "s", output: "out" } } },
  },
});

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Writes a run as a process with lease `owner` would have left it. */
function leftBehind(dataDir: string, status: "queued" | "running", owner: string | null, graph = slow(2)): string {
  const store = new RunStore(join(dataDir, "acestep.sqlite"));
  const id = crypto.randomUUID();
  store.createRun({ id, graph, graphId: null, outputDir: join(dataDir, "outputs", id), demo: false, owner });
  if (status === "running") store.updateRun(id, { status: "running", startedAt: Date.now() });
  store.close();
  return id;
}

function addLease(dataDir: string, id: string, pid: number, heartbeat = Date.now()): void {
  const store = new RunStore(join(dataDir, "acestep.sqlite"));
  store.db
    .prepare("INSERT INTO leases (id,pid,host,role,heartbeat,started_at) VALUES (?,?,?,?,?,?)")
    .run(id, pid, hostname(), "serve", heartbeat, heartbeat);
  store.close();
}

describe("the durable queue", () => {
  it("a server adopts the queued runs of a process that died and runs them; its running run becomes interrupted", async () => {
    const dir = folder();
    const dead = "dead-lease";
    addLease(dir, dead, 2 ** 22 + 12345); // no such process
    const running = leftBehind(dir, "running", dead);
    const queued = [leftBehind(dir, "queued", dead), leftBehind(dir, "queued", null)];
    const app = open(dir, { role: "serve" });
    expect(app.store.getRun(running)!.status).toBe("interrupted");
    expect(app.store.eventsAfter(running).at(-1)!.event.type).toBe("run.interrupted");
    for (const id of queued) await app.runs.waitFor(id);
    expect(queued.map((id) => app.store.getRun(id)!.status)).toEqual(["finished", "finished"]);
    expect(app.store.db.prepare("SELECT COUNT(*) AS n FROM leases WHERE id=?").get(dead)).toEqual({ n: 0 });
  });

  it("leaves the runs of a live lease alone (another process on the folder), and settles them once it expires", async () => {
    const dir = folder();
    addLease(dir, "other", process.ppid); // alive: our parent
    const running = leftBehind(dir, "running", "other");
    const queued = leftBehind(dir, "queued", "other");
    const app = open(dir, { role: "serve" });
    await new Promise((r) => setTimeout(r, 200)); // a few heartbeats
    expect([app.store.getRun(running)!.status, app.store.getRun(queued)!.status]).toEqual(["running", "queued"]);
    // The other process stops beating: after the ttl its runs are settled.
    app.store.db.prepare("UPDATE leases SET heartbeat=? WHERE id='other'").run(Date.now() - 60_000);
    await until(() => app.store.getRun(queued)!.status === "finished", "the adopted run finished");
    expect(app.store.getRun(running)!.status).toBe("interrupted");
  });

  it("a CLI process on the server's folder runs its own run and does not touch the server's", async () => {
    const dir = folder();
    const server = open(dir, { role: "serve" });
    const a = server.runs.start({ graph: slow(400) }).runId; // 2 s: still running after the CLI run under load
    const b = server.runs.start({ graph: slow(1) }).runId;
    await until(() => server.store.getRun(a)!.status === "running", "the server runs its job");
    const cli = open(dir, { role: "cli" });
    const c = cli.runs.start({ graph: slow(2) }).runId;
    await cli.runs.waitFor(c);
    expect(cli.store.getRun(c)!.status).toBe("finished");
    expect(server.store.getRun(a)!.status).toBe("running");
    expect(server.store.getRun(b)!.status).toBe("queued"); // the CLI did not take the server's queued run
    await cli.close();
    await server.runs.waitFor(b);
    expect([a, b].map((id) => server.store.getRun(id)!.status)).toEqual(["finished", "finished"]);
    const seqs = server.store.eventsAfter(a).map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(server.store.listRuns().filter((r) => r.status === "interrupted")).toEqual([]);
  });

  it("event numbers from two processes' stores on one run never collide", () => {
    const dir = folder();
    const file = join(dir, "acestep.sqlite");
    const x = new RunStore(file);
    const y = new RunStore(file);
    const seqs: number[] = [];
    for (let i = 0; i < 20; i++) seqs.push((i % 3 === 0 ? y : x).appendEvent("r", { type: "run.queued", position: i }));
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    x.close();
    y.close();
  });

  it("one cap for every entry point: QueueFullError, tRPC TOO_MANY_REQUESTS with the REST message", async () => {
    const dir = folder();
    const app = open(dir, { queueMaxSize: 2 });
    const first = app.runs.start({ graph: slow(200) }).runId;
    await until(() => app.store.getRun(first)!.status === "running", "the first run started");
    app.runs.start({ graph: slow(1) });
    app.runs.start({ graph: slow(1) });
    expect(() => app.runs.start({ graph: slow(1) })).toThrow(QueueFullError);
    const caller = createCaller({ app });
    await expect(caller.runs.start({ graph: slow(1) })).rejects.toMatchObject({
      code: "TOO_MANY_REQUESTS",
      message: QUEUE_FULL_MESSAGE,
    });
    expect(await caller.runs.queue()).toMatchObject({ waiting: 2, running: 1, backend: "sqlite" });
    app.runs.cancel(first);
  });

  it("graceful shutdown re-queues the running run, keeps the queued ones, and the next server runs them all", async () => {
    const dir = folder();
    const app = open(dir, { role: "serve" });
    const ids = [
      app.runs.start({ graph: slow(500) }).runId,
      app.runs.start({ graph: slow(1) }).runId,
      app.runs.start({ graph: slow(1) }).runId,
    ];
    await until(() => app.store.getRun(ids[0])!.status === "running", "the first run started");
    await app.close();
    apps.splice(apps.indexOf(app), 1);
    const store = new RunStore(join(dir, "acestep.sqlite"));
    expect(ids.map((id) => store.getRun(id)!.status)).toEqual(["queued", "queued", "queued"]);
    expect(store.eventsAfter(ids[0]).at(-1)!.event).toMatchObject({ type: "run.requeued" });
    store.updateRun(ids[0], { graph: slow(1) }); // keep the rerun short
    store.close();
    const next = open(dir, { role: "serve" });
    for (const id of ids) await next.runs.waitFor(id);
    expect(ids.map((id) => next.store.getRun(id)!.status)).toEqual(["finished", "finished", "finished"]);
    expect(next.store.getRun(ids[0])!.attempts).toBe(2);
  });

  it("cancels a queued run of another process through the store", async () => {
    const dir = folder();
    addLease(dir, "other", process.ppid);
    const queued = leftBehind(dir, "queued", "other");
    const app = open(dir);
    expect(app.runs.cancel(queued)).toBe(true);
    expect(app.store.getRun(queued)!.status).toBe("cancelled");
  });

  it("moves a waiting run to another place: positions, events, start order; later runs still come last", async () => {
    const dir = folder();
    const app = open(dir);
    const caller = createCaller({ app });
    const first = app.runs.start({ graph: slow(400) }).runId;
    await until(() => app.store.getRun(first)!.status === "running", "the first run started");
    // queued in one burst: several share a creation millisecond
    const q = [0, 1, 2, 3].map(() => app.runs.start({ graph: slow(1) }).runId);
    const expected = [...q];
    const moveTo = async (id: string, to: number) => {
      const want = Math.min(to, expected.length);
      expected.splice(want - 1, 0, ...expected.splice(expected.indexOf(id), 1));
      expect(await caller.runs.move({ runId: id, to })).toEqual({ position: want });
      expect(app.runs.queued.order()).toEqual(expected);
      expect(expected.map((x) => app.runs.queued.position(x))).toEqual(expected.map((_, i) => i + 1));
    };
    await moveTo(q[3]!, 1);
    await moveTo(q[0]!, 3);
    await moveTo(q[2]!, 99); // clamped to the last place
    expect(app.store.eventsAfter(q[0]!).at(-1)!.event).toEqual({ type: "run.queued", position: 3 });
    const later = app.runs.start({ graph: slow(1) });
    expected.push(later.runId);
    expect(later.position).toBe(5);
    expect(app.runs.queued.order()).toEqual(expected);
    // the list the editor shows carries the same places
    const listed = await caller.runs.list({ limit: 50, status: "queued" });
    expect(Object.fromEntries(listed.map((r) => [r.id, r.position]))).toEqual(
      Object.fromEntries(expected.map((id, i) => [id, i + 1])),
    );
    await expect(caller.runs.move({ runId: first, to: 1 })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(caller.runs.move({ runId: crypto.randomUUID(), to: 1 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    // a run handed to the scale-out queue waits in Redis, in BullMQ's order
    const remote = leftBehind(dir, "queued", REDIS_OWNER);
    await expect(caller.runs.move({ runId: remote, to: 1 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/scale-out.*cannot be moved/),
    });
    app.runs.cancel(remote);
    app.runs.cancel(first);
    for (const id of expected) await app.runs.waitFor(id);
    // the order they started in, read from the store's event log
    const started = app.store.db
      .prepare("SELECT run_id FROM run_events WHERE json LIKE '%\"run.started\"%' ORDER BY rowid")
      .all() as { run_id: string }[];
    expect(started.map((r) => r.run_id).filter((id) => id !== first)).toEqual(expected);
  });
});
