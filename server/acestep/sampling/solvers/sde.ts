// Stochastic update: predict x0 = x − t·v, then re-noise `x = t'·ε + (1 − t')·x0` with fresh ε. Ports the
// `infer_method == "sde"` branch of `generate_audio` (acestep/models/*/modeling_acestep_v15_*.py) and its
// `renoise`. Turbo re-noises to the next table time; base/sft re-noise to `1 − (i+1)/N` — the UNSHIFTED linear
// time, even when shift ≠ 1 (upstream quirk of the base `generate_audio`). At the last step t' = 0 and the result
// is x0 (no noise is drawn).

import type { ModelVariant } from "../../tasks/instructions";
import { type Solver, predictX0 } from "./types";

/** The time the SDE re-noises to after step i of N. */
export function sdeRenoiseTime(variant: ModelVariant, stepIndex: number, numSteps: number, tNext: number): number {
  if (variant === "turbo") return tNext;
  return 1.0 - (stepIndex + 1) / numSteps;
}

/** `renoise(x, t, noise)`: t·noise + (1 − t)·x, float32 per op. */
export function renoise(x0: Float32Array, t: number, noise: Float32Array): Float32Array {
  if (noise.length !== x0.length) throw new RangeError(`noise has ${noise.length} values, expected ${x0.length}`);
  const a = Math.fround(t);
  const b = Math.fround(1 - t);
  const out = new Float32Array(x0.length);
  for (let i = 0; i < x0.length; i++) out[i] = Math.fround(Math.fround(a * noise[i]) + Math.fround(b * x0[i]));
  return out;
}

export const sdeSolver: Solver = {
  name: "sde",
  displayName: "SDE (re-noise)",
  evalsPerStep: 1,
  stochastic: true,
  step(x, v, t, tNext, ctx) {
    const x0 = predictX0(x, v, t);
    const last = ctx.stepIndex >= ctx.numSteps - 1;
    const target = sdeRenoiseTime(ctx.variant, ctx.stepIndex, ctx.numSteps, tNext);
    if (last || target === 0) return x0;
    if (!ctx.randn) throw new Error(`solver "sde": step ${ctx.stepIndex} needs ctx.randn to draw fresh noise`);
    return renoise(x0, target, ctx.randn(x.length));
  },
};
