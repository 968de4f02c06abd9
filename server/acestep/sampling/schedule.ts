// Timestep schedules and duration → latent frames. Ports the schedule part of `generate_audio` in
// acestep/models/turbo/modeling_acestep_v15_turbo.py (VALID_SHIFTS, VALID_TIMESTEPS, SHIFT_TIMESTEPS, custom
// timesteps), acestep/models/base|sft/modeling_acestep_v15_base.py (linspace + shift; SFT custom timesteps),
// and acestep/handler.py `create_target_wavs` / `_prepare_batch` (frame count, min 128) —
// ace-step/ACE-Step-1.5 (Feb f30aee4 for the handler, later in-repo model files).
//
// All schedules here are CLOSED: they end with the terminal t = 0, so N steps ⇔ N+1 values and step i goes
// from t[i] to t[i+1]. (Upstream turbo keeps its table open and treats "after the last step" as t = 0.)

import { type FloatDtype, pyRound1, roundTo } from "../numeric";
import type { ModelVariant } from "../tasks/instructions";

// ---------------------------------------------------------------- duration → frames

export const SAMPLE_RATE = 48000;
export const VAE_HOP = 1920;
export const LATENT_RATE = 25;
export const MIN_LATENT_FRAMES = 128;
export const DURATION_MIN = 10;
export const DURATION_MAX = 600;

/**
 * Latent frames T for text2music without codes or source audio (Feb handler): the silent target has
 * `int(max(0.1, round(duration, 1)) · 48000)` samples, `T = samples // 1920`, then `T = max(T, 128)`.
 * Equals max(floor(round(d,1)·25), 128) for normal durations. The duration is not clamped to 10..600 here.
 */
export function latentFramesForDuration(durationSeconds: number): number {
  if (!Number.isFinite(durationSeconds) || durationSeconds <= 0) {
    throw new RangeError(
      `duration ${durationSeconds} s must be a positive number (upstream picks a random 10–120 s when unset)`,
    );
  }
  const rounded = Math.max(0.1, pyRound1(durationSeconds));
  const samples = Math.trunc(rounded * SAMPLE_RATE);
  return Math.max(Math.floor(samples / VAE_HOP), MIN_LATENT_FRAMES);
}

/** Frames when LM/user codes drive the length: 5 per code, padded with silence to at least 128. */
export function latentFramesForCodes(codeCount: number): number {
  if (!Number.isInteger(codeCount) || codeCount < 0)
    throw new RangeError(`code count ${codeCount} must be a non-negative integer`);
  return Math.max(codeCount * 5, MIN_LATENT_FRAMES);
}

// ---------------------------------------------------------------- turbo

export const VALID_SHIFTS = [1, 2, 3] as const;
export type TurboShift = (typeof VALID_SHIFTS)[number];

/** `SHIFT_TIMESTEPS` exactly as upstream writes them (fix_nfe = 8, terminal 0 excluded). */
export const TURBO_SHIFT_TIMESTEPS: Readonly<Record<TurboShift, readonly number[]>> = {
  1: [1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125],
  2: [
    1.0, 0.9333333333333333, 0.8571428571428571, 0.7692307692307693, 0.6666666666666666, 0.5454545454545454, 0.4,
    0.2222222222222222,
  ],
  3: [1.0, 0.9545454545454546, 0.9, 0.8333333333333334, 0.75, 0.6428571428571429, 0.5, 0.3],
};

/** `VALID_TIMESTEPS`: the 20 distinct values of the three tables, in upstream (descending) order. */
export const VALID_TIMESTEPS: readonly number[] = [
  1.0, 0.9545454545454546, 0.9333333333333333, 0.9, 0.875, 0.8571428571428571, 0.8333333333333334, 0.7692307692307693,
  0.75, 0.6666666666666666, 0.6428571428571429, 0.625, 0.5454545454545454, 0.5, 0.4, 0.375, 0.3, 0.25,
  0.2222222222222222, 0.125,
];

export const TURBO_STEPS = 8;
export const MAX_CUSTOM_TIMESTEPS = 20;

/** Python `min(candidates, key=lambda x: abs(x - v))`: the first candidate with the smallest distance. */
function nearest(candidates: readonly number[], v: number): number {
  let best = candidates[0];
  let bestDist = Math.abs(best - v);
  for (let i = 1; i < candidates.length; i++) {
    const d = Math.abs(candidates[i] - v);
    if (d < bestDist) {
      best = candidates[i];
      bestDist = d;
    }
  }
  return best;
}

/** Turbo rounds any shift to the nearest of 1, 2, 3 (ties → the smaller, as Python's `min`). */
export function snapTurboShift(shift: number): TurboShift {
  if (!Number.isFinite(shift)) throw new RangeError(`shift ${shift} must be finite`);
  return nearest(VALID_SHIFTS, shift) as TurboShift;
}

/** Nearest `VALID_TIMESTEPS` entry (ties → the larger value, which comes first upstream). */
export function nearestValidTimestep(t: number): number {
  return nearest(VALID_TIMESTEPS, t);
}

export interface Schedule {
  /** Closed schedule t_0 … t_N with t_N = 0 (N = steps). */
  timesteps: number[];
  steps: number;
  /** The shift actually used (turbo: snapped; null when custom timesteps replaced it). */
  shift: number | null;
  /** Whether user timesteps defined the schedule. */
  custom: boolean;
  /** Human-readable notes on what was changed or ignored (snapping, truncation, ignored inputs). */
  warnings: string[];
}

export interface TurboScheduleOptions {
  shift: number;
  /** Custom timesteps; trailing zeros are dropped, >20 truncated, each value snapped to VALID_TIMESTEPS. */
  timesteps?: readonly number[] | null;
}

/** Turbo `generate_audio` schedule: 8 fixed steps from the nearest-shift table, or snapped custom timesteps.
 *  `infer_steps` is ignored by turbo. */
export function turboSchedule(opts: TurboScheduleOptions): Schedule {
  const warnings: string[] = [];
  if (opts.timesteps) {
    let list = [...opts.timesteps];
    while (list.length > 0 && list[list.length - 1] === 0) list.pop();
    if (list.length < 1) {
      warnings.push(`timesteps empty after removing trailing zeros; using shift=${opts.shift}`);
    } else {
      if (list.length > MAX_CUSTOM_TIMESTEPS) {
        warnings.push(`timesteps length=${list.length} exceeds maximum ${MAX_CUSTOM_TIMESTEPS}, truncating`);
        list = list.slice(0, MAX_CUSTOM_TIMESTEPS);
      }
      const mapped = list.map(nearestValidTimestep);
      if (mapped.some((v, i) => v !== list[i])) {
        warnings.push(`timesteps mapped to nearest valid values: [${list.join(", ")}] -> [${mapped.join(", ")}]`);
      }
      return { timesteps: [...mapped, 0], steps: mapped.length, shift: null, custom: true, warnings };
    }
  }
  const snapped = snapTurboShift(opts.shift);
  if (snapped !== opts.shift) warnings.push(`shift=${opts.shift} not supported by turbo, rounded to ${snapped}`);
  return {
    timesteps: [...TURBO_SHIFT_TIMESTEPS[snapped], 0],
    steps: TURBO_STEPS,
    shift: snapped,
    custom: false,
    warnings,
  };
}

// ---------------------------------------------------------------- base / sft

export const BASE_MIN_STEPS = 1;
export const BASE_MAX_STEPS = 200;

/** Timestep shift t' = s·t / (1 + (s−1)·t). */
export function shiftTimestep(t: number, shift: number): number {
  return (shift * t) / (1 + (shift - 1) * t);
}

/**
 * How torch fills `linspace`: "cuda" (the upstream GPU path, and the scalar CPU path) computes every element
 * as `start + step·i` for i < n/2 else `end − step·(n−1−i)`; "cpu-avx2" reproduces the vectorised CPU kernel,
 * which fills chunks of 2·lanes elements as `base + j·step` (lanes: 8 for fp32, 16 for bf16) and the tail
 * with the scalar formula. The two differ by 1 ulp on some elements. Verified bit-exact against torch 1.13
 * CPU (fixtures/torch-base-schedules.json); the "cuda" path is the documented CUDA kernel, not run here.
 */
export type LinspaceMode = "cuda" | "cpu-avx2";

/** `torch.linspace(start, end, n, dtype)` with torch's fill order (see LinspaceMode). */
export function torchLinspace(
  start: number,
  end: number,
  n: number,
  dtype: FloatDtype = "fp32",
  mode: LinspaceMode = "cuda",
): number[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`linspace length ${n} must be a non-negative integer`);
  if (n === 1) return [roundTo(start, dtype)];
  const r = (x: number) => roundTo(x, dtype);
  const s0 = r(start);
  const s1 = r(end);
  const step = r((s1 - s0) / (n - 1));
  const halfway = Math.floor(n / 2);
  const scalar = (i: number) => (i < halfway ? r(s0 + r(step * i)) : r(s1 - r(step * (n - i - 1))));
  const t = new Array<number>(n);
  let i = 0;
  if (mode === "cpu-avx2" && dtype !== "f64") {
    const lanes = dtype === "bf16" ? 16 : 8;
    for (; i <= n - 2 * lanes; i += 2 * lanes) {
      for (let c = 0; c < 2; c++) {
        const idx = i + c * lanes;
        const base = scalar(idx);
        for (let j = 0; j < lanes; j++) t[idx + j] = r(base + r(j * step));
      }
    }
  }
  for (; i < n; i++) t[i] = scalar(i);
  return t;
}

/**
 * `torch.linspace(1.0, 0.0, steps + 1, dtype)` then, if shift ≠ 1, `shift * t / (1 + (shift - 1) * t)`.
 * dtype "f64" gives the exact values; "fp32"/"bf16" emulate torch's per-operation rounding (each of the four
 * elementwise ops rounded to the dtype). Upstream runs this in the model dtype — bf16 on CUDA — where large
 * step counts give a coarse, even non-monotonic schedule (e.g. 200 steps, shift 5: 1, 0.9922, 1, 1, …).
 */
export function linearShiftSchedule(
  steps: number,
  shift: number,
  dtype: FloatDtype = "f64",
  mode: LinspaceMode = "cuda",
): number[] {
  const r = (x: number) => roundTo(x, dtype);
  const t = torchLinspace(1, 0, steps + 1, dtype, mode);
  if (shift === 1) return t;
  return t.map((v) => {
    const num = r(shift * v);
    const den = r(1 + r((shift - 1) * v));
    return r(num / den);
  });
}

export interface BaseScheduleOptions {
  steps: number;
  shift: number;
  /** Only the SFT checkpoint honours custom timesteps (verbatim, unsnapped, closed: must end with 0). */
  timesteps?: readonly number[] | null;
  /** Emulate the upstream tensor dtype for the linspace/shift arithmetic. Default "f64". */
  dtype?: FloatDtype;
}

function assertBaseSteps(steps: number): void {
  if (!Number.isInteger(steps) || steps < BASE_MIN_STEPS || steps > BASE_MAX_STEPS) {
    throw new RangeError(
      `inference steps ${steps} must be an integer in ${BASE_MIN_STEPS}..${BASE_MAX_STEPS} for base/sft models`,
    );
  }
}

/** Base / SFT schedule. Base ignores custom timesteps (the in-repo base file has no such parameter). */
export function baseSchedule(variant: "base" | "sft", opts: BaseScheduleOptions): Schedule {
  const warnings: string[] = [];
  const dtype = opts.dtype ?? "f64";
  if (opts.timesteps && opts.timesteps.length > 0) {
    if (variant === "sft") {
      const ts = opts.timesteps.map((v) => roundTo(v, dtype));
      if (ts.length < 2) throw new RangeError(`custom timesteps need at least 2 values (got ${ts.length})`);
      if (ts[ts.length - 1] !== 0)
        warnings.push("custom timesteps do not end with 0: the last step will not reach t = 0");
      return { timesteps: ts, steps: ts.length - 1, shift: null, custom: true, warnings };
    }
    warnings.push("custom timesteps are ignored by the base model");
  }
  assertBaseSteps(opts.steps);
  return {
    timesteps: linearShiftSchedule(opts.steps, opts.shift, dtype),
    steps: opts.steps,
    shift: opts.shift,
    custom: false,
    warnings,
  };
}

export interface ScheduleOptions {
  model: ModelVariant;
  shift: number;
  /** Base/SFT step count (1–200). Turbo ignores it (always 8). */
  steps?: number;
  timesteps?: readonly number[] | null;
  dtype?: FloatDtype;
}

/** One entry point for all three variants. */
export function buildSchedule(opts: ScheduleOptions): Schedule {
  if (opts.model === "turbo") {
    const s = turboSchedule({ shift: opts.shift, timesteps: opts.timesteps });
    if (opts.steps !== undefined && opts.steps !== s.steps && !s.custom) {
      s.warnings.push(`turbo ignores inference steps (${opts.steps}); it always runs ${TURBO_STEPS}`);
    }
    if (opts.dtype && opts.dtype !== "f64") s.timesteps = s.timesteps.map((v) => roundTo(v, opts.dtype ?? "f64"));
    return s;
  }
  return baseSchedule(opts.model, {
    steps: opts.steps ?? 30,
    shift: opts.shift,
    timesteps: opts.timesteps,
    dtype: opts.dtype,
  });
}

/** Consecutive (t, tNext) pairs of a closed schedule. */
export function schedulePairs(timesteps: readonly number[]): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i + 1 < timesteps.length; i++) pairs.push([timesteps[i], timesteps[i + 1]]);
  return pairs;
}
