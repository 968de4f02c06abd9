// Real-size LM decode step with CFG, at the project's default precision: the fabricated official-layout 0.6B
// checkpoint (`acestep models fabricate --size full`, random weights, real shapes), a prompt of CONTEXT tokens
// for each CFG lane, then decode steps with the code head as the pipeline runs them (server/models/lm
// createLmLogitsFn: both lanes in one session call; server/lm sampleToken with the codes-phase FSM mask over the
// code-row window, as server/lm/generate.ts does). Prints: prefill of both lanes as one batched call vs one call
// per lane, the session call per decode step, the host work per step (CFG, mask, top-p, draw) over the window
// and, for comparison, over the −Infinity-padded full vocabulary, and the whole step.
//
//   npx tsx bench/lm-step.ts [--dtype int8] [--context 500] [--steps 24] [--threads 2] [--checkpoint DIR] [--no-spin]
//
// The checkpoint is fabricated once under ~/.cache/acestep-bench/full/checkpoints (shared with bench:e2e).
// Heavy (≈ 1.5 GB checkpoint, 1–2 CPU-minutes): on a shared machine run it under `flock /work/heavy.lock`.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fabricateCheckpoints } from "../server/checkpoints";
import { createRng } from "../server/random/prng";
import { DEFAULT_SAMPLING, sampleToken } from "../server/lm/sampling";
import { applyAllowed } from "../server/lm/constrained";
import { AUDIO_CODE_BASE, AUDIO_CODE_END } from "../server/lm/tokens";
import { LmModel, createLmLogitsFn } from "../server/models/lm";
import type { Precision } from "../server/onnx/graph-core";

const { values } = parseArgs({
  options: {
    dtype: { type: "string", default: "int8" },
    context: { type: "string", default: "500" },
    steps: { type: "string", default: "24" },
    threads: { type: "string", default: "2" },
    checkpoint: { type: "string" },
    "no-spin": { type: "boolean", default: false },
  },
});
const precision = values.dtype as Precision;
const ctx = Number(values.context);
const steps = Number(values.steps);
const threads = Number(values.threads);
const ckDir = join(homedir(), ".cache", "acestep-bench", "full", "checkpoints");
const dir = values.checkpoint ?? join(ckDir, "acestep-5Hz-lm-0.6B");
if (!existsSync(join(dir, "config.json"))) {
  console.log(`fabricating the full-size 0.6B LM into ${ckDir} …`);
  fabricateCheckpoints(ckDir, { size: "full", components: ["lm-0.6B"] });
}
const ms = (x: number) => x.toFixed(1);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;

const t0 = performance.now();
// --no-spin: ORT's pool threads sleep instead of spin-waiting, so the CPU time printed is work (for loaded machines)
const spin = values["no-spin"] ? { extra: { session: { intra_op: { allow_spinning: "0" } } } } : {};
const model = await LmModel.fromCheckpoint(dir, { precision, threads, sessionOptions: spin });
console.log(
  `LM ${precision}, ${model.config.num_hidden_layers} layers: built + session in ${ms(performance.now() - t0)} ms`,
);

// prompts: text-token ids (below the audio codes); the uncond prompt is shorter, as without the caption
let s = 7;
const tok = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % 150000) + 100;
const cond = Array.from({ length: ctx }, tok);
const uncond = Array.from({ length: Math.round(ctx * 0.8) }, tok);

// prefill: both lanes in one batched call vs one call per lane (same chunking)
// (wall and process CPU time, best of 3, interleaved)
const prefill = { batched: [Infinity, Infinity], perLane: [Infinity, Infinity] };
const timed = async (into: number[], f: () => Promise<unknown>) => {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  await f();
  into[0] = Math.min(into[0], performance.now() - w0);
  into[1] = Math.min(into[1], cpuMs(process.cpuUsage(c0)));
};
for (let r = 0; r < 3; r++) {
  await timed(prefill.batched, () => model.step(model.newCache(2, ctx + 8), [cond, uncond], { head: "codes" }));
  await timed(prefill.perLane, async () => {
    await model.step(model.newCache(1, ctx + 8), [cond], { head: "codes" });
    await model.step(model.newCache(1, ctx + 8), [uncond], { head: "codes" });
  });
}
console.log(
  `prefill ${cond.length} + ${uncond.length} tokens (wall, CPU): both lanes in one call ${prefill.batched.map(ms).join(", ")} ms; ` +
    `one call per lane ${prefill.perLane.map(ms).join(", ")} ms`,
);

// decode: the pipeline's loop (logits fn + sampling with the codes-phase mask)
const fn = createLmLogitsFn(model, { head: "codes", uncondPrompt: uncond, capacity: ctx + steps + 8 });
const rng = createRng(42);
const mask = { kind: "only" as const, ids: new Int32Array(0), ranges: [[AUDIO_CODE_BASE, AUDIO_CODE_END] as const] };
const c = [...cond],
  u = [...uncond];
await fn(c, "cond"); // prefill through the adapter, then one token so that every timed step is one decode call
await fn(u, "uncond");
c.push(AUDIO_CODE_BASE);
u.push(AUDIO_CODE_BASE);
const session: number[] = [],
  host: number[] = [],
  hostFull: number[] = [],
  whole: number[] = [],
  cpu: number[] = [];
for (let i = 0; i < steps; i++) {
  const cpu0 = process.cpuUsage();
  const a = performance.now();
  const calls = model.stats.calls;
  const wc = (await fn.windowed(c, "cond"))!;
  const wu = (await fn.windowed(u, "uncond"))!;
  const b = performance.now();
  if (model.stats.calls !== calls + 1) throw new Error("bench: the CFG pair did not run as one session call");
  // the loop's window path (server/lm/generate.ts): CFG, mask, top-p and the draw over the 64 024 code rows
  const id = sampleToken(
    {
      cond: wc.logits,
      uncond: wu.logits,
      offset: wc.offset,
      constrain: (l) => applyAllowed(l, mask, wc.offset),
      penaltyIds: c,
    },
    DEFAULT_SAMPLING,
    rng,
  );
  const e = performance.now();
  c.push(id);
  u.push(id);
  session.push(b - a);
  host.push(e - b);
  whole.push(e - a);
  cpu.push(cpuMs(process.cpuUsage(cpu0)));
  // for comparison, not part of the step: the same draw over the −Infinity-padded full vocabulary
  const f0 = performance.now();
  const lc = await fn(c.slice(0, -1), "cond"); // the logits just sampled, padded (no session call)
  const lu = await fn(u.slice(0, -1), "uncond");
  const same = sampleToken(
    { cond: lc, uncond: lu, constrain: (l) => applyAllowed(l, mask), penaltyIds: c.slice(0, -1) },
    DEFAULT_SAMPLING,
    createRng(1),
  );
  hostFull.push(performance.now() - f0);
  if (!(same >= AUDIO_CODE_BASE && same < AUDIO_CODE_END))
    throw new Error("bench: full-vocabulary draw left the codes");
}
console.log(
  `decode at context ${ctx}…${ctx + steps} with CFG (${threads} threads), median of ${steps} steps: ` +
    `step ${ms(median(whole))} ms = logits (session call) ${ms(median(session))} ms + sampling over the code window ${ms(median(host))} ms ` +
    `(over the padded full vocabulary: ${ms(median(hostFull))} ms); best step ${ms(Math.min(...whole))} ms; CPU ${ms(median(cpu))} ms/step`,
);
await model.dispose();
