// The tiny model used to probe an execution provider and for the start-up self-test:
//   y[1,2] f32 = x[1,3] @ W[3,2] + b[2];   n[2] i64 = k[2] + 1
// It exercises float32 and int64 I/O; expected outputs are exact in fp32.
import { tinyModel } from "./tiny-onnx";
import type { TensorData } from "./tensor";

const W = new Float32Array([1, 2, 3, 4, 5, 6]); // [3,2]
const B = new Float32Array([0.5, -0.5]);

export function selfTestModelBytes(): Uint8Array {
  return tinyModel({
    inputs: [
      { name: "x", type: "float32", dims: [1, 3] },
      { name: "k", type: "int64", dims: [2] },
    ],
    outputs: [
      { name: "y", type: "float32", dims: [1, 2] },
      { name: "n", type: "int64", dims: [2] },
    ],
    initializers: [
      { name: "W", type: "float32", dims: [3, 2], data: W },
      { name: "b", type: "float32", dims: [2], data: B },
      { name: "one", type: "int64", dims: [], data: new BigInt64Array([1n]) },
    ],
    nodes: [
      { op: "MatMul", inputs: ["x", "W"], outputs: ["xw"] },
      { op: "Add", inputs: ["xw", "b"], outputs: ["y"] },
      { op: "Add", inputs: ["k", "one"], outputs: ["n"] },
    ],
  });
}

export function selfTestFeeds(): Record<string, TensorData> {
  return {
    x: { type: "float32", dims: [1, 3], data: new Float32Array([1, -1, 2]) },
    k: { type: "int64", dims: [2], data: new BigInt64Array([41n, -9007199254740993n]) },
  };
}

/** Returns null when the outputs are right, else a description of what differs. */
export function checkSelfTestOutputs(out: Record<string, TensorData>): string | null {
  // x @ W = [1-3+10, 2-4+12] = [8, 10]; + b = [8.5, 9.5]
  const y = out.y;
  const n = out.n;
  if (!y || y.type !== "float32" || !(y.data instanceof Float32Array))
    return `output y missing or not float32 (${y?.type})`;
  if (y.data[0] !== 8.5 || y.data[1] !== 9.5) return `y = [${Array.from(y.data).join(", ")}], expected [8.5, 9.5]`;
  if (!n || n.type !== "int64" || !(n.data instanceof BigInt64Array))
    return `output n missing or not int64 (${n?.type})`;
  if (n.data[0] !== 42n || n.data[1] !== -9007199254740992n)
    return `n = [${Array.from(n.data).join(", ")}], expected [42, -9007199254740992]`;
  return null;
}
