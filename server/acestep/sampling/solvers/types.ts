// The solver contract shared by every update rule (one file per solver, collected in ./registry).
// Mirrors the update branches of `generate_audio` in acestep/models/{turbo,base,sft}/modeling_acestep_v15_*.py
// (ace-step/ACE-Step-1.5, later in-repo copies of the Feb HF model files).

import type { ModelVariant } from "../../tasks/instructions";

/** Everything a solver may need besides the state and velocity of the current step. */
export interface SolverContext {
  /** Index i of this step, 0-based. */
  stepIndex: number;
  /** Total number of steps N of the schedule being run. */
  numSteps: number;
  /** Which checkpoint family is sampling (decides the SDE re-noise target). */
  variant: ModelVariant;
  /** Fresh N(0,1) values of the given length; required by stochastic solvers (upstream: the unseeded
   *  global torch RNG). */
  randn?: (n: number) => Float32Array;
}

/**
 * One sampler update. `x` and `v` are the latent state and the (guided) velocity, both `[B, T, C]` row-major;
 * `t` is the current time and `tNext` the next one (0 after the last step). Returns a new array; inputs are
 * not modified. Arithmetic is rounded to float32 after every operation, like the fp32 torch tensors upstream.
 */
export interface Solver {
  /** Stable id used in graphs and the API ("euler", "sde"). */
  readonly name: string;
  /** Label for the sampler dropdown. */
  readonly displayName: string;
  /** Model evaluations per step (DiT calls; CFG's doubled batch counts as one). */
  readonly evalsPerStep: number;
  /** Whether the solver draws fresh noise (needs ctx.randn). */
  readonly stochastic: boolean;
  step(x: Float32Array, v: Float32Array, t: number, tNext: number, ctx: SolverContext): Float32Array;
  /**
   * Second-order solvers (evalsPerStep 2): `step` is the predictor; the loop then evaluates the (guided)
   * velocity `v2` at the predicted state and `tNext` and calls `correct` for the step's result. Returns the new
   * state and the velocity the step used.
   */
  correct?(
    x: Float32Array,
    v: Float32Array,
    v2: Float32Array,
    t: number,
    tNext: number,
    ctx: SolverContext,
  ): { x: Float32Array; v: Float32Array };
}

/** x0 estimate `x − t·v` (upstream `get_x0_from_noise`), float32 per op. */
export function predictX0(x: Float32Array, v: Float32Array, t: number): Float32Array {
  if (x.length !== v.length) throw new RangeError(`state has ${x.length} values but velocity has ${v.length}`);
  const tt = Math.fround(t);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.fround(x[i] - Math.fround(v[i] * tt));
  return out;
}
