// Int8 DiT step kernels against fp32 on the REAL checkpoint (issue 12): `npx tsx bench/dit-real-precision.ts
// CHECKPOINT_DIR [--frames 750] [--le 500] [--variants nbits,dynamic,...]`. Builds dit_step.onnx in fp32 and in
// each int8 variant under /tmp/ditspeed (kept between runs), runs the 8 turbo steps (shift 3) from the same noise
// with random context / cross K/V, one session at a time, and prints each variant's velocity relative RMSE per
// step and final-latent relative RMSE against fp32 (the DiT bar: ≤ 1 %) and its ms per step.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { openCheckpointWeights } from "../server/checkpoints";
import { ditConfigFromJson } from "../server/models/dit/config";
import { buildDitStep, type DitStepOptions } from "../server/models/dit/dit-step";
import { int8KernelsFor, mixedInt8Linear } from "../server/onnx/int8-linear";
import { builderWeights } from "../server/models/convert/weights-adapter";
import { relativeRmse } from "../server/onnx/error-metrics";
import { writeModel } from "../server/onnx/serialize";
import { uniforms } from "../server/random/prng";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const CK = args[0];
const T = Number(opt("--frames", "750"));
const LE = Number(opt("--le", "500"));
const DIR = opt("--dir", "/tmp/ditspeed");
const VARIANTS: Record<string, DitStepOptions> = {
  // the checkpoint is bf16: a bf16 build computes exactly the fp32 graph (bf16 → fp32 is exact) at half the bytes
  fp32: { precision: "bf16" },
  nbits: { precision: "int8", int8Linear: "nbits" },
  dynamic: { precision: "int8", int8Linear: "dynamic" },
  // the default (mixedInt8Linear): dynamic after an RMSNorm (q/k/v, cross q, MLP gate/up), nbits after attention / SwiGLU
  mixed: { precision: "int8", int8Linear: mixedInt8Linear },
  // dynamic after an RMSNorm, per-token MatMulInteger for o_proj / down_proj
  row: { precision: "int8", int8Linear: (k) => (mixedInt8Linear(k) === "nbits" ? "dynamic-row" : "dynamic") },
  allrow: { precision: "int8", int8Linear: "dynamic-row" },
  // what the converter builds on each CPU class (int8KernelsFor, server/onnx/int8-linear.ts); "vnni" saturates
  // (wrong numbers) on a CPU without VNNI
  "no-vnni": { precision: "int8", ...int8KernelsFor("no-vnni") },
  vnni: { precision: "int8", ...int8KernelsFor("vnni") },
};
const names = ["fp32", ...opt("--variants", "nbits,dynamic,mixed").split(",")];

const cfg = ditConfigFromJson(JSON.parse(readFileSync(join(CK, "config.json"), "utf8")));
mkdirSync(DIR, { recursive: true });
const fileOf = (n: string) => join(DIR, `${n}.onnx`);
for (const n of names) {
  if (existsSync(fileOf(n))) continue;
  const t0 = performance.now();
  writeModel(buildDitStep(builderWeights(openCheckpointWeights(CK)), cfg, VARIANTS[n]), fileOf(n));
  console.log(`built ${fileOf(n)} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

const r = uniforms(42);
const rand = (n: number, scale: number) => Float32Array.from({ length: n }, () => scale * (2 * r() - 1));
const noise = rand(T * 64, 1.7);
const fixed: Record<string, ort.Tensor> = {
  context_latents: new ort.Tensor("float32", rand(T * 128, 1.7), [1, T, 128]),
};
for (let i = 0; i < cfg.num_hidden_layers; i++) {
  fixed[`cross_key.${i}`] = new ort.Tensor("float32", rand(LE * 1024, 1.7), [1, LE, 1024]);
  fixed[`cross_value.${i}`] = new ort.Tensor("float32", rand(LE * 1024, 1.7), [1, LE, 1024]);
}
const shift = 3;
const ts = Array.from({ length: 9 }, (_, i) => {
  const s = 1 - i / 8;
  return (shift * s) / (1 + (shift - 1) * s);
});

async function trajectory(file: string) {
  const s = await ort.InferenceSession.create(file, {
    intraOpNumThreads: 2,
    graphOptimizationLevel: "all",
    enableMemPattern: false,
    logSeverityLevel: 3,
  });
  const x = Float32Array.from(noise);
  const vs: Float32Array[] = [];
  const ms: number[] = [];
  for (let i = 0; i < 8; i++) {
    const t0 = performance.now();
    const out = await s.run({
      ...fixed,
      hidden_states: new ort.Tensor("float32", x, [1, T, 64]),
      timestep: new ort.Tensor("float32", [ts[i]], [1]),
      timestep_r: new ort.Tensor("float32", [ts[i]], [1]),
    });
    ms.push(performance.now() - t0);
    const v = out.vt.data as Float32Array;
    vs.push(Float32Array.from(v));
    for (let j = 0; j < x.length; j++) x[j] -= v[j] * (ts[i] - ts[i + 1]);
  }
  await s.release();
  return { vs, x, ms: ms.slice(1).sort((a, b) => a - b)[3] };
}

const pct = (v: number) => `${(100 * v).toFixed(3)} %`;
const ref = await trajectory(fileOf("fp32"));
console.log(`\nreal weights, T = ${T}, Le = ${LE} (random inputs), 8 turbo steps\n`);
console.log("| variant | velocity rel. RMSE per step (1…8) | final latents rel. RMSE | ms / step |\n|---|---|---|---|");
console.log(`| fp32 | – | – | ${ref.ms.toFixed(0)} |`);
for (const n of names.slice(1)) {
  const got = await trajectory(fileOf(n));
  const per = got.vs.map((v, i) => pct(relativeRmse(v, ref.vs[i]))).join(", ");
  console.log(`| ${n} | ${per} | ${pct(relativeRmse(got.x, ref.x))} | ${got.ms.toFixed(0)} |`);
}
