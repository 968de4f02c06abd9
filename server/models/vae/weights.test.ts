import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { openCheckpointWeights } from "../../checkpoints/weights";
import { writeTinyCheckpoints } from "../../checkpoints/tiny/write";
import { MemoryWeights } from "../../onnx/weights";
import { toBytes } from "../../onnx/serialize";
import { decode as refDecode } from "../../../test/parity/reference/oobleck";
import { subpixelBias, subpixelWeight } from "./blocks";
import { oobleckConfigFromJson, ACESTEP_VAE, decoderLevels, encoderLevels, hopLength } from "./config";
import { buildOobleckDecoder } from "./decoder";
import { buildOobleckEncoder } from "./encoder";
import {
  SNAKE_ALPHA,
  SNAKE_INV_BETA,
  checkpointAsWeights,
  ensurePrepared,
  foldWeightNorm,
  prepareOobleckWeights,
} from "./weights";

const f = (...v: number[]) => Float32Array.from(v);

describe("weight-norm folding", () => {
  it("equals g · v / ‖v‖ per dim-0 slice (hand computation)", () => {
    // row 0: v = [3, 4] (‖v‖ = 5), g = 10 → [6, 8]; row 1: v = [1, −2, 2] … shape [2, 1, 2] so rows of 2
    expect(Array.from(foldWeightNorm(f(10, 2), f(3, 4, 0, -1), [2, 1, 2]))).toEqual([6, 8, 0, -2]);
    // [1, 2, 2]: one output row over in×k = 4 values 1, 2, 2, 4 → ‖v‖ = 5, g = 1 → v/5
    expect(Array.from(foldWeightNorm(f(1), f(1, 2, 2, 4), [1, 2, 2]))).toEqual([0.2, 0.4, 0.4, 0.8].map(Math.fround));
  });

  it("ConvTranspose weights fold over dim 0 = input channel ([in, out, k], weight_g [in, 1, 1])", () => {
    const v = f(1, 0, 0, 0, /* in 1 */ 0, 3, 0, 4);
    expect(Array.from(foldWeightNorm(f(2, 10), v, [2, 2, 2]))).toEqual([2, 0, 0, 0, 0, 6, 0, 8]);
  });

  it("prepares the official layout: folded weights, exp'd Snake parameters, both weight-norm key styles", () => {
    const src = new MemoryWeights([
      ["a.conv.weight_g", { shape: [1, 1, 1], data: f(10) }],
      ["a.conv.weight_v", { shape: [1, 1, 2], data: f(3, 4) }],
      ["a.conv.bias", { shape: [1], data: f(0.5) }],
      ["b.conv.parametrizations.weight.original0", { shape: [1, 1, 1], data: f(1) }],
      ["b.conv.parametrizations.weight.original1", { shape: [1, 1, 2], data: f(0, 2) }],
      ["c.conv.weight", { shape: [1, 1, 1], data: f(7) }],
      ["s.alpha", { shape: [1, 2, 1], data: f(0, Math.log(3)) }],
      ["s.beta", { shape: [1, 2, 1], data: f(Math.log(2), 0) }],
    ]);
    const p = prepareOobleckWeights(src);
    expect([...p.keys()].sort()).toEqual([
      "a.conv.bias",
      "a.conv.weight",
      "b.conv.weight",
      "c.conv.weight",
      `s.${SNAKE_ALPHA}`,
      `s.${SNAKE_INV_BETA}`,
    ]);
    expect(Array.from(p.get("a.conv.weight").data)).toEqual([6, 8]);
    expect(Array.from(p.get("b.conv.weight").data)).toEqual([0, 1]);
    expect(Array.from(p.get("c.conv.weight").data)).toEqual([7]);
    expect(p.get(`s.${SNAKE_ALPHA}`).data[0]).toBe(1);
    expect(p.get(`s.${SNAKE_ALPHA}`).data[1]).toBeCloseTo(3, 6);
    expect(p.get(`s.${SNAKE_INV_BETA}`).data[0]).toBeCloseTo(0.5, 7);
    expect(p.get(`s.${SNAKE_INV_BETA}`).shape).toEqual([1, 2, 1]);
    expect(ensurePrepared(p)).toBe(p);
    expect(ensurePrepared(src)).not.toBe(src);
    expect(Array.from(prepareOobleckWeights(src, { snakeLogScale: false }).get(`s.${SNAKE_ALPHA}`).data)).toEqual([
      0,
      Math.fround(Math.log(3)),
    ]);
  });

  it("sub-pixel weights: channel co·s + r takes taps W[:, co, s + r] (x[q−1]) and W[:, co, r] (x[q])", () => {
    // in 1, out 1, s = 2, K = 4: W = [a, b, c, d] → r=0: [c, a], r=1: [d, b]
    expect(Array.from(subpixelWeight(f(1, 2, 3, 4), 1, 1, 2))).toEqual([3, 1, 4, 2]);
    expect(Array.from(subpixelBias(f(5, 6), 3))).toEqual([5, 5, 5, 6, 6, 6]);
  });
});

describe("config", () => {
  it("official widths and hop", () => {
    expect(hopLength(ACESTEP_VAE)).toBe(1920);
    expect(encoderLevels(ACESTEP_VAE).map((l) => [l.inCh, l.outCh, l.stride])).toEqual([
      [128, 128, 2],
      [128, 256, 4],
      [256, 512, 4],
      [512, 1024, 6],
      [1024, 2048, 10],
    ]);
    expect(decoderLevels(ACESTEP_VAE).map((l) => [l.inCh, l.outCh, l.stride])).toEqual([
      [2048, 1024, 10],
      [1024, 512, 6],
      [512, 256, 4],
      [256, 128, 4],
      [128, 128, 2],
    ]);
  });
});

describe("official-layout tiny checkpoint (server/checkpoints writer, bf16 safetensors)", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "vae-ckpt-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("builds both graphs from vae/ and the decoder matches the reference on its weights", async () => {
    const dirs = writeTinyCheckpoints(path.join(tmp, "checkpoints"), { seed: 4, only: ["vae"] });
    const cfg = oobleckConfigFromJson(JSON.parse(fs.readFileSync(path.join(dirs.vae, "config.json"), "utf8")));
    const cw = openCheckpointWeights(dirs.vae);
    try {
      const w = checkpointAsWeights(cw);
      expect([...w.keys()].filter((k) => k.startsWith("decoder.")).length).toBe(decoderLevels(cfg).length * 35 + 7); // 182 for the official config (vae/config.json)
      const enc = buildOobleckEncoder(w, cfg);
      expect(enc.outputs.map((o) => o.name)).toEqual(["mean", "std"]);
      const dec = buildOobleckDecoder(w, cfg);
      const s = await ort.InferenceSession.create(toBytes(dec), { intraOpNumThreads: 1 });
      const T = 2;
      const z = Float32Array.from({ length: cfg.latentChannels * T }, (_, i) => Math.sin(i));
      const out = await s.run({ latents: new ort.Tensor("float32", z, [1, cfg.latentChannels, T]) });
      expect(out.audio.dims).toEqual([1, 2, 1920 * T]);
      const ref = refDecode((k) => cw.getFloat32(k), cfg, { c: cfg.latentChannels, l: T, data: z });
      let err = 0,
        peak = 0;
      for (let i = 0; i < ref.data.length; i++) {
        err = Math.max(err, Math.abs(ref.data[i] - (out.audio.data as Float32Array)[i]));
        peak = Math.max(peak, Math.abs(ref.data[i]));
      }
      console.log(`tiny official checkpoint decode: max abs err ${err}, peak |audio| ${peak}`);
      expect(err / peak).toBeLessThanOrEqual(1e-5); // relative: this init is not amplitude-controlled (measured 2.6e-6 at peak 10.6)
    } finally {
      cw.close();
    }
  });
});
