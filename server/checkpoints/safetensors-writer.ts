// Streaming safetensors writer: header first (keys sorted by name, JSON padded
// with spaces to a multiple of 8 bytes as the format does), then each tensor's
// bytes with fs.writeSync, chunk by chunk when the tensor is given as a generator
// (so a multi-GB tensor never sits in memory). Also a sharded writer producing
// model-0000i-of-0000n.safetensors plus model.safetensors.index.json.
import fs from "node:fs";
import path from "node:path";
import { byteLengthOf, CheckpointError, type Dtype, DTYPE_SIZES } from "./dtypes";

export interface TensorToWrite {
  name: string;
  dtype: Dtype;
  shape: number[];
  /**
   * raw little-endian bytes (any typed array), or a thunk producing them when the tensor is written: either all
   * at once or as consecutive chunks
   */
  data: ArrayBufferView | (() => ArrayBufferView | Iterable<ArrayBufferView>);
}

export function writeSafetensors(
  file: string,
  tensors: readonly TensorToWrite[],
  metadata?: Record<string, string>,
): void {
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
      const data = typeof t.data === "function" ? t.data() : t.data;
      const parts = ArrayBuffer.isView(data) ? [data] : data;
      const want = byteLengthOf(t.dtype, t.shape);
      let produced = 0;
      for (const view of parts) {
        produced += view.byteLength;
        if (produced > want) break;
        writeAll(fd, new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
      }
      if (produced !== want) {
        const have = produced > want ? `more than ${want}` : String(produced);
        throw new CheckpointError(
          `safetensors: writing ${file}: tensor ${t.name} has ${have} bytes, shape ${JSON.stringify(t.shape)} x ${t.dtype} needs ${want}`,
        );
      }
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
export function writeShardedSafetensors(
  dir: string,
  tensors: readonly TensorToWrite[],
  opts: ShardedWriteOptions,
): string[] {
  const { files, index } = planShards(dir, tensors, opts);
  for (const f of files) writeSafetensors(path.join(dir, f.file), f.tensors, opts.metadata);
  if (!index) return files.map((f) => f.file);
  const indexFile = `${opts.baseName ?? "model"}.safetensors.index.json`;
  fs.writeFileSync(path.join(dir, indexFile), JSON.stringify(index, null, 2) + "\n");
  return [...files.map((f) => f.file), indexFile];
}

export interface ShardPlan<T extends Pick<TensorToWrite, "name" | "dtype" | "shape">> {
  /** the safetensors files, each with its tensors (sorted by name) and data bytes */
  files: { file: string; tensors: T[]; dataBytes: number }[];
  /** the index JSON when sharded (HF layout: metadata.total_size + weight_map), else null */
  index: { metadata: { total_size: number }; weight_map: Record<string, string> } | null;
}

/** Which tensors go to which file, without writing anything (the dry-run listing of the fabricator uses it). */
export function planShards<T extends Pick<TensorToWrite, "name" | "dtype" | "shape">>(
  where: string,
  tensors: readonly T[],
  opts: ShardedWriteOptions,
): ShardPlan<T> {
  const base = opts.baseName ?? "model";
  const sorted = sortAndCheck(where, tensors);
  const shards: T[][] = [];
  let current: T[] = [];
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
  const dataBytes = (ts: T[]) => ts.reduce((a, t) => a + byteLengthOf(t.dtype, t.shape), 0);
  if (shards.length === 1)
    return { files: [{ file: `${base}.safetensors`, tensors: shards[0], dataBytes: total }], index: null };
  const width = Math.max(5, String(shards.length).length);
  const names = shards.map(
    (_, i) =>
      `${base}-${String(i + 1).padStart(width, "0")}-of-${String(shards.length).padStart(width, "0")}.safetensors`,
  );
  const weightMap: Record<string, string> = {};
  shards.forEach((shard, i) => {
    for (const t of shard) weightMap[t.name] = names[i];
  });
  return {
    files: shards.map((tensors, i) => ({ file: names[i], tensors, dataBytes: dataBytes(tensors) })),
    index: { metadata: { total_size: total }, weight_map: weightMap },
  };
}

function sortAndCheck<T extends Pick<TensorToWrite, "name" | "dtype" | "shape">>(
  where: string,
  tensors: readonly T[],
): T[] {
  const seen = new Set<string>();
  for (const t of tensors) {
    if (t.name === "__metadata__" || seen.has(t.name))
      throw new CheckpointError(`safetensors: writing ${where}: duplicate or reserved tensor name ${t.name}`);
    if (!(t.dtype in DTYPE_SIZES))
      throw new CheckpointError(`safetensors: writing ${where}: tensor ${t.name} has unknown dtype ${t.dtype}`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw new CheckpointError(
        `safetensors: writing ${where}: tensor ${t.name} has invalid shape ${JSON.stringify(t.shape)}`,
      );
    seen.add(t.name);
  }
  return [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) done += fs.writeSync(fd, bytes, done, bytes.byteLength - done);
}
