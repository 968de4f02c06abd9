// Runs survive their processes: kill -9 with runs queued through tRPC and REST, a CLI on the server's data
// folder, and SIGTERM with queued runs — each checked against the store afterwards.
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { RunStore } from "../server/runs/store";
import {
  exited,
  slowGraph as slow,
  startRunOverTrpc as startRun,
  startServeFixture as startServer,
} from "./helpers/processes";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function folder(): string {
  const d = mkdtempSync(join(tmpdir(), "acestep-durable-"));
  dirs.push(d);
  return d;
}

async function releaseTask(url: string, prompt: string): Promise<string> {
  const r = await fetch(`${url}/release_task`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ prompt }),
  });
  expect(r.status).toBe(200);
  return ((await r.json()) as { data: { task_id: string } }).data.task_id;
}

async function taskStatus(url: string, id: string): Promise<number> {
  const r = await fetch(`${url}/query_result`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ task_id_list: [id] }),
  });
  return ((await r.json()) as { data: Array<{ status: number }> }).data[0].status;
}

function statuses(dataDir: string, ids: string[]): string[] {
  const store = new RunStore(join(dataDir, "acestep.sqlite"));
  try {
    return ids.map((id) => store.getRun(id)?.status ?? "missing");
  } finally {
    store.close();
  }
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("durability of runs across processes", () => {
  it("kill -9 with runs queued through tRPC and REST: after restart the queued ones finish, the running one is interrupted", async () => {
    const dir = folder();
    const a = await startServer(dir);
    const running = await startRun(a.url, slow(10_000));
    await until(() => statuses(dir, [running])[0] === "running", "the first run runs");
    const queued = [await startRun(a.url, slow(2)), await startRun(a.url, slow(2))];
    const tasks = [await releaseTask(a.url, "one"), await releaseTask(a.url, "two")];
    a.child.kill("SIGKILL");
    await exited(a.child);
    expect(statuses(dir, [...queued, ...tasks])).toEqual(["queued", "queued", "queued", "queued"]);

    const b = await startServer(dir);
    try {
      for (const id of tasks) await until(async () => (await taskStatus(b.url, id)) === 1, `task ${id} succeeded`);
      await until(() => statuses(dir, queued).every((s) => s === "finished"), "the queued runs finished");
      expect(statuses(dir, [running])).toEqual(["interrupted"]);
      // A CLI run on the same folder while the server runs a job: both finish, nothing is interrupted.
      const job = await startRun(b.url, slow(400));
      await until(() => statuses(dir, [job])[0] === "running", "the server's job runs");
      const cli = spawnSync(process.execPath, ["bin/acestep.mjs", "run", "graphs/test-tone.json", "--json"], {
        encoding: "utf8",
        env: { ...process.env, ACESTEP_DATA: dir },
        timeout: 120_000,
      });
      expect(cli.status, cli.stderr).toBe(0);
      expect(JSON.parse(cli.stdout).status).toBe("finished");
      await until(() => statuses(dir, [job])[0] === "finished", "the server's job finished");
      const store = new RunStore(join(dir, "acestep.sqlite"));
      expect(store.listRuns({ status: "interrupted" }).map((r) => r.id)).toEqual([running]);
      store.close();
    } finally {
      b.child.kill("SIGKILL");
      await exited(b.child);
    }
  }, 300_000);

  it("SIGTERM with queued runs: exit 0, nothing left running, the queued runs still queued", async () => {
    const dir = folder();
    const a = await startServer(dir);
    const ids = [
      await startRun(a.url, slow(10_000)),
      await startRun(a.url, slow(2)),
      await releaseTask(a.url, "queued"),
    ];
    await until(() => statuses(dir, [ids[0]])[0] === "running", "the first run runs");
    a.child.kill("SIGTERM");
    expect(await exited(a.child)).toBe(0);
    expect(statuses(dir, ids)).toEqual(["queued", "queued", "queued"]);
  }, 300_000);
});
