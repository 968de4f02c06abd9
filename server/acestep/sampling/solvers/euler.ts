// Euler ODE update `x ← x − v·(t − t_next)`. Ports the `infer_method == "ode"` branch of `generate_audio`
// (acestep/models/*/modeling_acestep_v15_*.py); turbo's final step `x0 = x − t·v` is the same update with
// t_next = 0 (`generate_audio` of the turbo and base/sft model files).

import type { Solver } from "./types";

export const eulerSolver: Solver = {
  name: "euler",
  displayName: "Euler (ODE)",
  evalsPerStep: 1,
  stochastic: false,
  step(x, v, t, tNext) {
    if (x.length !== v.length) throw new RangeError(`state has ${x.length} values but velocity has ${v.length}`);
    const dt = Math.fround(t - tNext);
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = Math.fround(x[i] - Math.fround(v[i] * dt));
    return out;
  },
};
