// Model checkpoint toolchain: safetensors and torch .pt I/O, fp16/bf16 conversion, layouts, tiny checkpoints.
export {
  bf16ToF32,
  bf16ToF32Array,
  f16ToF32,
  f16ToF32Array,
  f32ToBf16,
  f32ToBf16Array,
  f32ToF16,
  f32ToF16Array,
} from "./float16";
export {
  byteLengthOf,
  bytesToFloat32,
  CheckpointError,
  type Dtype,
  DTYPE_SIZES,
  type Float32Tensor,
  isDtype,
  numelOf,
  type RawTensor,
} from "./dtypes";
export { openSafetensors, SafetensorsFile } from "./safetensors";
export { parseHeader, type SafetensorsHeader, type TensorInfo } from "./safetensors-header";
export {
  type ShardedWriteOptions,
  type TensorToWrite,
  writeSafetensors,
  writeShardedSafetensors,
} from "./safetensors-writer";
export { type CheckpointWeights, openCheckpointWeights } from "./weights";
export {
  readTorchFloat32,
  readTorchTensor,
  type TorchTensorToWrite,
  unpickleTorch,
  writeTorchTensor,
} from "./torch-pt";
export { PickleWriter, type PyValue, unpickle } from "./pickle";
export { crc32, writeZip, ZipReader } from "./zip";
export * from "./layout";
export * from "./tiny";
export * from "./fabricate";
