// Oobleck VAE decoder benchmark on onnxruntime-node CPU: real width (2048→1024→512→256→128→128, strides 10, 6, 4, 4, 2,
// the official vae/config.json; server/checkpoints/layout/official-configs.ts), seeded random weights in the official
// layout (weight-norm pairs, log Snake), 10 s of latents (T = 250), decoded through `tiledDecode`
// (server/models/vae/tiling.ts).
//
//   npx tsx bench/vae.ts [--seconds 10] [--threads 1] [--res-units 3] [--upsample subpixel|convtranspose]
//                        [--tilings 512/64,128/16] [--profile] [--no-upsample-compare] [--snake cos|sin|both]
//                        [--no-spin] (ORT threads sleep instead of spin-waiting: the CPU time printed is work)
//
// The parent builds and writes the ONNX file; each tiling runs in a fresh child process so its peak RSS
// (process.resourceUsage().maxRSS) is its own: session load + cold decode + warm decode. Each child also measures
// an ORT MatMul (1024³, same thread count) GFLOP/s peak for comparison. --res-units < 3 builds a shallower decoder;
// Finally each upsampling layer is timed alone, ConvTranspose vs the sub-pixel rewrite.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { vaeLayout } from "../server/checkpoints/layout/vae";
import { OFFICIAL_VAE_CONFIG } from "../server/checkpoints/layout/official-configs";
import { GraphBuilder } from "../server/onnx/graph";
import { MemoryWeights } from "../server/onnx/weights";
import { toBytes } from "../server/onnx/serialize";
import {
  ACESTEP_VAE,
  type OobleckConfig,
  type SnakeForm,
  type UpsampleMode,
  buildOobleckDecoder,
  convTranspose1d,
  decoderLevels,
  hopLength,
  prepareOobleckWeights,
  sessionDecodeChunk,
  subpixelConvTranspose1d,
  tiledDecode,
  withSubpixelWeights,
} from "../server/models/vae";
import { uniforms } from "../server/random/prng";

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const flag = (name: string) => args.includes(`--${name}`);

/** Multiply-adds ×2 of every conv in the decoder (Snake and adds not counted). */
function decoderFlops(
  cfg: OobleckConfig,
  T: number,
  resUnits: number,
  upsample: UpsampleMode,
): { total: number; perBlock: number[] } {
  let L = T;
  const perBlock: number[] = [];
  let total = 2 * cfg.latentChannels * decoderLevels(cfg)[0].inCh * 7 * T;
  for (const lv of decoderLevels(cfg)) {
    const up =
      upsample === "subpixel"
        ? 2 * lv.outCh * lv.stride * lv.inCh * 2 * (L + 1)
        : 2 * lv.inCh * lv.outCh * 2 * lv.stride * L;
    L *= lv.stride;
    const res = resUnits * 2 * lv.outCh * lv.outCh * (7 + 1) * L;
    perBlock.push(up + res);
    total += up + res;
  }
  total += 2 * cfg.decoderChannels * cfg.audioChannels * 7 * L;
  return { total, perBlock };
}

function randomDecoderWeights(seed: number): MemoryWeights {
  const rand = uniforms(seed >>> 0);
  const rnd = () => rand() * 2 - 1;
  const w = new MemoryWeights();
  for (const [k, shape] of vaeLayout(OFFICIAL_VAE_CONFIG).required) {
    if (!k.startsWith("decoder.")) continue;
    const n = shape.reduce((a, b) => a * b, 1);
    const d = new Float32Array(n);
    const scale = k.endsWith(".weight_g") ? 0.5 : k.endsWith(".weight_v") ? 1 / Math.sqrt(n / shape[0]) : 0.1;
    for (let i = 0; i < n; i++) d[i] = (k.endsWith(".weight_g") ? 0.6 : 0) + scale * rnd();
    w.set(k, { shape: [...shape], data: d });
  }
  return w;
}

async function matmulPeak(threads: number): Promise<number> {
  const n = 1024;
  const g = new GraphBuilder({});
  const a = g.input("a", "float32", [n, n]);
  const b = g.constF32(
    new Float32Array(n * n).map((_, i) => ((i * 7919) % 13) / 13 - 0.5),
    [n, n],
  );
  g.output("y", g.matMul(a, b), [n, n]);
  const s = await ort.InferenceSession.create(toBytes(g.finish()), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  const x = new ort.Tensor("float32", new Float32Array(n * n).fill(0.5), [n, n]);
  let best = Infinity;
  for (let i = 0; i < 12; i++) {
    const t0 = performance.now();
    await s.run({ a: x });
    best = Math.min(best, performance.now() - t0);
  }
  await s.release();
  return (2 * n ** 3) / (best / 1000) / 1e9;
}

interface ChildResult {
  chunk: number;
  overlap: number;
  windows: number;
  framesDecoded: number;
  loadMs: number;
  coldMs: number;
  warmMs: number;
  /** process CPU time of the warm decode (all threads; ORT spin-waits count too) */
  warmCpuMs: number;
  maxRssMB: number;
  matmulGflops: number;
  profile?: Record<string, number>;
}

async function child(): Promise<void> {
  const file = opt("run", "");
  const threads = Number(opt("threads", "1"));
  const T = Number(opt("frames", "250"));
  const [chunk, overlap] = opt("tiling", "512/64").split("/").map(Number);
  const matmulGflops = await matmulPeak(threads);
  const profile = flag("profile");
  const profilePrefix = `vae-bench-profile-${process.pid}`;
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    enableMemPattern: false,
    ...(flag("no-spin") ? { extra: { session: { intra_op: { allow_spinning: "0" } } } } : {}),
    ...(profile ? { enableProfiling: true, profileFilePrefix: join(tmpdir(), profilePrefix) } : {}),
  });
  const loadMs = performance.now() - t0;
  const rand = uniforms(12345);
  const z = new Float32Array(64 * T).map(() => rand() * 2 - 1);
  const run = sessionDecodeChunk(session, (t) => new ort.Tensor("float32", t.data, t.dims));
  let framesDecoded = 0,
    windows = 0;
  const counted: typeof run = async (c, w) => {
    framesDecoded += c.dims[2];
    windows++;
    return run(c, w);
  };
  const times: number[] = [];
  let warmCpuMs = 0;
  for (let i = 0; i < 2; i++) {
    const c0 = process.cpuUsage();
    framesDecoded = 0;
    windows = 0;
    const t1 = performance.now();
    const audio = await tiledDecode({ data: z, dims: [1, 64, T] }, counted, { chunk, overlap });
    times.push(performance.now() - t1);
    const c = process.cpuUsage(c0);
    warmCpuMs = (c.user + c.system) / 1000;
    if (audio.dims[2] !== T * 1920) throw new Error(`bad output length ${audio.dims[2]}`);
  }
  let prof: Record<string, number> | undefined;
  if (profile) {
    // onnxruntime-node's endProfiling() returns nothing: pick the file it wrote under our prefix
    session.endProfiling();
    const f = readdirSync(tmpdir())
      .filter((n) => n.startsWith(`${profilePrefix}_`) && n.endsWith(".json"))
      .sort()
      .at(-1);
    if (f) prof = summariseProfile(join(tmpdir(), f));
  }
  const res: ChildResult = {
    chunk,
    overlap,
    windows,
    framesDecoded,
    loadMs,
    coldMs: times[0],
    warmMs: times[1],
    warmCpuMs,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    matmulGflops,
    profile: prof,
  };
  console.log("RESULT " + JSON.stringify(res));
}

/** Sum ORT node times (µs → ms) per decoder block and per op type over both runs. */
function summariseProfile(path: string): Record<string, number> {
  const events = JSON.parse(readFileSync(path, "utf8")) as {
    cat: string;
    name: string;
    dur: number;
    args?: { op_name?: string };
  }[];
  const out: Record<string, number> = {};
  for (const e of events) {
    if (e.cat !== "Node" || !e.name.endsWith("_kernel_time")) continue;
    const block = e.name.match(/decoder\.block\.(\d)/)?.[1];
    const key = block !== undefined ? `block ${block}` : "outside blocks";
    out[key] = (out[key] ?? 0) + e.dur / 1000;
    const op = `op ${e.args?.op_name ?? "?"}`;
    out[op] = (out[op] ?? 0) + e.dur / 1000;
  }
  rmSync(path, { force: true });
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Math.round(v)]));
}

/** Each decoder upsampling layer alone at real width: ConvTranspose vs sub-pixel, best of `reps` runs, interleaved. */
async function upsampleCompare(T: number, threads: number, reps = 3): Promise<void> {
  const w = prepareOobleckWeights(randomDecoderWeights(2));
  let L = T;
  const lines: string[] = [];
  for (const [i, lv] of decoderLevels(ACESTEP_VAE).entries()) {
    const prefix = `decoder.block.${i}.conv_t1`;
    const build = (mode: UpsampleMode) => {
      const g = new GraphBuilder({ weights: mode === "subpixel" ? withSubpixelWeights(w, [{ prefix, ...lv }]) : w });
      const x = g.input("x", "float32", [1, lv.inCh, "L"]);
      const y = mode === "subpixel" ? subpixelConvTranspose1d(g, x, prefix, lv) : convTranspose1d(g, x, prefix, lv);
      g.output("y", y);
      return toBytes(g.finish());
    };
    const sessions = {
      convtranspose: await ort.InferenceSession.create(build("convtranspose"), {
        intraOpNumThreads: threads,
        graphOptimizationLevel: "all",
      }),
      subpixel: await ort.InferenceSession.create(build("subpixel"), {
        intraOpNumThreads: threads,
        graphOptimizationLevel: "all",
      }),
    };
    const x = new ort.Tensor(
      "float32",
      new Float32Array(lv.inCh * L).map((_, j) => Math.sin(j)),
      [1, lv.inCh, L],
    );
    const best = { convtranspose: Infinity, subpixel: Infinity };
    for (let r = 0; r < reps; r++) {
      for (const mode of ["convtranspose", "subpixel"] as const) {
        const t0 = performance.now();
        await sessions[mode].run({ x });
        best[mode] = Math.min(best[mode], performance.now() - t0);
      }
    }
    const gflop = (2 * lv.inCh * lv.outCh * 2 * lv.stride * L) / 1e9;
    lines.push(
      `  block ${i} ${lv.inCh}→${lv.outCh} ×${lv.stride} (L ${L}, ${gflop.toFixed(1)} GFLOP): ConvTranspose ${best.convtranspose.toFixed(0)} ms, sub-pixel ${best.subpixel.toFixed(0)} ms`,
    );
    await sessions.convtranspose.release();
    await sessions.subpixel.release();
    L *= lv.stride;
  }
  console.log(`upsampling layers alone (best of ${reps}, ${threads} thread(s)):\n${lines.join("\n")}`);
}

async function parent(): Promise<void> {
  const seconds = Number(opt("seconds", "10"));
  const threads = Number(opt("threads", "1"));
  const resUnits = Number(opt("res-units", "3"));
  const upsample = opt("upsample", "subpixel") as UpsampleMode;
  const snakeForms = (opt("snake", "cos") === "both" ? ["sin", "cos"] : [opt("snake", "cos")]) as SnakeForm[];
  const tilings = opt("tilings", "512/64,128/16").split(",").filter(Boolean);
  const cfg = ACESTEP_VAE;
  const T = Math.round((seconds * cfg.samplingRate) / hopLength(cfg));
  const dir = join(tmpdir(), `vae-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "vae_decoder.onnx");
  try {
    let t0 = performance.now();
    for (const form of snakeForms) {
      const model = buildOobleckDecoder(randomDecoderWeights(1), cfg, { upsample, resUnits, snake: form });
      const bytes = toBytes(model);
      writeFileSync(file, bytes);
      console.log(
        `built decoder (res units ${resUnits}, ${upsample}, Snake form ${form}): ${(bytes.length / 2 ** 20).toFixed(0)} MiB in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      const flops = decoderFlops(cfg, T, resUnits, upsample);
      console.log(
        `T = ${T} frames (${seconds} s of audio), ${(flops.total / 1e12).toFixed(3)} TFLOP one-shot; per block GFLOP: ${flops.perBlock.map((f) => (f / 1e9).toFixed(0)).join(", ")}`,
      );
      const self = fileURLToPath(import.meta.url);
      for (const tiling of tilings) {
        t0 = performance.now();
        const r = spawnSync(
          process.execPath,
          [
            ...process.execArgv,
            self,
            "--child",
            "--run",
            file,
            "--threads",
            String(threads),
            "--frames",
            String(T),
            "--tiling",
            tiling,
            ...(flag("profile") ? ["--profile"] : []),
            ...(flag("no-spin") ? ["--no-spin"] : []),
          ],
          { encoding: "utf8", maxBuffer: 1 << 24 },
        );
        const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
        if (!line) {
          console.log(`tiling ${tiling}: child failed (status ${r.status})\n${r.stderr}`);
          continue;
        }
        const res = JSON.parse(line.slice(7)) as ChildResult;
        const decodedFlops = decoderFlops(cfg, res.framesDecoded, resUnits, upsample).total; // approx: per-window sums
        console.log(
          [
            `tiling ${res.chunk}/${res.overlap}: ${res.windows} window(s), ${res.framesDecoded} frames decoded for ${T}`,
            `  session load ${(res.loadMs / 1000).toFixed(1)} s; decode cold ${(res.coldMs / 1000).toFixed(1)} s, warm ${(res.warmMs / 1000).toFixed(1)} s (CPU ${(res.warmCpuMs / 1000).toFixed(1)} s)`,
            `  real-time factor (decode time / audio time): cold ${(res.coldMs / 1000 / seconds).toFixed(2)}, warm ${(res.warmMs / 1000 / seconds).toFixed(2)}` +
              (resUnits < 3 ? " (reduced depth)" : ""),
            `  conv throughput warm ≈ ${(decodedFlops / (res.warmMs / 1000) / 1e9).toFixed(0)} GFLOP/s; ORT MatMul 1024³ peak ${res.matmulGflops.toFixed(0)} GFLOP/s (${threads} thread(s))`,
            `  peak RSS (child: load + 2 decodes) ${res.maxRssMB.toFixed(0)} MB`,
            ...(res.profile ? [`  profile (ms, both runs): ${JSON.stringify(res.profile)}`] : []),
          ].join("\n"),
        );
      }
    }
    if (tilings.length) console.log(`wall ${((performance.now() - t0) / 1000).toFixed(0)} s for the last tiling`);
    if (!flag("no-upsample-compare")) await upsampleCompare(T, threads);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (flag("child")) await child();
else await parent();
