// Runs a converted DiT folder (server/onnx/README.md §3–9) through the ORT worker: the DiT-side
// condition encoders (text projector, lyric encoder, timbre encoder) and packing, cross-attention
// K/V once per condition, the step graph, and the audio tokenizer/detokenizer.
import { readFileSync } from "node:fs";
import type { TensorData } from "../runtime";
import type { ModelManager } from "../models/manager";
import type { ManifestEntry } from "../models/convert/manifest";
import { ditVariant, type DitVariant } from "../models/catalog";
import { bf16ToF32Array, f16ToF32Array } from "../checkpoints/float16";
import {
  ditConfigFromJson,
  encoderWidth,
  nullCondition,
  packConditions,
  unpackTimbre,
  type AceStepDitConfig,
  type MaskedSequence,
} from "../models/dit";
import { DitLoras, type LoraRole, type LoraUse } from "../models/lora/dit-loras";

const f32 = (dims: number[], data: Float32Array): TensorData => ({ type: "float32", dims, data });
const i64 = (dims: number[], data: BigInt64Array): TensorData => ({ type: "int64", dims, data });

function readRaw(path: string, dtype: string): Float32Array {
  const b = readFileSync(path);
  if (dtype === "F32") return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  const u16 = new Uint16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  return dtype === "BF16" ? bf16ToF32Array(u16) : f16ToF32Array(u16);
}

export type CrossKv = Record<string, TensorData>;

/** The DiT's sessions used before the diffusion loop (condition encoders, cross-attention K/V). */
export const CONDITION_ROLES = ["text_projector", "lyric_encoder", "timbre_encoder", "dit_cross_kv"] as const;
/** Every session a DiT sampler runs (the memory budget's declaration, nodes/ace/dit-sampler.ts). */
export const SAMPLER_ROLES = [...CONDITION_ROLES, "dit_step"] as const;

export class DitRunner {
  readonly config: AceStepDitConfig;
  readonly width: number;
  private silence?: Float32Array;
  private nullEmb?: Float32Array;
  /** LoRA adapters on the decoder (server/models/lora), null without any. */
  readonly loras: DitLoras | null;

  constructor(
    readonly mm: ModelManager,
    readonly entry: ManifestEntry,
    loras: readonly LoraUse[] = [],
  ) {
    this.config = ditConfigFromJson(entry.config);
    this.width = encoderWidth(this.config);
    this.loras = loras.length ? new DitLoras(mm, entry, loras) : null;
  }

  get variant(): DitVariant {
    return ditVariant(this.entry.name, this.entry.config);
  }

  /** silence_latent [F, 64] (600 s of silence latents). */
  silenceLatent(): Float32Array {
    if (!this.silence) {
      const f = this.mm.file(this.entry, "silence_latent");
      this.silence = readRaw(f.abs, f.tensor!.dtype);
    }
    return this.silence;
  }

  /** The first T frames of silence [T, 64], tiled if T exceeds the stored length. */
  silenceFrames(T: number): Float32Array {
    const s = this.silenceLatent();
    const F = s.length / 64;
    const out = new Float32Array(T * 64);
    for (let t = 0; t < T; t++) out.set(s.subarray((t % F) * 64, (t % F) * 64 + 64), t * 64);
    return out;
  }

  nullConditionEmb(): Float32Array {
    if (!this.nullEmb) {
      const f = this.mm.file(this.entry, "null_condition_emb");
      this.nullEmb = readRaw(f.abs, f.tensor!.dtype);
    }
    return this.nullEmb;
  }

  private async run(role: string, feeds: Record<string, TensorData>, signal?: AbortSignal) {
    return this.mm.run(this.entry, role, feeds, signal);
  }

  /** A decoder graph, with the LoRA branches when adapters are attached. */
  private async runDecoder(role: LoraRole, feeds: Record<string, TensorData>, signal?: AbortSignal) {
    return this.loras ? this.loras.run(role, feeds, signal) : this.mm.run(this.entry, role, feeds, signal);
  }

  /** Text [1,Lt,1024], lyric embeddings [1,Ll,1024], timbre reference latents [R,F,64] → packed [1,Le,E]. */
  async encodeConditions(
    c: {
      textHidden: Float32Array;
      textLength: number;
      lyricEmbeds: Float32Array;
      lyricLength: number;
      timbreLatents?: { data: Float32Array; refs: number; frames: number };
    },
    signal?: AbortSignal,
  ): Promise<MaskedSequence> {
    const D = this.config.text_hidden_dim;
    const E = this.width;
    const text = await this.run(
      "text_projector",
      { text_hidden_states: f32([1, c.textLength, D], c.textHidden) },
      signal,
    );
    const lyric = await this.run(
      "lyric_encoder",
      {
        inputs_embeds: f32([1, c.lyricLength, D], c.lyricEmbeds),
        attention_mask: i64([1, c.lyricLength], new BigInt64Array(c.lyricLength).fill(1n)),
      },
      signal,
    );
    const ref = c.timbreLatents;
    const timbre = ref ? await this.encodeTimbre(ref, signal) : await this.noReferenceTimbre(signal);
    const refs = ref?.refs ?? 1;
    const seq = (data: Float32Array, length: number): MaskedSequence => ({
      data,
      batch: 1,
      length,
      width: E,
      mask: new Int32Array(length).fill(1),
    });
    return packConditions(
      seq(lyric.hidden_states.data as Float32Array, c.lyricLength),
      unpackTimbre(timbre, E, new Array(refs).fill(0), 1),
      seq(text.hidden_states.data as Float32Array, c.textLength),
    );
  }

  /** Timbre encoder over reference latents [R,F,64] → one embedding per reference [R,E]. */
  async encodeTimbre(
    ref: { data: Float32Array; refs: number; frames: number },
    signal?: AbortSignal,
  ): Promise<Float32Array> {
    const out = await this.run("timbre_encoder", { refer_latents: f32([ref.refs, ref.frames, 64], ref.data) }, signal);
    return out.timbre_embeds.data as Float32Array;
  }

  /** Frames of the no-reference timbre input: the config's timbre_fix_frame (750 = 30 s at 25 Hz). */
  get timbreFixFrames(): number {
    const n = (this.entry.config as { timbre_fix_frame?: unknown }).timbre_fix_frame;
    return typeof n === "number" && Number.isInteger(n) && n > 0 ? n : 750;
  }

  /**
   * The timbre embedding [1,E] used without a reference audio. Upstream feeds `silence_latent[:, :750, :]` to the
   * timbre encoder when the reference is all zeros (ACE-Step-1.5 acestep/handler.py `infer_refer_latent`; the
   * handler's `generate_music` passes 30 s of zeros when no reference audio is given), so the result is a constant
   * of the model: computed once per converted model and reused (ModelManager.constant).
   */
  noReferenceTimbre(signal?: AbortSignal): Promise<Float32Array> {
    const frames = this.timbreFixFrames;
    return this.mm.constant(this.entry, `no-reference-timbre-${frames}`, ["timbre_encoder", "silence_latent"], () =>
      this.encodeTimbre({ data: this.silenceFrames(frames), refs: 1, frames }, signal),
    );
  }

  /**
   * Bytes one batch item adds while the sampler runs (an estimate for the memory budget): its latents, context and
   * velocity buffers on this side ([T, 64] ×4, [T, 128]); its cross-attention K/V (every layer, K and V over the
   * encoder sequence, tiled per item); and the step graph's temporaries per layer at the patched length S = T / patch:
   * ~8 hidden-width tensors (norms, q/k/v, attention output, residuals), 3 MLP-width ones (gate, up, activation) and
   * the self- and cross-attention scores (heads × S × S, heads × S × Le). float32 throughout.
   */
  itemBytes(frames: number, encoderLength: number): number {
    const c = this.config;
    const S = Math.ceil(frames / c.patch_size);
    const host = frames * 64 * 4 + frames * 128;
    const crossKv = c.num_hidden_layers * 2 * encoderLength * c.hidden_size;
    const step = 8 * S * c.hidden_size + 3 * S * c.intermediate_size + c.num_attention_heads * S * (S + encoderLength);
    return 4 * (host + crossKv + step);
  }

  /** Cross-attention K/V for an encoder sequence [B, Le, E] (once per generation and condition). */
  async crossKv(enc: Float32Array, batch: number, length: number, signal?: AbortSignal): Promise<CrossKv> {
    return this.runDecoder("dit_cross_kv", { encoder_hidden_states: f32([batch, length, this.width], enc) }, signal);
  }

  /** K/V of the CFG null condition (one row: all rows of the broadcast are equal, README §6). */
  async nullCrossKv(batch: number, signal?: AbortSignal): Promise<CrossKv> {
    return this.crossKv(nullCondition(this.nullConditionEmb(), batch, 1), batch, 1, signal);
  }

  /** One velocity evaluation: x [B,T,64] at t with context [B,T,128] → vt [B,T,64]. */
  async step(
    x: Float32Array,
    B: number,
    T: number,
    t: number,
    context: Float32Array,
    kv: CrossKv,
    signal?: AbortSignal,
  ): Promise<Float32Array> {
    const ts = new Float32Array(B).fill(t);
    const out = await this.runDecoder(
      "dit_step",
      {
        hidden_states: f32([B, T, 64], x),
        timestep: f32([B], ts),
        timestep_r: f32([B], ts.slice()),
        context_latents: f32([B, T, 128], context),
        ...kv,
      },
      signal,
    );
    return out.vt.data as Float32Array;
  }

  /** 25 Hz latents [B,T,64] (T a multiple of 5) → FSQ indices [B, T/5]. */
  async tokenize(latents: Float32Array, B: number, T: number, signal?: AbortSignal): Promise<number[][]> {
    const out = await this.run("audio_tokenizer", { latents: f32([B, T, 64], latents) }, signal);
    const idx = out.indices.data as BigInt64Array;
    const n = idx.length / B;
    return Array.from({ length: B }, (_, b) => Array.from(idx.subarray(b * n, (b + 1) * n), Number));
  }

  /** Codes [B, N] → 25 Hz hints [B, 5N, 64]. */
  async detokenize(codes: number[][], signal?: AbortSignal): Promise<Float32Array> {
    const B = codes.length;
    const N = codes[0].length;
    if (codes.some((c) => c.length !== N)) throw new Error("all batch items need the same number of codes");
    const data = BigInt64Array.from(codes.flat().map(BigInt));
    const out = await this.run("audio_detokenizer", { indices: i64([B, N], data) }, signal);
    return out.lm_hints_25hz.data as Float32Array;
  }
}
