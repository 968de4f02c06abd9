// Component converters: each turns one official checkpoint folder into the files our
// runtime loads. A new component is one more entry here.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Component } from "../../checkpoints/layout";
import type { CheckpointWeights } from "../../checkpoints";
import { buildQwen3Lm, buildQwen3TextEncoder, writeModel, type BuiltModel, type Qwen3Config } from "../../onnx";
import { builderWeights } from "./weights-adapter";
import { buildOobleckDecoder, buildOobleckEncoder, oobleckConfigFromJson } from "../vae";

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
  dtype: "fp32" | "fp16";
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
  version: 1,
  matches: (name) => /^Qwen3-Embedding/i.test(name),
  convert(ctx) {
    mkdirSync(ctx.outDir, { recursive: true });
    ctx.progress("building the Qwen3 text encoder graph");
    const m = buildQwen3TextEncoder(builderWeights(ctx.weights), ctx.config as unknown as Qwen3Config, { precision: ctx.dtype, prefix: "" });
    return [
      writeOnnx(ctx, m, "text_encoder.onnx", "text_encoder"),
      // Lyrics use only the token-embedding table (conditioning.md §3): a row lookup, no graph.
      writeRawTensor(ctx, "embed_tokens.weight", "token_embeddings.bin", "token_embeddings"),
      ...copySide(ctx, ["config.json", "tokenizer.json", "tokenizer_config.json"]),
    ];
  },
};

export const lmConverter: ComponentConverter = {
  component: "lm",
  version: 1,
  matches: (name) => /^acestep-5Hz-lm/i.test(name),
  convert(ctx) {
    mkdirSync(ctx.outDir, { recursive: true });
    ctx.progress("building the 5 Hz LM graph");
    const prefix = ctx.weights.has("model.embed_tokens.weight") ? "model." : "";
    const m = buildQwen3Lm(builderWeights(ctx.weights), ctx.config as unknown as Qwen3Config, { precision: ctx.dtype, prefix });
    return [writeOnnx(ctx, m, "lm.onnx", "lm"), ...copySide(ctx, ["config.json", "tokenizer.json", "tokenizer_config.json"])];
  },
};

export const vaeConverter: ComponentConverter = {
  component: "vae",
  version: 1,
  matches: (name) => name === "vae" || /^vae[-_]/i.test(name),
  convert(ctx) {
    mkdirSync(ctx.outDir, { recursive: true });
    const cfg = oobleckConfigFromJson(ctx.config);
    const w = builderWeights(ctx.weights);
    ctx.progress("building the Oobleck encoder graph");
    const enc = writeOnnx(ctx, buildOobleckEncoder(w, cfg), "vae_encoder.onnx", "vae_encoder");
    ctx.progress("building the Oobleck decoder graph");
    const dec = writeOnnx(ctx, buildOobleckDecoder(w, cfg), "vae_decoder.onnx", "vae_decoder");
    return [enc, dec, ...copySide(ctx, ["config.json"])];
  },
};

/** Converters in the order they run. The DiT converter registers with `addConverter`. */
export const CONVERTERS: ComponentConverter[] = [textEncoderConverter, lmConverter, vaeConverter];

export function addConverter(c: ComponentConverter): void {
  if (!CONVERTERS.includes(c)) CONVERTERS.push(c);
}
