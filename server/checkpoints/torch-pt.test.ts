// torch.save archives: writer/reader round trips, a hand-built pickle, CPython-written fixtures and error cases.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Dtype, DTYPE_SIZES } from "./dtypes";
import { PickleWriter, unpickle } from "./pickle";
import { readTorchFloat32, readTorchTensor, unpickleTorch, writeTorchTensor } from "./torch-pt";
import { writeZip } from "./zip";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "torch-pt-test-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Hand-assembled bytes of what CPython's pickler (protocol 2) emits for torch.save(torch.arange(6.).view(2, 3)). */
function handBuiltPickle(): Uint8Array {
  const b: number[] = [];
  const ascii = (s: string) => [...s].forEach((c) => b.push(c.charCodeAt(0)));
  const unicode = (s: string) => {
    b.push(0x58, s.length, 0, 0, 0);
    ascii(s);
  };
  b.push(0x80, 2); // PROTO 2
  b.push(0x63);
  ascii("torch._utils\n_rebuild_tensor_v2\n");
  b.push(0x71, 0); // GLOBAL, BINPUT 0
  b.push(0x28, 0x28); // MARK MARK
  unicode("storage");
  b.push(0x71, 1);
  b.push(0x63);
  ascii("torch\nFloatStorage\n");
  b.push(0x71, 2);
  unicode("0");
  b.push(0x71, 3);
  unicode("cpu");
  b.push(0x71, 4);
  b.push(0x4b, 6, 0x74, 0x71, 5); // BININT1 6, TUPLE, BINPUT 5
  b.push(0x51); // BINPERSID
  b.push(0x4b, 0); // storage offset 0
  b.push(0x4b, 2, 0x4b, 3, 0x86, 0x71, 6); // (2, 3)
  b.push(0x4b, 3, 0x4b, 1, 0x86, 0x71, 7); // (3, 1)
  b.push(0x89); // requires_grad False
  b.push(0x63);
  ascii("collections\nOrderedDict\n");
  b.push(0x71, 8, 0x29, 0x52, 0x71, 9); // OrderedDict()
  b.push(0x74, 0x71, 10, 0x52, 0x71, 11, 0x2e); // TUPLE, REDUCE, STOP
  return Uint8Array.from(b);
}

describe("torch .pt reader and writer", () => {
  it("parses a hand-built torch.save pickle into a tensor reference", () => {
    const v = unpickleTorch(handBuiltPickle(), "fixture") as unknown as Record<string, unknown>;
    expect(v).toEqual({
      kind: "tensor",
      storage: { kind: "storage", dtype: "F32", key: "0", numel: 6 },
      offset: 0,
      shape: [2, 3],
      stride: [3, 1],
    });
  });

  it("encodes and decodes ints of every width the pickler uses (BININT1/2, BININT, LONG1)", () => {
    const values = [
      0,
      255,
      256,
      65535,
      65536,
      -1,
      2 ** 31 - 1,
      2 ** 31,
      -(2 ** 31),
      -(2 ** 31) - 1,
      2 ** 40,
      -(2 ** 40),
      Number.MAX_SAFE_INTEGER,
    ];
    const w = new PickleWriter().proto(2).mark();
    values.forEach((v) => w.int(v));
    const bytes = w.tuple().stop().finish();
    const never = () => {
      throw new Error("unexpected hook");
    };
    expect(unpickle(bytes, { persistentLoad: never, call: never })).toEqual(values);
  });

  it("reads the hand-built pickle inside a zip together with its storage", () => {
    const file = path.join(tmp, "hand.pt");
    writeZip(file, [
      { name: "hand/data.pkl", data: handBuiltPickle() },
      { name: "hand/data/0", data: new Uint8Array(new Float32Array([0, 1, 2, 3, 4, 5]).buffer) },
      { name: "hand/version", data: new TextEncoder().encode("3\n") },
    ]);
    const t = readTorchFloat32(file);
    expect(t.shape).toEqual([2, 3]);
    expect(Array.from(t.data)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  const dtypes: Dtype[] = ["F32", "F64", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"];
  it.each(dtypes)("round-trips a %s tensor through writeTorchTensor/readTorchTensor", (dtype) => {
    const file = path.join(tmp, `rt-${dtype}.pt`);
    const shape = [2, 3, 4, 5];
    const bytes = new Uint8Array(120 * DTYPE_SIZES[dtype]);
    bytes.forEach((_, i) => (bytes[i] = dtype === "BOOL" ? i & 1 : (i * 13) & 0xff));
    writeTorchTensor(file, { dtype, shape, data: bytes });
    const t = readTorchTensor(file);
    expect(t.name).toBe(`rt-${dtype}`);
    expect(t.dtype).toBe(dtype);
    expect(t.shape).toEqual(shape);
    expect(Buffer.from(t.bytes).equals(Buffer.from(bytes))).toBe(true);
  });

  it("writes entries the way torch does: archive/ prefix, 64-byte aligned data, version and byteorder records", () => {
    const file = path.join(tmp, "silence_latent.pt");
    const data = new Float32Array(64 * 15000).map((_, i) => Math.sin(i));
    writeTorchTensor(file, { dtype: "F32", shape: [1, 64, 15000], data });
    const raw = fs.readFileSync(file);
    const offsetOf = (name: string) => {
      const at = raw.indexOf(Buffer.from(name));
      const local = at - 30;
      expect(raw.readUInt32LE(local)).toBe(0x04034b50);
      return local + 30 + raw.readUInt16LE(local + 26) + raw.readUInt16LE(local + 28);
    };
    for (const name of [
      "silence_latent/data.pkl",
      "silence_latent/byteorder",
      "silence_latent/data/0",
      "silence_latent/version",
    ])
      expect(offsetOf(name) % 64).toBe(0);
    const t = readTorchFloat32(file);
    expect(t.shape).toEqual([1, 64, 15000]);
    expect(Buffer.from(t.data.buffer).equals(Buffer.from(data.buffer))).toBe(true);
    const scalar = path.join(tmp, "scalar.pt");
    writeTorchTensor(scalar, { dtype: "F32", shape: [], data: new Float32Array([2.5]) });
    expect(readTorchFloat32(scalar)).toEqual({ shape: [], data: new Float32Array([2.5]) });
  });

  it("reads a deflated archive written by CPython's zipfile, honouring the storage offset", () => {
    const t = readTorchFloat32(path.join(fixtures, "deflated-offset.pt"));
    expect(t.shape).toEqual([2, 3]);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("reads files written by real torch.save (PyTorch 1.13): plain, a bf16 view with storage offset, a Parameter", () => {
    const f32 = readTorchFloat32(path.join(fixtures, "torch113-f32.pt"));
    expect(f32.shape).toEqual([2, 3, 4]);
    expect(Array.from(f32.data)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    const view = readTorchTensor(path.join(fixtures, "torch113-bf16-view.pt"));
    expect(view.dtype).toBe("BF16");
    expect(view.shape).toEqual([4]);
    expect(Array.from(readTorchFloat32(path.join(fixtures, "torch113-bf16-view.pt")).data)).toEqual([4, 5, 6, 7]);
    const param = readTorchTensor(path.join(fixtures, "torch113-parameter.pt"));
    expect(param.dtype).toBe("F16");
    expect(Array.from(readTorchFloat32(path.join(fixtures, "torch113-parameter.pt")).data)).toEqual([1.5, -2]);
  });

  describe("clear errors", () => {
    it("refuses a real torch.save of a transposed tensor and of a dict", () => {
      expect(() => readTorchTensor(path.join(fixtures, "torch113-transposed.pt"))).toThrow(
        /shape \[3,2\] and stride \[1,3\] is not contiguous/,
      );
      expect(() => readTorchTensor(path.join(fixtures, "torch113-dict.pt"))).toThrow(
        /torch113-dict\.pt: payload is a dict, expected a single tensor/,
      );
    });

    it("refuses a non-contiguous tensor", () => {
      expect(() => readTorchTensor(path.join(fixtures, "deflated-transposed.pt"))).toThrow(
        /shape \[2,3\] and stride \[1,2\] is not contiguous/,
      );
    });

    it("refuses a file that is not a zip archive", () => {
      const file = path.join(tmp, "legacy.pt");
      fs.writeFileSync(file, Buffer.concat([Buffer.from([0x80, 0x02, 0x8a, 0x0a]), Buffer.alloc(100, 7)]));
      expect(() => readTorchTensor(file)).toThrow(
        /legacy\.pt is not a torch\.save zip archive: .*no end-of-central-directory record/,
      );
    });

    it("refuses a truncated archive", () => {
      const full = path.join(tmp, "full.pt");
      writeTorchTensor(full, { dtype: "F32", shape: [1000], data: new Float32Array(1000) });
      const cut = path.join(tmp, "cut.pt");
      fs.writeFileSync(cut, fs.readFileSync(full).subarray(0, 2500));
      expect(() => readTorchTensor(cut)).toThrow(/cut\.pt is not a torch\.save zip archive/);
    });

    it("refuses a corrupted storage through the CRC check", () => {
      const file = path.join(tmp, "crc.pt");
      writeTorchTensor(file, { dtype: "F32", shape: [100], data: new Float32Array(100) });
      const raw = fs.readFileSync(file);
      raw[400] ^= 0xff; // inside crc/data/0
      fs.writeFileSync(file, raw);
      expect(() => readTorchTensor(file)).toThrow(/entry crc\/data\/0 fails its CRC check/);
    });

    it("refuses a payload that is not a tensor", () => {
      const file = path.join(tmp, "dict.pt");
      const pkl = new PickleWriter().proto(2).emptyDict().stop().finish();
      writeZip(file, [{ name: "dict/data.pkl", data: pkl }]);
      expect(() => readTorchTensor(file)).toThrow(/dict\.pt: payload is a dict, expected a single tensor/);
    });

    it("refuses unknown globals and truncated pickles", () => {
      const evil = new PickleWriter().proto(2).global("os", "system").mark().str("ls").tuple().reduce().stop().finish();
      expect(() => unpickleTorch(evil, "evil.pkl")).toThrow(/unsupported callable os\.system/);
      const pkl = handBuiltPickle();
      expect(() => unpickleTorch(pkl.subarray(0, 47), "short.pkl")).toThrow(/pickle: short\.pkl: truncated data/);
      expect(() => unpickleTorch(pkl.subarray(0, pkl.length - 1), "nostop.pkl")).toThrow(/no STOP opcode/);
    });

    it("refuses an archive without data.pkl or with a missing storage", () => {
      const noPkl = path.join(tmp, "nopkl.pt");
      writeZip(noPkl, [{ name: "x/version", data: new Uint8Array([51]) }]);
      expect(() => readTorchTensor(noPkl)).toThrow(/has no data\.pkl entry/);
      const noData = path.join(tmp, "nodata.pt");
      writeZip(noData, [{ name: "nodata/data.pkl", data: handBuiltPickle() }]);
      expect(() => readTorchTensor(noData)).toThrow(/storage entry nodata\/data\/0 is missing/);
    });
  });
});
