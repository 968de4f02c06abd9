// The runtime values that travel along each port type. Model-specific payloads stay
// structural here so the engine and editor never import model code.

/** Planar float32 audio; never a bare path. */
export interface AudioValue {
  sampleRate: number;
  channels: Float32Array[];
  /** Set when the audio was produced with random demo weights. */
  demo?: boolean;
  /** Every batch item's channels when the value holds a batch (channels = batch[0]). */
  batch?: Float32Array[][];
}

/**
 * Repaint/lego: after decoding, the source waveform replaces the audio outside [startSeconds, endSeconds) with
 * a linear crossfade (upstream apply_repaint_waveform_splice); carried in a generated latent's meta.splice.
 */
export interface WaveformSplice {
  source: AudioValue;
  startSeconds: number;
  endSeconds: number;
  crossfadeSeconds: number;
}

/** DiT latents [batch, frames, 64] at 25 frames/s. */
export interface LatentValue {
  data: Float32Array;
  shape: [number, number, number];
  demo?: boolean;
  /** Free-form facts later stages need (seeds, masks, source info). */
  meta?: Record<string, unknown>;
}

/** Song description: caption, lyrics and metadata (what the LM plans and the DiT follows). */
export interface SongValue {
  caption: string;
  lyrics: string;
  bpm?: number | null;
  keyscale?: string | null;
  timesignature?: string | null;
  duration?: number | null;
  language?: string | null;
  instrumental?: boolean;
}

/** Audio codes at 5 Hz, values 0..63999, one array per batch item. */
export interface AudioCodesValue {
  codes: number[][];
  demo?: boolean;
}

/** Packed condition tensors ready for the DiT (shape details owned by the model code). */
export interface ConditioningValue {
  kind: "conditioning";
  tensors: Record<string, { data: Float32Array; shape: number[] }>;
  meta?: Record<string, unknown>;
  demo?: boolean;
}

/** A loaded-model handle: an id the runtime resolves, plus facts the UI shows. */
export interface ModelHandle {
  kind: "DIT" | "LM" | "VAE" | "TEXT_ENCODER";
  id: string;
  name: string;
  demo: boolean;
  config?: Record<string, unknown>;
  /** DIT only: LoRA adapters attached by Load LoRA nodes (absolute path, scale), in order. */
  loras?: { path: string; scale: number }[];
  /**
   * The loader's `offload` (upstream offload_to_cpu): a run that uses this handle releases the sessions the rest of
   * the run does not need before each node, whatever the memory tier (ModelManager.prepareStage).
   */
  offload?: boolean;
}

export interface PortValueTypes {
  AUDIO: AudioValue;
  LATENT: LatentValue;
  CONDITIONING: ConditioningValue;
  AUDIO_CODES: AudioCodesValue;
  SONG: SongValue;
  DIT: ModelHandle;
  LM: ModelHandle;
  VAE: ModelHandle;
  TEXT_ENCODER: ModelHandle;
  STRING: string;
  INT: number;
  FLOAT: number;
  BOOLEAN: boolean;
}
