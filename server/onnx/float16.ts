// fp16/bf16 conversion for fp16/bf16 initializers: the shared converters of server/checkpoints/float16.ts
// (round-to-nearest-even, subnormals, Inf and NaN), under the names the graph builder uses.
export {
  f32ToF16 as f32ToF16Bits,
  f16ToF32 as f16BitsToF32,
  f32ToF16Array as f32ToF16,
  f16ToF32Array as f16ToF32,
  f32ToBf16Array as f32ToBf16,
} from "../checkpoints/float16";
