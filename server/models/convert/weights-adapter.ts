// Serves a checkpoint's tensors (any stored dtype) to the graph builders as fp32, by key.
import type { CheckpointWeights } from "../../checkpoints";
import type { Weights, WeightTensor } from "../../onnx";

export function builderWeights(cw: CheckpointWeights): Weights {
  return {
    get: (key: string): WeightTensor => cw.getFloat32(key),
    has: (key: string) => cw.has(key),
    keys: () => cw.keys(),
  };
}
