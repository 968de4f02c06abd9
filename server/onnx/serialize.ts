// Serialise a BuiltModel to ONNX protobuf bytes (toBinary(ModelProtoSchema)), either with every
// initializer embedded or with large initializers in one external-data file next to the model.
// A protobuf cannot exceed 2 GB, so "auto" switches to external data above EXTERNAL_THRESHOLD.
// External tensors are 4096-byte aligned (mmap friendly); tensors ≤ 1 KiB always stay inline.

import { closeSync, openSync, writeSync } from "node:fs";
import { basename } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  GraphProtoSchema,
  ModelProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProtoSchema,
  TensorProto_DataLocation,
  type TensorProto,
} from "onnx-buf";
import { ONNX_DTYPE, type BuiltModel, type Initializer } from "./graph-core";

export const EXTERNAL_THRESHOLD = 1.8 * 1024 ** 3;
const INLINE_MAX = 1024;
const ALIGN = 4096;

export type ExternalDataMode = "auto" | "always" | "never";

export function totalInitializerBytes(m: BuiltModel): number {
  return m.initializers.reduce((s, t) => s + t.byteLength, 0);
}

function initProto(t: Initializer, raw?: Uint8Array, ext?: { location: string; offset: number }): TensorProto {
  const base = { name: t.name, dataType: ONNX_DTYPE[t.dtype], dims: t.dims.map((d) => BigInt(d)) };
  if (!ext) return create(TensorProtoSchema, { ...base, rawData: (raw ?? t.load()) as Uint8Array<ArrayBuffer> });
  return create(TensorProtoSchema, {
    ...base,
    dataLocation: TensorProto_DataLocation.EXTERNAL,
    externalData: [
      create(StringStringEntryProtoSchema, { key: "location", value: ext.location }),
      create(StringStringEntryProtoSchema, { key: "offset", value: String(ext.offset) }),
      create(StringStringEntryProtoSchema, { key: "length", value: String(t.byteLength) }),
    ],
  });
}

function modelBytes(m: BuiltModel, initializer: TensorProto[]): Uint8Array {
  const graph = create(GraphProtoSchema, {
    name: m.name,
    node: m.nodes,
    input: m.inputs,
    output: m.outputs,
    initializer,
  });
  const model = create(ModelProtoSchema, {
    irVersion: BigInt(m.irVersion),
    producerName: "acestep-studio/server/onnx",
    opsetImport: Object.entries(m.opsets).map(([domain, version]) =>
      create(OperatorSetIdProtoSchema, { domain, version: BigInt(version) }),
    ),
    graph,
  });
  return toBinary(ModelProtoSchema, model);
}

/** Everything embedded in one buffer (fine below ~2 GB; throws above). */
export function toBytes(m: BuiltModel): Uint8Array {
  const total = totalInitializerBytes(m);
  if (total > EXTERNAL_THRESHOLD) {
    throw new Error(
      `onnx serialize: ${m.name} has ${(total / 1e9).toFixed(2)} GB of initializers; use writeModel with external data`,
    );
  }
  return modelBytes(
    m,
    m.initializers.map((t) => initProto(t)),
  );
}

/** Plan offsets of externally stored tensors. */
function plan(m: BuiltModel): { t: Initializer; offset: number }[] {
  let offset = 0;
  const out: { t: Initializer; offset: number }[] = [];
  for (const t of m.initializers) {
    if (t.byteLength <= INLINE_MAX) continue;
    offset = Math.ceil(offset / ALIGN) * ALIGN;
    out.push({ t, offset });
    offset += t.byteLength;
  }
  return out;
}

function protosWithExternal(m: BuiltModel, location: string, placed: Map<string, number>): TensorProto[] {
  return m.initializers.map((t) => {
    const off = placed.get(t.name);
    return off === undefined ? initProto(t) : initProto(t, undefined, { location, offset: off });
  });
}

/**
 * Model bytes + one external data buffer in memory (for small models, tests, or
 * `InferenceSession.create(model, { externalData: [{ path: location, data }] })`).
 */
export function toBytesWithExternalData(
  m: BuiltModel,
  location = `${m.name}.onnx.data`,
): { model: Uint8Array; data: Uint8Array } {
  const p = plan(m);
  const size = p.length ? p[p.length - 1].offset + p[p.length - 1].t.byteLength : 0;
  const data = new Uint8Array(size);
  for (const { t, offset } of p) data.set(t.load(), offset);
  const placed = new Map(p.map(({ t, offset }) => [t.name, offset]));
  return { model: modelBytes(m, protosWithExternal(m, location, placed)), data };
}

/**
 * Write `path` (and `path + ".data"` when external data is used). Tensors are loaded and written one at a
 * time, so models far above 2 GB never need one big buffer. Returns the files written.
 */
export function writeModel(
  m: BuiltModel,
  path: string,
  opts: { externalData?: ExternalDataMode } = {},
): { model: string; data?: string } {
  const mode = opts.externalData ?? "auto";
  const external = mode === "always" || (mode === "auto" && totalInitializerBytes(m) > EXTERNAL_THRESHOLD);
  if (!external) {
    writeAll(path, [toBytes(m)]);
    return { model: path };
  }
  const dataPath = `${path}.data`;
  const location = basename(dataPath);
  const p = plan(m);
  const fd = openSync(dataPath, "w");
  try {
    for (const { t, offset } of p) writeSync(fd, t.load(), 0, t.byteLength, offset);
  } finally {
    closeSync(fd);
  }
  const placed = new Map(p.map(({ t, offset }) => [t.name, offset]));
  writeAll(path, [modelBytes(m, protosWithExternal(m, location, placed))]);
  return { model: path, data: dataPath };
}

function writeAll(path: string, chunks: Uint8Array[]): void {
  const fd = openSync(path, "w");
  try {
    for (const c of chunks) writeSync(fd, c);
  } finally {
    closeSync(fd);
  }
}
