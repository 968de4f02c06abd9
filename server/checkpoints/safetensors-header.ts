// Parses and validates a safetensors header: 8-byte little-endian length N,
// then N bytes of JSON {"__metadata__"?: {str: str}, name: {dtype, shape,
// data_offsets: [begin, end]}}. Offsets are relative to the byte buffer that
// starts at 8 + N; tensors must tile that buffer exactly (no gaps, no overlap),
// as the reference Rust implementation requires.
import { byteLengthOf, CheckpointError, type Dtype, isDtype } from "./dtypes";

export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** absolute byte position of the tensor data in the file */
  fileOffset: number;
  byteLength: number;
}

export interface SafetensorsHeader {
  metadata: Record<string, string>;
  /** tensors in file order (ascending offset) */
  tensors: TensorInfo[];
  /** 8 + header length: where the data buffer starts */
  dataStart: number;
}

/** `lengthBytes` = first 8 bytes of the file, `fileSize` = total size; `readJson(n)` returns the n header bytes. */
export function parseHeader(
  file: string,
  lengthBytes: Uint8Array,
  fileSize: number,
  readJson: (n: number) => Uint8Array,
): SafetensorsHeader {
  if (fileSize < 8 || lengthBytes.byteLength < 8)
    throw new CheckpointError(
      `safetensors: ${file}: file is ${fileSize} bytes, too short for the 8-byte header length`,
    );
  const n64 = new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES))
    throw new CheckpointError(
      `safetensors: ${file}: header length ${n64} exceeds ${MAX_HEADER_BYTES} bytes (not a safetensors file?)`,
    );
  const n = Number(n64);
  if (n < 2 || 8 + n > fileSize)
    throw new CheckpointError(
      `safetensors: ${file}: header length ${n} does not fit in a ${fileSize}-byte file (truncated or not a safetensors file)`,
    );
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(readJson(n)));
  } catch (e) {
    throw new CheckpointError(`safetensors: ${file}: header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new CheckpointError(`safetensors: ${file}: header JSON is not an object`);
  const dataStart = 8 + n;
  const dataSize = fileSize - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: TensorInfo[] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw))
        throw new CheckpointError(`safetensors: ${file}: __metadata__ is not an object`);
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== "string") throw new CheckpointError(`safetensors: ${file}: __metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    tensors.push(parseEntry(file, name, raw, dataStart, dataSize));
  }
  tensors.sort((a, b) => a.fileOffset - b.fileOffset || a.byteLength - b.byteLength);
  let expected = dataStart;
  for (const t of tensors) {
    if (t.fileOffset < expected) {
      const prev = tensors[tensors.indexOf(t) - 1];
      throw new CheckpointError(
        `safetensors: ${file}: tensor ${t.name} overlaps ${prev?.name ?? "the header"} (data_offsets begin ${t.fileOffset - dataStart} < ${expected - dataStart})`,
      );
    }
    if (t.fileOffset > expected)
      throw new CheckpointError(
        `safetensors: ${file}: tensor ${t.name} starts at ${t.fileOffset - dataStart}, leaving a gap after offset ${expected - dataStart}`,
      );
    expected = t.fileOffset + t.byteLength;
  }
  if (expected !== fileSize)
    throw new CheckpointError(
      `safetensors: ${file}: tensors cover ${expected - dataStart} data bytes but the file holds ${dataSize}`,
    );
  return { metadata, tensors, dataStart };
}

function parseEntry(file: string, name: string, raw: unknown, dataStart: number, dataSize: number): TensorInfo {
  const bad = (why: string) => new CheckpointError(`safetensors: ${file}: tensor ${name}: ${why}`);
  if (typeof raw !== "object" || raw === null) throw bad("entry is not an object");
  const { dtype, shape, data_offsets: offs } = raw as Record<string, unknown>;
  if (!isDtype(dtype)) throw bad(`unsupported dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw bad(`invalid shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0))
    throw bad(`invalid data_offsets ${JSON.stringify(offs)}`);
  const [begin, end] = offs as number[];
  if (end < begin) throw bad(`data_offsets [${begin}, ${end}] are misordered (end before begin)`);
  if (end > dataSize)
    throw bad(`data_offsets [${begin}, ${end}] lie outside the file (data section is ${dataSize} bytes; truncated?)`);
  const want = byteLengthOf(dtype, shape as number[]);
  if (want !== end - begin)
    throw bad(`shape ${JSON.stringify(shape)} x ${dtype} needs ${want} bytes but data_offsets span ${end - begin}`);
  return { name, dtype, shape: shape as number[], fileOffset: dataStart + begin, byteLength: end - begin };
}
