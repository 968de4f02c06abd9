// Component converters: each turns one official checkpoint folder into the files our
// runtime loads. A new component is one more entry here.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Component } from "../../checkpoints/layout";
import type { CheckpointWeights } from "../../checkpoints";
import { buildQwen3TextEncoder, writeModel, type BuiltModel, type Precision } from "../../onnx";
import { qwen3ConfigSchema } from "../../checkpoints/layout/qwen3";
import { parseConfig } from "../../checkpoints/layout/shapes";
import { buildLmGraph, defaultCodeRows, readLmConfig } from "../lm";
import { builderWeights } from "./weights-adapter";
import { buildOobleckDecoder, buildOobleckEncoder, oobleckConfigFromJson } from "../vae";
import {
  buildAudioDetokenizer,
  buildAudioTokenizer,
  buildDitCrossKv,
  buildDitStep,
  buildLyricEncoder,
  buildTextProjector,
  buildTimbreEncoder,
  ditConfigFromJson,
} from "../dit";
import { readTorchFloat32 } from "../../checkpoints";
import { hostInt8Dot } from "../../onnx/cpu-int8";
import { int8KernelsFor } from "../../onnx/int8-linear";

export interface ProducedFile {
  /** Relative to the component's output folder. */
  file: string;
  role: string;
  inputs?: string[];
  outputs?: string[];
  tensor?: { dtype: string; shape: number[] };
}

export interface ConvertContext {
  srcDir: string;
  outDir: string;
  config: Record<string, unknown>;
  weights: CheckpointWeights;
  dtype: Precision;
  progress(message: string): void;
}

export interface ComponentConverter {
  component: Component;
  /** Bump when the produced files change, so existing conversions are redone. */
  version: number;
  matches(folderName: string): boolean;
  convert(ctx: ConvertContext): ProducedFile[] | Promise<ProducedFile[]>;
}

const ioNames = (m: BuiltModel) => ({
  inputs: m.inputs.map((i) => i.name),
  outputs: m.outputs.map((o) => o.name),
});

function writeOnnx(ctx: ConvertContext, m: BuiltModel, file: string, role: string): ProducedFile {
  ctx.progress(`writing ${file}`);
  writeModel(m, join(ctx.outDir, file));
  return { file, role, ...ioNames(m) };
}

function copySide(ctx: ConvertContext, names: string[]): ProducedFile[] {
  return names.map((n) => {
    copyFileSync(join(ctx.srcDir, n), join(ctx.outDir, n));
    return { file: n, role: n.replace(/\.json$/, "") };
  });
}

/** Raw tensor file: the checkpoint's bytes as stored (bf16/fp16/fp32), row-major. */
function writeRawTensor(ctx: ConvertContext, key: string, file: string, role: string): ProducedFile {
  const t = ctx.weights.getTensor(key);
  writeFileSync(join(ctx.outDir, file), t.bytes);
  return { file, role, tensor: { dtype: t.dtype, shape: t.shape } };
}

export const textEncoderConverter: ComponentConverter = {
  component: "text-encoder",
  // 2: an int8 text_encoder.onnx multiplies q/k/v and gate/up through DynamicQuantizeMatMul (mixedInt8Linear,
  // docs/precision.md)
  version: 2,
  matches: (name) => /^Qwen3-Embedding/i.test(name),
  convert(ctx) {
    mkdirSync(ctx.outDir, { recursive: true });
    ctx.progress("building the Qwen3 text encoder graph");
    const m = buildQwen3TextEncoder(
      builderWeights(ctx.weights),
      parseConfig(qwen3ConfigSchema, ctx.config, "text encoder"),
      {
        precision: ctx.dtype,
        prefix: "",
      },
    );
    return [
      writeOnnx(ctx, m, "text_encoder.onnx", "text_encoder"),
      // Lyrics use only the token-embedding table (acestep/handler.py `infer_lyric_embeddings`): a row lookup,
      // no graph.
      writeRawTensor(ctx, "embed_tokens.weight", "token_embeddings.bin", "token_embeddings"),
      ...copySide(ctx, ["config.json", "tokenizer.json", "tokenizer_config.json"]),
    ];
  },
};

export const lmConverter: ComponentConverter = {
  component: "lm",
  // 2: the lm-graph.ts step graph (in-place KV cache, batched CFG lanes) with both heads: full vocabulary
  // (CoT / free text) and the code rows CODE_HEAD_ROWS (code pass), selected by head_select at run time.
  version: 2,
  matches: (name) => /^acestep-5Hz-lm/i.test(name),
  convert(ctx) {
    mkdirSync(ctx.outDir, { recursive: true });
    ctx.progress("building the 5 Hz LM step graph");
    const prefix = ctx.weights.has("model.embed_tokens.weight") ? "model." : "";
    const cfg = readLmConfig(ctx.srcDir);
    // the same rule LmModel.fromFile and the LM worker use to expect the code head
    const codeRows = defaultCodeRows(cfg);
    const m = buildLmGraph(builderWeights(ctx.weights), cfg, { precision: ctx.dtype, prefix, codeRows });
    return [
      writeOnnx(ctx, m, "lm.onnx", "lm"),
      ...copySide(ctx, ["config.json", "tokenizer.json", "tokenizer_config.json"]),
    ];
  },
};

export const vaeConverter: ComponentConverter = {
  component: "vae",
  // 2: fp16/bf16 weight storage
  version: 2,
  matches: (name) => name === "vae" || /^vae[-_]/i.test(name),
  convert(ctx) {
    mkdirSync(ctx.outDir, { recursive: true });
    const cfg = oobleckConfigFromJson(ctx.config);
    const w = builderWeights(ctx.weights);
    ctx.progress("building the Oobleck encoder graph");
    const enc = writeOnnx(
      ctx,
      buildOobleckEncoder(w, cfg, { precision: ctx.dtype }),
      "vae_encoder.onnx",
      "vae_encoder",
    );
    ctx.progress("building the Oobleck decoder graph");
    const dec = writeOnnx(
      ctx,
      buildOobleckDecoder(w, cfg, { precision: ctx.dtype }),
      "vae_decoder.onnx",
      "vae_decoder",
    );
    return [enc, dec, ...copySide(ctx, ["config.json"])];
  },
};

/** silence_latent.pt [1, 64, F] → raw fp32 [F, 64] (frame-major, as the DiT context wants it). */
function writeSilenceLatent(ctx: ConvertContext): ProducedFile {
  const t = readTorchFloat32(join(ctx.srcDir, "silence_latent.pt"));
  const [one, C, F] = t.shape;
  if (one !== 1 || C !== 64) throw new Error(`silence_latent.pt has shape [${t.shape}], expected [1, 64, frames]`);
  const out = new Float32Array(F * C);
  for (let c = 0; c < C; c++) for (let f = 0; f < F; f++) out[f * C + c] = t.data[c * F + f];
  writeFileSync(join(ctx.outDir, "silence_latent.bin"), new Uint8Array(out.buffer));
  return { file: "silence_latent.bin", role: "silence_latent", tensor: { dtype: "F32", shape: [F, C] } };
}

export const ditConverter: ComponentConverter = {
  component: "dit",
  // 2: int8 dit_step multiplies through DynamicQuantizeMatMul (int8 weights per output channel) instead of
  // MatMulNBits (docs/precision.md); 3: those weights are stored as uint8 + zero point (MLAS's int8-weight kernel
  // for AVX2 without VNNI saturated), and the int8 lyric_encoder.onnx takes the same mixedInt8Linear rule; 4: the
  // converting CPU chooses (int8KernelsFor): VNNI int8 weights, no VNNI uint8 weights and fp32 o_proj/down_proj
  version: 4,
  matches: (name) => /^acestep-v15-/i.test(name),
  convert(ctx) {
    mkdirSync(ctx.outDir, { recursive: true });
    const cfg = ditConfigFromJson(ctx.config);
    const w = builderWeights(ctx.weights);
    const o = { precision: ctx.dtype };
    // int8: the Linear kernels and weight format that are exact and fast on the converting CPU (cpu-int8.ts)
    const kernels = int8KernelsFor(hostInt8Dot());
    const parts: Array<[string, () => BuiltModel]> = [
      ["text_projector", () => buildTextProjector(w, cfg, o)],
      ["lyric_encoder", () => buildLyricEncoder(w, cfg, { ...o, ...kernels })],
      ["timbre_encoder", () => buildTimbreEncoder(w, cfg, o)],
      ["dit_cross_kv", () => buildDitCrossKv(w, cfg, o)],
      ["dit_step", () => buildDitStep(w, cfg, { ...o, ...kernels })],
      ["audio_tokenizer", () => buildAudioTokenizer(w, cfg, o)],
      ["audio_detokenizer", () => buildAudioDetokenizer(w, cfg, o)],
    ];
    const files: ProducedFile[] = [];
    for (const [role, build] of parts) {
      ctx.progress(`building ${role}`);
      files.push(writeOnnx(ctx, build(), `${role}.onnx`, role));
    }
    files.push(writeRawTensor(ctx, "null_condition_emb", "null_condition_emb.bin", "null_condition_emb"));
    files.push(writeSilenceLatent(ctx));
    return [...files, ...copySide(ctx, ["config.json"])];
  },
};

/** Converters in the order they run. */
export const CONVERTERS: ComponentConverter[] = [textEncoderConverter, lmConverter, vaeConverter, ditConverter];
