// Solver registry: one row per solver file; also the source of the sampler dropdown. A new solver is one new
// file plus one row here. Upstream offers `infer_method` "ode" (→ euler) and "sde"; newer upstream adds
// `sampler_mode` "euler" | "heun" (an ODE option: heun with infer_method "sde" runs the SDE, as upstream).

import { eulerSolver } from "./euler";
import { heunSolver } from "./heun";
import { sdeSolver } from "./sde";
import type { Solver } from "./types";

/** Names in registry order, usable as a zod enum / node-declaration option list. */
export const SOLVER_NAMES = ["euler", "sde", "heun"] as const;
export type SolverName = (typeof SOLVER_NAMES)[number];

export const SOLVERS: Readonly<Record<SolverName, Solver>> = {
  euler: eulerSolver,
  sde: sdeSolver,
  heun: heunSolver,
};

/** Upstream `infer_method` values (GenerationParams; "ode" is the default). */
export const INFER_METHODS = ["ode", "sde"] as const;
export type InferMethod = (typeof INFER_METHODS)[number];

/** Upstream `sampler_mode` values (newer GenerationParams; "euler" is the default). */
export const SAMPLER_MODES = ["euler", "heun"] as const;
export type SamplerMode = (typeof SAMPLER_MODES)[number];

/**
 * The solver of an upstream `infer_method` + `sampler_mode` pair: sde whatever the sampler mode (upstream warns
 * "Heun sampler is not compatible with SDE; falling back to Euler" and runs the SDE update), else euler or heun.
 */
export function solverFor(inferMethod: InferMethod, samplerMode: SamplerMode = "euler"): SolverName {
  if (inferMethod === "sde") return "sde";
  return samplerMode === "heun" ? "heun" : "euler";
}

export function getSolver(name: string): Solver {
  if (!(SOLVER_NAMES as readonly string[]).includes(name)) {
    throw new RangeError(`unknown solver "${name}"; known solvers: ${SOLVER_NAMES.join(", ")}`);
  }
  return SOLVERS[name as SolverName];
}
