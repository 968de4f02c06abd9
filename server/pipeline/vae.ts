// VAE encode/decode on converted models: AUDIO [2 × N] ↔ LATENT [B, T, 64] (25 Hz), tiled as
// upstream (encode 30 s windows / 2 s overlap, decode 512 / 64 frames), through the ORT worker.
import type { AudioValue, LatentValue } from "../../nodes/values";
import type { ModelManager } from "../models/manager";
import type { ManifestEntry } from "../models/convert/manifest";
import { tiledDecode, tiledEncode, type Tensor3, type TileProgress } from "../models/vae";

export const VAE_HOP = 1920;

export interface VaeEncodeOptions {
  posterior?: { kind: "mean" } | { kind: "sample"; seed: number };
  chunkFrames?: number;
  overlapFrames?: number;
  signal?: AbortSignal;
  onProgress?: (p: TileProgress) => void;
}

/** [B, T, C] ↔ [B, C, T] */
export function swapLastTwo(data: Float32Array, B: number, A: number, C: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < B; b++)
    for (let a = 0; a < A; a++) {
      const src = (b * A + a) * C;
      for (let c = 0; c < C; c++) out[(b * C + c) * A + a] = data[src + c];
    }
  return out;
}

export async function vaeEncode(
  mm: ModelManager,
  entry: ManifestEntry,
  audio: AudioValue,
  o: VaeEncodeOptions = {},
): Promise<LatentValue> {
  if (audio.sampleRate !== 48_000)
    throw new Error(`the VAE needs 48 kHz audio, got ${audio.sampleRate} Hz (Load Audio resamples)`);
  const chans = audio.channels.length === 1 ? [audio.channels[0], audio.channels[0]] : audio.channels.slice(0, 2);
  const N = chans[0].length;
  if (N < VAE_HOP) throw new Error(`the audio is ${N} samples long; the VAE needs at least ${VAE_HOP} (40 ms)`);
  const data = new Float32Array(2 * N);
  data.set(chans[0], 0);
  data.set(chans[1], N);
  const input: Tensor3 = { data, dims: [1, 2, N] };
  const r = await tiledEncode(
    input,
    async (chunk) => {
      const out = await mm.run(
        entry,
        "vae_encoder",
        { audio: { type: "float32", dims: chunk.dims, data: chunk.data } },
        o.signal,
      );
      return {
        mean: { data: out.mean.data as Float32Array, dims: out.mean.dims as [number, number, number] },
        std: { data: out.std.data as Float32Array, dims: out.std.dims as [number, number, number] },
      };
    },
    {
      chunk: (o.chunkFrames ?? 750) * VAE_HOP,
      overlap: (o.overlapFrames ?? 50) * VAE_HOP,
      hop: VAE_HOP,
      posterior: o.posterior,
      signal: o.signal,
      onProgress: o.onProgress,
    },
  );
  const [B, C, T] = r.latents.dims;
  return { data: swapLastTwo(r.latents.data, B, C, T), shape: [B, T, C], demo: mm.demo || audio.demo };
}

export interface VaeDecodeOptions {
  chunkFrames?: number;
  overlapFrames?: number;
  signal?: AbortSignal;
  onProgress?: (p: TileProgress) => void;
}

export async function vaeDecode(
  mm: ModelManager,
  entry: ManifestEntry,
  latent: LatentValue,
  o: VaeDecodeOptions = {},
): Promise<AudioValue> {
  const [B, T, C] = latent.shape;
  const input: Tensor3 = { data: swapLastTwo(latent.data, B, T, C), dims: [B, C, T] };
  const out = await tiledDecode(
    input,
    async (chunk) => {
      const r = await mm.run(
        entry,
        "vae_decoder",
        { latents: { type: "float32", dims: chunk.dims, data: chunk.data } },
        o.signal,
      );
      return { data: r.audio.data as Float32Array, dims: r.audio.dims as [number, number, number] };
    },
    { chunk: o.chunkFrames ?? 512, overlap: o.overlapFrames ?? 64, signal: o.signal, onProgress: o.onProgress },
  );
  const [, ch, N] = out.dims;
  const items: Float32Array[][] = [];
  for (let b = 0; b < B; b++)
    items.push(Array.from({ length: ch }, (_, c) => out.data.slice((b * ch + c) * N, (b * ch + c + 1) * N)));
  return { sampleRate: 48_000, channels: items[0], batch: B > 1 ? items : undefined, demo: mm.demo || latent.demo };
}
