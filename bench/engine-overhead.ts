// Engine overhead on a 200-node graph of trivial nodes: µs per node, events per second and
// the overhead share of a run's wall time (a run with a known amount of node work).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineNode } from "../nodes/define-node";
import { param } from "../nodes/params";
import { NodeRegistry } from "../nodes/registry";
import { validateGraph } from "../server/graph/validate";
import { executeGraph } from "../server/engine/engine";
import { OutputCache } from "../server/engine/cache";
import { createAppContext } from "../server/app-context";

const Inc = defineNode({
  type: "b.inc",
  title: "Inc",
  category: "bench",
  description: "x + 1 (optionally busy-waits)",
  inputs: { x: { type: "FLOAT", optional: true } },
  outputs: { y: { type: "FLOAT" } },
  params: {
    k: param.int({ default: 0, min: 0, max: 1e9, description: "id" }),
    busyUs: param.int({ default: 0, min: 0, max: 1e6, description: "work" }),
  },
  run: ({ inputs, params }, ctx) => {
    if (params.busyUs) {
      const end = performance.now() + params.busyUs / 1000;
      while (performance.now() < end);
    }
    ctx.progress({ step: 1, total: 1 });
    return { y: (inputs.x ?? 0) + 1 };
  },
});
const Out = defineNode({
  type: "b.out",
  title: "Out",
  category: "bench",
  description: "sink",
  inputs: { x: { type: "FLOAT" } },
  outputs: {},
  params: {},
  output: true,
  run: () => ({}),
});
const registry = new NodeRegistry([Inc, Out]);

function chain(n: number, busyUs = 0) {
  const nodes: Record<string, unknown> = {};
  for (let i = 0; i < n - 1; i++)
    nodes[`n${i}`] = {
      type: "b.inc",
      params: { k: i, busyUs },
      ...(i ? { inputs: { x: { node: `n${i - 1}`, output: "y" } } } : {}),
    };
  nodes.out = { type: "b.out", inputs: { x: { node: `n${n - 2}`, output: "y" } } };
  return { version: 1, nodes };
}

async function engineOnly(n: number, reps: number) {
  const g = chain(n);
  let events = 0;
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) {
    const v = validateGraph(structuredClone(g), registry);
    if (!v.ok) throw new Error("invalid");
    await executeGraph(v.resolved, {
      runId: "b",
      outputDir: "/tmp",
      cache: new OutputCache(),
      progressIntervalMs: 0,
      onEvent: () => events++,
    });
  }
  const ms = performance.now() - t0;
  return { usPerNode: (ms * 1000) / (n * reps), eventsPerSec: events / (ms / 1000) };
}

async function throughService(n: number, busyUs: number) {
  const dir = mkdtempSync(join(tmpdir(), "acestep-bench-"));
  const app = createAppContext({ dataDir: dir, registry, progressIntervalMs: 0 });
  try {
    const t0 = performance.now();
    const { runId } = app.runs.start({ graph: chain(n, busyUs) });
    await app.runs.waitFor(runId);
    const wall = performance.now() - t0;
    const events = app.store.eventsAfter(runId).length;
    const work = ((n - 1) * busyUs) / 1000;
    return { wall, work, events };
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const N = 200;
await engineOnly(N, 5); // warm-up
const e = await engineOnly(N, 50);
console.log(
  `engine only (validate + execute, in-memory events), ${N} nodes: ${e.usPerNode.toFixed(1)} µs/node, ${Math.round(e.eventsPerSec).toLocaleString()} events/s`,
);
const s0 = await throughService(N, 0);
console.log(
  `full run service (queue + SQLite event log), ${N} trivial nodes: ${s0.wall.toFixed(1)} ms wall, ${((s0.wall * 1000) / N).toFixed(1)} µs/node, ${s0.events} events, ${Math.round(s0.events / (s0.wall / 1000)).toLocaleString()} events/s`,
);
const s1 = await throughService(N, 1000);
console.log(
  `full run service, ${N} nodes × 1 ms of work: wall ${s1.wall.toFixed(1)} ms, work ${s1.work.toFixed(1)} ms, overhead share ${(((s1.wall - s1.work) / s1.wall) * 100).toFixed(1)} %`,
);
