// Tiled VAE decode/encode on the host, as upstream does it (ace-step/ACE-Step-1.5 acestep/handler.py
// `tiled_decode` / `_tiled_decode_gpu` / `_tiled_decode_offload_cpu` and `tiled_encode`): overlap-discard, no crossfade.
//
//   length ≤ chunk               → one call on the whole input
//   stride = chunk − 2·overlap   (error if ≤ 0)
//   window i: core [i·stride, min((i+1)·stride, L)), window = core widened by `overlap` each side, clipped to [0, L)
//   the window is run; the output's margins are trimmed by round(added · factor) on each side (Python round,
//   half to even), factor = output length / input length measured on the FIRST window (decode: 1920, encode 1/1920);
//   the trimmed cores are concatenated (written into one pre-allocated buffer, like the offload path).
// Decode: latent frames, default chunk 512 / overlap 64 (stride 384). Encode: samples, default 30 s / 2 s at 48 kHz
// (1 440 000 / 96 000; upstream uses 15 s chunks on GPUs with ≤ 8 GB). Upstream decodes each window for the whole
// batch at once (Feb snapshot); `runChunk` receives the [B, C, window] slice.
// Exactness: a kept output sample differs from the untiled result only if the decoder's receptive field crosses
// the window edge. The Oobleck decoder's field is about ±9 latent frames and the encoder's about ±0.27 s, so the
// default overlaps (64 frames, 2 s) give the untiled values (measured in test/parity/vae.test.ts).
// Deviation, on purpose: encode chunk and overlap must be multiples of the hop (1920), otherwise the cores do
// not fall on latent-frame boundaries (DiffSynth-Studio PR #1533 review) — upstream does not check this.
// Newer upstream halves the decode overlap (floor 4) instead of raising when chunk ≤ 2·overlap; we raise (Feb).
import { type PosteriorMode, posteriorLatents } from "./posterior";

/** A channel-first fp32 tensor [B, C, L], row-major. */
export interface Tensor3 {
  data: Float32Array;
  dims: [number, number, number];
}

export interface TileWindow {
  index: number;
  /** kept range, input units */
  coreStart: number;
  coreEnd: number;
  /** range actually run, input units */
  winStart: number;
  winEnd: number;
}

export interface TilePlan {
  length: number;
  chunk: number;
  overlap: number;
  /** chunk − 2·overlap (= length for a single window) */
  stride: number;
  windows: TileWindow[];
}

export interface TilingOptions {
  chunk?: number;
  overlap?: number;
}

/** Official defaults, in latent frames (20.48 s windows, 2.56 s overlap each side). */
export const DECODE_TILING = { chunk: 512, overlap: 64 } as const;
/** Official defaults, in samples at 48 kHz (30 s windows, 2 s overlap each side). */
export const ENCODE_TILING = { chunk: 48000 * 30, overlap: 48000 * 2 } as const;

export function planTiles(length: number, chunk: number, overlap: number): TilePlan {
  for (const [n, v] of [
    ["length", length],
    ["chunk", chunk],
    ["overlap", overlap],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`tiling: ${n} must be a non-negative integer, got ${v}`);
  }
  if (chunk < 1) throw new Error(`tiling: chunk must be ≥ 1, got ${chunk}`);
  if (length <= chunk)
    return {
      length,
      chunk,
      overlap,
      stride: length,
      windows: [{ index: 0, coreStart: 0, coreEnd: length, winStart: 0, winEnd: length }],
    };
  const stride = chunk - 2 * overlap;
  if (stride <= 0) throw new Error(`tiling: chunk_size ${chunk} must be > 2 * overlap ${overlap}`);
  const n = Math.ceil(length / stride);
  const windows: TileWindow[] = [];
  for (let i = 0; i < n; i++) {
    const coreStart = i * stride;
    const coreEnd = Math.min(coreStart + stride, length);
    windows.push({
      index: i,
      coreStart,
      coreEnd,
      winStart: Math.max(0, coreStart - overlap),
      winEnd: Math.min(length, coreEnd + overlap),
    });
  }
  return { length, chunk, overlap, stride, windows };
}

/** Decode plan over latent frames (defaults 512 / 64). */
export function planDecode(frames: number, o: TilingOptions = {}): TilePlan {
  return planTiles(frames, o.chunk ?? DECODE_TILING.chunk, o.overlap ?? DECODE_TILING.overlap);
}

/** Encode plan over samples (defaults 30 s / 2 s); chunk and overlap must be multiples of `hop`. */
export function planEncode(samples: number, o: TilingOptions & { hop?: number } = {}): TilePlan {
  const chunk = o.chunk ?? ENCODE_TILING.chunk;
  const overlap = o.overlap ?? ENCODE_TILING.overlap;
  const hop = o.hop ?? 1920;
  if (chunk % hop !== 0 || overlap % hop !== 0) {
    throw new Error(
      `tiling: encode chunk (${chunk}) and overlap (${overlap}) must be multiples of the hop ${hop} samples`,
    );
  }
  return planTiles(samples, chunk, overlap);
}

/** Python 3 round(): half to even. */
export function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Output margins to drop for a window, upstream style: round(added · factor) at each end. */
export function trimFor(w: TileWindow, factor: number): { trimStart: number; trimEnd: number } {
  return { trimStart: pyRound((w.coreStart - w.winStart) * factor), trimEnd: pyRound((w.winEnd - w.coreEnd) * factor) };
}

/** Copy of x[:, :, start:end]. */
export function sliceTime(x: Tensor3, start: number, end: number): Tensor3 {
  const [B, C, L] = x.dims;
  if (start < 0 || end > L || start > end) throw new Error(`tiling: slice [${start}, ${end}) outside [0, ${L})`);
  const n = end - start;
  const out = new Float32Array(B * C * n);
  for (let r = 0; r < B * C; r++) out.set(x.data.subarray(r * L + start, r * L + end), r * n);
  return { data: out, dims: [B, C, n] };
}

/** Concatenates trimmed cores along time into one buffer (grows if the estimate was short). */
export class Stitcher {
  private buf: Float32Array;
  private cap: number;
  private pos = 0;

  constructor(
    readonly batch: number,
    readonly channels: number,
    capacity: number,
  ) {
    this.cap = Math.max(0, capacity);
    this.buf = new Float32Array(batch * channels * this.cap);
  }

  /** Append out[:, :, trimStart : L − trimEnd] (trimEnd 0 = to the end, as upstream). */
  append(out: Tensor3, trimStart: number, trimEnd: number): void {
    const [B, C, L] = out.dims;
    if (B !== this.batch || C !== this.channels)
      throw new Error(`tiling: chunk output [${out.dims}] does not match [${this.batch}, ${this.channels}, …]`);
    const end = trimEnd > 0 ? L - trimEnd : L;
    const n = end - trimStart;
    if (n < 0) throw new Error(`tiling: trims ${trimStart}+${trimEnd} exceed the chunk output length ${L}`);
    if (this.pos + n > this.cap) this.grow(this.pos + n);
    for (let r = 0; r < B * C; r++)
      this.buf.set(out.data.subarray(r * L + trimStart, r * L + end), r * this.cap + this.pos);
    this.pos += n;
  }

  private grow(need: number): void {
    const cap = Math.max(need, Math.ceil(this.cap * 1.25));
    const nb = new Float32Array(this.batch * this.channels * cap);
    for (let r = 0; r < this.batch * this.channels; r++)
      nb.set(this.buf.subarray(r * this.cap, r * this.cap + this.pos), r * cap);
    this.buf = nb;
    this.cap = cap;
  }

  get length(): number {
    return this.pos;
  }

  result(): Tensor3 {
    if (this.pos === this.cap) return { data: this.buf, dims: [this.batch, this.channels, this.pos] };
    return sliceTime({ data: this.buf, dims: [this.batch, this.channels, this.cap] }, 0, this.pos);
  }
}

export interface TileProgress {
  done: number;
  total: number;
  window: TileWindow;
}

export interface TiledRunOptions {
  onProgress?: (p: TileProgress) => void;
  /** checked before every window; an abort rejects with the signal's reason */
  signal?: AbortSignal;
}

/**
 * Run `run` over the plan's windows and stitch each of its outputs (all must have the same time length).
 * The output/input ratio is measured on the first window, as upstream does.
 */
export async function runTiled(
  input: Tensor3,
  plan: TilePlan,
  run: (chunk: Tensor3, w: TileWindow) => Promise<Tensor3[]>,
  opts: TiledRunOptions = {},
): Promise<Tensor3[]> {
  const [, , L] = input.dims;
  if (plan.length !== L) throw new Error(`tiling: plan covers ${plan.length} but the input has ${L}`);
  if (L === 0) throw new Error("tiling: the input is empty (0 frames/samples)");
  let factor = 0;
  let stitchers: Stitcher[] = [];
  const total = plan.windows.length;
  for (const w of plan.windows) {
    opts.signal?.throwIfAborted();
    const chunk = w.winStart === 0 && w.winEnd === L ? input : sliceTime(input, w.winStart, w.winEnd);
    const outs = await run(chunk, w);
    if (outs.length === 0) throw new Error("tiling: runChunk returned no outputs");
    const outLen = outs[0].dims[2];
    for (const o of outs)
      if (o.dims[2] !== outLen) throw new Error(`tiling: chunk outputs differ in length (${o.dims[2]} vs ${outLen})`);
    if (w.index === 0) {
      factor = outLen / (w.winEnd - w.winStart);
      stitchers = outs.map((o) => new Stitcher(o.dims[0], o.dims[1], pyRound(L * factor)));
    }
    const { trimStart, trimEnd } = trimFor(w, factor);
    outs.forEach((o, i) => stitchers[i].append(o, trimStart, trimEnd));
    opts.onProgress?.({ done: w.index + 1, total, window: w });
  }
  return stitchers.map((s) => s.result());
}

/** Runs the decoder graph on one window: latents [B, latent, frames] → audio [B, C, frames·hop]. */
export type DecodeChunk = (latents: Tensor3, w: TileWindow) => Promise<Tensor3>;
/** Runs the encoder graph on one window: audio [B, C, samples] → mean, std [B, latent, frames]. */
export type EncodeChunk = (audio: Tensor3, w: TileWindow) => Promise<{ mean: Tensor3; std: Tensor3 }>;

/** Tiled decode (defaults 512 / 64 latent frames). */
export async function tiledDecode(
  latents: Tensor3,
  runChunk: DecodeChunk,
  opts: TilingOptions & TiledRunOptions = {},
): Promise<Tensor3> {
  const plan = planDecode(latents.dims[2], opts);
  const [audio] = await runTiled(latents, plan, async (c, w) => [await runChunk(c, w)], opts);
  return audio;
}

export interface EncodeResult {
  /** the posterior mean, or a seeded sample when `posterior` asks for one */
  latents: Tensor3;
  mean: Tensor3;
  std: Tensor3;
}

/** Tiled encode (defaults 30 s / 2 s); returns the mean as `latents` unless `posterior` is a seeded sample. */
export async function tiledEncode(
  audio: Tensor3,
  runChunk: EncodeChunk,
  opts: TilingOptions & TiledRunOptions & { hop?: number; posterior?: PosteriorMode } = {},
): Promise<EncodeResult> {
  const plan = planEncode(audio.dims[2], opts);
  const [mean, std] = await runTiled(
    audio,
    plan,
    async (c, w) => {
      const r = await runChunk(c, w);
      return [r.mean, r.std];
    },
    opts,
  );
  const latents =
    opts.posterior && opts.posterior.kind === "sample"
      ? { data: posteriorLatents(mean.data, std.data, opts.posterior), dims: mean.dims }
      : mean;
  return { latents, mean, std };
}

/** The part of onnxruntime-node's InferenceSession these helpers use (any runtime with the same shape works). */
export interface SessionLike {
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown; dims: readonly number[] }>>;
}

/** A DecodeChunk over a session of `vae_decoder.onnx`; `tensor` builds the runtime's input tensor. */
export function sessionDecodeChunk(session: SessionLike, tensor: (t: Tensor3) => unknown): DecodeChunk {
  return async (latents) => {
    const out = await session.run({ latents: tensor(latents) });
    return asTensor3(out.audio, "audio");
  };
}

/** An EncodeChunk over a session of `vae_encoder.onnx`. */
export function sessionEncodeChunk(session: SessionLike, tensor: (t: Tensor3) => unknown): EncodeChunk {
  return async (audio) => {
    const out = await session.run({ audio: tensor(audio) });
    return { mean: asTensor3(out.mean, "mean"), std: asTensor3(out.std, "std") };
  };
}

function asTensor3(t: { data: unknown; dims: readonly number[] } | undefined, name: string): Tensor3 {
  if (!t || !(t.data instanceof Float32Array) || t.dims.length !== 3)
    throw new Error(`tiling: session output ${name} is not a float32 [B, C, L] tensor`);
  return { data: t.data, dims: [t.dims[0], t.dims[1], t.dims[2]] };
}
