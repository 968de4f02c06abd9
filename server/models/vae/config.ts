// Oobleck VAE configuration, read from the official `vae/config.json` (diffusers AutoencoderOobleck).
// Shape story: encoder [B, audio_channels, N] → [B, encoder_hidden_size, N/hop] (mean ++ scale);
//              decoder [B, decoder_input_channels, T] → [B, audio_channels, T·hop]; hop = ∏ downsampling_ratios.
// Widths (diffusers: channel_multiples gets an implicit leading 1):
//   encoder level i input = encoder_hidden_size · [1, ...m][i]; level i output = encoder_hidden_size · [1, ...m][i+1]
//   decoder block i input = decoder_channels · [1, ...m][n−i]; output = decoder_channels · [1, ...m][n−i−1]
// The decoder's upsampling ratios are the downsampling ratios reversed.
import { parseConfig } from "../../checkpoints/layout/shapes";
import { vaeConfigSchema } from "../../checkpoints/layout/vae";

export interface OobleckConfig {
  audioChannels: number;
  /** encoder width and the channel count of its last conv (= 2 × latent channels: mean ++ scale) */
  encoderHiddenSize: number;
  decoderChannels: number;
  /** decoder input = latent channels (64 in ACE-Step 1.5) */
  latentChannels: number;
  channelMultiples: number[];
  /** encoder strides, in order; the decoder uses them reversed */
  downsamplingRatios: number[];
  samplingRate: number;
}

/**
 * The official ACE-Step 1.5 VAE (Hugging Face ACE-Step/Ace-Step1.5 vae/config.json): hop 1920, 48 kHz, 64 latent
 * channels.
 */
export const ACESTEP_VAE: OobleckConfig = {
  audioChannels: 2,
  encoderHiddenSize: 128,
  decoderChannels: 128,
  latentChannels: 64,
  channelMultiples: [1, 2, 4, 8, 16],
  downsamplingRatios: [2, 4, 4, 6, 10],
  samplingRate: 48000,
};

/** Parse a diffusers `config.json` object (snake_case) into an OobleckConfig. */
export function oobleckConfigFromJson(raw: unknown): OobleckConfig {
  const c = parseConfig(vaeConfigSchema, raw, "VAE");
  const cfg: OobleckConfig = {
    audioChannels: c.audio_channels,
    encoderHiddenSize: c.encoder_hidden_size,
    decoderChannels: c.decoder_channels,
    latentChannels: c.decoder_input_channels,
    channelMultiples: [...c.channel_multiples],
    downsamplingRatios: [...c.downsampling_ratios],
    samplingRate:
      typeof (raw as { sampling_rate?: unknown }).sampling_rate === "number"
        ? (raw as { sampling_rate: number }).sampling_rate
        : 48000,
  };
  validateOobleckConfig(cfg);
  return cfg;
}

export function validateOobleckConfig(cfg: OobleckConfig): void {
  if (cfg.channelMultiples.length !== cfg.downsamplingRatios.length) {
    throw new Error(
      `vae: channel_multiples (${cfg.channelMultiples.length}) and downsampling_ratios (${cfg.downsamplingRatios.length}) differ in length`,
    );
  }
  if (cfg.encoderHiddenSize % 2 !== 0)
    throw new Error(`vae: encoder_hidden_size ${cfg.encoderHiddenSize} must be even (mean ++ scale)`);
  for (const s of cfg.downsamplingRatios) {
    // ConvTranspose1d(k=2s, stride s, pad ceil(s/2)) gives T·s samples only for even s (odd s: T·s − 1).
    if (!Number.isInteger(s) || s < 1) throw new Error(`vae: stride ${s} is not a positive integer`);
  }
}

/** Samples per latent frame (1920 for ACE-Step 1.5). */
export function hopLength(cfg: OobleckConfig): number {
  return cfg.downsamplingRatios.reduce((a, b) => a * b, 1);
}

/** Latent channels produced by the encoder (half of its last conv: the other half is the scale). */
export function encoderLatentChannels(cfg: OobleckConfig): number {
  return cfg.encoderHiddenSize / 2;
}

/** Encoder block i: [input width, output width, stride]. */
export function encoderLevels(cfg: OobleckConfig): { inCh: number; outCh: number; stride: number }[] {
  const m = [1, ...cfg.channelMultiples];
  return cfg.downsamplingRatios.map((stride, i) => ({
    inCh: cfg.encoderHiddenSize * m[i],
    outCh: cfg.encoderHiddenSize * m[i + 1],
    stride,
  }));
}

/** Decoder block i: [input width, output width, stride] (strides reversed). */
export function decoderLevels(cfg: OobleckConfig): { inCh: number; outCh: number; stride: number }[] {
  const m = [1, ...cfg.channelMultiples];
  const n = cfg.downsamplingRatios.length;
  return [...cfg.downsamplingRatios]
    .reverse()
    .map((stride, i) => ({ inCh: cfg.decoderChannels * m[n - i], outCh: cfg.decoderChannels * m[n - i - 1], stride }));
}

/**
 * Live float32 tensors of the decoder's widest level at its peak: a residual unit holds its input, the Snake output,
 * the conv outputs and the sum at once. Fitted to peak RSS measured above the loaded session, one tile in a fresh
 * process (onnxruntime-node CPU, 2 threads): official widths (decoder_channels 128) 4.5–5.7 MiB per frame for 64–576
 * frames; the demo VAE (decoder_channels 16, channel_multiples all 1) 0.62–0.65 MB per frame for 256–1024 frames.
 */
export const DECODE_LIVE_TENSORS = 6;

/**
 * Bytes one latent frame of one batch item adds while the decoder runs (an estimate for the memory budget):
 * DECODE_LIVE_TENSORS float32 tensors of the widest level, width × samples per frame there (a level's input
 * before its upsampling, or its output; for the official config the last level's output, 128 × 1920, so ≈ 5.9 MB
 * per frame: 512 frames, 20.48 s, ≈ 3 GB).
 */
export function decodeBytesPerFrame(cfg: OobleckConfig): number {
  let rate = 1;
  let widest = 0;
  for (const lv of decoderLevels(cfg)) {
    widest = Math.max(widest, lv.inCh * rate);
    rate *= lv.stride;
    widest = Math.max(widest, lv.outCh * rate);
  }
  return 4 * DECODE_LIVE_TENSORS * Math.max(widest, cfg.audioChannels * rate);
}

/** Encoder output length for N input samples: each strided conv (k=2s, stride s, pad ⌈s/2⌉) maps L → ⌊(L + 2⌈s/2⌉ − 2s)/s⌋ + 1. */
export function encodedLength(cfg: OobleckConfig, samples: number): number {
  let l = samples;
  for (const s of cfg.downsamplingRatios) l = Math.floor((l + 2 * Math.ceil(s / 2) - 2 * s) / s) + 1;
  return l;
}

/** Decoder output length for T frames: each ConvTranspose (k=2s, stride s, pad ⌈s/2⌉) maps L → (L−1)s − 2⌈s/2⌉ + 2s. */
export function decodedLength(cfg: OobleckConfig, frames: number): number {
  let l = frames;
  for (const s of [...cfg.downsamplingRatios].reverse()) l = (l - 1) * s - 2 * Math.ceil(s / 2) + 2 * s;
  return l;
}
