// VAE encode/decode on converted models: AUDIO [2 × N] ↔ LATENT [B, T, 64] (25 Hz), tiled as
// upstream (encode 30 s windows / 2 s overlap; decode 64-frame overlaps, the tile from the memory budget unless
// given, decodeTile), through the ORT worker.
import type { AudioValue, LatentValue } from "../../nodes/values";
import type { ModelManager } from "../models/manager";
import type { ManifestEntry } from "../models/convert/manifest";
import {
  DECODE_TILING,
  type EncodeResult,
  decodeBytesPerFrame,
  oobleckConfigFromJson,
  posteriorLatents,
  tiledDecode,
  tiledEncode,
  type Tensor3,
  type TileProgress,
} from "../models/vae";

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

/**
 * The encoder's posterior moments (mean, std as [1, 64, T]) of finished encodes, per model manager and source
 * audio: a task node re-run with other settings or seeds, or several task nodes fed by one (engine-cached) source,
 * encode it once. Keyed by the audio object's identity, which relies on the engine's rule that node outputs are
 * never mutated (server/engine/cache.ts shares them across runs).
 */
const moments = new WeakMap<ModelManager, WeakMap<AudioValue, Map<string, EncodeResult>>>();

const momentsKey = (entry: ManifestEntry, o: VaeEncodeOptions) =>
  JSON.stringify([
    entry.name,
    entry.dtype,
    entry.sourceFingerprint,
    entry.convertedAt,
    o.chunkFrames ?? null,
    o.overlapFrames ?? null,
  ]);

/** VAE latents [1, T, 64] of 48 kHz audio: the posterior mean, or a seeded sample (upstream tiled_encode). */
export async function vaeEncode(
  mm: ModelManager,
  entry: ManifestEntry,
  audio: AudioValue,
  o: VaeEncodeOptions = {},
): Promise<LatentValue> {
  let byAudio = moments.get(mm);
  if (!byAudio) moments.set(mm, (byAudio = new WeakMap()));
  let forAudio = byAudio.get(audio);
  const key = momentsKey(entry, o);
  let m = forAudio?.get(key);
  if (!m) {
    m = await encodeMoments(mm, entry, audio, o);
    if (!forAudio) byAudio.set(audio, (forAudio = new Map()));
    forAudio.set(key, m);
  }
  const [B, C, T] = m.mean.dims;
  // swapLastTwo copies, so callers never share the cached arrays
  const latents = posteriorLatents(m.mean.data, m.std.data, o.posterior);
  return { data: swapLastTwo(latents, B, C, T), shape: [B, T, C], demo: mm.demo || audio.demo };
}

async function encodeMoments(
  mm: ModelManager,
  entry: ManifestEntry,
  audio: AudioValue,
  o: VaeEncodeOptions,
): Promise<EncodeResult> {
  if (audio.sampleRate !== 48_000)
    throw new Error(`the VAE needs 48 kHz audio, got ${audio.sampleRate} Hz (Load Audio resamples)`);
  const chans = audio.channels.length === 1 ? [audio.channels[0], audio.channels[0]] : audio.channels.slice(0, 2);
  const N = chans[0].length;
  if (N < VAE_HOP) throw new Error(`the audio is ${N} samples long; the VAE needs at least ${VAE_HOP} (40 ms)`);
  const data = new Float32Array(2 * N);
  data.set(chans[0], 0);
  data.set(chans[1], N);
  const input: Tensor3 = { data, dims: [1, 2, N] };
  return tiledEncode(
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
      signal: o.signal,
      onProgress: o.onProgress,
    },
  );
}

export interface VaeDecodeOptions {
  /** Tile length in latent frames (decodeTile picks one from the memory budget); default upstream's 512. */
  chunkFrames?: number;
  overlapFrames?: number;
  signal?: AbortSignal;
  onProgress?: (p: TileProgress) => void;
}

export const VAE_DECODER_ROLES = ["vae_decoder"] as const;

/** Bytes one latent frame of one batch item adds while `entry`'s decoder runs (from its config.json). */
export const vaeDecodeFrameBytes = (entry: ManifestEntry): number =>
  decodeBytesPerFrame(oobleckConfigFromJson(entry.config));

/** The decode tile the memory budget allows for `latent` (ModelManager.fitDecodeTile). */
export function decodeTile(
  mm: ModelManager,
  entry: ManifestEntry,
  latent: LatentValue,
  o: { nodeId: string; nodeType: string; overlapFrames?: number },
): { chunk: number; tiles: number; message?: string } {
  const [B, T] = latent.shape;
  return mm.fitDecodeTile({
    nodeId: o.nodeId,
    nodeType: o.nodeType,
    entry,
    roles: VAE_DECODER_ROLES,
    frames: T,
    batch: B,
    overlap: o.overlapFrames ?? DECODE_TILING.overlap,
    frameBytes: vaeDecodeFrameBytes(entry),
  });
}

let reservations = 0;

export async function vaeDecode(
  mm: ModelManager,
  entry: ManifestEntry,
  latent: LatentValue,
  o: VaeDecodeOptions = {},
): Promise<AudioValue> {
  const [B, T, C] = latent.shape;
  const chunk = o.chunkFrames ?? DECODE_TILING.chunk;
  const input: Tensor3 = { data: swapLastTwo(latent.data, B, T, C), dims: [B, C, T] };
  // the tile's working bytes count in the memory budget while the decode runs (idle sessions make room for them,
  // as for the LM's KV cache); in use until released, so another run's fitDecodeTile counts them
  const id = `vae-decode#${++reservations}`;
  await mm.reserveResident(id, B * Math.min(chunk, T) * vaeDecodeFrameBytes(entry), {
    keep: VAE_DECODER_ROLES.map((role) => ({ model: entry.name, role })),
    busy: true,
  });
  let out: Tensor3;
  try {
    out = await tiledDecode(
      input,
      async (piece) => {
        const r = await mm.run(
          entry,
          "vae_decoder",
          { latents: { type: "float32", dims: piece.dims, data: piece.data } },
          o.signal,
        );
        return { data: r.audio.data as Float32Array, dims: r.audio.dims as [number, number, number] };
      },
      { chunk, overlap: o.overlapFrames ?? DECODE_TILING.overlap, signal: o.signal, onProgress: o.onProgress },
    );
  } finally {
    mm.registry().setResident(id, 0);
  }
  const [, ch, N] = out.dims;
  const items: Float32Array[][] = [];
  for (let b = 0; b < B; b++)
    items.push(Array.from({ length: ch }, (_, c) => out.data.slice((b * ch + c) * N, (b * ch + c + 1) * N)));
  return { sampleRate: 48_000, channels: items[0], batch: B > 1 ? items : undefined, demo: mm.demo || latent.demo };
}
