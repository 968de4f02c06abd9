// The 5 Hz LM (Qwen3ForCausalLM) as ONE ONNX graph for prefill, chunked prefill and decode whose KV
// cache never moves: it lives in JS-owned Float32Arrays and the graph reads and writes it in place.
//
// Cache layout (per layer, K and V): Float32Array [maxSlots, lanes, Hkv·D], slot-major with the lanes
// (B = 1 plain, B = 2 the CFG cond/uncond pair) interleaved inside each slot. A call appends S slots.
//   in  input_ids      [lanes, S] int64      this call's tokens (a lane with fewer tokens is left-padded)
//   in  position_ids   [lanes, S] int64      RoPE positions (per lane; pads: anything)
//   in  slot_valid     [T, lanes] int64      1 = slot j holds a real token of that lane (T = P + S slots)
//   in  cache_key.N    [T, lanes·Hkv·D] f32  zero-copy view of slots 0..T−1, INCLUDING this call's S slots
//   in  cache_value.N  [T, lanes·Hkv·D] f32
//   out new_key.N      [S, lanes·Hkv·D] f32  bound (run() fetches) to the view of slots P..T−1 of the cache:
//   out new_value.N    [S, lanes·Hkv·D] f32  ORT writes this call's K/V straight into the cache
//   in  head_select    [1] int64             0 none, 1 full vocabulary, 2 code rows (HEAD_SELECT)
//   out logits         [lanes, V'] f32       last position only: V' = vocab, r1 − r0 (codeRows) or 0
// ORT 1.30 executes every node whatever the fetches ask for (measured: a graph with both heads costs the
// full head even when only the code rows are fetched), so the heads sit behind If nodes on head_select.
// Attention reads `cache_key.N` through a Reshape whose shape is taken from `new_key.N`, so it runs
// after the new K/V have landed in the cache: no Concat, no copy of the past. Lanes become heads:
//   q [lanes, S, Hq·D] → [S, lanes, Hq·D] → [1, S, lanes·Hq·D]; K/V [1, T, lanes·Hkv·D] with
//   Attention-23 q_num_heads = lanes·Hq, kv_num_heads = lanes·Hkv (GQA groups stay inside each lane)
//   and a per-head additive mask [1, lanes·Hq, S, T] = causal over slots ∧ slot_valid of the head's lane.
// The head count is an attribute, so each layer's Attention sits in an If(lanes == 2) with one
// branch per lane count; everything else is lane-agnostic and the weights are stored once.
//
// Weights: the checkpoint keys of server/onnx/qwen3.ts (`model.embed_tokens.weight`, `model.layers.N.…`,
// `model.norm.weight`, `lm_head.weight` or tied). Optional weight-only int8/int4 (com.microsoft
// MatMulNBits, symmetric, per block of 32) for the 7 Linear layers of every decoder layer and the head(s).

import { create } from "@bufbuild/protobuf";
import {
  AttributeProtoSchema,
  AttributeProto_AttributeType,
  GraphProtoSchema,
  NodeProtoSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
} from "onnx-buf";
import { additiveMask, causalKeep, ropeTables, swiGluMlp } from "../../onnx/blocks";
import {
  GraphBuilder,
  ONNX_DTYPE,
  nbitsOf,
  type Bool,
  type BuiltModel,
  type F32,
  type Float,
  type NBitsWeight,
  type Precision,
} from "../../onnx/graph";
import type { Qwen3Config } from "../../checkpoints/layout/qwen3";
import type { QuantBits } from "../../onnx/quantize";
import type { Weights } from "../../onnx/weights";
import { HEAD_SELECT, LM_IO } from "../../runtime/lm/kv-session";

// the I/O names the session binds (server/runtime/lm/kv-session.ts), re-exported for the graph's users
export { HEAD_SELECT, LM_IO };

export interface LmGraphOptions {
  precision?: Precision;
  /** key prefix of the decoder body (default "model."; some checkpoints have none) */
  prefix?: string;
  /** key of an untied head (default `lm_head.weight`); ignored when tie_word_embeddings */
  headKey?: string;
  /** build the code-pass head over rows [r0, r1) (head_select 2); null/undefined: none */
  codeRows?: [number, number] | null;
  /** do not build the full-vocabulary head (head_select 1 then returns [lanes, 0]) */
  noFullHead?: boolean;
  /**
   * weight-only quantisation of the decoder-layer projections (MatMulNBits, block 32 by default); precision
   * int8/int4 without this option means { bits: 8 | 4, head: true }
   */
  quantize?: {
    bits: QuantBits;
    blockSize?: number;
    /** also the LM head(s) */
    head?: boolean;
    /**
     * MatMulNBits accuracy_level: 4 (default) = int8 activations, the fast MLAS path on x86 (8-bit
     * weights at level 0 take a slow dequantising path, ~30× slower than fp32 here); 0 = fp32 compute,
     * exact w.r.t. the dequantised weights (tests)
     */
    accuracyLevel?: 0 | 1 | 2 | 3 | 4;
  };
  name?: string;
}

/** GraphBuilder plus the one thing the LM graph needs beyond it: If nodes whose branches are built with the usual helpers. */
class LmGraphBuilder extends GraphBuilder {
  /**
   * If(cond) → one float32 value. Each branch function builds its ops with this builder; the nodes it
   * adds are moved into that branch's subgraph (initializers and values built before stay in the outer
   * scope, which subgraphs may read).
   */
  ifElse(cond: Bool, thenBranch: () => F32, elseBranch: () => F32): F32 {
    const name = this.fresh("If");
    const capture = (tag: string, build: () => F32) => {
      const start = this.nodes.length;
      const v = build();
      const nodes = this.nodes.splice(start);
      let out = v.name;
      if (!nodes.some((n) => n.output.includes(v.name))) {
        out = `${name}/${tag}_out`; // a value from the outer scope: pass it through
        nodes.push(
          create(NodeProtoSchema, {
            opType: "Identity",
            name: `${name}/${tag}/Identity`,
            input: [v.name],
            output: [out],
          }),
        );
      }
      return create(GraphProtoSchema, { name: `${name}/${tag}`, node: nodes, output: [floatValueInfo(out)] });
    };
    const graphAttr = (k: string, g: ReturnType<typeof capture>): AttributeProto =>
      create(AttributeProtoSchema, { name: k, type: AttributeProto_AttributeType.GRAPH, g });
    const thenG = capture("then", thenBranch);
    const elseG = capture("else", elseBranch);
    const out = `${name}_out`;
    this.nodes.push(
      create(NodeProtoSchema, {
        opType: "If",
        name,
        input: [cond.name],
        output: [out],
        attribute: [graphAttr("then_branch", thenG), graphAttr("else_branch", elseG)],
      }),
    );
    return { name: out, dtype: "float32" };
  }
}

function floatValueInfo(name: string) {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, { value: { case: "tensorType", value: { elemType: ONNX_DTYPE.float32 } } }),
  });
}

/** Builds the LM step graph described at the top of this file. */
export function buildLmGraph(weights: Weights, cfg: Qwen3Config, opts: LmGraphOptions = {}): BuiltModel {
  const prefix = opts.prefix ?? "model.";
  const { hidden_size: H, head_dim: D, num_attention_heads: Hq, num_key_value_heads: Hkv, rms_norm_eps: eps } = cfg;
  const kvw = Hkv * D;
  const g = new LmGraphBuilder({ weights, precision: opts.precision, name: opts.name ?? "acestep_lm" });
  const bits = nbitsOf(opts.precision ?? "fp32");
  const q = opts.quantize ?? (bits ? { bits, head: true } : undefined);
  const quantized: string[] = [];
  // widths that are not a multiple of the block (tiny test models) keep an fp32 Gemm
  const linear = (x: Float, key: string, inF: number, outF: number): F32 =>
    q && inF % (q.blockSize ?? 32) === 0
      ? g.matMulNBits(x, g.nbitsParam(key, q.bits, [outF, inF], q.blockSize ?? 32), q.accuracyLevel ?? 4)
      : g.linear(x, key, undefined, { in: inF, out: outF });

  const ids = g.input(LM_IO.ids, "int64", ["lanes", "seq"]);
  const positions = g.input(LM_IO.positions, "int64", ["lanes", "seq"]);
  const valid = g.input(LM_IO.slotValid, "int64", ["slots", "lanes"]);
  const bs = g.shape(ids, 0, 2); // [B, S]
  const B = g.shape(ids, 0, 1); // [1]
  const S = g.shape(ids, 1, 2); // [1]
  const T = g.shape(valid, 0, 1); // [1]
  const isPair = g.squeeze(g.equal(B, g.constI64([2])), [0]); // bool scalar

  // mask [1, B·Hq, S, T]: slot j visible to query i (slot T−S+i) iff j ≤ T−S+i and slot j is real in the lane
  const sc = g.squeeze(S, [0]);
  const tc = g.squeeze(T, [0]);
  const keep = g.and(
    g.unsqueeze(causalKeep(g, sc, tc), [0, 1]), // [1,1,S,T]
    g.unsqueeze(g.not(g.equal(g.transpose(valid, [1, 0]), g.scalarI64(0))), [1, 2]), // [B,1,1,T]
  );
  const mask4 = g.expand(additiveMask(g, keep), g.concat([B, g.constI64([Hq]), S, T], 0)); // [B,Hq,S,T]
  const mask = g.reshape(mask4, [1, -1, 0, 0]); // [1, B·Hq, S, T]

  const { cos, sin } = ropeTables(g, positions, D, cfg.rope_theta); // [B,S,D/2]
  const bsWith = (n: number) => g.concat([bs, g.constI64([n])], 0);
  let h = g.reshape(g.embedding(ids, `${prefix}embed_tokens.weight`, { vocab: cfg.vocab_size, hidden: H }), [-1, H]); // [N=B·S, H]

  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    const p = `${prefix}layers.${l}.`;
    g.scope(`layers.${l}`, () => {
      const x = g.rmsNorm(h, `${p}input_layernorm.weight`, eps, H);
      const perHead = (t: F32, n: number, key: string) =>
        g.reshape(g.rmsNorm(g.reshape(t, [-1, n, D]), key, eps, D), bsWith(n * D));
      const qr = g.rotaryEmbedding(
        perHead(linear(x, `${p}self_attn.q_proj.weight`, H, Hq * D), Hq, `${p}self_attn.q_norm.weight`),
        cos,
        sin,
        { numHeads: Hq },
      );
      const kr = g.rotaryEmbedding(
        perHead(linear(x, `${p}self_attn.k_proj.weight`, H, kvw), Hkv, `${p}self_attn.k_norm.weight`),
        cos,
        sin,
        { numHeads: Hkv },
      );
      const v3 = g.reshape(linear(x, `${p}self_attn.v_proj.weight`, H, kvw), bsWith(kvw)); // [B,S,kvw]

      // this call's K/V in cache order [S, B·kvw] → graph outputs bound to the cache slots P..T−1
      const slotMajor = (t: F32) => g.reshape(g.transpose(t, [1, 0, 2]), [0, -1]);
      g.output(LM_IO.newKey(l), slotMajor(kr), ["seq", "lanes_kv"]);
      g.output(LM_IO.newValue(l), slotMajor(v3), ["seq", "lanes_kv"]);
      const newKey: F32 = { name: LM_IO.newKey(l), dtype: "float32" };
      const newValue: F32 = { name: LM_IO.newValue(l), dtype: "float32" };
      // read the cache only after the new K/V are in it: the Reshape's shape comes from new_key/new_value
      const cacheView = (input: F32, written: F32) =>
        g.reshape(input, g.concat([g.constI64([1, -1]), g.shape(written, 1, 2)], 0)); // [1, T, B·kvw]
      const kAll = cacheView(g.input(LM_IO.cacheKey(l), "float32", ["slots", "lanes_kv"]), newKey);
      const vAll = cacheView(g.input(LM_IO.cacheValue(l), "float32", ["slots", "lanes_kv"]), newValue);
      const q3 = g.unsqueeze(g.reshape(g.transpose(qr, [1, 0, 2]), [0, -1]), [0]); // [1, S, B·Hq·D]

      const attend = (lanes: number) => () =>
        g.attention(q3, kAll, vAll, { mask, qNumHeads: lanes * Hq, kvNumHeads: lanes * Hkv, scale: 1 / Math.sqrt(D) });
      const y = g.ifElse(isPair, attend(2), attend(1)); // [1, S, B·Hq·D] (the If costs ~0.05 ms/layer, measured)
      const yb = g.reshape(g.transpose(g.reshape(g.squeeze(y, [0]), [0, -1, Hq * D]), [1, 0, 2]), [-1, Hq * D]); // [N, Hq·D]
      h = g.add(h, linear(yb, `${p}self_attn.o_proj.weight`, Hq * D, H));
      const m = g.rmsNorm(h, `${p}post_attention_layernorm.weight`, eps, H);
      h = g.add(h, q ? mlpNBits(m) : swiGluMlp(g, m, `${p}mlp.`, H, cfg.intermediate_size));
      function mlpNBits(xm: F32): F32 {
        const gate = linear(xm, `${p}mlp.gate_proj.weight`, H, cfg.intermediate_size);
        const up = linear(xm, `${p}mlp.up_proj.weight`, H, cfg.intermediate_size);
        return linear(g.mul(g.silu(gate), up), `${p}mlp.down_proj.weight`, cfg.intermediate_size, H);
      }
    });
  }

  // last position of every lane → final norm → head
  const last = g.gather(g.reshape(h, bsWith(H)), g.sub(g.squeeze(S, [0]), g.scalarI64(1)), 1); // [B,H]
  const normed = g.toCompute(g.rmsNorm(last, `${prefix}norm.weight`, eps, H));
  const headKey = cfg.tie_word_embeddings ? `${prefix}embed_tokens.weight` : (opts.headKey ?? "lm_head.weight");
  const qh = q?.head && H % (q.blockSize ?? 32) === 0 ? q : null;
  if (qh && !cfg.tie_word_embeddings) quantized.push(headKey);
  const headShape = [cfg.vocab_size, H];
  // int8/int4 builds keep the (tied) embedding table bf16, so an unquantised head reads that one
  const table = qh
    ? null
    : bits && cfg.tie_word_embeddings
      ? g.toF32(g.storedParam(headKey, "bfloat16", headShape))
      : g.param(headKey, { half: true, shape: headShape });
  const headData = () => g.weights!.get(headKey).data;
  const blk = qh?.blockSize ?? 32;
  // operands prepared in the outer scope (constant-folded at load); the matmuls run inside the If branches
  const fullW = opts.noFullHead
    ? null
    : qh
      ? g.nbitsConst(`${headKey}.head`, headData(), cfg.vocab_size, H, qh.bits, blk)
      : table!;
  let codeW: Float | NBitsWeight | null = null;
  if (opts.codeRows) {
    const [r0, r1] = opts.codeRows;
    if (!(0 <= r0 && r0 < r1 && r1 <= cfg.vocab_size))
      throw new Error(`lm graph: codeRows [${r0}, ${r1}) outside vocab ${cfg.vocab_size}`);
    codeW = qh
      ? g.nbitsConst(`${headKey}.code_rows`, headData().subarray(r0 * H, r1 * H), r1 - r0, H, qh.bits, blk)
      : g.slice(table!, [r0], [r1], [0]);
  }
  const headOf = (w: Float | NBitsWeight | null) => (): F32 =>
    w === null
      ? g.slice(g.toF32(normed), [0], [0], [1]) // [lanes, 0]: this head was not built
      : "scales" in w
        ? g.matMulNBits(normed, w, qh!.accuracyLevel ?? 4)
        : g.toF32(g.gemm(normed, w, null, { transB: true }));
  const sel = g.input(LM_IO.head, "int64", [1]);
  const is = (v: number) => g.squeeze(g.equal(sel, g.constI64([v])), [0]);
  // ORT runs every node of a graph whatever the fetches, so the heads sit behind If: only one is computed
  const logits = g.ifElse(is(HEAD_SELECT.codes), headOf(codeW), () =>
    g.ifElse(is(HEAD_SELECT.full), headOf(fullW), headOf(null)),
  );
  g.output(LM_IO.logits, logits, ["lanes", "head_rows"]);
  return g.finish({
    requireAllUsed: [""],
    ignoreUnused: [...(cfg.tie_word_embeddings ? ["lm_head.weight"] : []), ...quantized],
  });
}
