import { describe, expect, it } from "vitest";
import { MomentumBuffer, adg, apg, cfg } from "../../acestep/sampling/guidance";
import { linearShiftSchedule, TURBO_SHIFT_TIMESTEPS, buildSchedule } from "../../acestep/sampling/schedule";
import { batchNoise, sdeStepNoise } from "../../acestep/sampling/seeds";
import { eulerSolver, predictX0, renoise } from "../../acestep/sampling/solvers";
import { softRepaintMask } from "../../acestep/tasks/repaint";
import { type SampleLatentsOptions, type VelocityRequest, sampleLatents } from "./sample-latents";
import { uniforms } from "../../random/prng";

// Small shapes keep the loop fast; C is an option of the loop (64 in production).
const B = 2;
const T = 6;
const C = 4;
const n = B * T * C;

/** Deterministic pseudo-random values (not the torch PRNG; just test data). */
function data(len: number, seed: number): Float32Array {
  const out = new Float32Array(len);
  const rand = uniforms(seed >>> 0);
  for (let i = 0; i < len; i++) out[i] = Math.fround(rand() * 2 - 1);
  return out;
}

const noise = data(n, 1);
const target = data(n, 2);
const nullTarget = data(n, 3);

/** v = x − target per row block: "cond" pulls to `target`, "null" to `nullTarget`. */
function linearField(a = target, b = nullTarget) {
  const calls: VelocityRequest[] = [];
  const velocity = async (req: VelocityRequest) => {
    calls.push({ ...req, x: Float32Array.from(req.x) });
    const per = req.batch * req.frames * req.channels;
    const out = new Float32Array(req.x.length);
    req.branches.forEach((br, k) => {
      const tgt = br === "cond" ? a : b;
      for (let i = 0; i < per; i++) out[k * per + i] = req.x[k * per + i] - tgt[i];
    });
    return out;
  };
  return { calls, velocity };
}

const base = (over: Partial<SampleLatentsOptions>): SampleLatentsOptions => ({
  variant: "base",
  batch: B,
  frames: T,
  channels: C,
  noise,
  velocity: linearField().velocity,
  ...over,
});

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe("Euler loop on analytic velocity fields", () => {
  it("lands exactly on x* for the straight flow-matching field v = (x − x*)/t, any schedule", async () => {
    // x_t = x* + t·(noise − x*) is the exact ODE solution and Euler follows it exactly.
    const velocity = async (req: VelocityRequest) => {
      const out = new Float32Array(req.x.length);
      for (let i = 0; i < out.length; i++) out[i] = (req.x[i] - target[i]) / req.t;
      return out;
    };
    for (const variant of ["turbo", "base"] as const) {
      const r = await sampleLatents(base({ variant, velocity, steps: 13, shift: 3, guidance: { scale: 1 } }));
      expect(maxDiff(r.latents, target)).toBeLessThan(1e-5);
    }
  });

  it("converges to x* + (x₁ − x*)·e^(−1) for v = x − x*, with first-order error", async () => {
    const exact = new Float32Array(n);
    for (let i = 0; i < n; i++) exact[i] = target[i] + (noise[i] - target[i]) * Math.exp(-1);
    const errs: number[] = [];
    for (const steps of [10, 20, 40, 200]) {
      const r = await sampleLatents(base({ steps, shift: 1, guidance: { scale: 1 } }));
      // Euler: x_N − x* = Π(1 − Δt)·(x₁ − x*) = (1 − 1/N)^N·(x₁ − x*)
      const factor = (1 - 1 / steps) ** steps;
      for (let i = 0; i < n; i++) expect(r.latents[i]).toBeCloseTo(target[i] + (noise[i] - target[i]) * factor, 5);
      errs.push(maxDiff(r.latents, exact));
    }
    expect(errs[0] / errs[1]).toBeGreaterThan(1.8); // halving the step ~halves the error
    expect(errs[1] / errs[2]).toBeGreaterThan(1.8);
    expect(errs[3]).toBeLessThan(2e-3);
  });
});

describe("Heun (sampler_mode heun)", () => {
  // v(x, t) = a·x + b·t for the cond rows and v = c·x for the null rows: a hand-made field whose corrector value
  // differs from the predictor's, so each of upstream's operations shows in the result.
  const a = 0.7;
  const b = -0.9;
  const c = 0.2;
  const field = () => {
    const calls: VelocityRequest[] = [];
    const velocity = async (req: VelocityRequest) => {
      calls.push({ ...req, x: Float32Array.from(req.x) });
      const per = req.batch * req.frames * req.channels;
      return Float32Array.from(req.x, (x, i) =>
        req.branches[Math.floor(i / per)] === "cond" ? a * x + b * req.t : c * x,
      );
    };
    return { calls, velocity };
  };

  it("makes the corrector call at t_next on the predicted state and applies upstream's update", async () => {
    const { calls, velocity } = field();
    const r = await sampleLatents(base({ samplerMode: "heun", steps: 4, shift: 3, guidance: { scale: 1 }, velocity }));
    const ts = r.schedule.timesteps;
    expect(r.modelCalls).toBe(8);
    expect(calls.map((q) => q.t)).toEqual([ts[0], ts[1], ts[1], ts[2], ts[2], ts[3], ts[3], ts[4]]);
    // reference in float64, written from generate_audio's heun branch
    const want = Array.from(noise, (x0) => {
      let x = x0;
      for (let i = 0; i < 4; i++) {
        const dt = ts[i] - ts[i + 1];
        const v = a * x + b * ts[i];
        const xPred = x - v * dt;
        const v2 = a * xPred + b * ts[i + 1];
        x = x - 0.5 * (v + v2) * dt;
      }
      return x;
    });
    expect(maxDiff(r.latents, Float32Array.from(want))).toBeLessThan(1e-5);
    // the corrector's input is the Euler prediction of its step
    const v0 = Float32Array.from(noise, (x) => a * x + b * ts[0]);
    expect(
      maxDiff(calls[1].x, eulerSolver.step(noise, v0, ts[0], ts[1], { stepIndex: 0, numSteps: 4, variant: "base" })),
    ).toBe(0);
  });

  it("guides the corrector with plain CFG (APG updates its momentum once per step); ADG at t_next > 0", async () => {
    const g = 3;
    const shape = { B, T, C };
    for (const useAdg of [false, true]) {
      const { calls, velocity } = field();
      const r = await sampleLatents(
        base({ samplerMode: "heun", steps: 3, shift: 1, guidance: { scale: g, useAdg }, velocity }),
      );
      expect(calls.every((q) => q.branches.length === 2)).toBe(true);
      const ts = r.schedule.timesteps;
      const momentum = new MomentumBuffer();
      let x = Float32Array.from(noise);
      for (let i = 0; i < 3; i++) {
        const [t, t2] = [ts[i], ts[i + 1]];
        const vc = Float32Array.from(x, (xi) => a * xi + b * t);
        const vu = Float32Array.from(x, (xi) => c * xi);
        const v = useAdg ? adg(x, vc, vu, t, g, shape) : apg(vc, vu, g, shape, { buffer: momentum });
        const dt = t - t2;
        const xPred = Float32Array.from(x, (xi, k) => xi - v[k] * dt);
        const vc2 = Float32Array.from(xPred, (xi) => a * xi + b * t2);
        const vu2 = Float32Array.from(xPred, (xi) => c * xi);
        const v2 = useAdg && t2 > 0 ? adg(xPred, vc2, vu2, t2, g, shape) : vu2.map((u, k) => u + g * (vc2[k] - u)); // CFG
        x = Float32Array.from(x, (xi, k) => xi - 0.5 * (v[k] + v2[k]) * dt);
      }
      expect(maxDiff(r.latents, x)).toBeLessThan(1e-4);
    }
  });

  it("turbo: Heun on every step but the last (x0 = x − t·v); with infer_method sde it runs the SDE", async () => {
    const { calls, velocity } = field();
    const r = await sampleLatents(base({ variant: "turbo", samplerMode: "heun", shift: 3, velocity }));
    expect(r.modelCalls).toBe(8 + 7);
    expect(calls.at(-1)!.t).toBe(r.schedule.timesteps[7]);
    const sde = await sampleLatents(
      base({ samplerMode: "heun", inferMethod: "sde", steps: 3, stepNoise: (_i, _b, len) => new Float32Array(len) }),
    );
    expect(sde.modelCalls).toBe(3);
    expect(sde.warnings.join()).toMatch(/Heun sampler is an ODE method/);
  });
});

describe("schedules the loop follows", () => {
  it("turbo runs the 8-step shift-3 table, ignores steps, and finishes with x0 = x − t·v", async () => {
    const { calls, velocity } = linearField();
    const seen: number[] = [];
    const r = await sampleLatents(
      base({ variant: "turbo", shift: 3, steps: 50, velocity, onStep: (s) => seen.push(s.t) }),
    );
    expect(calls.map((c) => c.t)).toEqual(TURBO_SHIFT_TIMESTEPS[3]);
    expect(seen).toEqual(TURBO_SHIFT_TIMESTEPS[3]);
    expect(r.modelCalls).toBe(8);
    expect(r.warnings.join("\n")).toMatch(/turbo ignores inference steps/);
    // the last call saw x at t = 0.3; the result is its x0 prediction
    const lastX = calls[7].x;
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = lastX[i] - target[i];
    expect(Array.from(r.latents)).toEqual(Array.from(predictX0(lastX, v, 0.3)));
  });

  it("turbo snaps the shift (2.4 → 2) and custom timesteps to the valid set", async () => {
    const a = linearField();
    await sampleLatents(base({ variant: "turbo", shift: 2.4, velocity: a.velocity }));
    expect(a.calls.map((c) => c.t)).toEqual(TURBO_SHIFT_TIMESTEPS[2]);
    const b = linearField();
    await sampleLatents(base({ variant: "turbo", shift: 3, timesteps: [0.97, 0.76, 0.5, 0], velocity: b.velocity }));
    expect(b.calls.map((c) => c.t)).toEqual([0.9545454545454546, 0.7692307692307693, 0.5]);
  });

  it("base runs linspace + shift with N calls", async () => {
    const { calls, velocity } = linearField();
    await sampleLatents(base({ steps: 5, shift: 3, guidance: { scale: 1 }, velocity }));
    expect(calls.map((c) => c.t)).toEqual(linearShiftSchedule(5, 3).slice(0, 5));
  });

  it("reports progress once per step", async () => {
    const steps: Array<[number, number]> = [];
    await sampleLatents(
      base({ steps: 4, guidance: { scale: 1 }, onStep: (s) => steps.push([s.stepIndex, s.numSteps]) }),
    );
    expect(steps).toEqual([
      [0, 4],
      [1, 4],
      [2, 4],
      [3, 4],
    ]);
  });
});

describe("CFG, APG and ADG with the null condition", () => {
  it("scale 1 equals no CFG: single-branch calls and a plain Euler run on v_c", async () => {
    const { calls, velocity } = linearField();
    const r = await sampleLatents(base({ steps: 6, shift: 2, guidance: { scale: 1 }, velocity }));
    expect(calls.every((c) => c.branches.length === 1 && c.branches[0] === "cond" && c.x.length === n)).toBe(true);
    let x: Float32Array = Float32Array.from(noise);
    const ts = linearShiftSchedule(6, 2);
    for (let i = 0; i < 6; i++) {
      const v = new Float32Array(n);
      for (let k = 0; k < n; k++) v[k] = x[k] - target[k];
      x = eulerSolver.step(x, v, ts[i], ts[i + 1], { stepIndex: i, numSteps: 6, variant: "base" });
    }
    expect(Array.from(r.latents)).toEqual(Array.from(x));
  });

  it("doubles the batch as [x; x] with branches [cond, null] in one call", async () => {
    const { calls, velocity } = linearField();
    await sampleLatents(base({ steps: 3, guidance: { scale: 7 }, velocity }));
    expect(calls).toHaveLength(3);
    for (const c of calls) {
      expect(c.branches).toEqual(["cond", "null"]);
      expect(c.x.length).toBe(2 * n);
      expect(Array.from(c.x.subarray(0, n))).toEqual(Array.from(c.x.subarray(n)));
    }
  });

  it("gates guidance on the raw t (inclusive interval); upstream still doubles every step", async () => {
    // 10 steps, shift 1: t = 1, 0.9, …, 0.1; interval [0.25, 0.75] → steps 3..7 (t = 0.7 … 0.3)
    const rec: Array<{ t: number; doubled: boolean; guided: boolean }> = [];
    const opts = base({ steps: 10, shift: 1, guidance: { scale: 5, cfgIntervalStart: 0.25, cfgIntervalEnd: 0.75 } });
    const upstream = await sampleLatents({ ...opts, onStep: (s) => rec.push(s) });
    expect(rec.map((s) => s.guided)).toEqual([false, false, false, true, true, true, true, true, false, false]);
    expect(rec.every((s) => s.doubled)).toBe(true);

    const skipped: boolean[] = [];
    const { calls, velocity } = linearField();
    const lean = await sampleLatents({
      ...opts,
      velocity,
      guidance: { ...opts.guidance, skipUncondOutsideInterval: true },
      onStep: (s) => skipped.push(s.doubled),
    });
    expect(skipped).toEqual([false, false, false, true, true, true, true, true, false, false]);
    expect(calls.map((c) => c.branches.length)).toEqual([1, 1, 1, 2, 2, 2, 2, 2, 1, 1]);
    expect(Array.from(lean.latents)).toEqual(Array.from(upstream.latents)); // the null half is unused there

    // compared on raw t, not 1 − t (diffusers): an early window guides the first (noisy) steps
    const early: boolean[] = [];
    await sampleLatents(
      base({
        steps: 10,
        shift: 1,
        guidance: { scale: 5, cfgIntervalStart: 0.85, cfgIntervalEnd: 1 },
        onStep: (s) => early.push(s.guided),
      }),
    );
    expect(early.slice(0, 3)).toEqual([true, true, false]);
  });

  it("APG, ADG and plain CFG match hand-computed one-step values and differ from each other", async () => {
    const g = 4;
    const shape = { B, T, C };
    const vc = new Float32Array(n);
    const vu = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      vc[i] = noise[i] - target[i];
      vu[i] = noise[i] - nullTarget[i];
    }
    const one = (v: Float32Array) => eulerSolver.step(noise, v, 1, 0, { stepIndex: 0, numSteps: 1, variant: "base" });
    const want = {
      apg: one(apg(vc, vu, g, shape, { buffer: new MomentumBuffer() })),
      adg: one(adg(noise, vc, vu, 1, g, shape)),
      cfg: one(cfg(vc, vu, g)),
    };
    const got = {
      apg: (await sampleLatents(base({ steps: 1, guidance: { scale: g } }))).latents,
      adg: (await sampleLatents(base({ steps: 1, guidance: { scale: g, useAdg: true } }))).latents,
      cfg: (await sampleLatents(base({ steps: 1, guidance: { scale: g, method: "cfg" } }))).latents,
    };
    for (const k of ["apg", "adg", "cfg"] as const) expect(Array.from(got[k])).toEqual(Array.from(want[k]));
    expect(maxDiff(got.apg, got.adg)).toBeGreaterThan(1e-3);
    expect(maxDiff(got.apg, got.cfg)).toBeGreaterThan(1e-3);
    expect(maxDiff(got.adg, got.cfg)).toBeGreaterThan(1e-3);
  });

  it("carries the APG momentum buffer across steps (only guided steps update it)", async () => {
    const g = 3;
    const shape = { B, T, C };
    const ts = linearShiftSchedule(3, 1);
    const run = (withMomentum: boolean, guidedSteps: readonly boolean[]) => {
      const buf = new MomentumBuffer();
      let x: Float32Array = Float32Array.from(noise);
      for (let i = 0; i < 3; i++) {
        const vc = new Float32Array(n);
        const vu = new Float32Array(n);
        for (let k = 0; k < n; k++) {
          vc[k] = x[k] - target[k];
          vu[k] = x[k] - nullTarget[k];
        }
        const v = guidedSteps[i] ? apg(vc, vu, g, shape, { buffer: withMomentum ? buf : new MomentumBuffer() }) : vc;
        x = eulerSolver.step(x, v, ts[i], ts[i + 1], { stepIndex: i, numSteps: 3, variant: "base" });
      }
      return x;
    };
    const got = await sampleLatents(base({ steps: 3, shift: 1, guidance: { scale: g } }));
    expect(Array.from(got.latents)).toEqual(Array.from(run(true, [true, true, true])));
    expect(maxDiff(got.latents, run(false, [true, true, true]))).toBeGreaterThan(1e-4);
    // t = 1, 2/3, 1/3 with interval [0, 0.5]: only the last step is guided, with a fresh buffer
    const gated = await sampleLatents(base({ steps: 3, shift: 1, guidance: { scale: g, cfgIntervalEnd: 0.5 } }));
    expect(Array.from(gated.latents)).toEqual(Array.from(run(true, [false, false, true])));
  });

  it("turbo ignores guidance entirely", async () => {
    const { calls, velocity } = linearField();
    const r = await sampleLatents(base({ variant: "turbo", guidance: { scale: 7, useAdg: true }, velocity }));
    expect(calls.every((c) => c.branches.length === 1)).toBe(true);
    expect(r.warnings.join("\n")).toMatch(/turbo ignores guidance/);
  });
});

describe("audio_cover_strength", () => {
  it("switches the condition set after int(N·strength) steps, once", async () => {
    const cases: Array<[SampleLatentsOptions["variant"], number, number, number]> = [
      ["turbo", 0.5, 8, 4],
      ["turbo", 0.3, 8, 2], // int(2.4)
      ["base", 0.25, 10, 2], // int(2.5)
      ["base", 1.0, 10, 10],
      ["base", 0.0, 10, 0],
    ];
    for (const [variant, strength, steps, nCover] of cases) {
      const { calls, velocity } = linearField();
      await sampleLatents(base({ variant, steps, coverStrength: strength, guidance: { scale: 3 }, velocity }));
      expect(calls.map((c) => c.condition)).toEqual(
        Array.from({ length: steps }, (_, i) => (i < nCover ? "main" : "nonCover")),
      );
      expect(calls.filter((c) => c.conditionChanged).map((c) => c.stepIndex)).toEqual(
        nCover > 0 && nCover < steps ? [0, nCover] : [0],
      );
      if (variant !== "turbo") expect(calls.every((c) => c.branches.length === 2)).toBe(true); // CFG continues after the switch
    }
  });
});

describe("cover_noise_strength", () => {
  const src = data(n, 9);

  it("starts from t*·noise + (1 − t*)·src at the schedule time nearest 1 − s and runs only the rest", async () => {
    const { calls, velocity } = linearField();
    const full = linearShiftSchedule(8, 1); // 1, 0.875, …, 0.125, 0
    const r = await sampleLatents(
      base({ steps: 8, shift: 1, guidance: { scale: 1 }, velocity, coverNoise: { strength: 0.3, src } }),
    );
    // 1 − 0.3 = 0.7: nearest is 0.75 (|0.05|) before 0.625 (|0.075|) → 6 of the 8 steps remain
    expect(calls.map((q) => q.t)).toEqual(full.slice(2, 8));
    expect(r.schedule.timesteps).toEqual(full.slice(2));
    expect(r.modelCalls).toBe(6);
    const start = Float32Array.from(noise, (e, i) => Math.fround(0.75 * e) + Math.fround(0.25 * src[i]));
    expect(maxDiff(calls[0].x, start)).toBeLessThan(1e-7);
  });

  it("takes the first of two equally near times (Python's min), and strength 1 leaves one step", async () => {
    const first = linearField();
    await sampleLatents(
      base({
        steps: 8,
        shift: 1,
        guidance: { scale: 1 },
        velocity: first.velocity,
        coverNoise: { strength: 0.1875, src },
      }),
    ); // 0.8125 is halfway between 0.875 and 0.75
    expect(first.calls[0].t).toBe(0.875);
    const one = linearField();
    await sampleLatents(
      base({ steps: 8, shift: 1, guidance: { scale: 1 }, velocity: one.velocity, coverNoise: { strength: 1, src } }),
    );
    expect(one.calls.map((q) => q.t)).toEqual([0.125]);
    const none = linearField();
    await sampleLatents(
      base({ steps: 8, shift: 1, guidance: { scale: 1 }, velocity: none.velocity, coverNoise: { strength: 0, src } }),
    );
    expect(none.calls).toHaveLength(8);
    expect(Array.from(none.calls[0].x)).toEqual(Array.from(noise));
  });

  it("counts the cover switch on the remaining steps; turbo ends with its x0 step", async () => {
    const sets: string[] = [];
    await sampleLatents(
      base({
        steps: 8,
        shift: 1,
        guidance: { scale: 1 },
        coverStrength: 0.5,
        coverNoise: { strength: 0.3, src },
        onStep: (st) => sets.push(st.condition),
      }),
    );
    expect(sets).toEqual(["main", "main", "main", "nonCover", "nonCover", "nonCover"]); // int(6 · 0.5) = 3
    const turbo = linearField();
    const r = await sampleLatents(
      base({ variant: "turbo", shift: 3, velocity: turbo.velocity, coverNoise: { strength: 0.5, src } }),
    );
    expect(turbo.calls.map((q) => q.t)).toEqual([0.5, 0.3]);
    // the last step is x0 = x − t·v from the state after the 0.5 step
    const last = turbo.calls[1];
    const v = Float32Array.from(last.x, (x, i) => x - target[i]);
    expect(Array.from(r.latents)).toEqual(Array.from(predictX0(last.x, v, 0.3)));
  });
});

describe("repaint injection and crossfade", () => {
  const TT = 40;
  const nn = 1 * TT * C;
  const mk = () => {
    const mask = new Uint8Array(2 * TT).fill(1); // item 1: all ones (no repaint)
    mask.fill(0, 0, TT);
    mask.fill(1, 15, 25); // item 0: window [15, 25)
    return mask;
  };
  const src = data(2 * nn, 7);
  const nz = data(2 * nn, 8);
  const tgt = data(2 * nn, 9);
  const field = () => {
    const calls: VelocityRequest[] = [];
    const velocity = async (req: VelocityRequest) => {
      calls.push({ ...req, x: Float32Array.from(req.x) });
      const out = new Float32Array(req.x.length);
      for (let i = 0; i < out.length; i++) out[i] = req.x[i] - tgt[i % tgt.length];
      return out;
    };
    return { calls, velocity };
  };
  const opts = (over: Partial<SampleLatentsOptions>): SampleLatentsOptions => ({
    variant: "base",
    batch: 2,
    frames: TT,
    channels: C,
    noise: nz,
    steps: 8,
    shift: 3,
    guidance: { scale: 1 },
    velocity: field().velocity,
    ...over,
  });

  it("re-noises the source outside the window for steps i < round(0.5·N), then blends it back", async () => {
    const { calls, velocity } = field();
    const r = await sampleLatents(opts({ velocity, repaint: { mask: mk(), cleanSrc: src } }));
    const ts = buildSchedule({ model: "base", shift: 3, steps: 8 }).timesteps;
    const injected = (x: Float32Array, tAfter: number, frame: number) => {
      for (let c = 0; c < C; c++) {
        const i = frame * C + c;
        if (
          x[i] !== Math.fround(Math.fround(Math.fround(tAfter) * nz[i]) + Math.fround(Math.fround(1 - tAfter) * src[i]))
        )
          return false;
      }
      return true;
    };
    // the input of step s is the output of step s−1 (t_after = ts[s]); cutoff = round(4) → steps 0..3 inject
    for (let s = 1; s <= 4; s++) {
      for (let f = 0; f < TT; f++) expect(injected(calls[s].x, ts[s], f)).toBe(f < 15 || f >= 25);
    }
    expect(injected(calls[5].x, ts[5], 0)).toBe(false); // no injection after the cutoff

    // final blend: source outside the window and the ramps, the generated x inside
    const plain = await sampleLatents(opts({}));
    const soft = softRepaintMask(mk().subarray(0, TT));
    for (let f = 0; f < TT; f++) {
      for (let c = 0; c < C; c++) {
        const i = f * C + c;
        if (soft[f] === 0) expect(r.latents[i]).toBe(src[i]);
        else if (f >= 15 && f < 25) expect(soft[f]).toBe(1);
      }
    }
    expect(soft[14]).toBeGreaterThan(0);
    expect(soft[4]).toBe(0);
    // item 1 (all-ones mask) is exactly the plain run
    expect(Array.from(r.latents.subarray(nn))).toEqual(Array.from(plain.latents.subarray(nn)));
  });

  it("injects with the SDE re-noise time and honours ratio/crossfade 0", async () => {
    const { calls, velocity } = field();
    await sampleLatents(
      opts({ velocity, inferMethod: "sde", seeds: [5, 6], repaint: { mask: mk(), cleanSrc: src, crossfadeFrames: 0 } }),
    );
    // base SDE re-noises to the unshifted 1 − (i+1)/N; step 1's input was injected at t_after = 7/8
    const i0 = 0;
    expect(calls[1].x[i0]).toBe(
      Math.fround(Math.fround(Math.fround(0.875) * nz[i0]) + Math.fround(Math.fround(0.125) * src[i0])),
    );

    const off = await sampleLatents(
      opts({ repaint: { mask: mk(), cleanSrc: src, injectionRatio: 0, crossfadeFrames: 0 } }),
    );
    const plain = await sampleLatents(opts({}));
    expect(Array.from(off.latents)).toEqual(Array.from(plain.latents));
  });

  it("turbo never injects after its final x0 step", async () => {
    const { calls, velocity } = field();
    const r = await sampleLatents(
      opts({
        variant: "turbo",
        velocity,
        repaint: { mask: mk(), cleanSrc: src, injectionRatio: 1, crossfadeFrames: 0 },
      }),
    );
    const last = calls[7].x;
    const v = new Float32Array(last.length);
    for (let i = 0; i < v.length; i++) v[i] = last[i] - tgt[i];
    expect(Array.from(r.latents)).toEqual(Array.from(predictX0(last, v, 0.3)));
  });
});

describe("seeds, SDE noise and batch", () => {
  const TT = 5;
  const o = (over: Partial<SampleLatentsOptions>): SampleLatentsOptions => ({
    variant: "turbo",
    batch: 3,
    frames: TT,
    channels: C,
    noise: undefined,
    velocity: linearField(data(3 * TT * C, 4)).velocity,
    ...over,
  });

  it("draws per-item seeded noise: equal seeds → equal items, different seeds → different items", async () => {
    const { calls, velocity } = linearField(data(3 * TT * C, 4));
    const r = await sampleLatents(o({ seeds: [11, 12, 11], velocity }));
    const x0 = calls[0].x;
    const per = TT * C;
    expect(Array.from(x0.subarray(0, per))).toEqual(Array.from(x0.subarray(2 * per)));
    expect(maxDiff(x0.subarray(0, per), x0.subarray(per, 2 * per))).toBeGreaterThan(0.1);
    expect(Array.from(x0)).toEqual(Array.from(batchNoise([11, 12, 11], TT, C).noise)); // CUDA Philox, bf16
    expect(r.seeds).toEqual([11, 12, 11]);
  });

  it("replaces negative seeds with fresh ones and reports them", async () => {
    const r = await sampleLatents(
      o({
        seeds: [-1, 3, -1],
        rand: (() => {
          let k = 100;
          return () => k++;
        })(),
      }),
    );
    expect(r.seeds).toEqual([100, 3, 101]);
  });

  it("SDE is reproducible with the same seeds, different with other seeds, and re-noises with seed + i + 1", async () => {
    const a = await sampleLatents(o({ inferMethod: "sde", seeds: [1, 2, 3] }));
    const b = await sampleLatents(o({ inferMethod: "sde", seeds: [1, 2, 3] }));
    const c = await sampleLatents(o({ inferMethod: "sde", seeds: [1, 2, 4] }));
    expect(Array.from(a.latents)).toEqual(Array.from(b.latents));
    const per = TT * C;
    expect(Array.from(c.latents.subarray(0, 2 * per))).toEqual(Array.from(a.latents.subarray(0, 2 * per)));
    expect(maxDiff(c.latents.subarray(2 * per), a.latents.subarray(2 * per))).toBeGreaterThan(1e-3);
    const ode = await sampleLatents(o({ inferMethod: "ode", seeds: [1, 2, 3] }));
    expect(maxDiff(ode.latents, a.latents)).toBeGreaterThan(1e-3);

    // step 0 by hand: x1 = renoise(x0_hat, t1, ε) with ε = randn(seed_b + 0 + 1) per item
    const tgt = data(3 * per, 4);
    const { calls, velocity } = linearField(tgt);
    await sampleLatents(o({ inferMethod: "sde", seeds: [1, 2, 3], velocity }));
    const x = calls[0].x;
    const v = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) v[i] = x[i] - tgt[i];
    const eps = new Float32Array(3 * per);
    [1, 2, 3].forEach((s, bi) => eps.set(sdeStepNoise(s, 0, per), bi * per));
    expect(Array.from(calls[1].x)).toEqual(Array.from(renoise(predictX0(x, v, 1), TURBO_SHIFT_TIMESTEPS[3][1], eps)));
  });

  it("SDE without seeds needs a stepNoise source", async () => {
    await expect(sampleLatents(o({ inferMethod: "sde", noise: new Float32Array(3 * TT * C) }))).rejects.toThrow(
      /stepNoise/,
    );
    const r = await sampleLatents(
      o({
        inferMethod: "sde",
        noise: new Float32Array(3 * TT * C),
        stepNoise: (_i, _b, len) => new Float32Array(len).fill(1),
      }),
    );
    expect(r.latents.length).toBe(3 * TT * C);
  });

  it("validates batch size, seeds, noise and velocity shapes", async () => {
    await expect(sampleLatents(o({ batch: 9, seeds: new Array(9).fill(1) }))).rejects.toThrow(/1\.\.8/);
    await expect(sampleLatents(o({ seeds: [1, 2] }))).rejects.toThrow(/seeds has 2 entries/);
    await expect(sampleLatents(o({}))).rejects.toThrow(/noise.*seeds/);
    await expect(sampleLatents(o({ noise: new Float32Array(3) }))).rejects.toThrow(/noise has 3 values/);
    await expect(sampleLatents(o({ seeds: [1, 2, 3], velocity: async () => new Float32Array(1) }))).rejects.toThrow(
      /velocity returned 1/,
    );
    await expect(sampleLatents(o({ seeds: [1, 2, 3], coverStrength: 1.5 }))).rejects.toThrow(/coverStrength/);
  });
});

describe("cancellation", () => {
  it("stops within one step with an AbortError", async () => {
    const ac = new AbortController();
    let count = 0;
    const velocity = async (req: VelocityRequest) => {
      count++;
      if (req.stepIndex === 2) ac.abort();
      return new Float32Array(req.x.length);
    };
    const seen: number[] = [];
    const p = sampleLatents(
      base({ variant: "turbo", velocity, signal: ac.signal, onStep: (s) => seen.push(s.stepIndex) }),
    );
    await expect(p).rejects.toMatchObject({ name: "AbortError" });
    expect(count).toBe(3);
    expect(seen).toEqual([0, 1]);
  });

  it("does not call the model when already aborted, and passes the signal to the DiT call", async () => {
    const ac = new AbortController();
    ac.abort();
    let count = 0;
    await expect(
      sampleLatents(
        base({
          velocity: async () => {
            count++;
            return new Float32Array(n);
          },
          signal: ac.signal,
        }),
      ),
    ).rejects.toMatchObject({ name: "AbortError" });
    expect(count).toBe(0);
    const ac2 = new AbortController();
    const { calls, velocity } = linearField();
    await sampleLatents(base({ variant: "turbo", velocity, signal: ac2.signal }));
    expect(calls[0].signal).toBe(ac2.signal);
  });
});
