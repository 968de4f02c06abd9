// Tiny models shared by the runtime tests and bench (built in memory with tiny-onnx).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tinyModel } from "./tiny-onnx";
import { uniforms } from "../random/prng";
import { quantizeBlockwise } from "../onnx/quantize";

/** y[N] f32 = x[N] * 2 + 1, N symbolic. */
export function affineModel(): Uint8Array {
  return tinyModel({
    inputs: [{ name: "x", type: "float32", dims: ["n"] }],
    outputs: [{ name: "y", type: "float32", dims: ["n"] }],
    initializers: [
      { name: "two", type: "float32", dims: [], data: new Float32Array([2]) },
      { name: "one", type: "float32", dims: [], data: new Float32Array([1]) },
    ],
    nodes: [
      { op: "Mul", inputs: ["x", "two"], outputs: ["x2"] },
      { op: "Add", inputs: ["x2", "one"], outputs: ["y"] },
    ],
  });
}

/** Mixed dtypes: ids i64 → ids*3 (i64); h f16 → h*h (f16); mask bool → not mask (bool). */
export function dtypesModel(): Uint8Array {
  return tinyModel({
    inputs: [
      { name: "ids", type: "int64", dims: ["n"] },
      { name: "h", type: "float16", dims: ["m"] },
      { name: "mask", type: "bool", dims: ["k"] },
    ],
    outputs: [
      { name: "ids3", type: "int64", dims: ["n"] },
      { name: "hh", type: "float16", dims: ["m"] },
      { name: "notmask", type: "bool", dims: ["k"] },
    ],
    initializers: [{ name: "three", type: "int64", dims: [], data: new BigInt64Array([3n]) }],
    nodes: [
      { op: "Mul", inputs: ["ids", "three"], outputs: ["ids3"] },
      { op: "Mul", inputs: ["h", "h"], outputs: ["hh"] },
      { op: "Not", inputs: ["mask"], outputs: ["notmask"] },
    ],
  });
}

/** x[S,S] → `steps` chained MatMuls with one S×S weight (near-orthogonal scale); a slow model. */
export function matmulChainModel(size: number, steps: number): Uint8Array {
  const w = new Float32Array(size * size);
  const rand = uniforms(12345);
  const scale = Math.sqrt(3 / size); // uniform(-a, a) with variance 1/size keeps the norm stable
  for (let i = 0; i < w.length; i++) w[i] = (rand() - 0.5) * 2 * scale;
  const nodes = Array.from({ length: steps }, (_, i) => ({
    op: "MatMul",
    inputs: [i === 0 ? "x" : `h${i}`, "W"],
    outputs: [i === steps - 1 ? "y" : `h${i + 1}`],
  }));
  return tinyModel({
    inputs: [{ name: "x", type: "float32", dims: [size, size] }],
    outputs: [{ name: "y", type: "float32", dims: [size, size] }],
    initializers: [{ name: "W", type: "float32", dims: [size, size], data: w }],
    nodes,
  });
}

/**
 * x[M, size] → `steps` chained com.microsoft MatMulNBits (8-bit blocks of 32, accuracy level 4: the int8 kernels the
 * converted DiT and LM run) with one quantised size×size weight shared by every step, or (`distinct`) one per step
 * as in the converted models; M symbolic.
 */
export function nbitsChainModel(size: number, steps: number, distinct = false): Uint8Array {
  const block = 32;
  const rand = uniforms(777);
  const scale = Math.sqrt(3 / size);
  const blocks = size / block;
  const weights = Array.from({ length: distinct ? steps : 1 }, (_, i) => {
    const w = new Float32Array(size * size);
    for (let j = 0; j < w.length; j++) w[j] = (rand() - 0.5) * 2 * scale;
    const q = quantizeBlockwise(w, size, size, 8, block);
    return [
      { name: `Wq${i}`, type: "uint8" as const, dims: [size, blocks, block], data: q.packed },
      { name: `Ws${i}`, type: "float32" as const, dims: [size, blocks], data: q.scales },
    ];
  });
  return tinyModel({
    inputs: [{ name: "x", type: "float32", dims: ["m", size] }],
    outputs: [{ name: "y", type: "float32", dims: ["m", size] }],
    initializers: weights.flat(),
    nodes: Array.from({ length: steps }, (_, i) => ({
      op: "MatMulNBits",
      domain: "com.microsoft",
      inputs: [i === 0 ? "x" : `h${i}`, `Wq${distinct ? i : 0}`, `Ws${distinct ? i : 0}`],
      outputs: [i === steps - 1 ? "y" : `h${i + 1}`],
      attrs: { K: size, N: size, bits: 8, block_size: block, accuracy_level: 4 },
    })),
  });
}

/** y = x + c with a `floats`-element f32 constant: a model whose file size is about 4·floats bytes. */
export function paddedModel(floats: number): Uint8Array {
  return tinyModel({
    inputs: [{ name: "x", type: "float32", dims: [floats] }],
    outputs: [{ name: "y", type: "float32", dims: [floats] }],
    initializers: [{ name: "c", type: "float32", dims: [floats], data: new Float32Array(floats).fill(1) }],
    nodes: [{ op: "Add", inputs: ["x", "c"], outputs: ["y"] }],
  });
}

/** Writes models into a fresh temp dir; returns their paths by name. */
export function writeModels(models: Record<string, Uint8Array>): { dir: string; paths: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), "ort-runtime-"));
  const paths: Record<string, string> = {};
  for (const [name, bytes] of Object.entries(models)) {
    paths[name] = join(dir, `${name}.onnx`);
    writeFileSync(paths[name], bytes);
  }
  return { dir, paths };
}
