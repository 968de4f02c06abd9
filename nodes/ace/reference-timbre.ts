// Reference Timbre (acestep/handler.py `process_reference_audio`): reference audio → 30 s montage of three 10 s
// segments (front, middle and back thirds; seeded here, unseeded upstream) → VAE posterior sample → [1, 750, 64]
// latents for the DiT's timbre encoder. Silent references are ignored.
import { defineNode } from "../define-node";
import { param } from "../params";
import { modelsOf } from "../models/loaders";
import { NodeError } from "../errors";
import { vaeEncode } from "../../server/pipeline/vae";
import { uniforms } from "../../server/random/prng";
import type { AudioValue } from "../values";

const SR = 48_000;
const SEG = 10 * SR;

/** Tiles to ≥ 30 s, then takes one random 10 s segment from each third (seeded). */
export function timbreMontage(audio: AudioValue, seed: number): Float32Array[] {
  const chans = audio.channels.length === 1 ? [audio.channels[0], audio.channels[0]] : audio.channels.slice(0, 2);
  let n = chans[0].length;
  let src = chans;
  if (n < 3 * SEG) {
    const reps = Math.ceil((3 * SEG) / n);
    src = chans.map((c) => {
      const out = new Float32Array(c.length * reps);
      for (let r = 0; r < reps; r++) out.set(c, r * c.length);
      return out;
    });
    n = src[0].length;
  }
  const rand = uniforms(seed >>> 0);
  const third = Math.floor(n / 3);
  const starts = [0, 1, 2].map((k) => k * third + Math.floor(rand() * Math.max(1, third - SEG + 1)));
  return src.map((c) => {
    const out = new Float32Array(3 * SEG);
    starts.forEach((s, k) => out.set(c.subarray(s, s + SEG), k * SEG));
    return out;
  });
}

export const ReferenceTimbreNode = defineNode({
  type: "ace.referenceTimbre",
  sessions: { vae: ["vae_encoder"] },
  title: "Reference Timbre",
  category: "conditioning",
  description:
    "A reference clip whose timbre the song should take: a seeded 30 s montage, VAE-encoded (one timbre token). Works with every task.",
  inputs: { vae: { type: "VAE" }, audio: { type: "AUDIO" } },
  outputs: { timbre: { type: "CONDITIONING" } },
  params: { seed: param.seed({ description: "Seed for the segment choice and the VAE posterior sample" }) },
  run: async ({ inputs, params }, ctx) => {
    const mm = modelsOf(ctx.services);
    const peak = inputs.audio.channels.reduce((m, c) => c.reduce((a, x) => Math.max(a, Math.abs(x)), m), 0);
    if (peak < 1e-6)
      throw new NodeError(
        "the reference audio is silent (upstream ignores it): disconnect it or choose another clip",
        "audio",
      );
    const montage = timbreMontage(inputs.audio, params.seed);
    const lat = await vaeEncode(
      mm,
      await mm.find("vae", inputs.vae.id),
      { sampleRate: SR, channels: montage },
      { posterior: { kind: "sample", seed: params.seed }, signal: ctx.signal },
    );
    return {
      timbre: {
        kind: "conditioning",
        tensors: { timbre_latents: { data: lat.data, shape: lat.shape } },
        meta: { role: "timbre" },
        demo: mm.demo,
      },
    };
  },
});
