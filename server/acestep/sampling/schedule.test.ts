import { describe, expect, it } from "vitest";
import fixture from "./fixtures/torch-base-schedules.json";
import {
  TURBO_SHIFT_TIMESTEPS,
  VALID_TIMESTEPS,
  baseSchedule,
  buildSchedule,
  latentFramesForCodes,
  latentFramesForDuration,
  linearShiftSchedule,
  nearestValidTimestep,
  schedulePairs,
  shiftTimestep,
  snapTurboShift,
  turboSchedule,
} from "./schedule";

describe("duration → latent frames (handler create_target_wavs)", () => {
  it("gives floor(d·25) with a minimum of 128", () => {
    expect(latentFramesForDuration(30)).toBe(750);
    expect(latentFramesForDuration(240)).toBe(6000);
    expect(latentFramesForDuration(10)).toBe(250);
    expect(latentFramesForDuration(5)).toBe(128);
    expect(latentFramesForDuration(5.12)).toBe(128);
    expect(latentFramesForDuration(10.3)).toBe(257);
    expect(latentFramesForDuration(600)).toBe(15000);
  });

  it("rounds the duration to one decimal first, ties to even like Python", () => {
    expect(latentFramesForDuration(30.06)).toBe(752); // round(30.06,1)=30.1 → 1444800 samples → 752
    expect(latentFramesForDuration(30.04)).toBe(750);
    // round(10.25,1) = 10.2 (exact tie → even); int(10.2·48000) = 489599 in floating point → 254, not 255
    expect(latentFramesForDuration(10.25)).toBe(254);
    expect(latentFramesForDuration(10.2)).toBe(254);
    expect(latentFramesForDuration(10.75)).toBe(270); // round(10.75,1) = 10.8
  });

  it("rejects a missing duration", () => {
    expect(() => latentFramesForDuration(0)).toThrow(RangeError);
    expect(() => latentFramesForDuration(-1)).toThrow(RangeError);
  });

  it("uses 5 frames per code, padded to 128", () => {
    expect(latentFramesForCodes(150)).toBe(750);
    expect(latentFramesForCodes(10)).toBe(128);
  });
});

describe("turbo schedule (turbo generate_audio)", () => {
  it("holds the three reference tables", () => {
    const rounded = (xs: readonly number[]) => xs.map((x) => Math.round(x * 1e5) / 1e5);
    expect(rounded(TURBO_SHIFT_TIMESTEPS[1])).toEqual([1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125]);
    expect(rounded(TURBO_SHIFT_TIMESTEPS[2])).toEqual([1.0, 0.93333, 0.85714, 0.76923, 0.66667, 0.54545, 0.4, 0.22222]);
    expect(rounded(TURBO_SHIFT_TIMESTEPS[3])).toEqual([1.0, 0.95455, 0.9, 0.83333, 0.75, 0.64286, 0.5, 0.3]);
  });

  it("equals the shift formula on linspace(1,0,9)[:8]", () => {
    for (const s of [1, 2, 3] as const) {
      TURBO_SHIFT_TIMESTEPS[s].forEach((t, i) => expect(t).toBeCloseTo(shiftTimestep(1 - i / 8, s), 15));
    }
  });

  it("has 20 valid timesteps equal to the union of the tables", () => {
    expect(VALID_TIMESTEPS.length).toBe(20);
    const union = new Set([...TURBO_SHIFT_TIMESTEPS[1], ...TURBO_SHIFT_TIMESTEPS[2], ...TURBO_SHIFT_TIMESTEPS[3]]);
    expect([...union].sort((a, b) => b - a)).toEqual(VALID_TIMESTEPS);
  });

  it("snaps the shift to the nearest of 1, 2, 3", () => {
    expect(snapTurboShift(3)).toBe(3);
    expect(snapTurboShift(5)).toBe(3);
    expect(snapTurboShift(2.4)).toBe(2);
    expect(snapTurboShift(2.5)).toBe(2);
    expect(snapTurboShift(1.5)).toBe(1);
    expect(snapTurboShift(0.2)).toBe(1);
    const s = turboSchedule({ shift: 4.2 });
    expect(s.shift).toBe(3);
    expect(s.timesteps).toEqual([...TURBO_SHIFT_TIMESTEPS[3], 0]);
    expect(s.steps).toBe(8);
    expect(s.warnings[0]).toMatch(/rounded to 3/);
  });

  it("snaps custom timesteps to VALID_TIMESTEPS and drops trailing zeros", () => {
    const s = turboSchedule({ shift: 3, timesteps: [0.97, 0.76, 0.615, 0.5, 0.395, 0.28, 0.18, 0.085, 0] });
    expect(s.custom).toBe(true);
    expect(s.steps).toBe(8);
    expect(s.timesteps).toEqual([
      0.9545454545454546, 0.7692307692307693, 0.625, 0.5, 0.4, 0.3, 0.2222222222222222, 0.125, 0,
    ]);
    expect(nearestValidTimestep(0.0)).toBe(0.125);
    expect(nearestValidTimestep(0.9772727272727273)).toBe(1.0); // tie between 1.0 and 0.9545… → first (larger)
  });

  it("falls back to the shift table when custom timesteps are only zeros, and truncates >20 values", () => {
    expect(turboSchedule({ shift: 1, timesteps: [0, 0] }).timesteps).toEqual([...TURBO_SHIFT_TIMESTEPS[1], 0]);
    const many = turboSchedule({ shift: 3, timesteps: Array.from({ length: 25 }, () => 0.5) });
    expect(many.steps).toBe(20);
    expect(many.warnings.some((w) => w.includes("truncating"))).toBe(true);
  });

  it("ignores the step count", () => {
    const s = buildSchedule({ model: "turbo", shift: 3, steps: 50 });
    expect(s.steps).toBe(8);
    expect(s.warnings.some((w) => w.includes("ignores inference steps"))).toBe(true);
  });
});

describe("base / sft schedule (base generate_audio)", () => {
  it("is linspace(1,0,N+1) without shift", () => {
    expect(linearShiftSchedule(4, 1)).toEqual([1, 0.75, 0.5, 0.25, 0]);
  });

  it("applies s·t/(1+(s−1)·t)", () => {
    const t = linearShiftSchedule(8, 3);
    TURBO_SHIFT_TIMESTEPS[3].forEach((v, i) => expect(t[i]).toBeCloseTo(v, 15));
    expect(t[8]).toBe(0);
  });

  it("matches torch CPU fp32 and bf16 arithmetic bit for bit (vectorised linspace)", () => {
    for (const c of fixture.cases) {
      expect(
        linearShiftSchedule(c.steps, c.shift, c.dtype as "fp32" | "bf16", "cpu-avx2"),
        `${c.dtype} steps=${c.steps} shift=${c.shift}`,
      ).toEqual(c.t);
    }
  });

  it("differs from the scalar (CUDA) linspace by at most 1 ulp in fp32", () => {
    const c = fixture.cases.find((x) => x.dtype === "fp32" && x.steps === 60 && x.shift === 1)!;
    const cuda = linearShiftSchedule(c.steps, c.shift, "fp32", "cuda");
    cuda.forEach((v, i) => expect(Math.abs(v - c.t[i])).toBeLessThanOrEqual(1.2e-7));
  });

  it("shows the bf16 schedule is non-monotonic at 200 steps / shift 5", () => {
    const t = linearShiftSchedule(200, 5, "bf16");
    expect(t.slice(0, 4)).toEqual([1, 0.9921875, 1, 1]);
  });

  it("validates 1..200 steps", () => {
    expect(() => baseSchedule("base", { steps: 0, shift: 1 })).toThrow(RangeError);
    expect(() => baseSchedule("base", { steps: 201, shift: 1 })).toThrow(RangeError);
    expect(baseSchedule("base", { steps: 200, shift: 1 }).timesteps.length).toBe(201);
  });

  it("uses SFT custom timesteps verbatim and ignores them on base", () => {
    const sft = baseSchedule("sft", { steps: 30, shift: 3, timesteps: [1, 0.8, 0.33, 0] });
    expect(sft.timesteps).toEqual([1, 0.8, 0.33, 0]);
    expect(sft.steps).toBe(3);
    expect(sft.warnings).toEqual([]);
    expect(baseSchedule("sft", { steps: 30, shift: 3, timesteps: [1, 0.5] }).warnings[0]).toMatch(/do not end with 0/);
    const base = baseSchedule("base", { steps: 4, shift: 1, timesteps: [1, 0.5, 0] });
    expect(base.timesteps).toEqual([1, 0.75, 0.5, 0.25, 0]);
    expect(base.warnings[0]).toMatch(/ignored/);
  });

  it("pairs consecutive timesteps", () => {
    expect(schedulePairs([1, 0.5, 0])).toEqual([
      [1, 0.5],
      [0.5, 0],
    ]);
  });
});
