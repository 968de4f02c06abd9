// Fabricated official-layout checkpoints at tiny or full size: config.json, seeded random weights under the
// official key names (server/checkpoints/layout), sharded like upstream, silence_latent.pt for each DiT and the
// real Qwen3 tokenizer files. Weights stream to disk chunk by chunk (INIT_CHUNK_ELEMENTS), so even the 4B LM
// is written with a small, constant memory footprint. planFabrication lists everything without writing (--dry-run).
import fs from "node:fs";
import path from "node:path";
import { byteLengthOf, CheckpointError, type Dtype } from "../dtypes";
import { f32ToBf16Array } from "../float16";
import { type Component, expectedKeys, paramCount } from "../layout";
import { planShards, type TensorToWrite, writeShardedSafetensors } from "../safetensors-writer";
import { initTensorChunks, tinySilenceLatent } from "../tiny/init";
import { writeQwen3Tokenizers } from "../tiny/tokenizers";
import { writeTorchTensor } from "../torch-pt";
import {
  type CatalogEntry,
  DEFAULT_FABRICATE_COMPONENTS,
  FABRICATE_CATALOG,
  type FabricateSize,
  type SideFiles,
  UPSTREAM_MAX_SHARD_BYTES,
} from "./catalog";

export type FabricateDtype = "bf16" | "fp32";

/** Frames of silence_latent.pt: 600 s at 25 Hz, as in the official file. */
export const SILENCE_LATENT_FRAMES = 15000;

export interface FabricateOptions {
  size: FabricateSize;
  /** catalog ids (default DEFAULT_FABRICATE_COMPONENTS[size]) */
  components?: readonly string[];
  /** on-disk weight dtype (default bf16, as published) */
  dtype?: FabricateDtype;
  seed?: number;
  /** shard the text encoder and LM weights at this many bytes instead of upstream's 5 GB (tests) */
  maxShardBytes?: number;
}

export interface PlannedTensor {
  name: string;
  dtype: Dtype;
  shape: number[];
  bytes: number;
  /** weights file holding it, relative to the component folder */
  file: string;
}

export interface PlannedComponent {
  id: string;
  key: CatalogEntry["key"];
  folder: string;
  component: Component;
  config: Record<string, unknown>;
  seed: number;
  /** weights file stem and shard limit (see catalog.ts) */
  stem: string;
  maxShardBytes: number;
  params: number;
  /** every file the folder will hold, with the data bytes of each weights file */
  files: { file: string; bytes?: number }[];
  tensors: PlannedTensor[];
  side: SideFiles | null;
}

const DTYPES: Record<FabricateDtype, Dtype> = { bf16: "BF16", fp32: "F32" };

function selected(opts: FabricateOptions): CatalogEntry[] {
  const ids = opts.components?.length ? opts.components : DEFAULT_FABRICATE_COMPONENTS[opts.size];
  const named = (c: CatalogEntry, id: string) => c.id === id || c.folder === id;
  const unknown = ids.filter((id) => !FABRICATE_CATALOG.some((c) => named(c, id)));
  if (unknown.length) {
    const known = FABRICATE_CATALOG.map((c) => `${c.id} (${c.folder})`).join(", ");
    throw new CheckpointError(
      `fabricate: unknown component(s) ${unknown.map((u) => `"${u}"`).join(", ")} (known: ${known})`,
    );
  }
  return FABRICATE_CATALOG.filter((c) => ids.some((id) => named(c, id)));
}

const SIDE_FILE_NAMES: Record<SideFiles, string[]> = {
  "silence-latent": ["silence_latent.pt"],
  "text-encoder-tokenizer": ["tokenizer.json", "tokenizer_config.json"],
  "lm-tokenizer": ["tokenizer.json", "tokenizer_config.json"],
};

/** Every folder, file, tensor name, shape and byte size that fabricateCheckpoints would write. */
export function planFabrication(opts: FabricateOptions): PlannedComponent[] {
  const dtype = DTYPES[opts.dtype ?? "bf16"];
  if (!dtype) throw new CheckpointError(`fabricate: dtype must be bf16 or fp32, got "${opts.dtype}"`);
  if (!["tiny", "full"].includes(opts.size))
    throw new CheckpointError(`fabricate: size must be tiny or full, got "${opts.size}"`);
  const seed = opts.seed ?? 0;
  return selected(opts).map((c) => {
    const config = c.configs[opts.size];
    const keys = expectedKeys(c.component, config);
    const maxShardBytes =
      opts.maxShardBytes !== undefined && (c.component === "lm" || c.component === "text-encoder")
        ? opts.maxShardBytes
        : UPSTREAM_MAX_SHARD_BYTES;
    const specs = [...keys].map(([name, shape]) => ({ name, dtype, shape }));
    const shards = planShards(c.folder, specs, { maxShardBytes, baseName: c.stem });
    const tensors = shards.files.flatMap((f) =>
      f.tensors.map((t) => ({ ...t, bytes: byteLengthOf(t.dtype, t.shape), file: f.file })),
    );
    const files = [
      { file: "config.json" },
      ...shards.files.map((f) => ({ file: f.file, bytes: f.dataBytes })),
      ...(shards.index ? [{ file: `${c.stem}.safetensors.index.json` }] : []),
      ...(c.side ? SIDE_FILE_NAMES[c.side].map((file) => ({ file })) : []),
    ];
    return {
      id: c.id,
      key: c.key,
      folder: c.folder,
      component: c.component,
      config,
      seed: seed + c.seedOffset,
      stem: c.stem,
      maxShardBytes,
      params: paramCount(keys),
      files,
      tensors,
      side: c.side,
    };
  });
}

export interface FabricateProgress {
  folder: string;
  /** weight bytes written so far in this folder, and in total for it */
  bytes: number;
  totalBytes: number;
}

/** Writes the planned tree under `outDir`; returns the plan and each written component's folder by id. */
export function fabricateCheckpoints(
  outDir: string,
  opts: FabricateOptions & { onProgress?: (p: FabricateProgress) => void },
): { plan: PlannedComponent[]; dirs: Record<string, string> } {
  const plan = planFabrication(opts);
  const dirs: Record<string, string> = {};
  for (const p of plan) {
    const dir = path.join(outDir, p.folder);
    dirs[p.id] = dir;
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(p.config, null, 2) + "\n");
    const layout = expectedKeys(p.component, p.config);
    const totalBytes = p.tensors.reduce((a, t) => a + t.bytes, 0);
    let bytes = 0;
    const tensors: TensorToWrite[] = p.tensors.map((t) => ({
      name: t.name,
      dtype: t.dtype,
      shape: t.shape,
      data: function* () {
        for (const chunk of initTensorChunks(t.name, t.shape, layout, p.seed, { fast: opts.size === "full" })) {
          yield t.dtype === "BF16" ? f32ToBf16Array(chunk) : chunk;
        }
        bytes += t.bytes;
        opts.onProgress?.({ folder: p.folder, bytes, totalBytes });
      },
    }));
    writeShardedSafetensors(dir, tensors, {
      maxShardBytes: p.maxShardBytes,
      baseName: p.stem,
      metadata: { format: "pt" },
    });
    if (p.side === "silence-latent") {
      const channels = p.config.audio_acoustic_hidden_dim as number;
      writeTorchTensor(path.join(dir, "silence_latent.pt"), {
        dtype: "F32",
        shape: [1, channels, SILENCE_LATENT_FRAMES],
        data: tinySilenceLatent(channels, SILENCE_LATENT_FRAMES, p.seed),
      });
    }
  }
  const foldersWith = (side: SideFiles) => plan.filter((p) => p.side === side).map((p) => dirs[p.id]);
  writeQwen3Tokenizers(foldersWith("text-encoder-tokenizer"), foldersWith("lm-tokenizer"));
  return { plan, dirs };
}

const gb = (n: number) => `${(n / 1e9).toFixed(2)} GB`;

/** The dry-run listing: per folder the config, the files and (with `tensors`) every tensor. */
export function formatFabricationPlan(plan: readonly PlannedComponent[], o: { tensors?: boolean } = {}): string {
  const lines: string[] = [];
  for (const p of plan) {
    const weightBytes = p.tensors.reduce((a, t) => a + t.bytes, 0);
    lines.push(
      `${p.folder}/  ${p.component}, ${p.tensors.length} tensors, ${(p.params / 1e9).toFixed(3)} B parameters, ${gb(weightBytes)} of weights`,
    );
    lines.push(`  config.json ${JSON.stringify(p.config)}`);
    for (const f of p.files) lines.push(`  file ${f.file}${f.bytes !== undefined ? ` (${f.bytes} data bytes)` : ""}`);
    if (o.tensors)
      for (const t of p.tensors)
        lines.push(`  tensor ${t.name} ${t.dtype} [${t.shape.join(", ")}] ${t.bytes} ${t.file}`);
  }
  const total = plan.reduce((a, p) => a + p.tensors.reduce((b, t) => b + t.bytes, 0), 0);
  lines.push(`total: ${plan.length} folder(s), ${gb(total)} of weights`);
  return lines.join("\n");
}
