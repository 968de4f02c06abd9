// Child processes for tests and benchmarks that kill servers and workers: a tsx fixture started in its own
// process, which announces itself with its first line on stdout (the serve fixture prints its URL, the worker
// fixture "worker <id>"), plus the small waits around it. Used by test/durability.full.test.ts and bench/queue.ts.
import { spawn, type ChildProcess } from "node:child_process";

/** Starts `node --import tsx <script> ...args` and resolves once it printed its first line (trimmed). */
export async function spawnFixture(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; firstLine: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    env,
  });
  const firstLine = await new Promise<string>((resolve, reject) => {
    child.stdout!.once("data", (d: Buffer) => resolve(d.toString().trim()));
    child.once("exit", (code) => reject(new Error(`${script} exited early (${code})`)));
  });
  return { child, firstLine };
}

/** The serving process of test/fixtures/serve-fixture.ts on `dataDir` (fake nodes, random port). */
export async function startServeFixture(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const { child, firstLine } = await spawnFixture("test/fixtures/serve-fixture.ts", [dataDir]);
  return { child, url: firstLine };
}

/** Resolves with the exit code once the process has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once("exit", (code) => r(code))));
}

/** Queues a graph through tRPC `runs.start`; the run id. */
export async function startRunOverTrpc(url: string, graph: unknown): Promise<string> {
  const r = await fetch(`${url}/api/trpc/runs.start`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ graph }),
  });
  if (r.status !== 200) throw new Error(`runs.start answered ${r.status}: ${await r.text()}`);
  return ((await r.json()) as { result: { data: { runId: string } } }).result.data.runId;
}

/** A graph of the fake nodes that runs `steps` × `ms` (t.slow → t.sink). */
export const slowGraph = (steps: number, ms = 5) => ({
  version: 1,
  nodes: {
    s: { type: "t.slow", params: { steps, ms } },
    k: { type: "t.sink", inputs: { x: { node: "s", output: "out" } } },
  },
});
