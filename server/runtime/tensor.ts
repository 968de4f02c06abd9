// Plain tensor values that cross the worker boundary: { type, dims, data }.
// The data arrays follow onnxruntime-node: int64 → BigInt64Array, float16 → Uint16Array (IEEE half
// bits; Node 20 has no Float16Array), bool → Uint8Array (0/1).

export interface TensorArrays {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  bool: Uint8Array;
  string: string[];
}

export type TensorType = keyof TensorArrays;

/** A tensor value, discriminated by `type`. */
export type TensorData<T extends TensorType = TensorType> = {
  [K in T]: { type: K; dims: readonly number[]; data: TensorArrays[K] };
}[T];

/** Distinct ArrayBuffers behind the feeds, for a postMessage transfer list. */
export function transferList(values: Iterable<{ data: unknown }>): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of values) {
    const d = v.data;
    if (ArrayBuffer.isView(d) && d.buffer instanceof ArrayBuffer) out.add(d.buffer);
  }
  return [...out];
}

const ARRAY_CLASS: Record<Exclude<TensorType, "string">, { name: string; prototype: unknown }> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/**
 * Why a feed would be rejected, or null when it is fine: the array class must match the type,
 * the length must match dims, and the buffer must not be a SharedArrayBuffer (onnxruntime-node
 * 1.30 rejects those with a bare "Invalid argument").
 */
export function feedProblem(t: { type: string; dims: readonly number[]; data: unknown }): string | null {
  const data = t.data;
  if (t.type === "string") return Array.isArray(data) ? null : "type string needs a string[]";
  const cls = ARRAY_CLASS[t.type as keyof typeof ARRAY_CLASS];
  if (!cls) return `unsupported tensor type '${t.type}'`;
  if (!(data instanceof (cls as unknown as typeof Uint8Array))) {
    const got = ArrayBuffer.isView(data) ? data.constructor.name : typeof data;
    return `type ${t.type} needs a ${cls.name}, got ${got}`;
  }
  if (typeof SharedArrayBuffer !== "undefined" && data.buffer instanceof SharedArrayBuffer) {
    return "SharedArrayBuffer-backed arrays are rejected by onnxruntime-node 1.30; copy into an ArrayBuffer";
  }
  if (data.buffer.byteLength === 0 && elementCount(t.dims) > 0) {
    return "its ArrayBuffer is detached (moved to the worker by an earlier call; pass { transfer: false } to keep feeds)";
  }
  if (data.length !== elementCount(t.dims))
    return `dims [${t.dims.join(", ")}] need ${elementCount(t.dims)} elements, got ${data.length}`;
  return null;
}

/** Number of elements implied by dims. */
export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
