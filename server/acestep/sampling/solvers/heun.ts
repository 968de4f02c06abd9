// Heun (second-order, trapezoidal) ODE step: predictor x' = x − v·dt, a second velocity v2 at (x', t_next), then
// x ← x − ½(v + v2)·dt. Ports the `use_heun and infer_method == "ode"` branch of `generate_audio`
// (ace-step/ACE-Step-1.5 acestep/models/xl_base/modeling_acestep_v15_xl_base.py @ 664445b and
// acestep/models/turbo/modeling_acestep_v15_turbo.py @ 14bd1db, `sampler_mode="heun"`). The loop makes the second
// DiT call (server/pipeline/diffusion/sample-latents.ts): with CFG the corrector is guided with plain CFG instead
// of APG (no second momentum update per step) and ADG falls back to CFG at t_next = 0, as upstream's
// guidance_registry.py "corrector" role. Under SDE upstream falls back to Euler.

import { eulerSolver } from "./euler";
import type { Solver } from "./types";

export const heunSolver: Solver = {
  name: "heun",
  displayName: "Heun (ODE, 2nd order)",
  evalsPerStep: 2,
  stochastic: false,
  step: eulerSolver.step,
  correct(x, v, v2, t, tNext) {
    if (v2.length !== x.length || v.length !== x.length)
      throw new RangeError(`state has ${x.length} values but the velocities have ${v.length} and ${v2.length}`);
    const dt = Math.fround(t - tNext);
    const vAvg = new Float32Array(x.length);
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      vAvg[i] = Math.fround(0.5 * Math.fround(v[i] + v2[i]));
      out[i] = Math.fround(x[i] - Math.fround(vAvg[i] * dt));
    }
    return { x: out, v: vAvg };
  },
};
