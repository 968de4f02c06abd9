// Solver registry: one row per solver file; also the source of the sampler dropdown. A new solver is one new
// file plus one row here. Upstream offers `infer_method` "ode" (→ euler) and "sde"; newer upstream adds
// `sampler_mode="heun"` (2 evals/step, needs a second model call inside the step, so it is not expressible
// through `Solver.step` and is not listed).

import { eulerSolver } from "./euler";
import { sdeSolver } from "./sde";
import type { Solver } from "./types";

/** Names in registry order, usable as a zod enum / node-declaration option list. */
export const SOLVER_NAMES = ["euler", "sde"] as const;
export type SolverName = (typeof SOLVER_NAMES)[number];

export const SOLVERS: Readonly<Record<SolverName, Solver>> = {
  euler: eulerSolver,
  sde: sdeSolver,
};

/** Upstream `infer_method` values → solver names. */
export const INFER_METHOD_TO_SOLVER: Readonly<Record<"ode" | "sde", SolverName>> = { ode: "euler", sde: "sde" };

export function getSolver(name: string): Solver {
  if (!(SOLVER_NAMES as readonly string[]).includes(name)) {
    throw new RangeError(`unknown solver "${name}"; known solvers: ${SOLVER_NAMES.join(", ")}`);
  }
  return SOLVERS[name as SolverName];
}
