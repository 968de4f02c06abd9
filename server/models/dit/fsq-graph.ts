// In-graph FSQ of the audio tokenizer: vector-quantize-pytorch ≥ 1.27 `ResidualFSQ` with
// one quantizer (scale 1), `preserve_symmetry=True`, `bound_hard_clamp=True`. The host-side twin of this
// arithmetic is server/acestep/codes/fsq.ts; both follow residual_fsq.py / finite_scalar_quantization.py.
//
//   quantize:   z [N,6] ─ tanh(z/c)·c (c = 1 + 1/(L−1)) ─ clamp[−1,1] ─ k = floor((L−1)·(z+1)/2 + 0.5)
//               ─► values = k·(2/(L−1)) − 1 [N,6],  index = Σ k_d·basis_d [N] int64
//   dequantize: index [N] int64 ─ k_d = (index / basis_d) mod L_d ─► values [N,6]
// Levels [8,8,8,5,5,5], basis [1,8,64,512,2560,12800]; all fp32 (the quantizer runs with autocast off).
import type { F32, I64 } from "../../onnx/graph-core";
import type { GraphBuilder } from "../../onnx/graph";

function tables(levels: number[]) {
  const f = Math.fround;
  const basis: number[] = [];
  levels.reduce((acc, L) => (basis.push(acc), acc * L), 1);
  return {
    lm1: Float32Array.from(levels, (L) => L - 1),
    soft: Float32Array.from(levels, (L) => f(1 + f(1 / (L - 1)))),
    scale: Float32Array.from(levels, (L) => f(2 / (L - 1))),
    basis,
  };
}

/** project_in output z [N, d] → symmetric levels and codebook index. */
export function fsqQuantize(g: GraphBuilder, z: F32, levels: number[]): { values: F32; index: I64 } {
  const d = levels.length;
  const t = tables(levels);
  const soft = g.constF32(t.soft, [d], "fsq_soft_clamp");
  const zc = g.mul(g.node("Tanh", [g.div(z, soft)], "float32"), soft);
  const hard = g.node("Clip", [zc, g.scalarF32(-1), g.scalarF32(1)], "float32");
  const one = g.scalarF32(1);
  const bracket = g.add(
    g.div(g.mul(g.constF32(t.lm1, [d], "fsq_levels_minus_1"), g.add(hard, one)), g.scalarF32(2)),
    g.scalarF32(0.5),
  );
  const k = g.node("Floor", [bracket], "float32"); // [N,d], integral
  const values = g.sub(g.mul(g.constF32(t.scale, [d], "fsq_scale"), k), one);
  const index = g.cast(g.squeeze(g.matMul(k, g.constF32(t.basis, [d, 1], "fsq_basis")), [1]), "int64"); // exact: < 2^24
  return { values, index };
}

/** codebook index [N] int64 → symmetric level values [N, d] (`indices_to_codes` before project_out). */
export function fsqDequantize(g: GraphBuilder, index: I64, levels: number[]): F32 {
  const d = levels.length;
  const t = tables(levels);
  const idx = g.unsqueeze(index, [1]); // [N,1]
  const digits = g.node(
    "Mod",
    [g.div(idx, g.constI64(t.basis, [d], "fsq_basis")), g.constI64(levels, [d], "fsq_levels")],
    "int64",
  ); // [N,d]
  return g.sub(g.mul(g.cast(digits, "float32"), g.constF32(t.scale, [d], "fsq_scale")), g.scalarF32(1));
}
