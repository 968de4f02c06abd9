// Measures what the worker costs: per-call overhead of host.run vs a direct session.run on the
// calling thread (tiny model), and moving a 10 MiB f32 tensor in and out (Identity model) with
// transfer lists vs structured-clone copies.   Run: npx tsx server/runtime/bench.ts
// The direct baseline runs in a child process: ORT outputs piling up on the main thread's heap
// slow later transfers there (more GC), and production never runs ORT on the main thread.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import ort from "onnxruntime-node";
import { createSessionHost } from "./session-host";
import { affineModel } from "./test-models";
import { tinyModel } from "./tiny-onnx";

const N_SMALL = Number(process.env.BENCH_N ?? 2000);
const N_BIG = 60;
const BIG = (10 * 1024 * 1024) / 4; // 10 MiB of float32

const identity = tinyModel({
  inputs: [{ name: "x", type: "float32", dims: ["n"] }],
  outputs: [{ name: "y", type: "float32", dims: ["n"] }],
  nodes: [{ op: "Identity", inputs: ["x"], outputs: ["y"] }],
});

/** Median milliseconds per call after a warm-up; `prep` runs untimed before each call. */
async function time<T>(n: number, prep: () => T, f: (v: T) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(50, n); i++) await f(prep());
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = prep();
    const t0 = performance.now();
    await f(v);
    t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[n >> 1];
}

const fresh = () => new Float32Array(BIG).fill(1);

async function direct(): Promise<{ small: number; big: number }> {
  const opts = {
    intraOpNumThreads: 1,
    graphOptimizationLevel: "all" as const,
    enableMemPattern: false,
    logSeverityLevel: 3 as const,
  };
  const s = await ort.InferenceSession.create(affineModel(), opts);
  const id = await ort.InferenceSession.create(identity, opts);
  const small = await time(
    N_SMALL,
    () => new Float32Array(4),
    (x) => s.run({ x: new ort.Tensor("float32", x, [4]) }),
  );
  const big = await time(N_BIG, fresh, (x) => id.run({ x: new ort.Tensor("float32", x, [BIG]) }));
  return { small, big };
}

if (process.argv[2] === "--direct") {
  console.log(JSON.stringify(await direct()));
} else {
  const host = createSessionHost({ threads: 1, logger: () => {} });
  await host.load("affine", affineModel());
  await host.load("identity", identity);
  const small = await time(
    N_SMALL,
    () => new Float32Array(4),
    (x) => host.run("affine", { x: { type: "float32", dims: [4], data: x } }),
  );
  const bigT = await time(N_BIG, fresh, (x) => host.run("identity", { x: { type: "float32", dims: [BIG], data: x } }));
  const bigC = await time(N_BIG, fresh, (x) =>
    host.run("identity", { x: { type: "float32", dims: [BIG], data: x } }, { transfer: false }),
  );
  await host.close();
  const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--direct"], {
    encoding: "utf8",
  });
  const d = JSON.parse(out.trim().split("\n").pop()!) as { small: number; big: number };

  const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
  console.log(`tiny model (4 floats), ${N_SMALL} calls, 1 thread, medians:`);
  console.log(`  direct session.run (same thread)   ${us(d.small)} / call`);
  console.log(`  host.run via worker                ${us(small)} / call   (overhead ${us(small - d.small)})`);
  console.log(`10 MiB f32 Identity, ${N_BIG} calls, medians (feed allocation not timed):`);
  console.log(`  direct session.run                 ${d.big.toFixed(2)} ms / call (ORT copies the output once)`);
  console.log(
    `  host.run, transfer lists           ${bigT.toFixed(2)} ms / call (overhead ${(bigT - d.big).toFixed(2)} ms)`,
  );
  console.log(
    `  host.run, transfer: false (clone)  ${bigC.toFixed(2)} ms / call (overhead ${(bigC - d.big).toFixed(2)} ms)`,
  );
}
