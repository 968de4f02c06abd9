// safetensors reader/writer: every dtype, shards + index, and clear errors for corrupt headers.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Dtype, DTYPE_SIZES } from "./dtypes";
import { f32ToBf16Array, f32ToF16Array } from "./float16";
import { openSafetensors } from "./safetensors";
import { type TensorToWrite, writeSafetensors, writeShardedSafetensors } from "./safetensors-writer";
import { openCheckpointWeights } from "./weights";

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "safetensors-test-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function bytesFor(dtype: Dtype, n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n * DTYPE_SIZES[dtype]);
  for (let i = 0; i < out.length; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  if (dtype === "BOOL") out.forEach((_, i) => (out[i] = (i + seed) & 1));
  return out;
}

/** a raw safetensors file from a hand-written header object and data buffer */
function rawFile(name: string, header: unknown, data: Uint8Array, lengthOverride?: bigint): string {
  const json = Buffer.from(typeof header === "string" ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthOverride ?? BigInt(json.length));
  const file = path.join(tmp, name);
  fs.writeFileSync(file, Buffer.concat([len, json, data]));
  return file;
}

describe("safetensors reader and writer", () => {
  const dtypes: Dtype[] = ["BF16", "F16", "F32", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL"];
  const tensors: TensorToWrite[] = dtypes.map((dtype, i) => ({
    name: `t.${dtype.toLowerCase()}`,
    dtype,
    shape: [2, 3 + i],
    data: bytesFor(dtype, 2 * (3 + i), i),
  }));
  tensors.push({ name: "empty", dtype: "F32", shape: [0, 4], data: new Uint8Array(0) });
  tensors.push({ name: "scalar", dtype: "F32", shape: [], data: () => new Float32Array([42]) });

  it("round-trips every dtype with metadata, in sorted key order, with an 8-byte aligned header", () => {
    const file = path.join(tmp, "all.safetensors");
    writeSafetensors(file, tensors, { format: "pt" });
    const raw = fs.readFileSync(file);
    const n = Number(raw.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    expect(
      raw
        .subarray(8, 8 + n)
        .toString()
        .trimEnd()
        .endsWith("}"),
    ).toBe(true);
    const st = openSafetensors(file);
    expect(st.metadata).toEqual({ format: "pt" });
    expect(st.keys()).toEqual(tensors.map((t) => t.name).sort());
    for (const t of tensors) {
      const got = st.getTensor(t.name);
      expect(got.dtype).toBe(t.dtype);
      expect(got.shape).toEqual(t.shape);
      const want = (typeof t.data === "function" ? t.data() : t.data) as ArrayBufferView;
      expect(Buffer.from(got.bytes).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength))).toBe(true);
    }
    expect(st.getFloat32("scalar")).toEqual({ shape: [], data: new Float32Array([42]) });
    st.close();
    expect(() => st.getTensor("scalar")).toThrow(/closed/);
  });

  it("is deterministic: the same tensors in another order give identical bytes", () => {
    const a = path.join(tmp, "a.safetensors");
    const b = path.join(tmp, "b.safetensors");
    writeSafetensors(a, tensors);
    writeSafetensors(b, [...tensors].reverse());
    expect(fs.readFileSync(a).equals(fs.readFileSync(b))).toBe(true);
  });

  it("converts bf16, fp16, fp32 and f64 tensors to fp32", () => {
    const values = new Float32Array([1, -2.5, 0.1, 65504, 3e-5]);
    const file = path.join(tmp, "floats.safetensors");
    writeSafetensors(file, [
      { name: "bf", dtype: "BF16", shape: [5], data: f32ToBf16Array(values) },
      { name: "h", dtype: "F16", shape: [5], data: f32ToF16Array(values) },
      { name: "f", dtype: "F32", shape: [5], data: values },
      { name: "d", dtype: "F64", shape: [5], data: Float64Array.from(values) },
      { name: "i", dtype: "I64", shape: [1], data: new BigInt64Array([7n]) },
    ]);
    const st = openSafetensors(file);
    expect(Array.from(st.getFloat32("f").data)).toEqual(Array.from(values));
    expect(Array.from(st.getFloat32("d").data)).toEqual(Array.from(values));
    const bf = st.getFloat32("bf").data;
    const h = st.getFloat32("h").data;
    values.forEach((v, i) => {
      expect(Math.abs(bf[i] - v)).toBeLessThanOrEqual(Math.abs(v) / 256);
      expect(Math.abs(h[i] - v)).toBeLessThanOrEqual(Math.abs(v) / 2048 + 1e-7);
    });
    expect(() => st.getFloat32("i")).toThrow(/tensor i in .*floats\.safetensors has dtype I64/);
    expect(() => st.getTensor("nope")).toThrow(/tensor nope missing from .*floats\.safetensors/);
    st.close();
  });

  it("writes shards plus an index, and openCheckpointWeights reads them like one file", () => {
    const dir = path.join(tmp, "sharded");
    const files = writeShardedSafetensors(dir, tensors, { maxShardBytes: 64 });
    expect(files.at(-1)).toBe("model.safetensors.index.json");
    expect(files.length).toBeGreaterThan(2);
    expect(files[0]).toMatch(/^model-00001-of-000\d\d\.safetensors$/);
    const index = JSON.parse(fs.readFileSync(path.join(dir, "model.safetensors.index.json"), "utf8"));
    expect(Object.keys(index.weight_map).sort()).toEqual(tensors.map((t) => t.name).sort());
    const w = openCheckpointWeights(dir);
    expect(w.keys().sort()).toEqual(tensors.map((t) => t.name).sort());
    expect(w.files.length).toBe(files.length - 1);
    for (const t of tensors) {
      const want = (typeof t.data === "function" ? t.data() : t.data) as ArrayBufferView;
      expect(
        Buffer.from(w.getTensor(t.name).bytes).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength)),
      ).toBe(true);
      expect(w.info(t.name).file).toBe(path.join(dir, index.weight_map[t.name]));
    }
    expect(w.has("t.f32")).toBe(true);
    expect(w.has("nope")).toBe(false);
    w.close();

    const single = path.join(tmp, "single");
    expect(writeShardedSafetensors(single, tensors, { maxShardBytes: 1 << 20 })).toEqual(["model.safetensors"]);
    const s = openCheckpointWeights(single);
    expect(s.keys().sort()).toEqual(w.keys().sort());
    expect(s.getFloat32("scalar").data[0]).toBe(42);
    s.close();
  });

  it("names the key and the shard when a shard listed in the index is missing or lacks the key", () => {
    const dir = path.join(tmp, "broken-shards");
    const files = writeShardedSafetensors(dir, tensors, { maxShardBytes: 64 });
    const index = JSON.parse(fs.readFileSync(path.join(dir, files.at(-1)!), "utf8"));
    index.weight_map["t.f32"] = "model-00009-of-00009.safetensors";
    fs.writeFileSync(path.join(dir, "model.safetensors.index.json"), JSON.stringify(index));
    expect(() => openCheckpointWeights(dir)).toThrow(
      /tensor t\.f32 is mapped to shard model-00009-of-00009\.safetensors, which is missing/,
    );
    index.weight_map["t.f32"] = files[0];
    index.weight_map["ghost"] = files[0];
    fs.writeFileSync(path.join(dir, "model.safetensors.index.json"), JSON.stringify(index));
    expect(() => openCheckpointWeights(dir)).toThrow(
      /tensor (t\.f32|ghost) is mapped to shard model-00001.*does not contain it/,
    );
    expect(() => openCheckpointWeights(path.join(tmp, "nowhere"))).toThrow(/does not exist/);
  });

  describe("rejects corrupt files with an error naming the file and the tensor", () => {
    const ok = {
      a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
      b: { dtype: "U8", shape: [4], data_offsets: [8, 12] },
    };
    const data = new Uint8Array(12);
    const cases: [string, () => string, RegExp][] = [
      [
        "a file shorter than 8 bytes",
        () => (fs.writeFileSync(path.join(tmp, "tiny.st"), "abc"), path.join(tmp, "tiny.st")),
        /tiny\.st: file is 3 bytes/,
      ],
      ["a huge header length", () => rawFile("huge.st", ok, data, 1n << 40n), /huge\.st: header length \d+ exceeds/],
      [
        "a header length past the end",
        () => rawFile("long.st", ok, data, 5000n),
        /long\.st: header length 5000 does not fit/,
      ],
      [
        "a non-JSON header",
        () => rawFile("nonjson.st", "{not json}", data),
        /nonjson\.st: header is not valid UTF-8 JSON/,
      ],
      ["a JSON array header", () => rawFile("array.st", "[1,2]", data), /array\.st: header JSON is not an object/],
      [
        "an unknown dtype",
        () => rawFile("dtype.st", { ...ok, b: { dtype: "Q4", shape: [4], data_offsets: [8, 12] } }, data),
        /dtype\.st: tensor b: unsupported dtype "Q4"/,
      ],
      [
        "offsets outside the file",
        () => rawFile("outside.st", { ...ok, b: { dtype: "U8", shape: [8], data_offsets: [8, 16] } }, data),
        /outside\.st: tensor b: data_offsets \[8, 16\] lie outside the file/,
      ],
      [
        "misordered offsets",
        () => rawFile("misordered.st", { ...ok, b: { dtype: "U8", shape: [4], data_offsets: [12, 8] } }, data),
        /misordered\.st: tensor b: data_offsets \[12, 8\] are misordered/,
      ],
      [
        "overlapping tensors",
        () => rawFile("overlap.st", { ...ok, b: { dtype: "U8", shape: [8], data_offsets: [4, 12] } }, data),
        /overlap\.st: tensor (a|b) overlaps (a|b)/,
      ],
      [
        "a gap between tensors",
        () => rawFile("gap.st", { ...ok, b: { dtype: "U8", shape: [2], data_offsets: [10, 12] } }, data),
        /gap\.st: tensor b starts at 10, leaving a gap after offset 8/,
      ],
      [
        "shape x dtype that disagrees with the byte length",
        () => rawFile("size.st", { ...ok, a: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, data),
        /size\.st: tensor a: shape \[3\] x F32 needs 12 bytes but data_offsets span 8/,
      ],
      [
        "trailing bytes",
        () => rawFile("trailing.st", ok, new Uint8Array(16)),
        /trailing\.st: tensors cover 12 data bytes but the file holds 16/,
      ],
      [
        "a truncated data section",
        () => rawFile("truncated.st", ok, new Uint8Array(10)),
        /truncated\.st: tensor b: data_offsets \[8, 12\] lie outside the file/,
      ],
    ];
    it.each(cases)("%s", (_, make, re) => {
      const file = make();
      expect(() => openSafetensors(file)).toThrow(re);
    });

    it("accepts the well-formed variant of the same file", () => {
      const st = openSafetensors(rawFile("good.st", ok, data));
      expect(st.keys()).toEqual(["a", "b"]);
      st.close();
    });
  });

  it("refuses to write a tensor whose bytes do not match its shape", () => {
    expect(() =>
      writeSafetensors(path.join(tmp, "bad.safetensors"), [
        { name: "x", dtype: "F32", shape: [3], data: new Float32Array(2) },
      ]),
    ).toThrow(/tensor x has 8 bytes, shape \[3\] x F32 needs 12/);
    const chunks = (n: number) => () => Array.from({ length: n }, () => new Float32Array(2));
    expect(() =>
      writeSafetensors(path.join(tmp, "bad.safetensors"), [{ name: "x", dtype: "F32", shape: [5], data: chunks(2) }]),
    ).toThrow(/tensor x has 16 bytes/);
    expect(() =>
      writeSafetensors(path.join(tmp, "bad.safetensors"), [{ name: "x", dtype: "F32", shape: [5], data: chunks(3) }]),
    ).toThrow(/tensor x has more than 20 bytes/);
  });

  it("writes a tensor given as consecutive chunks, pulling each chunk only when it is written", () => {
    const whole = Float32Array.from({ length: 10 }, (_, i) => i * 0.5);
    const pulled: number[] = [];
    function* chunks() {
      for (let i = 0; i < 10; i += 4) {
        pulled.push(i);
        yield whole.subarray(i, Math.min(10, i + 4));
      }
    }
    const file = path.join(tmp, "chunked.safetensors");
    writeSafetensors(file, [
      { name: "a", dtype: "F32", shape: [2, 5], data: chunks },
      { name: "b", dtype: "F32", shape: [1], data: new Float32Array([7]) },
    ]);
    expect(pulled).toEqual([0, 4, 8]);
    const st = openSafetensors(file);
    expect(st.getFloat32("a").data).toEqual(whole);
    expect(st.getFloat32("b").data).toEqual(new Float32Array([7]));
    st.close();
  });
});
