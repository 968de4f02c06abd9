import { describe, expect, it } from "vitest";
import fx from "../fixtures/torch-guidance.json";
import { adg } from "./adg";
import { MomentumBuffer, apg } from "./apg";
import { cfg, cfgIntervalApplies, guidanceEnabled } from "./cfg";
import type { Shape3 } from "./shape";

const f = (xs: number[]) => Float32Array.from(xs);
const shape: Shape3 = { B: fx.shape[0], T: fx.shape[1], C: fx.shape[2] };

function expectClose(got: Float32Array, want: number[], tol: number) {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  expect(worst).toBeLessThanOrEqual(tol);
}

describe("CFG (base generate_audio)", () => {
  it("computes v_u + g·(v_c − v_u)", () => {
    expect(Array.from(cfg(f([1, 2]), f([0.5, 3]), 7))).toEqual([4, -4]);
    expectClose(cfg(f(fx.vc1), f(fx.vu1), 7), fx.cfg_g7, 0);
  });

  it("guides only when g > 1, inside the inclusive raw-t interval", () => {
    expect(guidanceEnabled(1)).toBe(false);
    expect(guidanceEnabled(7)).toBe(true);
    expect(cfgIntervalApplies(1.0, 0, 1)).toBe(true);
    expect(cfgIntervalApplies(0.0, 0, 1)).toBe(true);
    expect(cfgIntervalApplies(0.9, 0.0, 0.8)).toBe(false); // early (noisy) steps skipped: raw t, not 1 − t
    expect(cfgIntervalApplies(0.3, 0.0, 0.8)).toBe(true);
    expect(cfgIntervalApplies(0.1, 0.2, 1.0)).toBe(false);
  });
});

describe("APG (apg_guidance.py apg_forward)", () => {
  it("removes the component of the difference parallel to v_c (hand case, T = 2, C = 1)", () => {
    // v_c = [1, 0]; v_u = [0, −1] → d = [1, 1], ‖d‖ = √2 < 2.5; u = [1, 0]; d∥ = [1, 0]; d⊥ = [0, 1]
    // v = v_c + (g − 1)·d⊥ = [1, 6] for g = 7
    expect(Array.from(apg(f([1, 0]), f([0, -1]), 7, { B: 1, T: 2, C: 1 }))).toEqual([1, 6]);
  });

  it("clips the difference to norm 2.5 over time per channel", () => {
    // v_c = [0, 1]; v_u = [−10, 1] → d = [10, 0], ‖d‖ = 10 → d = [2.5, 0]; u = [0, 1] → d⊥ = [2.5, 0]
    expect(Array.from(apg(f([0, 1]), f([-10, 1]), 3, { B: 1, T: 2, C: 1 }))).toEqual([5, 1]);
  });

  it("applies momentum −0.75 across steps", () => {
    const buf = new MomentumBuffer();
    const s = { B: 1, T: 2, C: 1 };
    apg(f([1, 0]), f([0, -1]), 7, s, { buffer: buf }); // running = [1, 1]
    // step 2: d = [0, 2]; running = [0, 2] − 0.75·[1, 1] = [−0.75, 1.25]; v_c = [1, 0] → d⊥ = [0, 1.25]
    expect(Array.from(apg(f([1, 0]), f([1, -2]), 7, s, { buffer: buf }))).toEqual([1, 7.5]);
    expect(Array.from(buf.running ?? [])).toEqual([-0.75, 1.25]);
  });

  it("matches the torch apg_forward on random [2, 5, 3] tensors", () => {
    const buf = new MomentumBuffer();
    expectClose(apg(f(fx.vc1), f(fx.vu1), 7, shape, { buffer: buf }), fx.apg_step1, 2e-6);
    expectClose(apg(f(fx.vc2), f(fx.vu2), 7, shape, { buffer: buf }), fx.apg_step2, 2e-6);
    expectClose(
      apg(f(fx.vc2), f(fx.vu2), 4, shape, { eta: 0.5, normThreshold: 0 }),
      fx.apg_nomomentum_g4_eta05_nothr,
      2e-6,
    );
  });

  it("checks shapes", () => {
    expect(() => apg(f([1]), f([1]), 7, { B: 1, T: 2, C: 1 })).toThrow(/B·T·C/);
  });
});

describe("ADG (apg_guidance.py adg_forward)", () => {
  it("returns v_c when cond and uncond agree (θ ≈ 0 branch uses Δ⊥·w = 0)", () => {
    const x = f([1, 2, 3]);
    const v = f([0.5, -0.5, 1]);
    const out = adg(x, v, v, 0.5, 7, { B: 1, T: 1, C: 3 });
    Array.from(out).forEach((y, i) => expect(y).toBeCloseTo(v[i], 2));
  });

  it("rotates by the clipped angle (hand case, C = 2)", () => {
    // x = 0, σ = 1: x̂_c = −v_c = [1, 0], x̂_u = −v_u = [0, 1]; θ = π/2; w = 6.001 → θ' = 3.14/6
    // Δ = [1, −1]; Δ⊥ = Δ − (Δ·x̂_u/‖x̂_u‖²)·x̂_u = [1, 0]; x̂_new = cos θ'·[1, 0] + [1, 0]·sin θ'/1
    const out = adg(f([0, 0]), f([-1, 0]), f([0, -1]), 1, 7, { B: 1, T: 1, C: 2 });
    const a = 3.14 / 6;
    expect(out[0]).toBeCloseTo(-(Math.cos(a) + Math.sin(a)), 6);
    expect(out[1]).toBeCloseTo(0, 6);
  });

  it("matches the torch adg_forward on random [2, 5, 3] tensors", () => {
    expectClose(adg(f(fx.x), f(fx.vc1), f(fx.vu1), 0.6, 7, shape), fx.adg_g7_sigma06, 5e-6);
    expectClose(adg(f(fx.x), f(fx.vc1), f(fx.vu1), 0.6, 1, shape), fx.adg_g1_sigma06, 5e-6);
  });
});
