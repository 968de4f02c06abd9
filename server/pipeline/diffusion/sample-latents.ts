// The model-agnostic DiT sampling loop: noise → schedule → (DiT velocity, guidance, solver update, repaint
// injection) × N → boundary crossfade → x0. Ports the loop of `generate_audio` in
// acestep/models/turbo/modeling_acestep_v15_turbo.py and acestep/models/{base,sft}/modeling_acestep_v15_base.py
// (ace-step/ACE-Step-1.5, in-repo copies of the HF model files; Feb f30aee4 + the newer repaint extras).
//
//   x ← noise [B,T,64]                                  (seeded per item: torch CUDA Philox by default)
//   cover_noise_strength s > 0: t* = the schedule value t_0 … t_{N−1} nearest 1 − s, x ← t*·noise + (1 − t*)·src,
//       the schedule starts at t* (N shrinks; cover steps, injection cutoff and SDE times follow the new N)
//   for step i of N (t = schedule[i], t' = schedule[i+1]):
//     set   = i < int(N·coverStrength) ? "main" : "nonCover"            (switch once; DiT cross-KV reset)
//     base/sft with g > 1: v_c, v_u = velocity([x; x], t, set, ["cond","null"])  (one doubled call)
//                          v = cfgStart ≤ t ≤ cfgEnd (raw t) ? APG(v_c, v_u; momentum) | ADG(x, v_c, v_u, σ=t) : v_c
//     otherwise (turbo always): v = velocity(x, t, set, ["cond"])
//     turbo last step: x ← x − t·v (x0);  else x ← solver.step(x, v, t, t')   (euler | sde | heun, registry)
//     heun (sampler_mode, ODE only): x' = x − v·(t − t'), v2 = velocity(x', t') guided with plain CFG (ADG: ADG at
//         t' > 0), x ← x − ½(v + v2)·(t − t')   — a second DiT call per step
//     repaint, i < round(0.5·N) (never after turbo's last step): outside the window
//         x ← t_after·noise + (1 − t_after)·clean_src     (t_after = t', or the SDE re-noise time)
//   repaint: x ← soft·x + (1 − soft)·clean_src (10-frame linear ramps outside the window)
//
// Noise PRNG: item b's initial noise is `torch.randn(1, T, C, generator=torch.Generator(device).manual_seed(seed_b))`
// reproduced by server/acestep/sampling/noise.ts — by default the CUDA generator (Philox4x32-10 + cuRAND
// Box–Muller, rounded to bf16 like upstream's model-dtype noise); `noiseOptions: { backend: "cpu" }` gives the
// CPU MT19937 generator in fp32. SDE re-noise at step i uses a fresh generator seeded with seed_b + i + 1
// (acestep.cpp's rule): reproducible, whereas upstream Python draws it from the unseeded global RNG.
//
// Everything is float32 per element; the APG/ADG maths are float64 inside server/acestep's guidance functions.
// Upstream runs the loop in the model dtype (bf16 on CUDA); `scheduleDtype` / `noise.dtype` emulate the parts
// that change which values are visited, not the bf16 arithmetic of the update itself.

import { MomentumBuffer, adg, apg, cfg, cfgIntervalApplies, guidanceEnabled } from "../../acestep/sampling/guidance";
import { coverSteps } from "../../acestep/sampling/cover-strength";
import type { RandnOptions } from "../../acestep/sampling/noise";
import { type Schedule, buildSchedule } from "../../acestep/sampling/schedule";
import { type SeedSource, batchNoiseYielding, randomSeed, sdeStepNoise } from "../../acestep/sampling/seeds";
import {
  type SamplerMode,
  type Solver,
  type SolverName,
  getSolver,
  predictX0,
  renoise,
  sdeRenoiseTime,
  solverFor,
  type InferMethod,
} from "../../acestep/sampling/solvers";
import {
  REPAINT_CROSSFADE_FRAMES,
  REPAINT_INJECTION_RATIO,
  applyBoundaryBlend,
  applyRepaintInjection,
  injectionCutoff,
} from "../../acestep/tasks/repaint";
import type { ModelVariant } from "../../acestep/tasks/instructions";
import type { FloatDtype } from "../../acestep/numeric";
import { LATENT_CHANNELS, assertBatchSize, itemView } from "./latent-frames";

// ---------------------------------------------------------------- the velocity contract

/** Which of the (up to two) prepared conditionings a step uses: the task's own ("main"), or — after the
 *  `audio_cover_strength` switch — the non-cover one (text2music instruction, is_cover 0, silence source). */
export type ConditionSet = "main" | "nonCover";

/** One block of B rows in a DiT call: the real condition, or the CFG null condition (`null_condition_emb`
 *  broadcast to the condition's shape, same context latents). */
export type Branch = "cond" | "null";

/** One DiT evaluation requested by the loop. */
export interface VelocityRequest {
  /** hidden_states `[branches.length · B, T, C]`: block k (rows k·B … (k+1)·B − 1) is evaluated with
   *  `branches[k]`. With CFG it is `[x; x]` with branches ["cond", "null"], exactly upstream's doubled batch.
   *  Read-only: it may alias the loop's state. */
  x: Float32Array;
  /** The raw schedule time t of this step (timestep = timestep_r = t for every row). */
  t: number;
  /** Which conditioning set (encoder states + context latents) the rows use. "null" rows use
   *  `null_condition_emb` broadcast to the shape of THIS set's encoder states, with the same context latents
   *  as its "cond" rows (upstream doubles the non-cover set the same way after the switch). */
  condition: ConditionSet;
  branches: readonly Branch[];
  /** True on the first call that uses `condition` (upstream resets its cross-attention KV cache there). */
  conditionChanged: boolean;
  stepIndex: number;
  numSteps: number;
  /** Items B (not doubled), frames T, channels C. */
  batch: number;
  frames: number;
  channels: number;
  signal?: AbortSignal;
}

/** The DiT step: returns the velocity `[branches.length · B, T, C]` for `req.x`. */
export type VelocityFn = (req: VelocityRequest) => Promise<Float32Array>;

// ---------------------------------------------------------------- options

export type GuidanceMethod = "apg" | "adg" | "cfg";

export interface GuidanceOptions {
  /** diffusion_guidance_scale; CFG runs only when > 1 (base/sft; turbo ignores guidance). Default 7.0. */
  scale?: number;
  /** ADG instead of APG (the default). */
  useAdg?: boolean;
  /** Guidance formula; overrides useAdg. "apg" (upstream default), "adg", or plain "cfg" v_u + g·(v_c − v_u)
   *  (upstream only uses it for the Heun corrector; offered for comparison and ComfyUI-style graphs). */
  method?: GuidanceMethod;
  /** Guidance applies iff start ≤ t ≤ end on the RAW t (1 = first step). Defaults 0 / 1. */
  cfgIntervalStart?: number;
  cfgIntervalEnd?: number;
  /**
   * Upstream doubles the batch on EVERY step once g > 1 and only uses v_c outside the interval. Set true to
   * skip the null half there (same result up to the DiT's batch-size-dependent rounding; half the work on
   * those steps). Default false.
   */
  skipUncondOutsideInterval?: boolean;
}

export interface RepaintOptions {
  /** repaint_mask `[B, T]` (1/true = generate inside the window, 0 = keep the source). An all-ones row leaves
   *  that item untouched (no injection, no blend). */
  mask: Uint8Array;
  /** clean_src_latents `[B, T, C]`: the unmodified source latents. */
  cleanSrc: Float32Array;
  /** repaint_injection_ratio: inject during steps i < round(ratio · N). Default 0.5; 0 disables injection. */
  injectionRatio?: number;
  /** repaint_crossfade_frames: linear ramps outside the window in the final blend. Default 10; 0 disables it. */
  crossfadeFrames?: number;
}

export interface StepInfo {
  /** 0-based index of the finished step. */
  stepIndex: number;
  numSteps: number;
  t: number;
  tNext: number;
  condition: ConditionSet;
  /** Whether this step's DiT call was the doubled [cond; null] batch. */
  doubled: boolean;
  /** Whether the guidance formula (APG/ADG) was applied (inside the CFG interval). */
  guided: boolean;
}

export interface SampleLatentsOptions {
  variant: ModelVariant;
  /** Items B (1–8). */
  batch: number;
  /** Latent frames T. */
  frames: number;
  /** Latent channels C. Default 64. */
  channels?: number;

  /** Initial noise `[B, T, C]`; if omitted it is drawn from `seeds`. */
  noise?: Float32Array;
  /** One seed per item (negative → a fresh random seed, reported in the result). Used for the initial noise
   *  (unless `noise` is given) and for the SDE re-noise (`seed + i + 1`, acestep.cpp's rule). */
  seeds?: readonly number[];
  /** Which torch generator the seeded noise reproduces: default CUDA Philox4x32-10 rounded to bf16. */
  noiseOptions?: RandnOptions;
  /** Overrides the SDE re-noise source: fresh N(0,1) for item b at step i (length T·C). */
  stepNoise?: (stepIndex: number, item: number, n: number) => Float32Array;
  /** Random source for negative seeds. */
  rand?: SeedSource;

  /** A prebuilt closed schedule; otherwise built from shift/steps/timesteps with `buildSchedule`. */
  schedule?: Schedule;
  /** Default 3.0 (UI/CLI/REST; the Python API defaults to 1.0). */
  shift?: number;
  /** Base/sft steps (1–200, default 30 upstream model default); turbo ignores it. */
  steps?: number;
  timesteps?: readonly number[] | null;
  /** Emulate the upstream tensor dtype of the schedule arithmetic. Default "f64". */
  scheduleDtype?: FloatDtype;
  /** infer_method: "ode" (Euler) or "sde". Default "ode". */
  inferMethod?: InferMethod;
  /** sampler_mode (newer upstream): "euler" (default) or "heun" — an ODE option; with "sde" the SDE runs. */
  samplerMode?: SamplerMode;
  /** A solver from the registry (overrides inferMethod and samplerMode). */
  solver?: SolverName | Solver;

  guidance?: GuidanceOptions;
  /** audio_cover_strength in [0, 1]: steps i < int(N·strength) use "main", the rest "nonCover". Default 1. */
  coverStrength?: number;
  /**
   * cover_noise_strength (newer upstream `generate_audio`): start from `src` (the task's src_latents `[B, T, C]`)
   * re-noised to the schedule time nearest 1 − strength instead of pure noise, skipping the earlier steps.
   * 0 (default) = from noise; 1 = the closest to the source.
   */
  coverNoise?: { strength: number; src: Float32Array };
  repaint?: RepaintOptions;

  velocity: VelocityFn;
  signal?: AbortSignal;
  onStep?: (info: StepInfo) => void;
}

export interface SampleLatentsResult {
  /** Final latents x0 `[B, T, C]` (after the repaint crossfade, if any). */
  latents: Float32Array;
  /** The seed each item used (null when the caller passed noise and no seeds). */
  seeds: number[] | null;
  /** The schedule that ran (closed: N + 1 values ending at 0 unless a custom SFT list did not; with
   *  cover_noise_strength the part from its start time). */
  schedule: Schedule;
  /** DiT calls made (a doubled CFG call counts once). */
  modelCalls: number;
  warnings: string[];
}

/** Error thrown when `signal` aborts; `name` is "AbortError" like DOM's. */
export function diffusionAbortError(signal: AbortSignal, step: number, numSteps: number): Error {
  const e = new Error(`diffusion sampling aborted before step ${step + 1}/${numSteps}`, { cause: signal.reason });
  e.name = "AbortError";
  return e;
}

function resolveSolver(opts: SampleLatentsOptions, warnings: string[]): Solver {
  if (opts.solver && typeof opts.solver === "object") return opts.solver;
  if (opts.solver) return getSolver(opts.solver);
  const method = opts.inferMethod ?? "ode";
  if (method !== "ode" && method !== "sde")
    throw new RangeError(`inferMethod "${String(method)}" must be "ode" or "sde"`);
  const mode = opts.samplerMode ?? "euler";
  if (mode !== "euler" && mode !== "heun")
    throw new RangeError(`samplerMode "${String(mode)}" must be "euler" or "heun"`);
  if (mode === "heun" && method === "sde")
    warnings.push("the Heun sampler is an ODE method; infer_method sde runs the SDE");
  return getSolver(solverFor(method, mode));
}

function checkFinite(name: string, v: number | undefined, lo: number, hi: number): void {
  if (v === undefined) return;
  if (!Number.isFinite(v) || v < lo || v > hi) throw new RangeError(`${name} ${v} must be in ${lo}..${hi}`);
}

/** Concatenate `copies` copies of x (the CFG batch doubling `torch.cat([xt, xt])`). */
function repeatBatch(x: Float32Array, copies: number): Float32Array {
  if (copies === 1) return x;
  const out = new Float32Array(x.length * copies);
  for (let k = 0; k < copies; k++) out.set(x, k * x.length);
  return out;
}

/**
 * Runs the ACE-Step diffusion loop. The caller owns the model: `velocity` evaluates the DiT on the rows and
 * conditioning the loop asks for. Throws an AbortError-named Error when `signal` aborts (checked before every
 * step and after every DiT call).
 */
export async function sampleLatents(opts: SampleLatentsOptions): Promise<SampleLatentsResult> {
  const { variant, batch: B, frames: T, signal } = opts;
  const C = opts.channels ?? LATENT_CHANNELS;
  const warnings: string[] = [];
  assertBatchSize(B);
  if (!Number.isInteger(T) || T < 1) throw new RangeError(`frames ${T} must be a positive integer`);
  const n = B * T * C;
  const per = T * C;

  // --- schedule and solver
  const schedule =
    opts.schedule ??
    buildSchedule({
      model: variant,
      shift: opts.shift ?? 3.0,
      steps: opts.steps,
      timesteps: opts.timesteps,
      dtype: opts.scheduleDtype,
    });
  warnings.push(...schedule.warnings);
  let ts = schedule.timesteps;
  // cover_noise_strength: the nearest of t_0 … t_{N−1} to 1 − s (the first on a tie, as Python's min) starts the run
  const cn = opts.coverNoise;
  let startT: number | null = null;
  if (cn && cn.strength !== 0) {
    checkFinite("coverNoise strength", cn.strength, 0, 1);
    if (cn.src.length !== n) throw new RangeError(`coverNoise src has ${cn.src.length} values, expected B·T·C = ${n}`);
    const level = 1 - cn.strength;
    let best = 0;
    for (let i = 1; i < ts.length - 1; i++) if (Math.abs(ts[i] - level) < Math.abs(ts[best] - level)) best = i;
    ts = ts.slice(best);
    startT = ts[0];
  }
  const N = ts.length - 1;
  if (N < 1) throw new RangeError(`schedule needs at least 2 timesteps (got ${ts.length})`);
  const solver = resolveSolver(opts, warnings);

  // --- guidance (base/sft only)
  const g = opts.guidance ?? {};
  const scale = g.scale ?? 7.0;
  const intervalStart = g.cfgIntervalStart ?? 0.0;
  const intervalEnd = g.cfgIntervalEnd ?? 1.0;
  if (!Number.isFinite(scale)) throw new RangeError(`guidance scale ${scale} must be finite`);
  let doCfg = guidanceEnabled(scale);
  if (variant === "turbo") {
    if (doCfg && opts.guidance?.scale !== undefined) warnings.push(`turbo ignores guidance (scale ${scale})`);
    doCfg = false;
  }
  const method: GuidanceMethod = g.method ?? (g.useAdg ? "adg" : "apg");
  if (method !== "apg" && method !== "adg" && method !== "cfg")
    throw new RangeError(`guidance method "${String(method)}" must be apg, adg or cfg`);
  const momentum = new MomentumBuffer(); // one per generation, updated only on guided steps
  const shape = { B, T, C };

  // --- cover strength
  const strength = opts.coverStrength ?? 1.0;
  checkFinite("coverStrength", strength, 0, 1);
  const nCover = coverSteps(N, strength);

  // --- repaint
  const rp = opts.repaint;
  let cutoff = 0;
  let crossfade = 0;
  if (rp) {
    if (rp.mask.length !== B * T)
      throw new RangeError(`repaint mask has ${rp.mask.length} values, expected B·T = ${B * T}`);
    if (rp.cleanSrc.length !== n)
      throw new RangeError(`repaint cleanSrc has ${rp.cleanSrc.length} values, expected ${n}`);
    const ratio = rp.injectionRatio ?? REPAINT_INJECTION_RATIO;
    checkFinite("repaint injectionRatio", ratio, 0, 1);
    cutoff = injectionCutoff(N, ratio);
    crossfade = rp.crossfadeFrames ?? REPAINT_CROSSFADE_FRAMES;
    if (!Number.isInteger(crossfade) || crossfade < 0)
      throw new RangeError(`repaint crossfadeFrames ${crossfade} must be a non-negative integer`);
  }

  // --- noise and seeds (after the cheap checks: drawing seeded noise is the slow part)
  let seeds: number[] | null = null;
  let noise: Float32Array;
  const rand = opts.rand ?? randomSeed;
  if (opts.seeds && opts.seeds.length !== B)
    throw new RangeError(`seeds has ${opts.seeds.length} entries for batch ${B}`);
  if (opts.noise) {
    if (opts.noise.length !== n) throw new RangeError(`noise has ${opts.noise.length} values, expected B·T·C = ${n}`);
    noise = opts.noise;
    if (opts.seeds) seeds = opts.seeds.map((s) => (s < 0 ? rand() : s));
  } else if (opts.seeds) {
    const drawn = await batchNoiseYielding(opts.seeds, T, C, opts.noiseOptions, rand);
    noise = drawn.noise;
    seeds = drawn.usedSeeds;
  } else {
    throw new RangeError("sampleLatents needs `noise` or per-item `seeds`");
  }
  let randn: ((len: number) => Float32Array) | undefined;
  let stepIndexForNoise = 0;
  if (solver.stochastic) {
    const itemNoise =
      opts.stepNoise ??
      (seeds
        ? (i: number, b: number, len: number) => sdeStepNoise((seeds as number[])[b], i, len, opts.noiseOptions)
        : undefined);
    if (!itemNoise)
      throw new RangeError(`solver "${solver.name}" needs per-item seeds or a stepNoise source for its re-noise`);
    randn = (len: number) => {
      if (len !== n) throw new RangeError(`solver asked for ${len} noise values, expected ${n}`);
      const out = new Float32Array(n);
      for (let b = 0; b < B; b++) {
        const e = itemNoise(stepIndexForNoise, b, per);
        if (e.length !== per) throw new RangeError(`stepNoise returned ${e.length} values, expected T·C = ${per}`);
        out.set(e, b * per);
      }
      return out;
    };
  }

  // --- the loop
  let x: Float32Array = startT === null ? Float32Array.from(noise) : renoise(cn!.src, startT, noise);
  let lastSet: ConditionSet | null = null;
  let modelCalls = 0;
  for (let i = 0; i < N; i++) {
    if (signal?.aborted) throw diffusionAbortError(signal, i, N);
    const t = ts[i];
    const tNext = ts[i + 1];
    const condition: ConditionSet = i < nCover ? "main" : "nonCover";
    const guided = doCfg && cfgIntervalApplies(t, intervalStart, intervalEnd);
    const doubled = doCfg && (guided || !g.skipUncondOutsideInterval);
    const branches: readonly Branch[] = doubled ? ["cond", "null"] : ["cond"];

    /** One DiT call for `xIn` at `tIn` over `callBranches` (stacked cond ++ null), its length checked. */
    const callVelocity = async (
      xIn: Float32Array,
      tIn: number,
      callBranches: readonly Branch[],
      conditionChanged: boolean,
      what: string,
    ): Promise<Float32Array> => {
      const out = await opts.velocity({
        x: repeatBatch(xIn, callBranches.length),
        t: tIn,
        condition,
        branches: callBranches,
        conditionChanged,
        stepIndex: i,
        numSteps: N,
        batch: B,
        frames: T,
        channels: C,
        signal,
      });
      modelCalls++;
      if (signal?.aborted) throw diffusionAbortError(signal, i, N);
      if (!(out instanceof Float32Array) || out.length !== callBranches.length * n) {
        throw new RangeError(
          `velocity returned ${out?.length} values ${what}, expected ${callBranches.length}·B·T·C = ${callBranches.length * n}`,
        );
      }
      return out;
    };
    const out = await callVelocity(x, t, branches, condition !== lastSet, `at step ${i}`);
    lastSet = condition;

    let v: Float32Array;
    if (doubled) {
      const vCond = out.subarray(0, n);
      const vNull = out.subarray(n, 2 * n);
      if (!guided) v = Float32Array.from(vCond);
      else if (method === "adg") v = adg(x, vCond, vNull, t, scale, shape);
      else if (method === "cfg") v = cfg(vCond, vNull, scale);
      else v = apg(vCond, vNull, scale, shape, { buffer: momentum });
    } else {
      v = out;
    }

    // update
    const last = i === N - 1;
    let tAfter: number;
    if (variant === "turbo" && last) {
      x = predictX0(x, v, t); // turbo's final step: x0 = x − t·v directly
      tAfter = 0;
    } else if (solver.correct) {
      // second-order: the corrector's DiT call at the predicted state and t_next, same conditioning set
      const ctx = { stepIndex: i, numSteps: N, variant, randn };
      const xPred = solver.step(x, v, t, tNext, ctx);
      const guided2 = doCfg && cfgIntervalApplies(tNext, intervalStart, intervalEnd);
      const branches2: readonly Branch[] =
        doCfg && (guided2 || !g.skipUncondOutsideInterval) ? ["cond", "null"] : ["cond"];
      const out2 = await callVelocity(xPred, tNext, branches2, false, `for the corrector of step ${i}`);
      let v2: Float32Array;
      if (branches2.length === 2) {
        const vCond = out2.subarray(0, n);
        const vNull = out2.subarray(n, 2 * n);
        if (!guided2) v2 = Float32Array.from(vCond);
        else if (method === "adg" && tNext > 0) v2 = adg(xPred, vCond, vNull, tNext, scale, shape);
        else v2 = cfg(vCond, vNull, scale); // APG's corrector is plain CFG (one momentum update per step)
      } else v2 = out2;
      x = solver.correct(x, v, v2, t, tNext, ctx).x;
      tAfter = tNext;
    } else {
      stepIndexForNoise = i;
      x = solver.step(x, v, t, tNext, { stepIndex: i, numSteps: N, variant, randn });
      tAfter = solver.name === "sde" ? (last ? 0 : sdeRenoiseTime(variant, i, N, tNext)) : tNext;
    }

    // repaint injection (turbo breaks out before injecting on its last step)
    if (rp && i < cutoff && !(variant === "turbo" && last)) {
      for (let b = 0; b < B; b++) {
        const mask = rp.mask.subarray(b * T, (b + 1) * T);
        const injected = applyRepaintInjection(
          itemView(x, b, T, C),
          itemView(rp.cleanSrc, b, T, C),
          mask,
          tAfter,
          itemView(noise, b, T, C),
          C,
        );
        x.set(injected, b * per);
      }
    }
    opts.onStep?.({ stepIndex: i, numSteps: N, t, tNext, condition, doubled, guided });
  }

  if (rp && crossfade > 0) {
    for (let b = 0; b < B; b++) {
      const mask = rp.mask.subarray(b * T, (b + 1) * T);
      x.set(applyBoundaryBlend(itemView(x, b, T, C), itemView(rp.cleanSrc, b, T, C), mask, C, crossfade), b * per);
    }
  }
  const ran = startT === null ? schedule : { ...schedule, timesteps: ts, steps: N };
  return { latents: x, seeds, schedule: ran, modelCalls, warnings };
}
