// Same-process A/B of converted DiT step graphs (issue 12): `npx tsx bench/dit-ab.ts A.onnx B.onnx … [--frames 750]
// [--le 500] [--rounds 4] [--threads 2]`. Opens every file (ORT CPU, the app's session options), warms each up,
// then runs them in alternation `--rounds` times on the same random inputs and prints ms per step (median, min)
// per file and the relative RMSE of each output against the first file's. `--build DIR` first writes a
// dit_step.onnx built from the official checkpoint folder DIR (acestep-v15-turbo) with `--precision` (int8) and
// `--int8-linear` (dynamic) to the first path. Heavy: run under `flock /work/heavy.lock`.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { openCheckpointWeights } from "../server/checkpoints";
import { ditConfigFromJson } from "../server/models/dit/config";
import { buildDitStep } from "../server/models/dit/dit-step";
import { builderWeights } from "../server/models/convert/weights-adapter";
import { relativeRmse } from "../server/onnx/error-metrics";
import type { Int8Linear, Precision } from "../server/onnx/graph";
import { writeModel } from "../server/onnx/serialize";
import { uniforms } from "../server/random/prng";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const files = args.filter((a, i) => !a.startsWith("--") && !(i > 0 && args[i - 1].startsWith("--")));
const T = Number(opt("--frames", "750"));
const LE = Number(opt("--le", "500"));
const ROUNDS = Number(opt("--rounds", "4"));
const THREADS = Number(opt("--threads", "2"));
const BUILD = opt("--build", "");

if (BUILD) {
  const cfg = ditConfigFromJson(JSON.parse(readFileSync(join(BUILD, "config.json"), "utf8")));
  const w = builderWeights(openCheckpointWeights(BUILD));
  const m = buildDitStep(w, cfg, {
    precision: opt("--precision", "int8") as Precision,
    int8Linear: opt("--int8-linear", "dynamic") as Int8Linear,
  });
  const t0 = performance.now();
  writeModel(m, files[0]);
  console.log(`built ${files[0]} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
for (const f of files) if (!existsSync(f)) throw new Error(`dit-ab: no file ${f}`);

const sessions: ort.InferenceSession[] = [];
for (const f of files) {
  const t0 = performance.now();
  sessions.push(
    await ort.InferenceSession.create(f, {
      intraOpNumThreads: THREADS,
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
      enableMemPattern: false,
      logSeverityLevel: 3,
    }),
  );
  console.log(`opened ${f} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const r = uniforms(9);
const rand = (n: number, scale = 1) => Float32Array.from({ length: n }, () => scale * (2 * r() - 1));
const feeds: Record<string, ort.Tensor> = {};
for (const name of sessions[0].inputNames) {
  if (name === "hidden_states") feeds[name] = new ort.Tensor("float32", rand(T * 64, 1.7), [1, T, 64]);
  else if (name === "context_latents") feeds[name] = new ort.Tensor("float32", rand(T * 128, 1.7), [1, T, 128]);
  else if (name === "timestep" || name === "timestep_r") feeds[name] = new ort.Tensor("float32", [0.7], [1]);
  else if (name.startsWith("cross_")) feeds[name] = new ort.Tensor("float32", rand(LE * 1024), [1, LE, 1024]);
  else throw new Error(`dit-ab: unexpected input ${name}`);
}
const outs: Float32Array[] = [];
for (const s of sessions) outs.push((await s.run(feeds)).vt.data as Float32Array); // warm-up
const ms: number[][] = files.map(() => []);
for (let round = 0; round < ROUNDS; round++)
  for (let i = 0; i < sessions.length; i++) {
    const t0 = performance.now();
    await sessions[i].run(feeds);
    ms[i].push(performance.now() - t0);
  }
console.log(`\nT = ${T} (S = ${Math.ceil(T / 2)}), Le = ${LE}, ${THREADS} threads, ${ROUNDS} alternating rounds`);
console.log("| file | ms / step (median) | min | all | vt rel. RMSE vs first |\n|---|---|---|---|---|");
files.forEach((f, i) => {
  const s = [...ms[i]].sort((a, b) => a - b);
  const e = i === 0 ? "–" : `${(100 * relativeRmse(outs[i], outs[0])).toFixed(3)} %`;
  console.log(
    `| ${f} | ${s[Math.floor(s.length / 2)].toFixed(0)} | ${s[0].toFixed(0)} | ${ms[i].map((x) => x.toFixed(0)).join(", ")} | ${e} |`,
  );
});
