// Minimal in-memory ONNX builder for the runtime's self-test and tests.
// Not the model graph builder (that lives in server/onnx/): just enough protobuf to describe a
// few nodes with typed inputs/outputs and raw-data initializers. Schemas: onnx-buf (ONNX 1.20).
import { create, toBinary } from "@bufbuild/protobuf";
import {
  AttributeProtoSchema,
  AttributeProto_AttributeType,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  TensorProtoSchema,
  TensorProto_DataType,
  ValueInfoProtoSchema,
} from "onnx-buf";

export type TinyDType = "float32" | "float16" | "int64" | "int32" | "bool" | "uint8";

const DTYPE: Record<TinyDType, number> = {
  float32: TensorProto_DataType.FLOAT,
  float16: TensorProto_DataType.FLOAT16,
  int64: TensorProto_DataType.INT64,
  int32: TensorProto_DataType.INT32,
  bool: TensorProto_DataType.BOOL,
  uint8: TensorProto_DataType.UINT8,
};

/** A graph input/output; a string dim is symbolic (e.g. "batch"). */
export interface TinyValue {
  name: string;
  type: TinyDType;
  dims: (number | string)[];
}
export interface TinyInit {
  name: string;
  type: TinyDType;
  dims: number[];
  data: ArrayBufferView;
}
export interface TinyNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, number | number[] | string>;
  domain?: string;
}
export interface TinyGraph {
  inputs: TinyValue[];
  outputs: TinyValue[];
  nodes: TinyNode[];
  initializers?: TinyInit[];
  opset?: number;
}

function valueInfo(v: TinyValue) {
  const dim = v.dims.map((d) =>
    typeof d === "string"
      ? { value: { case: "dimParam" as const, value: d } }
      : { value: { case: "dimValue" as const, value: BigInt(d) } },
  );
  return create(ValueInfoProtoSchema, {
    name: v.name,
    type: { value: { case: "tensorType", value: { elemType: DTYPE[v.type], shape: { dim } } } },
  });
}

function attribute(name: string, v: number | number[] | string) {
  if (typeof v === "string")
    return create(AttributeProtoSchema, {
      name,
      type: AttributeProto_AttributeType.STRING,
      s: new TextEncoder().encode(v),
    });
  if (Array.isArray(v))
    return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INTS, ints: v.map(BigInt) });
  if (Number.isInteger(v))
    return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(v) });
  return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f: v });
}

/** Serialise a tiny graph to ONNX bytes (IR 10, default opset 21). */
export function tinyModel(g: TinyGraph): Uint8Array {
  const graph = create(GraphProtoSchema, {
    name: "tiny",
    input: g.inputs.map(valueInfo),
    output: g.outputs.map(valueInfo),
    node: g.nodes.map((n, i) =>
      create(NodeProtoSchema, {
        name: `${n.op}_${i}`,
        opType: n.op,
        domain: n.domain ?? "",
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      }),
    ),
    initializer: (g.initializers ?? []).map((t) =>
      create(TensorProtoSchema, {
        name: t.name,
        dataType: DTYPE[t.type],
        dims: t.dims.map(BigInt),
        rawData: new Uint8Array(t.data.buffer as ArrayBuffer, t.data.byteOffset, t.data.byteLength),
      }),
    ),
  });
  const opset = g.opset ?? 21;
  const model = create(ModelProtoSchema, {
    irVersion: opset >= 23 ? 11n : 10n,
    producerName: "acestep-runtime-tiny",
    opsetImport: [
      { domain: "", version: BigInt(opset) },
      // contrib domains (e.g. com.microsoft for MatMulNBits) are at version 1
      ...[...new Set(g.nodes.map((n) => n.domain ?? ""))]
        .filter((d) => d !== "")
        .map((domain) => ({ domain, version: 1n })),
    ],
    graph,
  });
  return toBinary(ModelProtoSchema, model);
}

/** f32 → IEEE half bits (round to nearest even), for float16 feeds. */
export function toHalf(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

/** IEEE half bits → number. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
