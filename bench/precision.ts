// Precision benchmark (issue [I]): `npm run bench:precision -- [--part matmul,dit,lm,te,vae] [--threads 2]`.
// For each component and weight precision (server/onnx/graph-core.ts Precision), the error against the fp32 graph
// on the same inputs at REAL width, at reduced depth to stay affordable, plus the time per call:
//   matmul  fp32 Gemm vs MatMulNBits int8/int4 (accuracy level 4: int8 activations) vs
//           DynamicQuantizeLinear + MatMulInteger, at the DiT's and the LM decode's shapes (which ORT path is fast)
//   dit     dit_step (fused cross K/V), hidden 2048, --dit-layers (default 4: sliding/full), T = 250 latent
//           frames (10 s), 100 condition tokens; 8 Euler steps of the turbo schedule (shift 3) from the same noise,
//           each precision on its own trajectory: velocity relative RMSE per step and final-latent relative RMSE
//   lm      the lm-graph.ts step graph, hidden 1024, --lm-layers (default 8), the real 217 204-row tied
//           vocabulary with the code head: prefill 64 tokens, then 200 decode steps teacher-forced with fp32's
//           greedy codes: top-1 agreement and mean KL of the code distribution, ms per decode step (1 lane)
//   te      Qwen3 text encoder, hidden 1024, 4 layers, 64 tokens: relative RMSE of the last hidden state (int8: the
//           default mixed kernels; every kernel choice at full depth: bench/encoders-int8.ts)
//   vae     the whole Oobleck decoder (real widths and strides), 25 latent frames (1 s): SNR in dB
// Weights are seeded random (uniform, ±1/√fan-in; real checkpoints were not available here), so the errors are
// those of the precision on weights without outliers: treat them as lower bounds for trained weights.
// Heavy: run it alone (`flock /work/heavy.lock npm run bench:precision`); timings on a shared box are noisy.
import * as ort from "onnxruntime-node";
import {
  OFFICIAL_DIT_TURBO_CONFIG,
  OFFICIAL_LM_06B_CONFIG,
  OFFICIAL_TEXT_ENCODER_CONFIG,
  OFFICIAL_VAE_CONFIG,
} from "../server/checkpoints/layout/official-configs";
import { ditLayout } from "../server/checkpoints/layout/dit";
import { qwen3ConfigSchema, qwen3Layout } from "../server/checkpoints/layout/qwen3";
import { vaeLayout } from "../server/checkpoints/layout/vae";
import { uniforms } from "../server/random/prng";
import { ditConfigFromJson } from "../server/models/dit/config";
import { buildDitStep } from "../server/models/dit/dit-step";
import { CODE_HEAD_ROWS, LmModel } from "../server/models/lm/runner";
import { buildOobleckDecoder, oobleckConfigFromJson } from "../server/models/vae";
import { argmax, klFromLogits, relativeRmse, snrDb } from "../server/onnx/error-metrics";
import { GraphBuilder, type BuiltModel, type Precision } from "../server/onnx/graph";
import { buildQwen3TextEncoder } from "../server/onnx/qwen3";
import { toBytes, toBytesWithExternalData, totalInitializerBytes } from "../server/onnx/serialize";
import type { Weights } from "../server/onnx/weights";
import { lazyRandomWeights, randArray } from "./random-weights";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const THREADS = Number(opt("--threads", "2"));
const PARTS = opt("--part", "matmul,dit,lm,te,vae").split(",");
const DIT_LAYERS = Number(opt("--dit-layers", "4"));
const LM_LAYERS = Number(opt("--lm-layers", "8"));
const LM_STEPS = Number(opt("--lm-steps", "200"));

const so: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: THREADS,
  interOpNumThreads: 1,
  graphOptimizationLevel: "all",
  enableMemPattern: false,
  logSeverityLevel: 3,
  extra: { session: { intra_op: { allow_spinning: "0" } } }, // CPU time then counts work, not spin-waiting
};

async function open(m: BuiltModel): Promise<ort.InferenceSession> {
  if (totalInitializerBytes(m) < 1.5 * 1024 ** 3) return ort.InferenceSession.create(toBytes(m), so);
  const { model, data } = toBytesWithExternalData(m, "w.data");
  return ort.InferenceSession.create(model, { ...so, externalData: [{ path: "w.data", data }] });
}

async function timeIt(fn: () => Promise<unknown>, n: number): Promise<number> {
  await fn();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  return ts.sort((a, b) => a - b)[Math.floor(ts.length / 2)];
}

const f32 = (d: Float32Array, dims: number[]) => new ort.Tensor("float32", d, dims);
const pct = (x: number) => `${(100 * x).toFixed(3)} %`;
const LOWER: Precision[] = ["fp16", "bf16", "int8", "int4"];

// ---- matmul paths ----------------------------------------------------------------------------
async function matmul(): Promise<void> {
  console.log(
    "\n## MatMul paths (ms per call, median)\n\n| M×K×N | fp32 Gemm | NBits int8 | NBits int4 | DQL+MatMulInteger |\n|---|---|---|---|---|",
  );
  for (const [M, K, N] of [
    [375, 2048, 6144],
    [2, 1024, 3072],
    [2, 3072, 1024],
  ]) {
    const r = uniforms(M + K + N);
    const w = randArray(r, N * K, 1 / Math.sqrt(K));
    const x = f32(randArray(r, M * K, 1), [M, K]);
    const weights: Weights = { has: (k) => k === "w", keys: () => ["w"], get: () => ({ shape: [N, K], data: w }) };
    const times: string[] = [];
    for (const kind of ["fp32", "int8", "int4", "mmi"] as const) {
      const g = new GraphBuilder({ weights, precision: kind === "mmi" ? "fp32" : kind });
      const xi = g.input("x", "float32", [M, K]);
      const y = kind === "mmi" ? matMulInteger(g, xi, w, N, K) : g.linear(xi, "w", undefined, { in: K, out: N });
      g.output("y", y);
      const s = await open(g.finish({}));
      times.push((await timeIt(() => s.run({ x }), M > 100 ? 10 : 200)).toFixed(M > 100 ? 1 : 3));
      await s.release();
    }
    console.log(`| ${M}×${K}×${N} | ${times.join(" | ")} |`);
  }
}

/** y = x · Wᵀ with W quantised per output row to uint8 (zero point 128) and x by DynamicQuantizeLinear. */
function matMulInteger(g: GraphBuilder, x: ReturnType<GraphBuilder["input"]>, w: Float32Array, N: number, K: number) {
  const wq = new Uint8Array(K * N); // [K, N] (MatMulInteger's B layout)
  const scale = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let amax = 0;
    for (let k = 0; k < K; k++) amax = Math.max(amax, Math.abs(w[n * K + k]));
    scale[n] = amax / 127 || 1;
    for (let k = 0; k < K; k++) wq[k * N + n] = Math.round(w[n * K + k] / scale[n]) + 128;
  }
  const [xq, xs, xz] = g.op("DynamicQuantizeLinear", [x], ["uint8", "float32", "uint8"]);
  const bq = g.tensor("wq", "uint8", [K, N], wq);
  const bz = g.tensor("wz", "uint8", [N], new Uint8Array(N).fill(128));
  const acc = g.node("MatMulInteger", [xq, bq, xz, bz], "int32");
  return g.mul(g.mul(g.cast(acc, "float32"), xs), g.constF32(scale, [N], "wscale"));
}

// ---- DiT --------------------------------------------------------------------------------------
async function dit(): Promise<void> {
  const layerTypes = Array.from({ length: DIT_LAYERS }, (_, i) =>
    i % 2 === 0 ? "sliding_attention" : "full_attention",
  );
  const json = { ...OFFICIAL_DIT_TURBO_CONFIG, num_hidden_layers: DIT_LAYERS, layer_types: layerTypes };
  const cfg = ditConfigFromJson(json);
  const spec = new Map([...ditLayout(json).required].filter(([k]) => k.startsWith("decoder.")));
  // AdaLN tables ±0.5 (random ±1/√fan-in would make every gate ~0.01 and hide the layers' error)
  const w = lazyRandomWeights(spec, 1, (k, shape, r) =>
    k.endsWith("scale_shift_table")
      ? randArray(
          r,
          shape.reduce((a, b) => a * b, 1),
          0.5,
        )
      : undefined,
  );
  const T = 250,
    LE = 100,
    B = 1;
  const latent = cfg.audio_acoustic_hidden_dim;
  const r = uniforms(42);
  const noise = randArray(r, B * T * latent, 1.7); // ~unit variance
  const ctx = f32(randArray(r, B * T * (cfg.in_channels - latent), 1.7), [B, T, cfg.in_channels - latent]);
  const enc = f32(randArray(r, B * LE * cfg.hidden_size, 1.7), [B, LE, cfg.hidden_size]);
  const shift = 3;
  const ts = Array.from({ length: 9 }, (_, i) => {
    const s = 1 - i / 8;
    return (shift * s) / (1 + (shift - 1) * s);
  });

  const trajectory = async (p: Precision) => {
    const s = await open(buildDitStep(w, cfg, { precision: p, crossKv: "fused" }));
    const x = Float32Array.from(noise);
    const vs: Float32Array[] = [];
    let ms = 0;
    let cpu = 0;
    for (let i = 0; i < 8; i++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const out = await s.run({
        hidden_states: f32(x, [B, T, latent]),
        context_latents: ctx,
        encoder_hidden_states: enc,
        timestep: f32(Float32Array.of(ts[i]), [B]),
        timestep_r: f32(Float32Array.of(ts[i]), [B]),
      });
      ms += (performance.now() - t0) / 8;
      const c = process.cpuUsage(c0);
      cpu += (c.user + c.system) / 1000 / 8;
      const v = out.vt.data as Float32Array;
      vs.push(Float32Array.from(v));
      const dt = ts[i] - ts[i + 1];
      for (let j = 0; j < x.length; j++) x[j] -= v[j] * dt;
    }
    await s.release();
    return { vs, x, ms, cpu };
  };
  const ref = await trajectory("fp32");
  console.log(`\n## DiT step: hidden 2048, ${DIT_LAYERS} layers, T = ${T}, 8 turbo steps\n`);
  console.log(
    "| precision | velocity rel. RMSE per step (1…8) | final latents rel. RMSE | ms / step (wall, CPU) |\n|---|---|---|---|",
  );
  console.log(`| fp32 | – | – | ${ref.ms.toFixed(0)}, ${ref.cpu.toFixed(0)} |`);
  for (const p of LOWER) {
    const got = await trajectory(p);
    const per = got.vs.map((v, i) => pct(relativeRmse(v, ref.vs[i]))).join(", ");
    console.log(`| ${p} | ${per} | ${pct(relativeRmse(got.x, ref.x))} | ${got.ms.toFixed(0)}, ${got.cpu.toFixed(0)} |`);
  }
}

// ---- LM ---------------------------------------------------------------------------------------
async function lm(): Promise<void> {
  const json = { ...OFFICIAL_LM_06B_CONFIG, num_hidden_layers: LM_LAYERS };
  const cfg = qwen3ConfigSchema.parse(json);
  const w = lazyRandomWeights(qwen3Layout(json, { prefix: "model.", causalLm: true }).required, 2);
  const r = uniforms(7);
  const prompt = Array.from({ length: 64 }, () => Math.floor(r() * 151_000));
  const run = async (p: Precision, forced?: number[]) => {
    const model = await LmModel.fromWeights(w, cfg, {
      precision: p,
      codeRows: CODE_HEAD_ROWS,
      noFullHead: true,
      threads: THREADS,
    });
    const cache = model.newCache(1, 64 + LM_STEPS + 1);
    let logits = (await model.step(cache, [prompt], { head: "codes" }))![0];
    const rows: Float32Array[] = [];
    const toks: number[] = [];
    let ms = 0;
    for (let s = 0; s < LM_STEPS; s++) {
      rows.push(Float32Array.from(logits));
      const tok = forced ? forced[s] : CODE_HEAD_ROWS[0] + argmax(logits);
      toks.push(tok);
      const t0 = performance.now();
      logits = (await model.step(cache, [[tok]], { head: "codes" }))![0];
      ms += (performance.now() - t0) / LM_STEPS;
    }
    await model.dispose();
    return { rows, toks, ms };
  };
  const ref = await run("fp32");
  console.log(
    `\n## LM: hidden 1024, ${LM_LAYERS} layers, code head (64 024 rows), prompt 64, ${LM_STEPS} decode steps\n`,
  );
  console.log("| precision | top-1 agreement | mean KL (nats) | max KL | ms / decode step |\n|---|---|---|---|---|");
  console.log(`| fp32 | – | – | – | ${ref.ms.toFixed(1)} |`);
  for (const p of LOWER) {
    const got = await run(p, ref.toks);
    let agree = 0,
      kl = 0,
      maxKl = 0;
    for (let s = 0; s < LM_STEPS; s++) {
      if (argmax(got.rows[s]) === argmax(ref.rows[s])) agree++;
      const k = klFromLogits(ref.rows[s], got.rows[s]);
      kl += k / LM_STEPS;
      maxKl = Math.max(maxKl, k);
    }
    console.log(
      `| ${p} | ${pct(agree / LM_STEPS)} | ${kl.toExponential(2)} | ${maxKl.toExponential(2)} | ${got.ms.toFixed(1)} |`,
    );
  }
}

// ---- text encoder -----------------------------------------------------------------------------
async function textEncoder(): Promise<void> {
  const json = { ...OFFICIAL_TEXT_ENCODER_CONFIG, num_hidden_layers: 4 };
  const cfg = qwen3ConfigSchema.parse(json);
  const w = lazyRandomWeights(qwen3Layout(json, { prefix: "", causalLm: false }).required, 3);
  const r = uniforms(8);
  const ids = Array.from({ length: 64 }, () => Math.floor(r() * 150_000));
  const feeds = {
    input_ids: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, 64]),
    attention_mask: new ort.Tensor("int64", new BigInt64Array(64).fill(1n), [1, 64]),
  };
  const run = async (p: Precision) => {
    const s = await open(buildQwen3TextEncoder(w, cfg, { precision: p, prefix: "" }));
    const out = (await s.run(feeds)).last_hidden_state.data as Float32Array;
    const ms = await timeIt(() => s.run(feeds), 5);
    await s.release();
    return { out, ms };
  };
  const ref = await run("fp32");
  console.log("\n## Text encoder: hidden 1024, 4 layers, 64 tokens\n\n| precision | rel. RMSE | ms |\n|---|---|---|");
  console.log(`| fp32 | – | ${ref.ms.toFixed(0)} |`);
  for (const p of LOWER) {
    const got = await run(p);
    console.log(`| ${p} | ${pct(relativeRmse(got.out, ref.out))} | ${got.ms.toFixed(0)} |`);
  }
}

// ---- VAE --------------------------------------------------------------------------------------
async function vae(): Promise<void> {
  const cfg = oobleckConfigFromJson(OFFICIAL_VAE_CONFIG);
  const spec = new Map([...vaeLayout(OFFICIAL_VAE_CONFIG).required].filter(([k]) => k.startsWith("decoder.")));
  // weight norm: v ±1/√fan-in, g ~ 0.4…0.9; Snake logs ±0.5 (the shapes of the official parametrisation)
  const w = lazyRandomWeights(spec, 4, (k, shape, r) => {
    const n = shape.reduce((a, b) => a * b, 1);
    if (k.endsWith(".weight_v")) return randArray(r, n, 1 / Math.sqrt(n / shape[0]));
    if (k.endsWith(".weight_g")) return randArray(r, n, 0.25, 0.65);
    return randArray(r, n, 0.5);
  });
  const T = 25;
  const z = f32(randArray(uniforms(9), cfg.latentChannels * T, 1.7), [1, cfg.latentChannels, T]);
  const run = async (p: Precision) => {
    const s = await open(buildOobleckDecoder(w, cfg, { precision: p }));
    const out = (await s.run({ latents: z })).audio.data as Float32Array;
    const ms = await timeIt(() => s.run({ latents: z }), 2);
    await s.release();
    return { out, ms };
  };
  const ref = await run("fp32");
  console.log(
    `\n## VAE decoder: real widths and strides, ${T} latent frames\n\n| precision (storage) | SNR dB | ms |\n|---|---|---|`,
  );
  console.log(`| fp32 | – | ${ref.ms.toFixed(0)} |`);
  for (const p of ["fp16", "bf16"] as const) {
    const got = await run(p);
    console.log(`| ${p} | ${snrDb(got.out, ref.out).toFixed(1)} | ${got.ms.toFixed(0)} |`);
  }
}

const parts: Record<string, () => Promise<void>> = { matmul, dit, lm, te: textEncoder, vae };
console.log(`# bench:precision (threads ${THREADS}; random real-width weights; shared machine: timings are noisy)`);
for (const p of PARTS) {
  if (!parts[p]) throw new Error(`--part: unknown part "${p}" (${Object.keys(parts).join(", ")})`);
  await parts[p]();
}
