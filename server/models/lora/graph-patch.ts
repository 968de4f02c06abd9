// LoRA branches spliced into an already converted graph (dit_step.onnx, dit_cross_kv.onnx), so adapters apply
// without re-converting the base model and without touching its weights:
//
//   x ─ Gemm(W, transB) ─► y            becomes    x ─ Gemm(W, transB) ─► y_base ─┐
//                                                  x ─ Gemm(a, transB) ─ Gemm(b, transB) ─► Δ ─ Add ─► y
//
// with graph inputs `lora_a.<key>` [r, in] and `lora_b.<key>` [out, r] (fp32, r a symbolic dim), i.e.
// y = x·Wᵀ + (x·aᵀ)·bᵀ = x·(W + b·a)ᵀ. The host feeds a = Σ_k c_k·A_k stacked over the adapters k (rows) and
// b = [B_1 | B_2 | …] (columns), c_k = scale_k · alpha_k / r_k, so b·a = Σ_k c_k·B_k·A_k: several adapters and
// their scales are feeds of one session; only a different set of touched weights needs another session.
// The weight initializers keep their names and external-data locations, so the patched file sits next to the
// original and shares its .onnx.data.
// In fp16 builds (the Gemm runs on fp16 x and W and is followed by a Cast to fp32) the branch runs in fp32 on
// the fp32 activation and is added after that Cast; on int8/int4 weight-only builds (com.microsoft MatMulNBits,
// fp32 in and out) it is added to the MatMulNBits output, so the delta is exact rather than re-quantised; bf16
// builds widen the weight with a Cast before an fp32 Gemm, which is patched like fp32.
import { readFileSync } from "node:fs";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ModelProtoSchema, NodeProtoSchema, TensorProto_DataType, type ModelProto, type NodeProto } from "onnx-buf";
import { attr, attrProto, valueInfo } from "../../onnx/graph-core";

/** Graph input names of the low-rank factors of one target weight. */
export const loraInputA = (key: string) => `lora_a.${key}`;
export const loraInputB = (key: string) => `lora_b.${key}`;

export interface LinearSite {
  /** Weight initializer (the checkpoint key). */
  key: string;
  out: number;
  in: number;
}

export class LoraPatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LoraPatchError";
  }
}

export function readModelProto(path: string): ModelProto {
  return fromBinary(ModelProtoSchema, readFileSync(path));
}

function consumers(nodes: NodeProto[], name: string): NodeProto[] {
  return nodes.filter((n) => n.input.includes(name));
}

function isTransB(n: NodeProto): boolean {
  return n.attribute.some((a) => a.name === "transB" && a.i === 1n);
}

/** `${key}.scales` (after an optional `/scope/` path, optionally with a uniquifying "_N") → key, for MatMulNBits. */
const NBITS_SCALES = /(?:^|\/)([^/]+)\.scales(?:_\d+)?$/;

interface LinearNode {
  site: LinearSite;
  node: NodeProto;
  /**
   * "gemm": fp32 Gemm on the (fp32 or bf16-widened) weight; "gemm16": fp16 Gemm then Cast to fp32; "nbits":
   * MatMulNBits; "dq": com.microsoft DynamicQuantizeMatMul (int8 per output channel, server/onnx/int8-linear.ts).
   */
  kind: "gemm" | "gemm16" | "nbits" | "dq";
}

function linearNodes(model: ModelProto): Map<string, LinearNode> {
  const g = model.graph!;
  const out = new Map<string, LinearNode>();
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const intAttr = (n: NodeProto, name: string) => Number(n.attribute.find((a) => a.name === name)?.i ?? -1);
  for (const n of g.node) {
    if (n.opType === "Gemm" && isTransB(n)) {
      // the weight itself, or a bf16-stored weight widened by a Cast (folded by ORT at load)
      const widened = g.node.find((c) => c.opType === "Cast" && c.output[0] === n.input[1]);
      const t = inits.get(n.input[1]) ?? inits.get(widened?.input[0] ?? "");
      if (!t || t.dims.length !== 2) continue;
      const site = { key: t.name, out: Number(t.dims[0]), in: Number(t.dims[1]) };
      out.set(t.name, { site, node: n, kind: t.dataType === TensorProto_DataType.FLOAT16 ? "gemm16" : "gemm" });
    } else if (n.opType === "MatMulNBits") {
      const m = (n.input[2] ?? "").match(NBITS_SCALES);
      if (!m) continue;
      out.set(m[1], { site: { key: m[1], out: intAttr(n, "N"), in: intAttr(n, "K") }, node: n, kind: "nbits" });
    } else if (n.opType === "DynamicQuantizeMatMul") {
      // inputs: x fp32, `${key}.q8c` int8 [in, out], `${key}.scales` fp32 [out]; the output is fp32
      const m = (n.input[2] ?? "").match(NBITS_SCALES);
      const q = inits.get(n.input[1]);
      if (!m || !q || q.dims.length !== 2) continue;
      out.set(m[1], { site: { key: m[1], out: Number(q.dims[1]), in: Number(q.dims[0]) }, node: n, kind: "dq" });
    }
  }
  return out;
}

/**
 * The Linear weights of a graph, by checkpoint key: the transB operand of a Gemm (nn.Linear in checkpoint
 * layout, fp32 or fp16) or the weight of a com.microsoft MatMulNBits (int8/int4 weight-only builds) or
 * DynamicQuantizeMatMul (the CPU default's int8 DiT layers).
 */
export function linearSites(model: ModelProto): Map<string, LinearSite> {
  return new Map([...linearNodes(model)].map(([k, v]) => [k, v.site]));
}

/**
 * Adds a LoRA branch on every weight in `keys` (all must be linear sites of the graph). Returns a new model;
 * `model` is not changed.
 */
export function patchLinearsWithLora(model: ModelProto, keys: string[]): ModelProto {
  const m = fromBinary(ModelProtoSchema, toBinary(ModelProtoSchema, model));
  const g = m.graph!;
  const linears = linearNodes(m);
  const added: NodeProto[] = [];
  const node = (
    opType: string,
    input: string[],
    output: string,
    attrs: Record<string, ReturnType<typeof attr.int>> = {},
  ) => {
    added.push(
      create(NodeProtoSchema, {
        opType,
        name: `${output}/${opType}`,
        input,
        output: [output],
        attribute: Object.entries(attrs).map(([k, a]) => attrProto(k, a)),
      }),
    );
    return output;
  };
  for (const key of [...new Set(keys)].sort()) {
    const lin = linears.get(key);
    if (!lin) throw new LoraPatchError(`the graph ${g.name} has no Linear weight ${key} to patch`);
    const { site, node: mm, kind } = lin;
    const r = `lora_rank.${key}`;
    g.input.push(
      valueInfo(loraInputA(key), "float32", [r, site.in]),
      valueInfo(loraInputB(key), "float32", [site.out, r]),
    );
    const base = `/lora/${key}`;
    // x in fp32 (fp16 builds cast it to fp16 for the Gemm: take the Cast's fp32 input instead)
    let x = mm.input[0];
    if (kind === "gemm16") {
      const cast = g.node.find((n) => n.opType === "Cast" && n.output[0] === x);
      x = cast ? cast.input[0] : node("Cast", [x], `${base}/x_f32`, { to: attr.int(TensorProto_DataType.FLOAT) });
    }
    const low = node("Gemm", [x, loraInputA(key)], `${base}/xa`, { transB: attr.int(1) });
    const delta = node("Gemm", [low, loraInputB(key)], `${base}/delta`, { transB: attr.int(1) });
    // where the fp32 result of the Linear appears: the node's output, or the Cast right after an fp16 Gemm
    let producer: NodeProto = mm;
    if (kind === "gemm16") {
      const next = consumers(g.node, mm.output[0]);
      const toF32 = (n: NodeProto) =>
        n.attribute.some((a) => a.name === "to" && a.i === BigInt(TensorProto_DataType.FLOAT));
      if (next.length !== 1 || next[0].opType !== "Cast" || !toF32(next[0])) {
        throw new LoraPatchError(`the fp16 Linear ${key} in ${g.name} is not followed by a Cast to fp32`);
      }
      producer = next[0];
    }
    const y = producer.output[0];
    producer.output[0] = `${base}/y_base`;
    node("Add", [producer.output[0], delta], y);
  }
  g.node.push(...added);
  topologicalSort(g.node);
  return m;
}

/** Reorders nodes so every node follows the producers of its inputs (ONNX requires a topological order). */
function topologicalSort(nodes: NodeProto[]): void {
  const producerOf = new Map<string, NodeProto>();
  for (const n of nodes) for (const o of n.output) producerOf.set(o, n);
  const done = new Set<NodeProto>();
  const order: NodeProto[] = [];
  const visit = (root: NodeProto) => {
    const stack: Array<{ n: NodeProto; i: number }> = [{ n: root, i: 0 }];
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (done.has(top.n)) {
        stack.pop();
        continue;
      }
      if (top.i < top.n.input.length) {
        const p = producerOf.get(top.n.input[top.i++]);
        if (p && !done.has(p)) stack.push({ n: p, i: 0 });
        continue;
      }
      done.add(top.n);
      order.push(top.n);
      stack.pop();
    }
  };
  for (const n of nodes) visit(n);
  nodes.splice(0, nodes.length, ...order);
}

export function modelBytes(model: ModelProto): Uint8Array {
  return toBinary(ModelProtoSchema, model);
}
