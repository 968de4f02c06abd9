// Streaming safetensors writer: header first (keys sorted by name, JSON padded
// with spaces to a multiple of 8 bytes as the format does), then each tensor's
// bytes with fs.writeSync. Also a sharded writer producing
// model-0000i-of-0000n.safetensors plus model.safetensors.index.json.
import fs from "node:fs";
import path from "node:path";
import { byteLengthOf, CheckpointError, type Dtype, DTYPE_SIZES } from "./dtypes";

export interface TensorToWrite {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** raw little-endian bytes (any typed array), or a thunk producing them when the tensor is written */
  data: ArrayBufferView | (() => ArrayBufferView);
}

export function writeSafetensors(file: string, tensors: readonly TensorToWrite[], metadata?: Record<string, string>): void {
  const sorted = sortAndCheck(file, tensors);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of sorted) {
    const n = byteLengthOf(t.dtype, t.shape);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  let json = Buffer.from(JSON.stringify(header), "utf8");
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, "w");
  try {
    writeAll(fd, len);
    writeAll(fd, json);
    for (const t of sorted) {
      const view = typeof t.data === "function" ? t.data() : t.data;
      const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      const want = byteLengthOf(t.dtype, t.shape);
      if (bytes.byteLength !== want) throw new CheckpointError(`safetensors: writing ${file}: tensor ${t.name} has ${bytes.byteLength} bytes, shape ${JSON.stringify(t.shape)} x ${t.dtype} needs ${want}`);
      writeAll(fd, bytes);
    }
  } finally {
    fs.closeSync(fd);
  }
}

export interface ShardedWriteOptions {
  /** largest data size of one shard in bytes; a bigger tensor gets a shard of its own */
  maxShardBytes: number;
  /** file stem, "model" -> model.safetensors / model-00001-of-00002.safetensors */
  baseName?: string;
  metadata?: Record<string, string>;
}

/** Writes one file when everything fits in one shard, else shards + index. Returns the files written (relative names). */
export function writeShardedSafetensors(dir: string, tensors: readonly TensorToWrite[], opts: ShardedWriteOptions): string[] {
  const base = opts.baseName ?? "model";
  const sorted = sortAndCheck(dir, tensors);
  const shards: TensorToWrite[][] = [];
  let current: TensorToWrite[] = [];
  let size = 0;
  let total = 0;
  for (const t of sorted) {
    const n = byteLengthOf(t.dtype, t.shape);
    total += n;
    if (current.length && size + n > opts.maxShardBytes) {
      shards.push(current);
      current = [];
      size = 0;
    }
    current.push(t);
    size += n;
  }
  if (current.length || !shards.length) shards.push(current);
  if (shards.length === 1) {
    writeSafetensors(path.join(dir, `${base}.safetensors`), shards[0], opts.metadata);
    return [`${base}.safetensors`];
  }
  const width = Math.max(5, String(shards.length).length);
  const names = shards.map((_, i) => `${base}-${String(i + 1).padStart(width, "0")}-of-${String(shards.length).padStart(width, "0")}.safetensors`);
  const weightMap: Record<string, string> = {};
  shards.forEach((shard, i) => {
    writeSafetensors(path.join(dir, names[i]), shard, opts.metadata);
    for (const t of shard) weightMap[t.name] = names[i];
  });
  const index = { metadata: { total_size: total }, weight_map: weightMap };
  fs.writeFileSync(path.join(dir, `${base}.safetensors.index.json`), JSON.stringify(index, null, 2) + "\n");
  return [...names, `${base}.safetensors.index.json`];
}

function sortAndCheck(where: string, tensors: readonly TensorToWrite[]): TensorToWrite[] {
  const seen = new Set<string>();
  for (const t of tensors) {
    if (t.name === "__metadata__" || seen.has(t.name)) throw new CheckpointError(`safetensors: writing ${where}: duplicate or reserved tensor name ${t.name}`);
    if (!(t.dtype in DTYPE_SIZES)) throw new CheckpointError(`safetensors: writing ${where}: tensor ${t.name} has unknown dtype ${t.dtype}`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new CheckpointError(`safetensors: writing ${where}: tensor ${t.name} has invalid shape ${JSON.stringify(t.shape)}`);
    seen.add(t.name);
  }
  return [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) done += fs.writeSync(fd, bytes, done, bytes.byteLength - done);
}
