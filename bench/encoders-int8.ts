// Int8 kernels of the text encoder and the lyric encoder at REAL size (issue 12): `npx tsx bench/encoders-int8.ts
// [--part te,lyric] [--te-tokens 200] [--lyric-tokens 300] [--rounds 5] [--threads 2] [--te-layers 28]`.
//   te     Qwen3-Embedding-0.6B (OFFICIAL_TEXT_ENCODER_CONFIG: 28 layers, hidden 1024) on --te-tokens random ids
//   lyric  the lyric encoder of acestep-v15-turbo (OFFICIAL_DIT_TURBO_CONFIG: 8 layers, hidden 2048) on
//          --lyric-tokens random 1024-wide embedding rows
// Variants: fp32; int8 with MatMulNBits everywhere (the previous int8); mixed (mixedInt8Linear, the default:
// DynamicQuantizeMatMul for the RMSNorm-fed q/k/v and gate/up, MatMulNBits for o_proj / down_proj / embed_tokens);
// DynamicQuantizeMatMul everywhere; lyric only: mixed with embed_tokens dynamic too. All sessions are open at
// once; after one warm-up run each they run in alternation --rounds times on the same inputs. Prints the output's
// relative RMSE against fp32 and ms per call (median, min). Seeded random weights (bench/random-weights.ts): no
// outliers, so the errors are lower bounds for trained weights. Heavy (≈ 8 GB, minutes): run it under
// `flock /work/heavy.lock`.
import * as ort from "onnxruntime-node";
import { OFFICIAL_DIT_TURBO_CONFIG, OFFICIAL_TEXT_ENCODER_CONFIG } from "../server/checkpoints/layout/official-configs";
import { ditLayout } from "../server/checkpoints/layout/dit";
import { qwen3ConfigSchema, qwen3Layout } from "../server/checkpoints/layout/qwen3";
import { ditConfigFromJson } from "../server/models/dit/config";
import { LYRIC_PREFIX, buildLyricEncoder } from "../server/models/dit/lyric-encoder";
import { relativeRmse } from "../server/onnx/error-metrics";
import type { BuiltModel, Int8Linear, Precision } from "../server/onnx/graph";
import { mixedInt8Linear } from "../server/onnx/int8-linear";
import { buildQwen3TextEncoder } from "../server/onnx/qwen3";
import { toBytes, toBytesWithExternalData, totalInitializerBytes } from "../server/onnx/serialize";
import { uniforms } from "../server/random/prng";
import { lazyRandomWeights, randArray } from "./random-weights";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const THREADS = Number(opt("--threads", "2"));
const ROUNDS = Number(opt("--rounds", "5"));
const PARTS = opt("--part", "te,lyric").split(",");
const TE_TOKENS = Number(opt("--te-tokens", "200"));
const TE_LAYERS = Number(opt("--te-layers", String(OFFICIAL_TEXT_ENCODER_CONFIG.num_hidden_layers)));
const LYRIC_TOKENS = Number(opt("--lyric-tokens", "300"));

// the app's CPU session options (as bench/dit-ab.ts)
const so: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: THREADS,
  interOpNumThreads: 1,
  graphOptimizationLevel: "all",
  enableMemPattern: false,
  logSeverityLevel: 3,
};

async function open(m: BuiltModel): Promise<ort.InferenceSession> {
  if (totalInitializerBytes(m) < 1.5 * 1024 ** 3) return ort.InferenceSession.create(toBytes(m), so);
  const { model, data } = toBytesWithExternalData(m, "w.data");
  return ort.InferenceSession.create(model, { ...so, externalData: [{ path: "w.data", data }] });
}

interface Variant {
  name: string;
  precision: Precision;
  int8Linear?: Int8Linear | ((key: string) => Int8Linear);
}

const VARIANTS: Variant[] = [
  { name: "fp32", precision: "fp32" },
  { name: "int8, MatMulNBits everywhere", precision: "int8", int8Linear: "nbits" },
  { name: "int8 mixed (default)", precision: "int8", int8Linear: mixedInt8Linear },
  { name: "int8, DynamicQuantizeMatMul everywhere", precision: "int8", int8Linear: "dynamic" },
];

/** Open every variant, warm each up, run them alternating; prints one markdown table. */
async function compare(
  title: string,
  variants: Variant[],
  build: (v: Variant) => BuiltModel,
  feeds: Record<string, ort.Tensor>,
  output: string,
): Promise<void> {
  const sessions: ort.InferenceSession[] = [];
  const outs: Float32Array[] = [];
  for (const v of variants) {
    const t0 = performance.now();
    const s = await open(build(v));
    sessions.push(s);
    outs.push((await s.run(feeds))[output].data as Float32Array); // also the warm-up
    console.error(
      `${title}: ${v.name} built, opened and warmed up in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
  }
  const ms: number[][] = variants.map(() => []);
  for (let round = 0; round < ROUNDS; round++)
    for (let i = 0; i < sessions.length; i++) {
      const t0 = performance.now();
      await sessions[i].run(feeds);
      ms[i].push(performance.now() - t0);
    }
  for (const s of sessions) await s.release();
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const ref = median(ms[0]);
  console.log(`\n## ${title} (${THREADS} threads, ${ROUNDS} alternating rounds after a warm-up)\n`);
  console.log("| variant | rel. RMSE vs fp32 | ms (median) | min | vs fp32 |\n|---|---|---|---|---|");
  variants.forEach((v, i) => {
    const err = i === 0 ? "–" : `${(100 * relativeRmse(outs[i], outs[0])).toFixed(3)} %`;
    const m = median(ms[i]);
    console.log(
      `| ${v.name} | ${err} | ${m.toFixed(0)} | ${Math.min(...ms[i]).toFixed(0)} | ${(ref / m).toFixed(2)}× |`,
    );
  });
}

async function textEncoder(): Promise<void> {
  const json = { ...OFFICIAL_TEXT_ENCODER_CONFIG, num_hidden_layers: TE_LAYERS };
  const cfg = qwen3ConfigSchema.parse(json);
  const w = lazyRandomWeights(qwen3Layout(json, { prefix: "", causalLm: false }).required, 3);
  const r = uniforms(8);
  const ids = Array.from({ length: TE_TOKENS }, () => Math.floor(r() * 150_000));
  const feeds = {
    input_ids: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, TE_TOKENS]),
    attention_mask: new ort.Tensor("int64", new BigInt64Array(TE_TOKENS).fill(1n), [1, TE_TOKENS]),
  };
  await compare(
    `Text encoder: Qwen3-Embedding-0.6B, ${TE_LAYERS} layers, ${TE_TOKENS} tokens`,
    VARIANTS,
    (v) => buildQwen3TextEncoder(w, cfg, { precision: v.precision, int8Linear: v.int8Linear, prefix: "" }),
    feeds,
    "last_hidden_state",
  );
}

async function lyricEncoder(): Promise<void> {
  const json = OFFICIAL_DIT_TURBO_CONFIG;
  const cfg = ditConfigFromJson(json);
  const spec = new Map([...ditLayout(json).required].filter(([k]) => k.startsWith(LYRIC_PREFIX)));
  const w = lazyRandomWeights(spec, 5);
  const L = LYRIC_TOKENS;
  const D = cfg.text_hidden_dim;
  // embedding rows of about the magnitude of Qwen3's table (|x| ≲ 0.1)
  const feeds = {
    inputs_embeds: new ort.Tensor("float32", randArray(uniforms(10), L * D, 0.1), [1, L, D]),
    attention_mask: new ort.Tensor("int64", new BigInt64Array(L).fill(1n), [1, L]),
  };
  const embedDynamic: Variant = {
    name: "int8 mixed, embed_tokens dynamic too",
    precision: "int8",
    int8Linear: (k) => (k.endsWith("embed_tokens.weight") ? "dynamic" : mixedInt8Linear(k)),
  };
  await compare(
    `Lyric encoder: acestep-v15-turbo, ${cfg.num_lyric_encoder_hidden_layers} layers, hidden ${cfg.hidden_size}, ${L} tokens`,
    [...VARIANTS, embedDynamic],
    (v) => buildLyricEncoder(w, cfg, { precision: v.precision, int8Linear: v.int8Linear }),
    feeds,
    "hidden_states",
  );
}

const parts: Record<string, () => Promise<void>> = { te: textEncoder, lyric: lyricEncoder };
console.log(`# bench/encoders-int8.ts (threads ${THREADS}; random real-size weights)`);
for (const p of PARTS) {
  if (!parts[p]) throw new Error(`--part: unknown part "${p}" (${Object.keys(parts).join(", ")})`);
  await parts[p]();
}
