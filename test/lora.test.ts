// LoRA adapters on the converted tiny DiT (server/models/lora): the patched graphs against a plain-TS merge
// W' = W + Σ scale·(alpha/r)·B·A built into fresh base graphs, scale 0 = base bitwise, stacking = sum,
// mismatched adapters refused by key, and scale / adapter switches reusing the cached patched session.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as ort from "onnxruntime-node";
import { createAppContext, type AppContext } from "../server/app-context";
import { DitRunner } from "../server/pipeline/dit-runner";
import { openCheckpointWeights, writeSafetensors, TINY_DIT_TURBO_CONFIG } from "../server/checkpoints";
import { convertCheckpoints } from "../server/models/convert/convert";
import { builderWeights } from "../server/models/convert/weights-adapter";
import { buildDitCrossKv, buildDitStep, ditConfigFromJson, type AceStepDitConfig } from "../server/models/dit";
import { toBytes, type Weights } from "../server/onnx";
import { randomLoraFactors, writePeftAdapter, type LoraFactors } from "../server/models/lora/write";
import type { ManifestEntry } from "../server/models/convert/manifest";
import { ModelManager } from "../server/models/manager";
import { f32, randArray, rng, session } from "./parity/helpers";

let app: AppContext;
let dir: string;
let entry: ManifestEntry;
let cfg: AceStepDitConfig;
let base: Weights;
let checkpoints: string;

const B = 1;
const T = 10;
const Le = 6;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "acestep-lora-"));
  app = createAppContext({ dataDir: dir, threads: 1 }); // the shared tiny demo set (test/setup/demo-models.ts)
  entry = await app.models.find("dit", "acestep-v15-turbo");
  cfg = ditConfigFromJson(entry.config);
  checkpoints = app.models.demoCheckpointsDir!;
  base = builderWeights(openCheckpointWeights(join(checkpoints, "acestep-v15-turbo")));
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Applied {
  factors: LoraFactors[];
  coef: number;
}

/** Plain-TS merge: W + Σ coef·B·A on every touched key. */
function merged(applied: Applied[]): Weights {
  const patched = new Map<string, Float32Array>();
  for (const { factors, coef } of applied) {
    for (const f of factors) {
      const key = `decoder.${f.module}.weight`;
      const w = patched.get(key) ?? Float32Array.from(base.get(key).data);
      for (let o = 0; o < f.out; o++) {
        for (let i = 0; i < f.in; i++) {
          let s = 0;
          for (let k = 0; k < f.rank; k++) s += f.b[o * f.rank + k] * f.a[k * f.in + i];
          w[o * f.in + i] += coef * s;
        }
      }
      patched.set(key, w);
    }
  }
  return {
    get: (k) => (patched.has(k) ? { shape: base.get(k).shape, data: patched.get(k)! } : base.get(k)),
    has: (k) => base.has(k),
    keys: () => base.keys(),
  };
}

const inputs = () => {
  const g = rng(11);
  return {
    enc: randArray(g, B * Le * cfg.hidden_size, 1),
    x: randArray(g, B * T * 64, 1),
    ctx: randArray(g, B * T * 128, 1),
  };
};

/** vt of one step through the runner (cross K/V then step, both with the runner's adapters). */
async function runnerStep(runner: DitRunner): Promise<Float32Array> {
  const { enc, x, ctx } = inputs();
  const kv = await runner.crossKv(enc, B, Le);
  return runner.step(x, B, T, 0.6, ctx, kv);
}

/** vt of the same step on base graphs built from the merged weights (the reference). */
async function referenceStep(w: Weights, precision: "fp32" | "fp16" = "fp32"): Promise<Float32Array> {
  const { enc, x, ctx } = inputs();
  const cross = await session(toBytes(buildDitCrossKv(w, cfg, { precision })));
  const step = await session(toBytes(buildDitStep(w, cfg, { precision })));
  const kv = await cross.run({ encoder_hidden_states: f32(enc, [B, Le, cfg.hidden_size]) });
  const feeds: Record<string, ort.Tensor> = {
    hidden_states: f32(x, [B, T, 64]),
    context_latents: f32(ctx, [B, T, 128]),
    timestep: f32(Float32Array.of(0.6), [B]),
    timestep_r: f32(Float32Array.of(0.6), [B]),
  };
  for (const [k, v] of Object.entries(kv)) feeds[k] = v;
  const out = await step.run(feeds);
  return out.vt.data as Float32Array;
}

const rmse = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / a.length);
};

function peft(
  name: string,
  o: { rank: number; alpha: number; seed: number; rslora?: boolean; targets?: string[] },
): { path: string; factors: LoraFactors[]; scaling: number } {
  const path = join(dir, "loras", name);
  const factors = randomLoraFactors(TINY_DIT_TURBO_CONFIG, {
    rank: o.rank,
    seed: o.seed,
    std: 0.2,
    targetModules: o.targets,
  });
  writePeftAdapter(path, factors, { r: o.rank, alpha: o.alpha, rslora: o.rslora, targetModules: o.targets });
  return { path, factors, scaling: o.rslora ? o.alpha / Math.sqrt(o.rank) : o.alpha / o.rank };
}

/** A ComfyUI-style single file: diffusion_model.decoder.<module>.lora_down/lora_up.weight + scalar alpha. */
function comfy(name: string, o: { rank: number; alpha: number; seed: number; targets: string[] }) {
  mkdirSync(join(dir, "loras"), { recursive: true });
  const path = join(dir, "loras", `${name}.safetensors`);
  const factors = randomLoraFactors(TINY_DIT_TURBO_CONFIG, {
    rank: o.rank,
    seed: o.seed,
    std: 0.2,
    targetModules: o.targets,
  });
  writeSafetensors(
    path,
    factors.flatMap((f) => [
      {
        name: `diffusion_model.decoder.${f.module}.lora_down.weight`,
        dtype: "F32" as const,
        shape: [f.rank, f.in],
        data: f.a,
      },
      {
        name: `diffusion_model.decoder.${f.module}.lora_up.weight`,
        dtype: "F32" as const,
        shape: [f.out, f.rank],
        data: f.b,
      },
      {
        name: `diffusion_model.decoder.${f.module}.alpha`,
        dtype: "F32" as const,
        shape: [],
        data: Float32Array.of(o.alpha),
      },
    ]),
  );
  return { path, factors, scaling: o.alpha / o.rank };
}

describe("LoRA on the converted DiT", () => {
  it("equals the plain-TS merge W + scale·(alpha/r)·B·A (official PEFT layout, q/k/v/o incl. cross K/V)", async () => {
    const a = peft("official", { rank: 4, alpha: 8, seed: 1 });
    const runner = new DitRunner(app.models, entry, [{ path: a.path, scale: 0.7 }]);
    const got = await runnerStep(runner);
    const want = await referenceStep(merged([{ factors: a.factors, coef: 0.7 * a.scaling }]));
    const plain = await runnerStep(new DitRunner(app.models, entry));
    expect(rmse(got, want)).toBeLessThanOrEqual(1e-5);
    expect(rmse(got, plain)).toBeGreaterThan(1e-3); // the adapter changes the output
  });

  it("two stacked adapters (PEFT rsLoRA + ComfyUI single file on the MLP) equal the merge of their sum", async () => {
    const a = peft("rslora", { rank: 3, alpha: 6, seed: 2, rslora: true });
    const c = comfy("mlp", { rank: 2, alpha: 1, seed: 3, targets: ["gate_proj", "up_proj", "down_proj"] });
    const runner = new DitRunner(app.models, entry, [
      { path: a.path, scale: 0.5 },
      { path: c.path, scale: -1.3 },
    ]);
    const got = await runnerStep(runner);
    const want = await referenceStep(
      merged([
        { factors: a.factors, coef: 0.5 * a.scaling },
        { factors: c.factors, coef: -1.3 * c.scaling },
      ]),
    );
    expect(rmse(got, want)).toBeLessThanOrEqual(1e-5);
  });

  it.each(["fp16", "int8"] as const)("works on an %s conversion of the DiT", async (dtype) => {
    await convertCheckpoints({
      from: checkpoints,
      to: join(dir, `models-${dtype}`),
      only: ["acestep-v15-turbo"],
      dtype: { dit: dtype },
    });
    const mm = new ModelManager({ modelsDir: join(dir, `models-${dtype}`), dataDir: dir, threads: 1 });
    try {
      const e = await mm.find("dit", "acestep-v15-turbo");
      expect(e.dtype).toBe(dtype);
      const a = peft(`on-${dtype}`, { rank: 4, alpha: 8, seed: 7 });
      const got = await runnerStep(new DitRunner(mm, e, [{ path: a.path, scale: 1 }]));
      const plain = await runnerStep(new DitRunner(mm, e));
      const mergedW = merged([{ factors: a.factors, coef: a.scaling }]);
      if (dtype === "fp16") {
        // fp16: the only difference to the fp16 build of the merged weights is the rounding of W vs W + ΔW
        const want = await referenceStep(mergedW, "fp16");
        expect(rmse(plain, want)).toBeGreaterThan(1e-2);
        expect(rmse(got, want)).toBeLessThan(rmse(plain, want) / 50);
      } else {
        // int8 weights: the adapter's effect is there (the fp32 merge is far closer than the int8 base)
        const want = await referenceStep(mergedW);
        expect(rmse(got, want)).toBeLessThan(rmse(plain, want) / 20);
      }
    } finally {
      await mm.close();
    }
  });

  it("scale 0 is bitwise the base model", async () => {
    const a = peft("zero", { rank: 4, alpha: 8, seed: 4 });
    const plain = await runnerStep(new DitRunner(app.models, entry));
    const zero = await runnerStep(new DitRunner(app.models, entry, [{ path: a.path, scale: 0 }]));
    expect(Buffer.from(zero.buffer).equals(Buffer.from(plain.buffer))).toBe(true);
  });

  it("refuses an adapter for another model, naming the first bad key", () => {
    const wide = join(dir, "loras", "wide");
    const f = randomLoraFactors({ ...TINY_DIT_TURBO_CONFIG, hidden_size: 96 }, { rank: 2 });
    writePeftAdapter(wide, f, { r: 2, alpha: 2 });
    expect(() => new DitRunner(app.models, entry, [{ path: wide, scale: 1 }])).toThrow(
      /key "base_model\.model\.layers\.0\.cross_attn\.k_proj\.lora_A\.weight" is a \[\d+, 96\] delta/,
    );
    const lm = join(dir, "loras", "lm.safetensors");
    writeSafetensors(lm, [
      {
        name: "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
        dtype: "F32",
        shape: [2, 64],
        data: new Float32Array(128),
      },
      {
        name: "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight",
        dtype: "F32",
        shape: [64, 2],
        data: new Float32Array(128),
      },
    ]);
    expect(() => new DitRunner(app.models, entry, [{ path: lm, scale: 1 }])).toThrow(
      /key "base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight": module .* is not part of the ACE-Step DiT decoder/,
    );
  });

  it("switching scale or adapter (same touched weights) reuses the cached patched session", async () => {
    const a = peft("switch-a", { rank: 4, alpha: 8, seed: 5 });
    const b = peft("switch-b", { rank: 8, alpha: 4, seed: 6 });
    const host = app.models.host();
    const first = await runnerStep(new DitRunner(app.models, entry, [{ path: a.path, scale: 1 }]));
    const load = vi.spyOn(host, "load");
    const half = await runnerStep(new DitRunner(app.models, entry, [{ path: a.path, scale: 0.5 }]));
    const other = await runnerStep(new DitRunner(app.models, entry, [{ path: b.path, scale: 1 }]));
    const detached = await runnerStep(new DitRunner(app.models, entry));
    expect(load).not.toHaveBeenCalled();
    load.mockRestore();
    expect(rmse(first, half)).toBeGreaterThan(1e-4);
    expect(rmse(half, other)).toBeGreaterThan(1e-4);
    const want = await referenceStep(merged([{ factors: b.factors, coef: b.scaling }]));
    expect(rmse(other, want)).toBeLessThanOrEqual(1e-5);
    expect(rmse(detached, first)).toBeGreaterThan(1e-4);
  });
});
