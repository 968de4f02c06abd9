// End-to-end benchmark: text2music with thinking (graphs/text2music-thinking.json) on fabricated checkpoints,
// run twice in one process (cold, then warm with new seeds so every compute node runs again), printing per node
// the wall time, the time spent creating ORT sessions, the peak RSS while it ran and the event loop's longest gap.
//
//   npm run bench:e2e -- [--size full|tiny] [--seconds 30] [--dtype SPEC as for models convert] [--cache DIR]
//                        [--threads N] [--set node.param=v]… [--peer BUILD_DIR,GGUF_DIR] [--ort-cache DIR|off]
//
// The app's data folder persists in the bench cache folder (<cache>/data-<dtype>), as a server's does: ORT's
// optimized-model cache (<data>/ort-cache unless --ort-cache says otherwise) and the model constants are written by
// the first invocation's cold run ("saved"); every later invocation's cold run is a real cold start of a new process
// ("hit"). Each session's creation and cache state is printed.
//
// --peer runs acestep.cpp (its ace-lm and ace-synth in BUILD_DIR, random GGUF weights in GGUF_DIR) on the same
// request right after our two runs, with the same thread count, and prints each stage's time ratio
// (bench/peer.ts). Our graph then takes the peer request's caption, lyrics and metadata.
//
// Checkpoints are fabricated once (`acestep models fabricate`) and converted once under the cache folder
// (default ~/.cache/acestep-bench/<size>); later runs reuse both. At --size full this needs ~15–20 GB of disk for
// fp32 models and many CPU-minutes: on a shared machine run it under `flock /work/heavy.lock`.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { relaunchWithMallocSettings } from "../bin/relaunch.mjs";
import { createAppContext } from "../server/app-context";
import { fabricateCheckpoints, type FabricateSize } from "../server/checkpoints";
import { convertCheckpoints, resolvePrecisions } from "../server/models/convert/convert";
import { parseDtypeSpec } from "../server/models/convert/precision";
import { parseSetArgs } from "../server/runs/overrides";
import { CONDITION_ROLES } from "../server/pipeline/dit-runner";
import { lmSessionsOpened } from "../server/pipeline/lm";
import { PEER_REQUEST, ourOverrides, runPeer, type PeerStages } from "./peer";

// the same process memory settings as the acestep command (peak RSS is one of the figures)
await relaunchWithMallocSettings();

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "full" },
    seconds: { type: "string", default: "30" },
    dtype: { type: "string" },
    cache: { type: "string" },
    set: { type: "string", multiple: true },
    threads: { type: "string" },
    peer: { type: "string" },
    "ort-cache": { type: "string" },
  },
});
const peer = values.peer?.split(",").map((p) => resolve(p));
if (peer && (peer.length !== 2 || !existsSync(join(peer[0], "ace-synth")) || !existsSync(peer[1])))
  throw new Error(`--peer expects BUILD_DIR,GGUF_DIR (BUILD_DIR holding ace-lm and ace-synth), got "${values.peer}"`);
const size = values.size as FabricateSize;
if (size !== "full" && size !== "tiny") throw new Error(`--size must be full or tiny, got "${values.size}"`);
const seconds = Number(values.seconds);
const cache = resolve(values.cache ?? join(homedir(), ".cache", "acestep-bench", size));
const ckDir = join(cache, "checkpoints");
const modelsDir = join(cache, values.dtype ? `models-${values.dtype.replace(/[^\w.-]+/g, "_")}` : "models");
// fabricated weights are random, so the converter's demo defaults apply (fp32) unless --dtype says otherwise
const dtype = values.dtype === undefined ? undefined : parseDtypeSpec(values.dtype, resolvePrecisions({ demo: true }));
const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

// 1. checkpoints (once), 2. conversion (skips unchanged components)
const done = join(ckDir, ".fabricated");
if (!existsSync(done)) {
  console.log(`fabricating ${size} checkpoints into ${ckDir} …`);
  const t0 = performance.now();
  fabricateCheckpoints(ckDir, { size, components: ["turbo", "vae", "text-encoder", "lm-0.6B"] });
  writeFileSync(done, new Date().toISOString());
  console.log(`  done in ${s(performance.now() - t0)}`);
}
{
  const t0 = performance.now();
  const r = await convertCheckpoints({ from: ckDir, to: modelsDir, dtype, demo: true });
  console.log(
    `conversion: ${r.converted.length ? `converted ${r.converted.join(", ")}` : "all unchanged"} in ${s(performance.now() - t0)}`,
  );
}

// 3. the app on those models, with the session host instrumented
const dataDir = join(cache, `data${modelsDir.slice(join(cache, "models").length)}`);
const ortCacheDir =
  values["ort-cache"] === "off" ? null : values["ort-cache"] ? resolve(values["ort-cache"]) : undefined;
const app = createAppContext({
  dataDir,
  modelsDir,
  ...(ortCacheDir !== undefined ? { ortCacheDir } : {}),
  ...(values.threads ? { threads: Number(values.threads) } : {}),
});
const host = app.models.host();
const sessions: { id: string; ms: number; node: string; cache?: string }[] = [];
/** Per node and session id: calls and milliseconds of host.run (which phase of a node costs what). */
const runs = new Map<string, Map<string, { calls: number; ms: number }>>();
let currentNode = "-";
const load = host.load.bind(host);
host.load = async (...args: Parameters<typeof host.load>) => {
  const t0 = performance.now();
  let cacheState: string | undefined;
  try {
    const loaded = await load(...args);
    cacheState = loaded.optimizedCache;
    return loaded;
  } finally {
    sessions.push({ id: args[0], ms: performance.now() - t0, node: currentNode, cache: cacheState });
  }
};
const run = host.run.bind(host);
host.run = async (...args: Parameters<typeof host.run>) => {
  const node = currentNode;
  const t0 = performance.now();
  try {
    return await run(...args);
  } finally {
    const perNode = runs.get(node) ?? new Map<string, { calls: number; ms: number }>();
    runs.set(node, perNode);
    const r = perNode.get(args[0]) ?? { calls: 0, ms: 0 };
    r.calls++;
    r.ms += performance.now() - t0;
    perNode.set(args[0], r);
  }
};

const graph = JSON.parse(readFileSync(new URL("../graphs/text2music-thinking.json", import.meta.url), "utf8"));

interface NodeRow {
  node: string;
  ms: number;
  sessionMs: number;
  sessions: number;
  peakRss: number;
  maxGapMs: number;
  /** Date.now() of the node's started and finished events */
  span: [number, number];
}

interface RunResult {
  rows: NodeRow[];
  totalMs: number;
  /** the longest event-loop gap of the whole run (nodes, the engine between them, the event stream) */
  maxGapMs: number;
  status: string;
  /** host.run per node and session id during this run */
  runs: Map<string, Map<string, { calls: number; ms: number }>>;
  /** sessions created during this run (the LM's in its worker included, under node "lm") */
  created: { id: string; ms: number; node: string; cache?: string }[];
}

async function runOnce(seed: number): Promise<RunResult> {
  runs.clear();
  const lmOpened = lmSessionsOpened().length;
  const overrides = parseSetArgs([
    `lm.duration=${seconds}`,
    `lm.seed=${seed}`,
    `sampler.seed=${seed}`,
    ...(peer ? ourOverrides(PEER_REQUEST) : []),
    ...(values.set ?? []),
  ]);
  const rows = new Map<string, NodeRow>();
  const firstSession = sessions.length;
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 100);
  // the event loop's gaps, each with its wall-clock span; a node's max gap is the longest part of a gap inside its
  // span from the node.started to the node.finished event's time of emission (events reach this loop only later,
  // so toggling a histogram on them would miss the node's first synchronous work)
  const gaps: { from: number; to: number }[] = [];
  let lastTick = Date.now();
  const ticker = setInterval(() => {
    const t = Date.now();
    if (t - lastTick > 15) gaps.push({ from: lastTick, to: t });
    lastTick = t;
  }, 5);
  const spans = new Map<string, number>();
  const t0 = performance.now();
  const { runId } = app.runs.start({ graph, overrides });
  for await (const { event: e, at } of app.runs.events(runId)) {
    if (e.type === "node.started") {
      currentNode = e.nodeId;
      peak = process.memoryUsage.rss();
      spans.set(e.nodeId, at);
    } else if (e.type === "node.finished") {
      const from = spans.get(e.nodeId) ?? at;
      peak = Math.max(peak, process.memoryUsage.rss());
      if (e.nodeId === "lm")
        for (const o of lmSessionsOpened().slice(lmOpened))
          sessions.push({ id: `${o.model}/lm`, ms: o.ms, node: "lm", cache: o.optimizedCache });
      const own = sessions.slice(firstSession).filter((x) => x.node === e.nodeId);
      rows.set(e.nodeId, {
        node: e.nodeId,
        ms: e.ms,
        sessionMs: own.reduce((a, x) => a + x.ms, 0),
        sessions: own.length,
        peakRss: peak,
        maxGapMs: 0,
        span: [from, at],
      });
      currentNode = "-";
    }
  }
  clearInterval(sampler);
  // a gap that ends the run is recorded by the next tick
  await new Promise((r) => setTimeout(r, 20));
  clearInterval(ticker);
  for (const row of rows.values())
    row.maxGapMs = Math.max(0, ...gaps.map((g) => Math.min(g.to, row.span[1]) - Math.max(g.from, row.span[0])));
  const stored = app.store.getRun(runId)!;
  return {
    rows: [...rows.values()],
    totalMs: performance.now() - t0,
    maxGapMs: Math.max(0, ...gaps.map((g) => g.to - g.from)),
    status: stored.status + (stored.error ? `: ${stored.error.message}` : ""),
    runs: new Map(runs),
    created: sessions.slice(firstSession),
  };
}

/** Milliseconds of host.run in `node` on sessions whose id ends with one of `roles` (`<model>/<role>`). */
function runMs(r: RunResult, node: string, roles: readonly string[]): { calls: number; ms: number } | undefined {
  const per = r.runs.get(node);
  if (!per) return undefined;
  let calls = 0;
  let ms = 0;
  for (const [id, x] of per)
    if (roles.some((role) => id.endsWith(`/${role}`))) {
      calls += x.calls;
      ms += x.ms;
    }
  return calls ? { calls, ms } : undefined;
}

function print(label: string, r: RunResult): void {
  console.log(`\n== ${label}: ${r.status}, ${s(r.totalMs)}, max event-loop gap ${r.maxGapMs.toFixed(0)} ms ==`);
  console.log(
    `${"node".padEnd(10)}${"time".padStart(10)}${"sessions".padStart(10)}${"creation".padStart(10)}${"peak RSS".padStart(11)}${"max gap".padStart(10)}`,
  );
  for (const x of r.rows) {
    console.log(
      `${x.node.padEnd(10)}${s(x.ms).padStart(10)}${String(x.sessions).padStart(10)}${s(x.sessionMs).padStart(10)}${mb(x.peakRss).padStart(11)}${`${x.maxGapMs.toFixed(0)} ms`.padStart(10)}`,
    );
  }
  const created = r.rows.reduce((a, x) => a + x.sessions, 0);
  const creationMs = r.rows.reduce((a, x) => a + x.sessionMs, 0);
  console.log(
    `sessions created: ${created} in ${s(creationMs)}; peak RSS ${mb(Math.max(0, ...r.rows.map((x) => x.peakRss)))}`,
  );
  for (const c of r.created)
    console.log(
      `  created ${c.id.padEnd(44)} ${s(c.ms).padStart(9)}  (node ${c.node}, optimized cache: ${c.cache ?? "-"})`,
    );
  for (const [node, per] of r.runs)
    for (const [id, x] of per)
      if (x.ms >= 50)
        console.log(
          `  ran ${`${node}: ${id}`.padEnd(48)} ${String(x.calls).padStart(3)}× ${s(x.ms / x.calls).padStart(9)}`,
        );
}

/** The sampler's sessions that make up the peer's condition encoder (its text_proj, lyric and timbre encoders). */
const ENCODER_ROLES = CONDITION_ROLES.filter((r) => r !== "dit_cross_kv");
const DIT_STEP_ROLES = ["dit_step"];
const sum = (xs: { ms: number }[]) => xs.reduce((a, x) => a + x.ms, 0);

/** Per stage: the peer's time, ours (cold, warm) and peer ÷ ours (how many times faster we are). */
function printPeer(p: PeerStages, cold: RunResult, warm: RunResult): void {
  const node = (r: typeof cold, ...ids: string[]) => {
    const rows = r.rows.filter((x) => ids.includes(x.node));
    return rows.length ? rows.reduce((a, x) => a + x.ms, 0) : undefined;
  };
  const line = (stage: string, peerMs: number | undefined, c: number | undefined, w: number | undefined) => {
    const f = (v: number | undefined) => (v === undefined ? "–" : s(v)).padStart(10);
    const ratio = (o: number | undefined) =>
      (peerMs !== undefined && o ? `${(peerMs / o).toFixed(2)}×` : "–").padStart(9);
    console.log(`${stage.padEnd(34)}${f(peerMs)}${f(c)}${f(w)}${ratio(c)}${ratio(w)}`);
  };
  const steps = p.ditStepMs;
  const meanStep = steps.length ? steps.reduce((a, b) => a + b, 0) / steps.length : undefined;
  console.log(
    `\n${"stage".padEnd(34)}${"peer".padStart(10)}${"ours cold".padStart(10)}${"ours warm".padStart(10)}${"÷ cold".padStart(9)}${"÷ warm".padStart(9)}`,
  );
  // a stage's compute: the node's time less the sessions it created (the peer's stage times exclude its loads)
  const compute = (r: RunResult, ...ids: string[]) => {
    const t = node(r, ...ids);
    return t === undefined
      ? undefined
      : t - r.created.filter((c) => ids.includes(c.node)).reduce((a, c) => a + c.ms, 0);
  };
  const roles = (r: RunResult, n: string, rs: readonly string[]) => runMs(r, n, rs)?.ms;
  const step = (r: RunResult) => {
    const x = runMs(r, "sampler", DIT_STEP_ROLES);
    return x ? x.ms / x.calls : undefined;
  };
  line(
    `LM, ${p.lmCodes?.codes ?? "?"} codes with CFG (prefill + decode)`,
    p.lmCodes?.ms,
    compute(cold, "lm"),
    compute(warm, "lm"),
  );
  line("text encoder", p.textEncoderMs, compute(cold, "text"), compute(warm, "text"));
  line(
    "condition encoder (lyric + timbre)",
    p.encodeMs,
    roles(cold, "sampler", ENCODER_ROLES),
    roles(warm, "sampler", ENCODER_ROLES),
  );
  line("detokenizer (codes → hints)", p.detokenizerMs, compute(cold, "cover"), compute(warm, "cover"));
  line("DiT step (mean)", meanStep, step(cold), step(warm));
  line("DiT, all steps (ours: the sampler node)", p.ditMs, compute(cold, "sampler"), compute(warm, "sampler"));
  line("VAE decode", p.vaeMs, compute(cold, "decode"), compute(warm, "decode"));
  line("loading / session creation", (p.lmLoadMs ?? 0) + (p.synthLoadMs ?? 0), sum(cold.created), sum(warm.created));
  line("whole song (peer: both processes)", p.lmWallMs + p.synthWallMs, cold.totalMs, warm.totalMs);
  console.log(
    `peer: LM prefill ${p.lmPrefillMs === undefined ? "–" : s(p.lmPrefillMs)}, LM decode ${p.lmDecodeMs === undefined ? "–" : s(p.lmDecodeMs)}, ` +
      `DiT step mean ${meanStep === undefined ? "–" : s(meanStep)} (${steps.map((x) => (x / 1000).toFixed(1)).join(", ")} s), ` +
      `peak RSS LM ${p.lmPeakRssMB?.toFixed(0) ?? "–"} MB, synth ${p.synthPeakRssMB?.toFixed(0) ?? "–"} MB ` +
      "(its condition encoder time excludes the text encoder, which it does not time)",
  );
}

try {
  console.log(
    `\ntext2music with thinking, ${seconds} s, ${size} size, models ${modelsDir}; host ${JSON.stringify(await app.models.info())}`,
  );
  const cold = await runOnce(42);
  print("cold", cold);
  const warm = await runOnce(43);
  print("warm", warm);
  if (peer) {
    const outDir = mkdtempSync(join(tmpdir(), "acestep-bench-peer-"));
    const threads = Number(values.threads ?? app.config?.threads ?? 2);
    console.log(`\nacestep.cpp (${peer[0]}, ${threads} threads) on the same request; logs in ${outDir} …`);
    printPeer(await runPeer(peer[0], peer[1], outDir, { ...PEER_REQUEST, duration: seconds }, threads), cold, warm);
  }
  console.log(`\nprocess max RSS ${mb(process.resourceUsage().maxRSS * 1024)}`);
  console.log(
    "(the LM's ORT session lives in its own worker thread, server/runtime/lm/lm-worker.ts; its creation is listed under node lm)",
  );
  console.log("(timings on a shared machine are noisy: compare only figures from the same window)");
} finally {
  await app.close();
}
