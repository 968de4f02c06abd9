// Tensor dtypes shared by the safetensors and torch .pt readers/writers:
// safetensors dtype names, element sizes, and conversion of raw little-endian
// bytes to Float32Array.
import os from "node:os";
import { bf16ToF32Array, f16ToF32Array } from "./float16";

export const DTYPE_SIZES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
} as const;

export type Dtype = keyof typeof DTYPE_SIZES;

export function isDtype(s: unknown): s is Dtype {
  return typeof s === "string" && Object.hasOwn(DTYPE_SIZES, s);
}

/** A tensor as raw little-endian bytes. `bytes` is a fresh buffer owned by the caller. */
export interface RawTensor {
  name: string;
  dtype: Dtype;
  shape: number[];
  bytes: Uint8Array;
}

export interface Float32Tensor {
  shape: number[];
  data: Float32Array;
}

export function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function byteLengthOf(dtype: Dtype, shape: readonly number[]): number {
  return numelOf(shape) * DTYPE_SIZES[dtype];
}

/** Error raised by everything under server/checkpoints; the message names the file and tensor. */
export class CheckpointError extends Error {
  override name = "CheckpointError";
}

if (os.endianness() !== "LE") throw new CheckpointError("checkpoint: big-endian hosts are not supported");

/** View `bytes` (whose byteOffset must be aligned for the dtype) as fp32, converting bf16/fp16/f64. */
export function bytesToFloat32(dtype: Dtype, bytes: Uint8Array, what: string): Float32Array {
  const n = bytes.byteLength / DTYPE_SIZES[dtype];
  switch (dtype) {
    case "F32":
      return bytes.byteOffset % 4 === 0
        ? new Float32Array(bytes.buffer, bytes.byteOffset, n)
        : new Float32Array(bytes.slice().buffer);
    case "BF16":
    case "F16": {
      const u16 =
        bytes.byteOffset % 2 === 0
          ? new Uint16Array(bytes.buffer, bytes.byteOffset, n)
          : new Uint16Array(bytes.slice().buffer);
      return dtype === "BF16" ? bf16ToF32Array(u16) : f16ToF32Array(u16);
    }
    case "F64": {
      const f64 =
        bytes.byteOffset % 8 === 0
          ? new Float64Array(bytes.buffer, bytes.byteOffset, n)
          : new Float64Array(bytes.slice().buffer);
      return Float32Array.from(f64);
    }
    default:
      throw new CheckpointError(`checkpoint: ${what} has dtype ${dtype}, expected a float dtype (F32, BF16, F16, F64)`);
  }
}
