// Parity: Oobleck VAE encoder/decoder graphs (server/models/vae) vs the plain-TS reference (reference/oobleck.ts),
// with seeded random weights in the OFFICIAL key layout (weight_g ≠ ‖weight_v‖, log-scale Snake), so weight-norm
// folding and the Snake exp are covered too. Also: sub-pixel vs ConvTranspose upsampling, tiled vs untiled decode
// and encode, with the error at the seams measured.
//
// Measured on ORT 1.30 CPU, 1 thread (the last run's table is printed as "vae max abs errors"):
//   encoder (hop 8, widths 8→16→32), B=2:           mean 3.6e-7, std 2.4e-7        (limit 1e-5)
//   decoder (hop 8), B=2:                            sub-pixel 9.5e-7, ConvTranspose 8.6e-7
//   real strides 2,4,4,6,10 at width 8:              encoder mean 1.3e-6, std 5.4e-7; decoder 4.8e-8 (peak |audio| 0.08)
//   odd strides 3,2 decoder vs ref 2.7e-7; sub-pixel vs ConvTranspose decode 2.7e-7 (float rounding only)
//   encoder with N = 2·1920 + 1000 (not a multiple of the hop): ⌊N/1920⌋ = 2 frames, 6.6e-7
// Tiling (real strides, width 8, so the receptive field is the real one):
//   decode T=100, chunk 48 / overlap 12:   0 at the seams and 0 elsewhere (bitwise equal to one shot)
//   decode T=100, chunk 24 / overlap 2:    0 away from seams; 2.9e-2 within ±10 frames of a seam; differing samples
//                                          reach 6.3 frames past a seam → decoder receptive field ≈ 2 + 6.3 ≈ ±8.3 frames
//   encode 60 frames, chunk 24 / overlap 8 frames: 0 everywhere (mean and std)
//   encode 60 frames, chunk 20 / overlap 1 frame:  0 away from seams; 0.68 near seams; differing frames reach
//                                          6 frames past a seam → encoder receptive field ≈ 7 frames ≈ 0.28 s
//   So the official 64-frame decode overlap and 2 s (50-frame) encode overlap are exact.
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { vaeLayout } from "../../server/checkpoints/layout/vae";
import { MemoryWeights } from "../../server/onnx/weights";
import { toBytes } from "../../server/onnx/serialize";
import { WeightKeyError, type BuiltModel } from "../../server/onnx/graph";
import {
  type OobleckConfig,
  type Tensor3,
  buildOobleckDecoder,
  buildOobleckEncoder,
  decodedLength,
  encodedLength,
  hopLength,
  planDecode,
  planEncode,
  prepareOobleckWeights,
  sessionDecodeChunk,
  sessionEncodeChunk,
  tiledDecode,
  tiledEncode,
} from "../../server/models/vae";
import { decode, encode, joinBatch, splitBatch } from "./reference/oobleck";
import { maxAbsDiff, measured, randArray, record, rng } from "./helpers";

function json(c: OobleckConfig) {
  return {
    audio_channels: c.audioChannels,
    encoder_hidden_size: c.encoderHiddenSize,
    decoder_channels: c.decoderChannels,
    decoder_input_channels: c.latentChannels,
    channel_multiples: c.channelMultiples,
    downsampling_ratios: c.downsamplingRatios,
    sampling_rate: c.samplingRate,
  };
}

/** Official-layout weights: weight_v ~ U·1/√fan_in, weight_g ~ U(0.4, 0.9) (≠ ‖v‖), Snake logs ~ U(−0.5, 0.5). */
function officialWeights(c: OobleckConfig, seed: number): MemoryWeights {
  const r = rng(seed);
  const w = new MemoryWeights();
  for (const [k, shape] of vaeLayout(json(c)).required) {
    const n = shape.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    if (k.endsWith(".weight_v")) data = randArray(r, n, 1 / Math.sqrt(n / shape[0]));
    else if (k.endsWith(".weight_g")) data = randArray(r, n, 0.25, 0.65);
    else if (k.endsWith(".alpha") || k.endsWith(".beta")) data = randArray(r, n, 0.5);
    else data = randArray(r, n, 0.05);
    w.set(k, { shape: [...shape], data });
  }
  return w;
}

const small: OobleckConfig = {
  audioChannels: 2,
  encoderHiddenSize: 8,
  decoderChannels: 8,
  latentChannels: 4,
  channelMultiples: [2, 4],
  downsamplingRatios: [2, 4],
  samplingRate: 48000,
};
const realStrides: OobleckConfig = {
  audioChannels: 2,
  encoderHiddenSize: 8,
  decoderChannels: 8,
  latentChannels: 4,
  channelMultiples: [1, 1, 1, 1, 1],
  downsamplingRatios: [2, 4, 4, 6, 10],
  samplingRate: 48000,
};
const oddStride: OobleckConfig = { ...small, downsamplingRatios: [3, 2] };

const sessions = new Map<BuiltModel, Promise<ort.InferenceSession>>();
function open(m: BuiltModel): Promise<ort.InferenceSession> {
  let s = sessions.get(m);
  if (!s)
    sessions.set(m, (s = ort.InferenceSession.create(toBytes(m), { intraOpNumThreads: 1, interOpNumThreads: 1 })));
  return s;
}
const tensor = (t: Tensor3) => new ort.Tensor("float32", t.data, t.dims);

async function runDecoder(m: BuiltModel, z: Float32Array, dims: [number, number, number]): Promise<Tensor3> {
  return sessionDecodeChunk(await open(m), tensor)(
    { data: z, dims },
    { index: 0, coreStart: 0, coreEnd: dims[2], winStart: 0, winEnd: dims[2] },
  );
}
async function runEncoder(m: BuiltModel, x: Float32Array, dims: [number, number, number]) {
  return sessionEncodeChunk(await open(m), tensor)(
    { data: x, dims },
    { index: 0, coreStart: 0, coreEnd: dims[2], winStart: 0, winEnd: dims[2] },
  );
}

function refDecode(c: OobleckConfig, w: MemoryWeights, z: Float32Array, B: number, T: number): Float32Array {
  return joinBatch(splitBatch(z, B, c.latentChannels, T).map((it) => decode((k) => w.get(k), c, it)));
}
function refEncode(c: OobleckConfig, w: MemoryWeights, x: Float32Array, B: number, N: number) {
  const outs = splitBatch(x, B, c.audioChannels, N).map((it) => encode((k) => w.get(k), c, it));
  return { mean: joinBatch(outs.map((o) => o.mean)), std: joinBatch(outs.map((o) => o.std)) };
}

/** A smooth-ish test signal in [−0.9, 0.9]: two sines per channel plus a little seeded noise. */
function audioSignal(B: number, C: number, N: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(B * C * N);
  for (let b = 0; b < B; b++)
    for (let c = 0; c < C; c++) {
      const f1 = 0.003 + 0.002 * (b + c),
        f2 = 0.05 + 0.01 * c;
      for (let t = 0; t < N; t++)
        x[(b * C + c) * N + t] =
          0.5 * Math.sin(2 * Math.PI * f1 * t) + 0.3 * Math.sin(2 * Math.PI * f2 * t + b) + 0.1 * (2 * r() - 1);
    }
  return x;
}

afterAll(() => console.log("vae max abs errors", measured));

describe("oobleck VAE graphs vs reference (fp32)", () => {
  const wSmall = officialWeights(small, 101);

  it("encoder (hop 8, widths 8→16→32, B=2) matches within 1e-5", async () => {
    const B = 2,
      N = 8 * 12;
    const x = audioSignal(B, 2, N, 7);
    const got = await runEncoder(buildOobleckEncoder(wSmall, small), x, [B, 2, N]);
    expect(got.mean.dims).toEqual([B, 4, 12]);
    const ref = refEncode(small, wSmall, x, B, N);
    expect(record("encoder small mean", maxAbsDiff(got.mean.data, ref.mean))).toBeLessThanOrEqual(1e-5);
    expect(record("encoder small std", maxAbsDiff(got.std.data, ref.std))).toBeLessThanOrEqual(1e-5);
    // the outputs are not trivially small
    expect(Math.max(...ref.mean.map(Math.abs))).toBeGreaterThan(0.05);
  });

  it("decoder (hop 8, B=2) matches within 1e-5 with both upsampling forms", async () => {
    const B = 2,
      T = 10;
    const z = randArray(rng(8), B * 4 * T, 1);
    const ref = refDecode(small, wSmall, z, B, T);
    for (const upsample of ["subpixel", "convtranspose"] as const) {
      const got = await runDecoder(buildOobleckDecoder(wSmall, small, { upsample }), z, [B, 4, T]);
      expect(got.dims).toEqual([B, 2, 8 * T]);
      expect(record(`decoder small ${upsample}`, maxAbsDiff(got.data, ref))).toBeLessThanOrEqual(1e-5);
    }
    expect(Math.max(...ref.map(Math.abs))).toBeGreaterThan(0.05);
  });

  it("sub-pixel decode equals ConvTranspose decode, and an odd stride (3) matches the reference too", async () => {
    const w = officialWeights(oddStride, 103);
    const B = 1,
      T = 7;
    const z = randArray(rng(9), B * 4 * T, 1);
    const a = await runDecoder(buildOobleckDecoder(w, oddStride, { upsample: "subpixel" }), z, [B, 4, T]);
    const b = await runDecoder(buildOobleckDecoder(w, oddStride, { upsample: "convtranspose" }), z, [B, 4, T]);
    expect(a.dims[2]).toBe(decodedLength(oddStride, T)); // odd stride: (L−1)·3 − 4 + 6 = 3L − 1, then ×2
    expect(record("subpixel vs convtranspose (stride 3,2)", maxAbsDiff(a.data, b.data))).toBeLessThanOrEqual(1e-5);
    expect(
      record("decoder stride 3,2 vs ref", maxAbsDiff(a.data, refDecode(oddStride, w, z, B, T))),
    ).toBeLessThanOrEqual(1e-5);
  });

  const wReal = officialWeights(realStrides, 102);

  it("real stride set 2,4,4,6,10 at width 8: encoder and decoder match within 1e-5", async () => {
    expect(hopLength(realStrides)).toBe(1920);
    const T = 3,
      N = 1920 * T;
    const x = audioSignal(1, 2, N, 11);
    const enc = await runEncoder(buildOobleckEncoder(wReal, realStrides), x, [1, 2, N]);
    expect(enc.mean.dims).toEqual([1, 4, T]);
    const er = refEncode(realStrides, wReal, x, 1, N);
    expect(record("encoder real strides mean", maxAbsDiff(enc.mean.data, er.mean))).toBeLessThanOrEqual(1e-5);
    expect(record("encoder real strides std", maxAbsDiff(enc.std.data, er.std))).toBeLessThanOrEqual(1e-5);

    const z = randArray(rng(12), 4 * T, 1);
    const dr = refDecode(realStrides, wReal, z, 1, T);
    for (const upsample of ["subpixel", "convtranspose"] as const) {
      const got = await runDecoder(buildOobleckDecoder(wReal, realStrides, { upsample }), z, [1, 4, T]);
      expect(got.dims).toEqual([1, 2, 1920 * T]);
      expect(record(`decoder real strides ${upsample}`, maxAbsDiff(got.data, dr))).toBeLessThanOrEqual(1e-5);
    }
    record("(decoder real strides: max |output|)", Math.max(...dr.map(Math.abs)));
    expect(Math.max(...dr.map(Math.abs))).toBeGreaterThan(0.05);
  });

  it("encoder output length is ⌊N/1920⌋ for lengths that are not multiples of the hop", async () => {
    const N = 1920 * 2 + 1000;
    expect(encodedLength(realStrides, N)).toBe(2);
    const x = audioSignal(1, 2, N, 13);
    const enc = await runEncoder(buildOobleckEncoder(wReal, realStrides), x, [1, 2, N]);
    expect(enc.mean.dims).toEqual([1, 4, 2]);
    expect(
      record("encoder N=2·1920+1000 mean", maxAbsDiff(enc.mean.data, refEncode(realStrides, wReal, x, 1, N).mean)),
    ).toBeLessThanOrEqual(1e-5);
  });

  it("Snake forms: the cosine form (default, folded into the residual units) and the literal sin form both match", async () => {
    const T = 3;
    const z = randArray(rng(14), 4 * T, 1);
    const ref = refDecode(realStrides, wReal, z, 1, T);
    const N = 1920 * 2;
    const x = audioSignal(1, 2, N, 15);
    const er = refEncode(realStrides, wReal, x, 1, N);
    const opsOf = (m: BuiltModel) => m.nodes.map((n) => n.opType);
    for (const snake of ["cos", "sin"] as const) {
      const dec = buildOobleckDecoder(wReal, realStrides, { snake });
      const got = await runDecoder(dec, z, [1, 4, T]);
      expect(record(`decoder real strides, Snake ${snake}`, maxAbsDiff(got.data, ref))).toBeLessThanOrEqual(1e-5);
      const enc = await runEncoder(buildOobleckEncoder(wReal, realStrides, { snake }), x, [1, 2, N]);
      expect(
        record(`encoder real strides mean, Snake ${snake}`, maxAbsDiff(enc.mean.data, er.mean)),
      ).toBeLessThanOrEqual(1e-5);
      const ops = opsOf(dec);
      // 5 blocks × 3 units × 2 Snakes + 5 block Snakes + the final one = 36 Snakes
      expect(ops.filter((o) => o === (snake === "cos" ? "Cos" : "Sin")).length).toBe(36);
      expect(ops.filter((o) => o === (snake === "cos" ? "Sin" : "Cos")).length).toBe(0);
      // elementwise passes per Snake: sin 5 (Mul, Sin, Mul, Mul, Add); cos 4 (BN, Cos, BN, Add), 3 when folded
      const passes = ops.filter((o) => ["Mul", "Sin", "Cos", "BatchNormalization"].includes(o)).length;
      expect(passes).toBe(snake === "cos" ? 15 * 2 + 21 * 3 : 36 * 4);
    }
  });

  it("accepts already-prepared weights and reports missing keys by name", () => {
    const prepared = prepareOobleckWeights(wSmall);
    expect(() => buildOobleckDecoder(prepared, small)).not.toThrow();
    const broken = new MemoryWeights(
      [...wSmall.keys()].filter((k) => !k.startsWith("decoder.block.1.res_unit2.conv1")).map((k) => [k, wSmall.get(k)]),
    );
    expect(() => buildOobleckDecoder(broken, small)).toThrow(WeightKeyError);
    expect(() => buildOobleckDecoder(broken, small)).toThrow(/decoder\.block\.1\.res_unit2\.conv1\.weight/);
  });
});

describe("tiled decode / encode vs one shot (real strides, width 8)", () => {
  const wReal = officialWeights(realStrides, 102);
  const dec = buildOobleckDecoder(wReal, realStrides);
  const enc = buildOobleckEncoder(wReal, realStrides);

  /** max |a − b| split into samples within `radius` of a seam and the rest; `reach` = farthest differing sample from its nearest seam. */
  function seamErrors(a: Float32Array, b: Float32Array, rows: number, L: number, seams: number[], radius: number) {
    let at = 0,
      away = 0,
      reach = -1;
    for (let r = 0; r < rows; r++)
      for (let t = 0; t < L; t++) {
        const d = Math.abs(a[r * L + t] - b[r * L + t]);
        const dist = Math.min(...seams.map((s) => Math.abs(t - s)));
        if (d > 0) reach = Math.max(reach, dist);
        if (dist < radius) at = Math.max(at, d);
        else away = Math.max(away, d);
      }
    return { at, away, reach };
  }

  it("decode: overlap 12 frames (≥ receptive field) is exactly the one-shot result, seams included", async () => {
    const T = 100;
    const z = randArray(rng(21), 4 * T, 1);
    const session = await open(dec);
    const run = sessionDecodeChunk(session, tensor);
    const whole = await runDecoder(dec, z, [1, 4, T]);
    const progress: number[] = [];
    const tiled = await tiledDecode({ data: z, dims: [1, 4, T] }, run, {
      chunk: 48,
      overlap: 12,
      onProgress: (p) => progress.push(p.done),
    });
    const plan = planDecode(T, { chunk: 48, overlap: 12 });
    expect(plan.windows.length).toBe(5); // stride 24
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    expect(tiled.dims).toEqual([1, 2, 1920 * T]);
    const seams = plan.windows.slice(1).map((w) => w.coreStart * 1920);
    const e = seamErrors(tiled.data, whole.data, 2, 1920 * T, seams, 1920 * 2);
    record("tiled decode overlap 12: at seams", e.at);
    record("tiled decode overlap 12: away", e.away);
    expect(e.at).toBe(0);
    expect(e.away).toBe(0);
  });

  it("decode: with overlap 2 (< receptive field) the error stays at the seams; measured", async () => {
    const T = 100;
    const z = randArray(rng(22), 4 * T, 1);
    const run = sessionDecodeChunk(await open(dec), tensor);
    const whole = await runDecoder(dec, z, [1, 4, T]);
    const tiled = await tiledDecode({ data: z, dims: [1, 4, T] }, run, { chunk: 24, overlap: 2 });
    const plan = planDecode(T, { chunk: 24, overlap: 2 });
    const seams = plan.windows.slice(1).map((w) => w.coreStart * 1920);
    // receptive field ≈ ±9 latent frames; the trimmed overlap covers 2, so errors reach ~7 frames past each seam
    const e = seamErrors(tiled.data, whole.data, 2, 1920 * T, seams, 1920 * 10);
    record("tiled decode overlap 2: within ±10 frames of seams", e.at);
    record("tiled decode overlap 2: away", e.away);
    record("tiled decode overlap 2: farthest differing sample from a seam (latent frames)", e.reach / 1920);
    expect(e.away).toBe(0);
    expect(e.at).toBeGreaterThan(0); // proves the test can see seam errors
    expect(e.at).toBeLessThan(1);
  });

  it("decode: abort between chunks rejects with the signal's reason", async () => {
    const T = 60;
    const z = randArray(rng(23), 4 * T, 1);
    const ac = new AbortController();
    let calls = 0;
    const run = sessionDecodeChunk(await open(dec), tensor);
    const p = tiledDecode(
      { data: z, dims: [1, 4, T] },
      async (c, w) => {
        calls++;
        if (calls === 2) ac.abort(new Error("stop"));
        return run(c, w);
      },
      { chunk: 24, overlap: 4, signal: ac.signal },
    );
    await expect(p).rejects.toThrow("stop");
    expect(calls).toBe(2);
  });

  it("encode: 60 frames, chunk 24 / overlap 8 frames is exactly the one-shot result; seeded sampling is tiling-independent", async () => {
    const F = 60,
      N = 1920 * F;
    const x = audioSignal(1, 2, N, 31);
    const run = sessionEncodeChunk(await open(enc), tensor);
    const whole = await runEncoder(enc, x, [1, 2, N]);
    const o = { chunk: 1920 * 24, overlap: 1920 * 8 };
    const tiled = await tiledEncode({ data: x, dims: [1, 2, N] }, run, o);
    const plan = planEncode(N, o);
    expect(plan.windows.length).toBe(8); // stride 8 frames
    const seams = plan.windows.slice(1).map((w) => w.coreStart / 1920);
    expect(tiled.latents.data).toBe(tiled.mean.data); // mean by default
    const em = seamErrors(tiled.mean.data, whole.mean.data, 4, F, seams, 2);
    const es = seamErrors(tiled.std.data, whole.std.data, 4, F, seams, 2);
    record("tiled encode mean: at seams", em.at);
    record("tiled encode mean: away", em.away);
    record("tiled encode std: max", Math.max(es.at, es.away));
    expect(Math.max(em.at, em.away, es.at, es.away)).toBe(0);

    const s1 = await tiledEncode({ data: x, dims: [1, 2, N] }, run, { ...o, posterior: { kind: "sample", seed: 5 } });
    const s2 = await tiledEncode({ data: x, dims: [1, 2, N] }, run, {
      chunk: 1920 * 30,
      overlap: 1920 * 10,
      posterior: { kind: "sample", seed: 5 },
    });
    expect(maxAbsDiff(s1.latents.data, s2.latents.data)).toBe(0);
    expect(maxAbsDiff(s1.latents.data, whole.mean.data)).toBeGreaterThan(0);
  });

  it("encode: with overlap 1 frame (< receptive field ≈ ±7 frames) errors appear only near seams; measured", async () => {
    const F = 60,
      N = 1920 * F;
    const x = audioSignal(1, 2, N, 32);
    const run = sessionEncodeChunk(await open(enc), tensor);
    const whole = await runEncoder(enc, x, [1, 2, N]);
    const o = { chunk: 1920 * 20, overlap: 1920 };
    const tiled = await tiledEncode({ data: x, dims: [1, 2, N] }, run, o);
    const seams = planEncode(N, o)
      .windows.slice(1)
      .map((w) => w.coreStart / 1920);
    const e = seamErrors(tiled.mean.data, whole.mean.data, 4, F, seams, 8);
    record("tiled encode overlap 1 frame: within ±8 frames of seams", e.at);
    record("tiled encode overlap 1 frame: away", e.away);
    record("tiled encode overlap 1 frame: farthest differing frame from a seam", e.reach);
    expect(e.away).toBe(0);
    expect(e.at).toBeGreaterThan(0);
  });
});
