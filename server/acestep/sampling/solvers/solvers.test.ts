import { describe, expect, it } from "vitest";
import { TURBO_SHIFT_TIMESTEPS, linearShiftSchedule } from "../schedule";
import { eulerSolver } from "./euler";
import { heunSolver } from "./heun";
import { SOLVERS, SOLVER_NAMES, getSolver, solverFor } from "./registry";
import { renoise, sdeRenoiseTime, sdeSolver } from "./sde";
import { predictX0 } from "./types";

const f = (xs: number[]) => Float32Array.from(xs);

describe("Euler ODE", () => {
  it("computes x − v·(t − t_next)", () => {
    const out = eulerSolver.step(f([1, 2]), f([0.5, -1]), 1, 0.75, { stepIndex: 0, numSteps: 4, variant: "base" });
    expect(Array.from(out)).toEqual([0.875, 2.25]);
  });

  it("turns into x0 = x − t·v at t_next = 0", () => {
    const x = f([0.3, -0.7, 1.1]);
    const v = f([0.2, 0.4, -0.9]);
    expect(eulerSolver.step(x, v, 0.3, 0, { stepIndex: 7, numSteps: 8, variant: "turbo" })).toEqual(
      predictX0(x, v, 0.3),
    );
  });

  it("recovers x0 exactly along a straight flow-matching path", () => {
    // x_t = t·noise + (1−t)·x0 with constant v = noise − x0: any schedule ends at x0.
    const x0 = 0.25;
    const noise = -1.5;
    let x: Float32Array = f([noise]);
    const ts = [...TURBO_SHIFT_TIMESTEPS[3], 0];
    for (let i = 0; i < 8; i++)
      x = eulerSolver.step(x, f([noise - x0]), ts[i], ts[i + 1], { stepIndex: i, numSteps: 8, variant: "turbo" });
    expect(x[0]).toBeCloseTo(x0, 6);
  });

  it("rejects mismatched shapes", () => {
    expect(() => eulerSolver.step(f([1]), f([1, 2]), 1, 0, { stepIndex: 0, numSteps: 1, variant: "base" })).toThrow(
      RangeError,
    );
  });
});

describe("SDE (turbo and base generate_audio)", () => {
  const noise = (n: number) => new Float32Array(n).fill(2);

  it("re-noises turbo to the next table time", () => {
    const out = sdeSolver.step(f([1]), f([0.5]), 1, 0.75, {
      stepIndex: 0,
      numSteps: 8,
      variant: "turbo",
      randn: noise,
    });
    // x0 = 1 − 0.5 = 0.5; 0.75·2 + 0.25·0.5
    expect(out[0]).toBeCloseTo(1.625, 6);
  });

  it("re-noises base/sft to the unshifted 1 − (i+1)/N", () => {
    expect(sdeRenoiseTime("base", 0, 4, 0.9)).toBe(0.75);
    expect(sdeRenoiseTime("sft", 2, 4, 0.1)).toBe(0.25);
    const t = linearShiftSchedule(4, 3);
    const out = sdeSolver.step(f([1]), f([0.5]), t[0], t[1], {
      stepIndex: 0,
      numSteps: 4,
      variant: "base",
      randn: noise,
    });
    expect(out[0]).toBeCloseTo(0.75 * 2 + 0.25 * 0.5, 6);
  });

  it("returns x0 at the last step without drawing noise", () => {
    const out = sdeSolver.step(f([1]), f([0.5]), 0.3, 0, { stepIndex: 7, numSteps: 8, variant: "turbo" });
    expect(Array.from(out)).toEqual([Math.fround(1 - Math.fround(0.5 * Math.fround(0.3)))]);
  });

  it("asks for a noise source", () => {
    expect(() => sdeSolver.step(f([1]), f([0.5]), 1, 0.5, { stepIndex: 0, numSteps: 2, variant: "turbo" })).toThrow(
      /randn/,
    );
  });

  it("renoise blends t·noise + (1−t)·x", () => {
    expect(Array.from(renoise(f([1]), 0.25, f([-1])))).toEqual([0.5]);
  });
});

describe("Heun (sampler_mode heun, upstream generate_audio's trapezoidal ODE step)", () => {
  // A hand-made velocity field v(x, t) = a·x + b·t (elementwise) and upstream's update written out:
  //   x_pred = x − v(x, t)·dt;  v2 = v(x_pred, t_next);  x ← x − 0.5·(v + v2)·dt,  dt = t − t_next
  const a = 0.8;
  const b = -1.3;
  const field = (x: Float32Array, t: number) => x.map((xi) => a * xi + b * t);
  const reference = (x: number, t: number, tNext: number) => {
    const dt = t - tNext;
    const v = a * x + b * t;
    const xPred = x - v * dt;
    const v2 = a * xPred + b * tNext;
    return x - 0.5 * (v + v2) * dt;
  };

  it("one step equals upstream's predictor–corrector update", () => {
    const x = f([0.3, -1.2, 2.5, 0]);
    const [t, tNext] = [0.9, 0.55];
    const ctx = { stepIndex: 0, numSteps: 4, variant: "base" as const };
    const xPred = heunSolver.step(x, field(x, t), t, tNext, ctx);
    const { x: out, v } = heunSolver.correct!(x, field(x, t), field(xPred, tNext), t, tNext, ctx);
    x.forEach((xi, i) => expect(out[i]).toBeCloseTo(reference(xi, t, tNext), 6));
    // the velocity the step used is the average of the two evaluations
    x.forEach((xi, i) => expect(v[i]).toBeCloseTo((xi - out[i]) / (t - tNext), 5));
  });

  it("is second order: over a whole schedule its error falls 4× per halved step, Euler's 2×", () => {
    // exact solution of dx/dt = a·x + b·t through (t0, x0): x(t) = C·e^(a t) − (b/a)·t − b/a²
    const x0 = 1.5;
    const exact = (t: number) => (x0 + b / a + b / (a * a)) * Math.exp(a * (t - 1)) - (b / a) * t - b / (a * a);
    const run = (solve: "euler" | "heun", steps: number) => {
      const ts = Array.from({ length: steps + 1 }, (_, i) => 1 - i / steps);
      let x: Float32Array = f([x0]);
      for (let i = 0; i < steps; i++) {
        const ctx = { stepIndex: i, numSteps: steps, variant: "base" as const };
        const s = getSolver(solve);
        const xp = s.step(x, field(x, ts[i]), ts[i], ts[i + 1], ctx);
        x = s.correct ? s.correct(x, field(x, ts[i]), field(xp, ts[i + 1]), ts[i], ts[i + 1], ctx).x : xp;
      }
      return Math.abs(x[0] - exact(0));
    };
    const heunRatio = run("heun", 10) / run("heun", 20);
    const eulerRatio = run("euler", 10) / run("euler", 20);
    expect(heunRatio).toBeGreaterThan(3.5);
    expect(heunRatio).toBeLessThan(4.5);
    expect(eulerRatio).toBeGreaterThan(1.8);
    expect(eulerRatio).toBeLessThan(2.2);
    expect(run("heun", 10)).toBeLessThan(run("euler", 10) / 10);
  });
});

describe("solver registry", () => {
  it("names each solver by its key and refuses unknown ones", () => {
    for (const n of SOLVER_NAMES) expect(SOLVERS[n].name).toBe(n);
    expect(getSolver("sde")).toBe(sdeSolver);
    expect(getSolver("heun")).toBe(heunSolver);
    expect(heunSolver.evalsPerStep).toBe(2);
    expect(() => getSolver("dpm")).toThrow(/known solvers: euler, sde, heun/);
  });

  it("maps infer_method + sampler_mode as upstream: heun is an ODE option, sde wins", () => {
    expect(solverFor("ode")).toBe("euler");
    expect(solverFor("ode", "heun")).toBe("heun");
    expect(solverFor("sde", "heun")).toBe("sde");
  });
});
