// DiT step benchmark (issue [D] "Benchmark"): `npx tsx bench/dit.ts [--threads 2] [--quick]`.
// Real width (hidden 2048, 16/8 heads × 128, MLP 6144, patch 2, latent 64, context 128) at reduced depth:
// a 2-layer graph (layer 0 sliding ±128, layer 1 full) and a 0-layer graph (timestep MLPs, patchify, head);
// per-layer-pair time = t(2) − t(0), projected to 24 layers as t(0) + 12·(t(2) − t(0)).
// Audio lengths 30 s (T = 750 → 375 patch tokens) and 240 s (T = 6000 → 3000), condition length Le = 500,
// batch 1, fp32, cross K/V fed as inputs (dit_step.onnx contract). Random weights (values do not matter for
// speed; no denormals). Achieved GFLOP/s are compared with an ORT MatMul peak (a chain of 8 fp32
// 2048×2048×2048 MatMuls) probed between the DiT runs of each configuration, in the same process. The box is
// shared, so wall figures are best-of-N and a second estimate divides FLOPs by the process CPU time / threads
// (robust to other load when spin-waiting is off, as in the tuned options). Each DiT configuration runs in a
// child process so its peak RSS (`maxRSS`) is its own. Sliding layers are measured blocked (default) and with
// the full-score band mask; the sliding attention is also timed alone at 3000 tokens, and one profiled run
// (ORT `enableProfiling`) of each 2-layer graph at T = 6000 breaks the time down per op type.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { OFFICIAL_DIT_TURBO_CONFIG } from "../server/checkpoints/layout/official-configs";
import { ditLayout } from "../server/checkpoints/layout/dit";
import { ditConfigFromJson } from "../server/models/dit/config";
import { buildDitStep, crossKeyName, crossValueName } from "../server/models/dit/dit-step";
import { additiveMask, seqShape, windowKeep } from "../server/onnx/blocks";
import { GraphBuilder } from "../server/onnx/graph";
import { slidingWindowAttention } from "../server/models/dit/sliding-attention";
import { MemoryWeights } from "../server/onnx/weights";
import { toBytes, writeModel } from "../server/onnx/serialize";

const H = 2048,
  HQ = 16,
  HKV = 8,
  D = 128,
  I = 6144,
  LATENT = 64,
  CTX = 128,
  PATCH = 2,
  WINDOW = 128,
  LE = 500;
const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const THREADS = Number(opt("--threads", "2"));
const QUICK = args.includes("--quick");

type Variant = "tuned" | "default";
/** default: ORT's defaults; tuned: optimization "all", no memory pattern, no spin-waiting (the cores are shared). */
function sessionOptions(v: Variant, profilePrefix?: string): ort.InferenceSession.SessionOptions {
  const base: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: THREADS,
    interOpNumThreads: 1,
    executionMode: "sequential",
  };
  if (v === "tuned")
    Object.assign(base, {
      graphOptimizationLevel: "all",
      enableMemPattern: false,
      extra: { session: { intra_op: { allow_spinning: "0" } } },
    });
  if (profilePrefix) Object.assign(base, { enableProfiling: true, profileFilePrefix: profilePrefix });
  return base;
}

// ---- FLOP model (multiply-add = 2 FLOP) ----------------------------------------------------------------
function visiblePairs(S: number, w: number): number {
  let n = 0;
  for (let i = 0; i < S; i++) n += Math.min(S - 1, i + w) - Math.max(0, i - w) + 1;
  return n;
}
function layerFlops(S: number, sliding: boolean): { executed: number; useful: number } {
  const proj = 2 * S * H * (HQ * D + 2 * HKV * D) + 2 * S * HQ * D * H;
  const full = 4 * HQ * S * S * D;
  const core = sliding ? 4 * HQ * visiblePairs(S, WINDOW) * D : full;
  const cross = 2 * 2 * S * H * HQ * D + 4 * HQ * S * LE * D;
  const mlp = 3 * 2 * S * H * I;
  return { executed: proj + full + cross + mlp, useful: proj + core + cross + mlp };
}
/** Scores the blocked sliding attention computes beyond the band: blocks of 128 queries × 384 keys. */
function blockOverhead(S: number): number {
  const nb = Math.ceil(S / WINDOW);
  return 4 * HQ * D * (nb * WINDOW * (3 * WINDOW) - visiblePairs(S, WINDOW));
}
function fixedFlops(S: number): number {
  return 2 * S * (LATENT + CTX) * PATCH * H + 2 * S * H * LATENT * PATCH + 2 * 2 * (256 * H + H * H + 6 * H * H);
}

// ---- child: run one model file at one T ------------------------------------------------------------------
interface ChildResult {
  ms: number[];
  cpuMs: number[];
  peak: number[];
  peakCpu: number[];
  loadMs: number;
  rssAfterLoad: number;
  maxRss: number;
  profile?: Record<string, number>;
}

const PEAK_N = 2048,
  PEAK_CHAIN = 8;
/** One timed pass of the MatMul chain → GFLOP/s. */
async function peakProbe(
  s: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
): Promise<{ wall: number; cpu: number }> {
  const t = await timed(() => s.run(feeds));
  const flop = PEAK_CHAIN * 2 * PEAK_N ** 3;
  return { wall: flop / t.ms / 1e6, cpu: flop / (t.cpuMs / THREADS) / 1e6 };
}

/** Wall time and process CPU time (user + system, all threads) of one call, in ms. */
async function timed(fn: () => Promise<unknown>): Promise<{ ms: number; cpuMs: number }> {
  const c = process.cpuUsage();
  const a = performance.now();
  await fn();
  const ms = performance.now() - a;
  const d = process.cpuUsage(c);
  return { ms, cpuMs: (d.user + d.system) / 1000 };
}

async function child(
  model: string,
  peakModel: string,
  T: number,
  layers: number,
  runs: number,
  variant: Variant,
  profile: boolean,
): Promise<void> {
  const tag = `prof_${T}_${layers}_${basename(model, ".onnx")}`;
  const prefix = profile ? join(model, "..", tag) : undefined;
  const t0 = performance.now();
  const s = await ort.InferenceSession.create(model, sessionOptions(variant, prefix));
  const loadMs = performance.now() - t0;
  const rssAfterLoad = process.memoryUsage().rss;
  const rand = (n: number) => {
    const a = new Float32Array(n);
    let x = 12345;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      a[i] = ((x >>> 0) / 4294967296 - 0.5) * 2;
    }
    return a;
  };
  const feeds: Record<string, ort.Tensor> = {
    hidden_states: new ort.Tensor("float32", rand(T * LATENT), [1, T, LATENT]),
    context_latents: new ort.Tensor("float32", rand(T * CTX), [1, T, CTX]),
    timestep: new ort.Tensor("float32", Float32Array.from([0.7]), [1]),
    timestep_r: new ort.Tensor("float32", Float32Array.from([0.7]), [1]),
  };
  for (let i = 0; i < layers; i++) {
    feeds[crossKeyName(i)] = new ort.Tensor("float32", rand(LE * HKV * D), [1, LE, HKV * D]);
    feeds[crossValueName(i)] = new ort.Tensor("float32", rand(LE * HKV * D), [1, LE, HKV * D]);
  }
  // the MatMul probe runs between DiT runs: the box is shared, so both are read as best-of-N
  const ps = await ort.InferenceSession.create(peakModel, sessionOptions("tuned"));
  const peakFeeds = { x: new ort.Tensor("float32", rand(PEAK_N * PEAK_N), [PEAK_N, PEAK_N]) };
  await ps.run(peakFeeds);
  if (!profile) await s.run(feeds); // warm-up
  const ms: number[] = [],
    cpuMs: number[] = [],
    peak: number[] = [],
    peakCpu: number[] = [];
  const probe = async () => {
    const p = await peakProbe(ps, peakFeeds);
    peak.push(p.wall);
    peakCpu.push(p.cpu);
  };
  for (let r = 0; r < runs; r++) {
    await probe();
    const t = await timed(() => s.run(feeds));
    ms.push(t.ms);
    cpuMs.push(t.cpuMs);
  }
  await probe();
  const out: ChildResult = {
    ms,
    cpuMs,
    peak,
    peakCpu,
    loadMs,
    rssAfterLoad,
    maxRss: process.resourceUsage().maxRSS * 1024,
  };
  if (profile) {
    s.endProfiling();
    const dir = join(model, "..");
    const file = readdirSync(dir).find((f) => f.startsWith(tag) && f.endsWith(".json"));
    if (file) {
      const events = JSON.parse(readFileSync(join(dir, file), "utf8")) as {
        cat: string;
        name: string;
        dur: number;
        args?: { op_name?: string };
      }[];
      const byOp: Record<string, number> = {};
      for (const e of events)
        if (e.cat === "Node" && e.name.endsWith("_kernel_time"))
          byOp[e.args?.op_name ?? "?"] = (byOp[e.args?.op_name ?? "?"] ?? 0) + e.dur / 1000;
      out.profile = byOp;
    }
  }
  process.stdout.write(`@@RESULT${JSON.stringify(out)}\n`);
}

let PEAK_MODEL = "";
function runChild(
  model: string,
  T: number,
  layers: number,
  runs: number,
  variant: Variant,
  profile = false,
): ChildResult {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      self,
      "--child",
      model,
      PEAK_MODEL,
      String(T),
      String(layers),
      String(runs),
      variant,
      profile ? "1" : "0",
      "--threads",
      String(THREADS),
    ],
    { encoding: "utf8", maxBuffer: 64 << 20 },
  );
  const line = r.stdout.split("\n").find((l) => l.startsWith("@@RESULT"));
  if (!line) throw new Error(`bench child failed (T=${T}, layers=${layers}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(line.slice(8)) as ChildResult;
}

// ---- model files -------------------------------------------------------------------------------------------
function fill(n: number, scale: number, offset: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    a[i] = offset + scale * (((x >>> 0) / 4294967296) * 2 - 1);
  }
  return a;
}

function writeDit(dir: string, layers: number, sliding: "blocked" | "mask" = "blocked"): string {
  // the config schema wants ≥ 1 layer: parse with one and drop it for the 0-layer graph
  const json = {
    ...OFFICIAL_DIT_TURBO_CONFIG,
    num_hidden_layers: Math.max(1, layers),
    layer_types: OFFICIAL_DIT_TURBO_CONFIG.layer_types.slice(0, Math.max(1, layers)),
  };
  const cfg = { ...ditConfigFromJson(json), num_hidden_layers: layers };
  const w = new MemoryWeights();
  let seed = 1;
  for (const [k, shape] of ditLayout(json).required) {
    if (!k.startsWith("decoder.") || (layers === 0 && k.startsWith("decoder.layers."))) continue;
    const n = shape.reduce((a, b) => a * b, 1);
    w.set(k, { shape, data: /norm\.weight$/.test(k) ? fill(n, 0.1, 1, seed++) : fill(n, 0.02, 0, seed++) });
  }
  const path = join(dir, `dit_step_${layers}l_${sliding}.onnx`);
  writeModel(buildDitStep(w, cfg, { slidingAttention: sliding }), path, { externalData: "always" });
  return path;
}

/** The MatMul peak model: x [2048,2048] through 8 MatMuls with one shared 2048×2048 weight (16 MB). */
function writePeak(dir: string): string {
  const g = new GraphBuilder({ name: "matmul_peak" });
  const w = g.floatInitializer("w", [PEAK_N, PEAK_N], fill(PEAK_N * PEAK_N, 1 / Math.sqrt(PEAK_N), 0, 100));
  let x = g.input("x", "float32", [PEAK_N, PEAK_N]);
  for (let i = 0; i < PEAK_CHAIN; i++) x = g.matMul(x, w) as typeof x;
  g.output("y", x, [PEAK_N, PEAK_N]);
  const path = join(dir, "matmul_peak.onnx");
  writeModel(g.finish(), path, { externalData: "always" });
  return path;
}

/** The sliding layer's attention alone at S tokens: full scores + band mask vs blocked (best of 4, interleaved). */
async function attentionOnly(S: number): Promise<void> {
  const build = (kind: "mask" | "blocked") => {
    const g = new GraphBuilder({ name: `attention_${kind}` });
    const q = g.input("q", "float32", [1, "s", HQ * D]);
    const k = g.input("k", "float32", [1, "s", HKV * D]);
    const v = g.input("v", "float32", [1, "s", HKV * D]);
    const seq = seqShape(g, q);
    const y =
      kind === "blocked"
        ? slidingWindowAttention(g, q, k, v, seq, { window: WINDOW, heads: HQ, kvHeads: HKV, headDim: D })
        : g.attention(q, k, v, {
            mask: additiveMask(g, windowKeep(g, seq.s, WINDOW)),
            qNumHeads: HQ,
            kvNumHeads: HKV,
            scale: 1 / Math.sqrt(D),
          });
    g.output("y", y);
    return toBytes(g.finish());
  };
  const feeds = {
    q: new ort.Tensor("float32", fill(S * HQ * D, 1, 0, 1), [1, S, HQ * D]),
    k: new ort.Tensor("float32", fill(S * HKV * D, 1, 0, 2), [1, S, HKV * D]),
    v: new ort.Tensor("float32", fill(S * HKV * D, 1, 0, 3), [1, S, HKV * D]),
  };
  const kinds = ["mask", "blocked"] as const;
  const sessions = await Promise.all(kinds.map((k) => ort.InferenceSession.create(build(k), sessionOptions("tuned"))));
  const best = kinds.map(() => Infinity);
  for (let r = 0; r < 4; r++)
    for (let i = 0; i < kinds.length; i++) best[i] = Math.min(best[i], (await timed(() => sessions[i].run(feeds))).ms);
  console.log(
    `sliding-layer attention alone, S = ${S}: full scores + band mask ${best[0].toFixed(0)} ms, blocked ${best[1].toFixed(0)} ms (best of 4)`,
  );
  await Promise.all(sessions.map((s) => s.release()));
}

// ---- main --------------------------------------------------------------------------------------------------
const gb = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "dit-bench-"));
  try {
    console.log(
      `DiT step benchmark: onnxruntime-node ${ort.env.versions?.common ?? "?"}, ${THREADS} intra-op threads, fp32, batch 1, Le = ${LE}`,
    );
    console.log(
      "wall figures are best-of-N (the box is shared); cpu figures divide FLOPs by process CPU time / threads (less sensitive to other load)",
    );
    const models = { blocked: writeDit(dir, 2, "blocked"), mask: writeDit(dir, 2, "mask"), none: writeDit(dir, 0) };
    PEAK_MODEL = writePeak(dir);
    const allPeaks: number[] = [];
    const configs: [number, Variant, "blocked" | "mask"][] = QUICK
      ? [[750, "tuned", "blocked"]]
      : [
          [750, "default", "blocked"],
          [750, "tuned", "blocked"],
          [6000, "tuned", "blocked"],
          [6000, "tuned", "mask"],
        ];
    const base = new Map<string, ChildResult>();
    for (const [T, variant, sliding] of configs) {
      const S = Math.ceil(T / PATCH);
      const runs = T > 3000 ? 4 : 5;
      const key = `${T}/${variant}`;
      if (!base.has(key)) base.set(key, runChild(models.none, T, 0, runs, variant));
      const r0 = base.get(key)!;
      const r2 = runChild(models[sliding], T, 2, runs, variant);
      allPeaks.push(...r2.peak);
      const t0 = Math.min(...r0.ms),
        t2 = Math.min(...r2.ms),
        pair = t2 - t0;
      const c0 = Math.min(...r0.cpuMs) / THREADS,
        c2 = Math.min(...r2.cpuMs) / THREADS,
        cpair = c2 - c0;
      const peak = Math.max(...r0.peak, ...r2.peak),
        peakCpu = Math.max(...r0.peakCpu, ...r2.peakCpu);
      const sl = layerFlops(S, true),
        fl = layerFlops(S, false);
      const executed = (sliding === "mask" ? sl.executed : sl.useful + blockOverhead(S)) + fl.executed;
      const useful = sl.useful + fl.useful;
      const proj24 = t0 + 12 * pair,
        cproj24 = c0 + 12 * cpair;
      const pct = (flop: number, ms: number, pk: number) =>
        `${(flop / ms / 1e6).toFixed(1)} GFLOP/s = ${((100 * flop) / ms / 1e6 / pk).toFixed(0)} %`;
      console.log(
        [
          `T=${T} (${T / 25} s, ${S} patch tokens), ${variant} session options, ${sliding} sliding attention`,
          `  MatMul peak probes (wall): ${r2.peak.map((x) => x.toFixed(0)).join("/")} → ${peak.toFixed(1)} GFLOP/s; by CPU time: ${peakCpu.toFixed(1)} GFLOP/s`,
          `  wall: 0 layers ${t0.toFixed(0)} ms; 2 layers ${t2.toFixed(0)} ms (runs ${r2.ms.map((x) => x.toFixed(0)).join("/")}); sliding+full pair ${pair.toFixed(0)} ms`,
          `  pair: ${(executed / 1e9).toFixed(1)} GFLOP executed, ${(useful / 1e9).toFixed(1)} useful (band scores only) → wall ${pct(executed, pair, peak)} of peak (useful ${pct(useful, pair, peak)})`,
          `  by CPU time: pair ${cpair.toFixed(0)} ms → ${pct(executed, cpair, peakCpu)} of the CPU-time peak (useful ${pct(useful, cpair, peakCpu)})`,
          `  projected 24-layer step: wall ${(proj24 / 1000).toFixed(2)} s, by CPU time ${(cproj24 / 1000).toFixed(2)} s (${((fixedFlops(S) + 12 * executed) / 1e12).toFixed(2)} TFLOP executed)`,
          `  peak RSS of the 2-layer process: ${gb(r2.maxRss)} (after load ${gb(r2.rssAfterLoad)}, load ${r2.loadMs.toFixed(0)} ms; includes the 16 MB probe); 0-layer: ${gb(r0.maxRss)}`,
        ].join("\n"),
      );
    }
    await attentionOnly(QUICK ? 750 : 3000);
    const profT = QUICK ? 750 : 6000;
    for (const sliding of (QUICK ? ["blocked"] : ["blocked", "mask"]) as ("blocked" | "mask")[]) {
      const prof = runChild(models[sliding], profT, 2, 1, "tuned", true).profile;
      if (!prof) continue;
      const total = Object.values(prof).reduce((a, b) => a + b, 0);
      const top = Object.entries(prof)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8);
      console.log(`profile, 2 layers (${sliding}), T=${profT} (kernel time ${total.toFixed(0)} ms, one run):`);
      for (const [op, ms] of top)
        console.log(`  ${op.padEnd(22)} ${ms.toFixed(0).padStart(7)} ms  ${((100 * ms) / total).toFixed(1)} %`);
    }
    console.log(
      `all MatMul probes (wall): min ${Math.min(...allPeaks).toFixed(0)}, max ${Math.max(...allPeaks).toFixed(0)} GFLOP/s`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (args[0] === "--child") {
  const [, model, peakModel, T, layers, runs, variant, profile] = args;
  await child(model, peakModel, Number(T), Number(layers), Number(runs), variant as Variant, profile === "1");
} else {
  await main();
}
