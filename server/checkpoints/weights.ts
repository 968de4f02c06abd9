// One view over a checkpoint's weights, whether it is a single .safetensors
// file or a sharded set (model.safetensors.index.json "weight_map" +
// model-0000i-of-0000n.safetensors). Shard headers are parsed on open; tensor
// data is read lazily.
import fs from "node:fs";
import path from "node:path";
import { CheckpointError, type Float32Tensor, type RawTensor } from "./dtypes";
import { SafetensorsFile } from "./safetensors";
import type { TensorInfo } from "./safetensors-header";

export interface CheckpointWeights {
  /** the file or index the weights were opened from */
  readonly source: string;
  /** every .safetensors file involved */
  readonly files: readonly string[];
  keys(): string[];
  has(name: string): boolean;
  /** header info plus the file holding the tensor */
  info(name: string): TensorInfo & { file: string };
  getTensor(name: string): RawTensor;
  getFloat32(name: string): Float32Tensor;
  close(): void;
}

/** Default weight file stems, in lookup order: transformers, then diffusers. */
const STEMS = ["model", "diffusion_pytorch_model"];

/** Opens a .safetensors file, an *.index.json, or a checkpoint directory holding either. */
export function openCheckpointWeights(location: string): CheckpointWeights {
  const stat = statOrThrow(location);
  if (stat.isFile()) return location.endsWith(".json") ? openSharded(location) : openSingle(location);
  for (const stem of STEMS) {
    const index = path.join(location, `${stem}.safetensors.index.json`);
    if (fs.existsSync(index)) return openSharded(index);
    const single = path.join(location, `${stem}.safetensors`);
    if (fs.existsSync(single)) return openSingle(single);
  }
  const found = fs.readdirSync(location).filter((f) => f.endsWith(".safetensors"));
  if (found.length === 1) return openSingle(path.join(location, found[0]));
  throw new CheckpointError(
    `checkpoint: ${location}: no weights found (looked for ${STEMS.map((s) => `${s}.safetensors[.index.json]`).join(", ")}` +
      (found.length ? `; several candidates: ${found.join(", ")})` : ")"),
  );
}

function statOrThrow(location: string): fs.Stats {
  try {
    return fs.statSync(location);
  } catch {
    throw new CheckpointError(`checkpoint: ${location} does not exist`);
  }
}

function openSingle(file: string): CheckpointWeights {
  const st = SafetensorsFile.open(file);
  return {
    source: file,
    files: [file],
    keys: () => st.keys(),
    has: (name) => st.has(name),
    info: (name) => ({ ...st.info(name), file }),
    getTensor: (name) => st.getTensor(name),
    getFloat32: (name) => st.getFloat32(name),
    close: () => st.close(),
  };
}

function openSharded(indexFile: string): CheckpointWeights {
  let index: unknown;
  try {
    index = JSON.parse(fs.readFileSync(indexFile, "utf8"));
  } catch (e) {
    throw new CheckpointError(`checkpoint: ${indexFile}: cannot read index JSON (${(e as Error).message})`);
  }
  const weightMap = (index as { weight_map?: unknown })?.weight_map;
  if (typeof weightMap !== "object" || weightMap === null)
    throw new CheckpointError(`checkpoint: ${indexFile}: no "weight_map" object`);
  const dir = path.dirname(indexFile);
  const shardOf = new Map<string, string>();
  for (const [key, shard] of Object.entries(weightMap as Record<string, unknown>)) {
    if (typeof shard !== "string")
      throw new CheckpointError(`checkpoint: ${indexFile}: weight_map entry ${key} is not a file name`);
    shardOf.set(key, shard);
  }
  const files = new Map<string, SafetensorsFile>();
  const closeAll = () => files.forEach((f) => f.close());
  try {
    for (const [key, shard] of shardOf) {
      let st = files.get(shard);
      if (!st) {
        const file = path.join(dir, shard);
        if (!fs.existsSync(file))
          throw new CheckpointError(
            `checkpoint: ${indexFile}: tensor ${key} is mapped to shard ${shard}, which is missing (${file})`,
          );
        st = SafetensorsFile.open(file);
        files.set(shard, st);
      }
      if (!st.has(key))
        throw new CheckpointError(
          `checkpoint: ${indexFile}: tensor ${key} is mapped to shard ${shard}, but that file does not contain it`,
        );
    }
  } catch (e) {
    closeAll();
    throw e;
  }
  const fileFor = (name: string): SafetensorsFile => {
    const shard = shardOf.get(name);
    if (shard === undefined) throw new CheckpointError(`checkpoint: tensor ${name} missing from ${indexFile}`);
    return files.get(shard)!;
  };
  return {
    source: indexFile,
    files: [...files.values()].map((f) => f.path),
    keys: () => [...shardOf.keys()],
    has: (name) => shardOf.has(name),
    info: (name) => {
      const st = fileFor(name);
      return { ...st.info(name), file: st.path };
    },
    getTensor: (name) => fileFor(name).getTensor(name),
    getFloat32: (name) => fileFor(name).getFloat32(name),
    close: closeAll,
  };
}
