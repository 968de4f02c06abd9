// Per-op profile of a converted dit_step.onnx (issue 12): `npx tsx bench/dit-profile.ts MODEL.onnx [--frames 750]
// [--le 500] [--threads 2] [--runs 2]`. Runs the step once to warm up, then `--runs` times under ORT's profiler
// (enableProfiling) and prints the kernel time per op type (and, for the matrix products, per projection) as ms
// per step and share of the step. Inputs are random (speed does not depend on values); cross K/V are fed with
// `--le` condition tokens. Heavy at real size: `flock /work/heavy.lock npx tsx bench/dit-profile.ts …`.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { uniforms } from "../server/random/prng";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const model = args[0];
if (!model || model.startsWith("--")) throw new Error("usage: dit-profile.ts MODEL.onnx [--frames 750] [--le 500]");
const T = Number(opt("--frames", "750"));
const LE = Number(opt("--le", "500"));
const THREADS = Number(opt("--threads", "2"));
const RUNS = Number(opt("--runs", "2"));

const dir = mkdtempSync(join(tmpdir(), "dit-profile-"));
const s = await ort.InferenceSession.create(model, {
  intraOpNumThreads: THREADS,
  interOpNumThreads: 1,
  graphOptimizationLevel: "all",
  enableMemPattern: false,
  logSeverityLevel: 3,
  enableProfiling: true,
  profileFilePrefix: join(dir, "p"),
});
const r = uniforms(5);
const rand = (n: number) => Float32Array.from({ length: n }, () => 2 * r() - 1);
const feeds: Record<string, ort.Tensor> = {};
for (const name of s.inputNames) {
  if (name === "hidden_states") feeds[name] = new ort.Tensor("float32", rand(T * 64), [1, T, 64]);
  else if (name === "context_latents") feeds[name] = new ort.Tensor("float32", rand(T * 128), [1, T, 128]);
  else if (name === "timestep" || name === "timestep_r") feeds[name] = new ort.Tensor("float32", [0.7], [1]);
  else if (name.startsWith("cross_")) feeds[name] = new ort.Tensor("float32", rand(LE * 1024), [1, LE, 1024]);
  else throw new Error(`dit-profile: unexpected input ${name}`);
}
const wall: number[] = [];
for (let i = 0; i <= RUNS; i++) {
  const t0 = performance.now();
  await s.run(feeds);
  wall.push(performance.now() - t0);
}
s.endProfiling();
const file = readdirSync(dir).find((f) => f.endsWith(".json"));
if (!file) throw new Error("dit-profile: no profile written");
const events = JSON.parse(readFileSync(join(dir, file), "utf8")) as {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: {
    op_name?: string;
    input_type_shape?: Record<string, number[]>[];
    output_type_shape?: Record<string, number[]>[];
  };
}[];
rmSync(dir, { recursive: true, force: true });
// skip the warm-up run: events before the end of the first model_run
const runs = events.filter((e) => e.name === "model_run").sort((a, b) => a.ts - b.ts);
const after = runs.length > 1 ? runs[0].ts + runs[0].dur : 0;
const byOp = new Map<string, number>();
const byShape = new Map<string, number>();
let total = 0;
for (const e of events) {
  if (e.cat !== "Node" || !e.name.endsWith("_kernel_time") || e.ts < after) continue;
  const op = e.args?.op_name ?? "?";
  const ms = e.dur / 1000 / RUNS;
  total += ms;
  byOp.set(op, (byOp.get(op) ?? 0) + ms);
  if (/MatMul|Gemm|Attention/.test(op)) {
    const shapes = (l?: Record<string, number[]>[]) => (l ?? []).map((t) => Object.values(t)[0] ?? []);
    const ins = shapes(e.args?.input_type_shape);
    const out = shapes(e.args?.output_type_shape)[0] ?? [];
    const key = `${op} ${ins.map((d) => `[${d.join(",")}]`).join(" ")} → [${out.join(",")}]`;
    byShape.set(key, (byShape.get(key) ?? 0) + ms);
  }
}
const fmt = (m: Map<string, number>) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `| ${k} | ${v.toFixed(1)} | ${((100 * v) / total).toFixed(1)} % |`)
    .join("\n");
console.log(
  `${model}\nT = ${T} (S = ${Math.ceil(T / 2)}), Le = ${LE}, ${THREADS} threads; wall ms per run: ${wall.map((w) => w.toFixed(0)).join(", ")} (first = warm-up)`,
);
console.log(`kernel time per step ${total.toFixed(0)} ms\n\n| op | ms / step | share |\n|---|---|---|\n${fmt(byOp)}`);
console.log(
  `\n| matrix product / attention (input shapes → output) | ms / step | share |\n|---|---|---|\n${fmt(byShape)}`,
);
