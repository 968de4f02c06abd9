// Planar float audio value type, shared constants and the decode/encode error classes.

/** Planar float32 audio: one Float32Array per channel, all of the same length. */
export interface Audio {
  sampleRate: number;
  channels: Float32Array[];
}

/** Rate and layout every model input is normalised to (ACE-Step VAE: 48 kHz stereo). */
export const TARGET_SAMPLE_RATE = 48000;
export const TARGET_CHANNELS = 2;

/** Number of sample frames (samples per channel). */
export function frames(audio: Audio): number {
  return audio.channels.length === 0 ? 0 : audio.channels[0].length;
}

/** Duration in seconds. */
export function duration(audio: Audio): number {
  return audio.sampleRate > 0 ? frames(audio) / audio.sampleRate : 0;
}

/** Silent audio of the given length. */
export function silence(frameCount: number, sampleRate = TARGET_SAMPLE_RATE, channelCount = TARGET_CHANNELS): Audio {
  return { sampleRate, channels: Array.from({ length: channelCount }, () => new Float32Array(frameCount)) };
}

/** Throws unless the value is a well-formed Audio (positive rate, ≥ 1 channel, equal lengths). */
export function assertAudio(audio: Audio, what = "audio"): void {
  if (!Number.isFinite(audio.sampleRate) || audio.sampleRate <= 0) {
    throw new RangeError(`${what}: sample rate must be a positive number, got ${audio.sampleRate}`);
  }
  if (audio.channels.length === 0) throw new RangeError(`${what}: has no channels`);
  const n = audio.channels[0].length;
  audio.channels.forEach((c, i) => {
    if (c.length !== n) throw new RangeError(`${what}: channel ${i} has ${c.length} frames, channel 0 has ${n}`);
  });
}

/** Decoding failed or was refused; `file` names the input, `reason` says why. */
export class AudioDecodeError extends Error {
  override name = "AudioDecodeError";
  constructor(
    readonly file: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${reason}`, options);
  }
}

/** Encoding or saving failed. */
export class AudioEncodeError extends Error {
  override name = "AudioEncodeError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Text of any thrown value (wasm glue throws strings, numbers and odd objects). */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === "string") return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}
