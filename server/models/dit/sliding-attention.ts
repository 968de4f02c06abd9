// Blocked bidirectional sliding-window attention: the same result as full attention under the mask
// |i − j| ≤ w (create_4d_mask(is_sliding_window=True, is_causal=False) in modeling_acestep_v15_*.py), but
// computing only the scores near the diagonal.
//
//   q [B,S,Hq·D], k/v [B,S,Hkv·D] (after norms and RoPE)
//   queries in blocks of c (S padded to nb·c):            q → [B·nb, c, Hq·D]
//   keys of block j = padded positions j·c … j·c+c+2w−1:   k/v zero-padded by w in front → Gather → [B·nb, c+2w, Hkv·D]
//   mask [B·nb, 1, c, c+2w]: key m visible to query a iff 0 ≤ m − a ≤ 2w and its position j·c+m−w is in [0, S)
//   Attention-23 (GQA) → [B·nb, c, Hq·D] → [B, nb·c, Hq·D] → crop to S
// Scores computed per query: c + 2w instead of S (at S = 3000, w = c = 128: 384 instead of 3000).
import { additiveMask, type SeqShape } from "../../onnx/blocks";
import type { F32, I64 } from "../../onnx/graph-core";
import type { GraphBuilder } from "../../onnx/graph";

export interface SlidingWindowOptions {
  window: number;
  /** query block length c (default: the window) */
  block?: number;
  heads: number;
  kvHeads: number;
  headDim: number;
}

export function slidingWindowAttention(
  g: GraphBuilder,
  q: F32,
  k: F32,
  v: F32,
  seq: SeqShape,
  o: SlidingWindowOptions,
): F32 {
  const w = o.window;
  const c = o.block ?? w;
  const K = c + 2 * w;
  const qDim = o.heads * o.headDim;
  const kvDim = o.kvHeads * o.headDim;
  const one = g.scalarI64(1);
  const zero = g.scalarI64(0);
  const cI = g.scalarI64(c);
  const nb = g.div(g.add(seq.s, g.scalarI64(c - 1)), cI); // ceil(S / c)
  const tail = g.sub(g.mul(nb, cI), seq.s); // padded query rows
  const pad = (x: F32, front: I64 | number, back: I64) => {
    const f = typeof front === "number" ? g.constI64([front]) : front;
    return g.node(
      "Pad",
      [x, g.concat([g.constI64([0]), f, g.constI64([0, 0]), g.unsqueeze(back, [0]), g.constI64([0])], 0)],
      "float32",
    ) as F32;
  };
  const b = g.slice(seq.bs, [0], [1], [0]); // [1] = B

  // queries: [B, nb·c, Hq·D] → [B·nb, c, Hq·D]
  const qb = g.reshape(pad(q, 0, tail), [-1, c, qDim]);
  // keys/values: padded by w in front and tail + w behind, then one window per block
  const start = g.mul(g.range(zero, nb, one), cI); // [nb]
  const idx = g.add(g.unsqueeze(start, [1]), g.unsqueeze(g.range(zero, g.scalarI64(K), one), [0])); // [nb, K]
  const windows = (x: F32) => g.reshape(g.gather(pad(x, w, g.add(tail, g.scalarI64(w))), idx, 1), [-1, K, kvDim]); // [B·nb, K, Hkv·D]

  // mask: diagonal band (block independent) and key positions inside [0, S) (per block)
  const a = g.unsqueeze(g.range(zero, cI, one), [1]); // [c,1]
  const m = g.unsqueeze(g.range(zero, g.scalarI64(K), one), [0]); // [1,K]
  const rel = g.sub(m, a); // [c,K]
  const band = g.and(g.lessOrEqual(zero, rel), g.lessOrEqual(rel, g.scalarI64(2 * w)));
  const pos = g.sub(idx, g.scalarI64(w)); // [nb,K] key positions
  const inside = g.unsqueeze(g.and(g.lessOrEqual(zero, pos), g.less(pos, seq.s)), [1]); // [nb,1,K]
  const keep = g.unsqueeze(g.and(g.unsqueeze(band, [0]), inside), [1]); // [nb,1,c,K]
  const perItem = g.expand(additiveMask(g, keep), g.concat([b, g.constI64([1, 1, 1, 1])], 0)); // [B,nb,1,c,K]
  const mask = g.reshape(perItem, [-1, 1, c, K]);

  const y = g.attention(qb, windows(k), windows(v), {
    mask,
    qNumHeads: o.heads,
    kvNumHeads: o.kvHeads,
    scale: 1 / Math.sqrt(o.headDim),
  });
  const full = g.reshape(y, g.concat([b, g.constI64([-1, qDim])], 0)); // [B, nb·c, Hq·D]
  return g.slice(full, g.constI64([0]), g.unsqueeze(seq.s, [0]), [1]);
}
