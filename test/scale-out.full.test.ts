// Scale-out across processes: a redis-server, a coordinator (`acestep serve --redis`) and two workers
// (`acestep worker`) run 20 test-tone jobs; one worker is killed with SIGKILL in the middle of a job. Every run
// must end finished (or failed with a reason after its attempts), none lost or recorded twice, and every
// output must download through the coordinator's /api/files. Checked against the coordinator's store.
import { afterAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { RunStore, type RunRecord } from "../server/runs/store";
import { freePort, haveRedis, startRedis, type TestRedis } from "./helpers/redis";

const TOKEN = "scale-out-full-token";
const JOBS = 20;
const dirs: string[] = [];
const children: ChildProcess[] = [];
const redises: TestRedis[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const r of redises) await r.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function folder(): string {
  const d = mkdtempSync(join(tmpdir(), "acestep-scaleout-full-"));
  dirs.push(d);
  return d;
}

/**
 * Short locks and checks so a killed worker is found in seconds (defaults: 30 s lock, 15 s check). The lock must
 * outlast the longest time a live worker's event loop is busy (a loaded machine preparing the demo pipeline took
 * over 2 s), or BullMQ takes that worker's job for stalled too.
 */
const TIMING = {
  ACESTEP_WORKER_LOCK_MS: "8000",
  ACESTEP_WORKER_STALLED_CHECK_MS: "1000",
  ACESTEP_RUN_ATTEMPTS: "2",
  ACESTEP_WORKER_TTL_MS: "6000",
};

/** Spawns the CLI; resolves with the first stdout line that matches. */
function cli(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ["bin/acestep.mjs", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    // no relaunch (bin/relaunch.mjs): the test SIGKILLs this very process as "the worker", and a relaunched worker
    // would go on for up to 0.5 s after its launcher died
    env: { ...process.env, ACESTEP_THREADS: "1", ACESTEP_MALLOC_RELAUNCH: "off", ...env },
  });
  children.push(child);
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => ready.test(l));
      if (line) resolve({ child, line });
    });
    child.once("exit", (code) => reject(new Error(`acestep ${args[0]} exited early (${code}): ${err}`)));
  });
}

const tone = (i: number) => ({
  version: 1,
  meta: { name: `tone ${i}` },
  nodes: {
    tone: { type: "audio.testTone", params: { frequency: 220 + i, seconds: 10, amplitude: 0.5 } },
    save: {
      type: "audio.save",
      params: { format: "flac", prefix: `tone${i}` },
      inputs: { audio: { node: "tone", output: "audio" } },
    },
  },
});

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const auth = { authorization: `Bearer ${TOKEN}` };

/** A redis-server, a coordinator on a fresh data folder and two workers, all with `timing`. */
async function cluster(timing: Record<string, string>) {
  const redis = await startRedis();
  redises.push(redis);
  const data = folder();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const serve = await cli(
    ["serve", "--no-editor", "--port", String(port), "--redis", redis.url],
    { ...timing, ACESTEP_DATA: data, ACESTEP_API_TOKEN: TOKEN },
    /^ACE-Step studio on /,
  );
  const workerArgs = ["worker", "--redis", redis.url, "--server", url, "--token", TOKEN, "--concurrency", "1"];
  const [w1, w2] = await Promise.all([
    cli([...workerArgs, "--data", folder()], timing, /^worker \S+ ready/),
    cli([...workerArgs, "--data", folder()], timing, /^worker \S+ ready/),
  ]);
  return { data, url, serve, w1, w2, w1Id: w1.line.split(" ")[1] };
}

async function startRuns(url: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await fetch(`${url}/api/trpc/runs.start`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ graph: tone(i) }),
    });
    expect(r.status).toBe(200);
    ids.push(((await r.json()) as { result: { data: { runId: string } } }).result.data.runId);
  }
  return ids;
}

/** Waits until worker `workerId` has just started one of the runs, then kills it; answers that run. */
async function killMidJob(store: RunStore, ids: string[], workerId: string, child: ChildProcess): Promise<RunRecord> {
  let victim: RunRecord | undefined;
  await until(() => {
    // One it has just started, so that it is surely still running when the signal lands.
    victim = ids
      .map((id) => store.getRun(id)!)
      .find((r) => r.status === "running" && r.worker === workerId && Date.now() - (r.startedAt ?? 0) < 150);
    return victim !== undefined;
  }, "the worker runs a job");
  child.kill("SIGKILL");
  return victim!;
}

describe.skipIf(!haveRedis())("scale-out: coordinator and two workers over Redis", () => {
  it("20 jobs, one worker killed mid-job: every run ends once, none lost, outputs download", async () => {
    const { data, url, serve, w1, w2, w1Id } = await cluster(TIMING);
    const ids = await startRuns(url, JOBS);
    const store = new RunStore(join(data, "acestep.sqlite"));
    const runs = () => ids.map((id) => store.getRun(id)!);
    try {
      const victim = await killMidJob(store, ids, w1Id, w1.child);

      // The status bar's source lists both workers while they are alive; the killed one drops out after its ttl.
      await until(
        () => runs().every((r) => r.status !== "queued" && r.status !== "running"),
        "every run ended",
        180_000,
      );
      const ended = runs();
      const failed = ended.filter((r) => r.status === "failed");
      for (const r of failed) expect(r.error?.message).toMatch(/attempt/);
      expect(ended.filter((r) => r.status !== "finished" && r.status !== "failed")).toEqual([]);
      expect(ended.filter((r) => r.status === "finished").length).toBeGreaterThanOrEqual(JOBS - 1);

      // The killed job was re-queued by BullMQ's stalled-job check and ran again on the other worker.
      const again = store.getRun(victim.id)!;
      expect(again.attempts).toBe(2);
      expect(again.status).toBe("finished");
      expect(again.worker).not.toBe(w1Id);
      const types = store.eventsAfter(victim.id).map((e) => e.event.type);
      expect(types).toContain("run.requeued");

      for (const r of ended) {
        const terminal = store
          .eventsAfter(r.id)
          .filter((e) => ["run.finished", "run.failed", "run.cancelled", "run.interrupted"].includes(e.event.type));
        expect(terminal, `run ${r.id} ends once`).toHaveLength(1);
        if (r.id !== victim.id) expect(r.attempts, `run ${r.id}`).toBe(1);
        if (r.status !== "finished") continue;
        // One flac per run (a dead attempt's files are dropped), downloadable from the coordinator.
        const outs = store.listOutputs(r.id);
        expect(outs.map((o) => o.nodeId)).toEqual(["save"]);
        const res = await fetch(`${url}/api/files/${outs[0].path}`, { headers: auth });
        expect(res.status).toBe(200);
        const bytes = new Uint8Array(await res.arrayBuffer());
        expect(new TextDecoder().decode(bytes.slice(0, 4))).toBe("fLaC");
        expect(bytes.length).toBeGreaterThan(10_000);
      }
      // A REST task (upstream's pipeline on the demo weights) runs on the surviving worker; its result, named
      // as upstream names it, downloads through /v1/audio on the coordinator.
      const rel = await fetch(`${url}/release_task`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ prompt: "a short test", audio_duration: 10, thinking: false, batch_size: 1 }),
      });
      expect(rel.status).toBe(200);
      const taskId = ((await rel.json()) as { data: { task_id: string } }).data.task_id;
      let item: { status: number; result: string } | undefined;
      await until(async () => {
        const q = await fetch(`${url}/query_result`, {
          method: "POST",
          headers: { ...auth, "content-type": "application/json" },
          body: JSON.stringify({ task_id_list: [taskId] }),
        });
        item = ((await q.json()) as { data: Array<{ status: number; result: string }> }).data[0];
        return item.status !== 0;
      }, "the REST task ended");
      expect(item!.status, item!.result).toBe(1);
      expect(store.getRun(taskId)!.worker).not.toBe(w1Id);
      const [first] = JSON.parse(item!.result) as Array<{ file: string; key: string }>;
      expect(first.file).toContain(encodeURIComponent(first.key));
      const audio = await fetch(`${url}${first.file}`, { headers: auth });
      expect(audio.status).toBe(200);
      expect((await audio.arrayBuffer()).byteLength).toBeGreaterThan(10_000);

      // Worker 2 survived and took over; after the kill only it is listed.
      expect(w2.child.exitCode).toBeNull();
      await until(async () => {
        const s = (await (await fetch(`${url}/v1/stats`, { headers: auth })).json()) as {
          data: { queue: { backend: string; workers: Array<{ role: string; id: string }> } };
        };
        const workers = s.data.queue.workers.filter((w) => w.role === "worker");
        return s.data.queue.backend === "redis" && workers.length === 1 && workers[0].id !== w1Id;
      }, "stats list only the live worker");

      // SIGTERM: the worker (idle) and the coordinator exit 0.
      const exit = (c: ChildProcess) => new Promise((r) => (c.exitCode !== null ? r(c.exitCode) : c.once("exit", r)));
      w2.child.kill("SIGTERM");
      serve.child.kill("SIGTERM");
      expect(await Promise.all([exit(w2.child), exit(serve.child)])).toEqual([0, 0]);
    } finally {
      store.close();
    }
  });

  it("with one attempt, the killed worker's run fails with the reason; the others finish", async () => {
    const { data, url, w1, w1Id } = await cluster({ ...TIMING, ACESTEP_RUN_ATTEMPTS: "1" });
    const ids = await startRuns(url, 6);
    const store = new RunStore(join(data, "acestep.sqlite"));
    try {
      const victim = await killMidJob(store, ids, w1Id, w1.child);
      await until(
        () => ids.every((id) => !["queued", "running"].includes(store.getRun(id)!.status)),
        "every run ended",
      );
      const failed = store.getRun(victim.id)!;
      expect(failed.status).toBe("failed");
      expect(failed.error?.message).toMatch(/stopped 1 time .*gave up after 1 attempt/);
      expect(failed.attempts).toBe(1);
      const others = ids.filter((id) => id !== victim.id).map((id) => store.getRun(id)!.status);
      expect(others).toEqual(others.map(() => "finished"));
      const types = store.eventsAfter(victim.id).map((e) => e.event.type);
      expect(types.filter((t) => t === "run.failed")).toHaveLength(1);
      expect(types).not.toContain("run.finished");
    } finally {
      store.close();
    }
  });
});
