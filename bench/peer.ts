// acestep.cpp (ServeurpersoCom/acestep.cpp, C++/GGML) beside us: runs its `ace-lm` then `ace-synth` on the same
// request as bench/e2e.ts and reads its per-stage times from its log lines (src/pipeline-lm.cpp "[LM-Phase1]
// Prefill/Decode", "[Ace-LM] Total"; src/pipeline-synth-ops.cpp "[Encode-Text Batch0] … ms", "[Build-Context
// Batch0] Detokenizer", "[DiT-Generate] Total", "[VAE-Decode Batch0] Decode"; src/dit-sampler.h "[DiT] Step k/n",
// timed here by arrival) and its peak RSS from GNU time. Weights: random GGUF files of the real architecture
// in GGUF_DIR (one LM, one DiT, one VAE and the text encoder; picked by name).
//
// The peer sizes its thread pool from the CPU count (logical / 2); a 3-line LD_PRELOAD shim compiled here with
// gcc reports `threads` × 2 CPUs to get_nprocs() so both engines use the same number of threads.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface PeerRequest {
  caption: string;
  lyrics: string;
  bpm: number;
  duration: number;
  keyscale: string;
  timesignature: string;
  language: string;
  seed: number;
  steps: number;
  shift: number;
}

/** The request both engines run (an R&B song, 8 turbo steps, shift 3, seed 42). */
export const PEER_REQUEST: PeerRequest = {
  caption:
    "A smooth, contemporary R&B track built on clean, chorused electric guitar chords and a steady drum machine beat. " +
    "A round synth bass provides a warm low end. The lead male vocal is clear and emotive, in a smooth tenor with " +
    "falsetto ad-libs and layered harmonies that swell during the chorus.",
  lyrics:
    "[Verse 1]\nMidnight whispers in my ear\nStars above are shining clear\nCity lights begin to fade\n" +
    "Underneath the plans we made\n\n[Chorus]\nYou're my heartbeat symphony\nEvery beat a melody\nYou and me, we're wild and free",
  bpm: 100,
  duration: 30,
  keyscale: "A major",
  timesignature: "4",
  language: "en",
  seed: 42,
  steps: 8,
  shift: 3,
};

export interface PeerStages {
  /** whole LM pass (CoT + codes, after loading), its prefills and decodes */
  lmMs?: number;
  /**
   * the LM up to the request's own code count (5 per second): its prefills plus the decode up to the
   * "Step N" line (with random weights the peer never samples EOS and decodes on to its cap)
   */
  lmCodes?: { codes: number; ms: number };
  /** seconds the LM and the synth spent loading weights ("[Store] Load …: N ms") */
  lmLoadMs?: number;
  synthLoadMs?: number;
  /** the text encoder: from the line after its load to the condition encoder's load (the peer does not time it) */
  textEncoderMs?: number;
  lmPrefillMs?: number;
  lmDecodeMs?: number;
  /** the condition encoder (lyric + timbre encoders and projection; the peer times it alone) */
  encodeMs?: number;
  detokenizerMs?: number;
  ditMs?: number;
  ditStepMs: number[];
  vaeMs?: number;
  /** wall time of each process */
  lmWallMs: number;
  synthWallMs: number;
  lmPeakRssMB?: number;
  synthPeakRssMB?: number;
}

function pick(dir: string, what: string, test: (f: string) => boolean): string {
  const f = readdirSync(dir).filter((n) => n.endsWith(".gguf") && test(n.toLowerCase()));
  if (f.length !== 1)
    throw new Error(`peer: expected one ${what} GGUF in ${dir}, found ${f.length ? f.join(", ") : "none"}`);
  return f[0];
}

/** Build the shim once into `outDir`. */
function nprocsShim(outDir: string): string {
  const so = join(outDir, "nprocs.so");
  if (existsSync(so)) return so;
  const src = join(outDir, "nprocs.c");
  writeFileSync(
    src,
    '#include <stdlib.h>\nint get_nprocs(void) { const char *e = getenv("PEER_NPROCS"); return e ? atoi(e) : 2; }\n' +
      "int get_nprocs_conf(void) { return get_nprocs(); }\n",
  );
  const r = spawnSync("gcc", ["-shared", "-fPIC", "-O2", "-o", so, src], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`peer: gcc failed to build the nprocs shim: ${r.stderr || r.error}`);
  return so;
}

/** Run a peer tool under GNU time; every stderr line with its arrival time (ms since start). */
async function runTimed(
  cmd: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ lines: { ms: number; text: string }[]; wallMs: number; peakRssMB?: number }> {
  const t0 = performance.now();
  const child = spawn("/usr/bin/time", ["-v", ...cmd], { env, stdio: ["ignore", "pipe", "pipe"] });
  const lines: { ms: number; text: string }[] = [];
  let buf = "";
  const take = (chunk: Buffer) => {
    buf += chunk.toString("utf8");
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      lines.push({ ms: performance.now() - t0, text: buf.slice(0, i) });
      buf = buf.slice(i + 1);
    }
  };
  child.stdout.on("data", take);
  child.stderr.on("data", take);
  const code: number = await new Promise((res, rej) => {
    child.on("error", rej);
    child.on("close", (c) => res(c ?? 1));
  });
  const wallMs = performance.now() - t0;
  if (code !== 0)
    throw new Error(
      `peer: ${cmd[0]} exited with ${code}:\n${lines
        .slice(-15)
        .map((l) => l.text)
        .join("\n")}`,
    );
  const rss = lines.map((l) => l.text.match(/Maximum resident set size \(kbytes\): (\d+)/)).find(Boolean);
  return { lines, wallMs, peakRssMB: rss ? Number(rss[1]) / 1024 : undefined };
}

const sumOf = (lines: { text: string }[], re: RegExp): number | undefined => {
  const v = lines.map((l) => l.text.match(re)).filter((m): m is RegExpMatchArray => !!m);
  return v.length ? v.reduce((a, m) => a + Number(m[1]), 0) : undefined;
};

/** Run acestep.cpp's LM then synth on `req` with `threads` threads; `outDir` receives requests, logs, audio. */
export async function runPeer(
  buildDir: string,
  ggufDir: string,
  outDir: string,
  req: PeerRequest,
  threads: number,
): Promise<PeerStages> {
  const lmModel = pick(ggufDir, "LM", (n) => n.includes("lm"));
  const synthModel = pick(ggufDir, "DiT", (n) => n.includes("turbo") || n.includes("dit"));
  const vae = pick(ggufDir, "VAE", (n) => n.startsWith("vae"));
  const request = {
    caption: req.caption,
    lyrics: req.lyrics,
    bpm: req.bpm,
    duration: req.duration,
    keyscale: req.keyscale,
    timesignature: req.timesignature,
    vocal_language: req.language,
    inference_steps: req.steps,
    guidance_scale: 1.0,
    shift: req.shift,
    seed: req.seed,
    lm_seed: req.seed,
    output_format: "wav16",
    lm_model: lmModel,
    synth_model: synthModel,
    vae,
  };
  const reqPath = join(outDir, "request.json");
  writeFileSync(reqPath, JSON.stringify(request, null, 1));
  const env = { ...process.env, LD_PRELOAD: nprocsShim(outDir), PEER_NPROCS: String(2 * threads) };
  const lm = await runTimed([join(buildDir, "ace-lm"), "--models", ggufDir, "--request", reqPath], env);
  writeFileSync(join(outDir, "lm.log"), lm.lines.map((l) => `${(l.ms / 1000).toFixed(3)} ${l.text}`).join("\n"));
  const next = join(outDir, "request0.json"); // ace-lm writes request.json → request0.json with the codes
  if (!existsSync(next)) throw new Error(`peer: ace-lm wrote no ${next}`);
  // With random weights the LM never samples EOS and decodes to its cap (5·duration + 100 codes), and the synth
  // sizes the song from the codes: keep the request's 5 codes per second so both engines make the same song.
  const codesWanted = Math.round(req.duration * 5);
  const withCodes = JSON.parse(readFileSync(next, "utf8")) as { audio_codes?: string };
  const codes = (withCodes.audio_codes ?? "").split(",").filter((c) => c.trim() !== "");
  if (codes.length > codesWanted) {
    withCodes.audio_codes = codes.slice(0, codesWanted).join(",");
    writeFileSync(next, JSON.stringify(withCodes, null, 1));
  }
  const synth = await runTimed([join(buildDir, "ace-synth"), "--models", ggufDir, "--request", next], env);
  writeFileSync(join(outDir, "synth.log"), synth.lines.map((l) => `${(l.ms / 1000).toFixed(3)} ${l.text}`).join("\n"));
  const steps = synth.lines.filter((l) => /\[DiT\] Step \d+\/\d+/.test(l.text)).map((l) => l.ms);
  const start = synth.lines.find((l) => l.text.includes("[Init-Noise] Starting"))?.ms;
  const stepMs = steps.map((t, i) => t - (i === 0 ? (start ?? t) : steps[i - 1]));
  const prefill = sumOf(lm.lines, /\[LM-Phase\d\] Prefill (\d+(?:\.\d+)?)ms/);
  // the codes pass is the last phase: its prefill line, then "Step k, …, N total codes" every 50 steps
  const codesPrefill = [...lm.lines].reverse().find((l) => /\[LM-Phase\d\] Prefill/.test(l.text));
  const stepAt = lm.lines.find((l) => {
    const m = l.text.match(/\[LM-Phase\d\] Step \d+, .*?(\d+) total codes/);
    return m !== null && Number(m[1]) >= codesWanted;
  });
  const phase1 = sumOf(
    lm.lines.filter((l) => l !== codesPrefill && /\[LM-Phase1\] (Prefill|Decode)/.test(l.text)),
    /(\d+(?:\.\d+)?)ms/,
  );
  const ownPrefill = codesPrefill?.text.match(/Prefill (\d+(?:\.\d+)?)ms/);
  const lmCodes =
    codesPrefill && stepAt && ownPrefill
      ? {
          codes: Number(stepAt.text.match(/(\d+) total codes/)![1]),
          ms: (phase1 ?? 0) + Number(ownPrefill[1]) + (stepAt.ms - codesPrefill.ms),
        }
      : undefined;
  const textLoaded = synth.lines.findIndex((l) => /\[Store\] Load TextEnc/.test(l.text));
  const condLoad = synth.lines.findIndex((l) => /\[Load\] CondEncoder backend/.test(l.text));
  const decode = sumOf(lm.lines, /\[LM-Phase\d\] Decode (\d+(?:\.\d+)?)ms/);
  return {
    lmMs: sumOf(lm.lines, /\[Ace-LM\] Total (\d+(?:\.\d+)?)ms/),
    lmCodes,
    lmLoadMs: sumOf(lm.lines, /\[Store\] Load [^:]+: (\d+(?:\.\d+)?) ms/),
    synthLoadMs: sumOf(synth.lines, /\[Store\] Load [^:]+: (\d+(?:\.\d+)?) ms/),
    textEncoderMs:
      textLoaded >= 0 && condLoad > textLoaded ? synth.lines[condLoad].ms - synth.lines[textLoaded].ms : undefined,
    lmPrefillMs: prefill,
    lmDecodeMs: decode,
    encodeMs: sumOf(synth.lines, /\[Encode-Text Batch\d+\] .*?(\d+(?:\.\d+)?) ms$/),
    detokenizerMs: sumOf(synth.lines, /Detokenizer: (\d+(?:\.\d+)?) ms/),
    ditMs: sumOf(synth.lines, /\[DiT-Generate\] Total: (\d+(?:\.\d+)?) ms/),
    ditStepMs: stepMs,
    vaeMs: sumOf(synth.lines, /\[VAE-Decode Batch\d+\] Decode: (\d+(?:\.\d+)?) ms/),
    lmWallMs: lm.wallMs,
    synthWallMs: synth.wallMs,
    lmPeakRssMB: lm.peakRssMB,
    synthPeakRssMB: synth.peakRssMB,
  };
}

/** Our request overrides for graphs/text2music-thinking.json (node `lm`, `sampler`) matching `req`. */
export function ourOverrides(req: PeerRequest): string[] {
  return [
    `lm.caption=${JSON.stringify(req.caption)}`,
    `lm.lyrics=${JSON.stringify(req.lyrics)}`,
    `lm.bpm=${req.bpm}`,
    `lm.keyscale=${JSON.stringify(req.keyscale)}`,
    `lm.timesignature=${JSON.stringify(req.timesignature)}`,
    `lm.language=${JSON.stringify(req.language)}`,
    `sampler.shift=${req.shift}`,
  ];
}
