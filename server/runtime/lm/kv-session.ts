// The ORT side of the 5 Hz LM: one onnxruntime-node session of the in-place-KV step graph (built by
// server/models/lm/lm-graph.ts, which follows the I/O contract below) plus JS-owned KV caches that never move.
//
//   const session = await openLmKvSession("lm.onnx", config, { codeRows, threads: 2 });
//   const cache = session.newCache(2);                                    // lanes: 1 = plain, 2 = CFG pair
//   const [c, u] = await session.step(cache, [condPrompt, uncondPrompt]); // batched prefill (chunked, padded)
//   const [c2, u2] = await session.step(cache, [[tok], [tok]], { head: "codes" }); // one decode step
//
// Per call the cache gets S new slots (S = the longest lane's token count); a lane with fewer tokens is
// left-padded with masked slots, so both lanes always write the same slots. Feeds are zero-copy views
// of slots 0..T−1; the new K/V are written by ORT straight into slots P..T−1 through preallocated
// fetches (the only bytes that move are this call's K/V and the logits). The session is used from the
// thread that owns the cache: onnxruntime-node 1.30 refuses SharedArrayBuffer feeds, so the service runs
// this session, its caches and the decode loop inside the LM worker (lm-worker.ts; the transfer-based
// session host of server/runtime/session-host.ts would move the cache on every call).
// Model-specific parts (graph building from checkpoint weights, config.json, the code-head rows) live in
// server/models/lm (runner.ts LmModel extends LmKvSession).

import * as ort from "onnxruntime-node";

/** Graph I/O names of the step graph, shared by the builder (server/models/lm/lm-graph.ts) and the session. */
export const LM_IO = {
  ids: "input_ids",
  positions: "position_ids",
  slotValid: "slot_valid",
  cacheKey: (l: number) => `cache_key.${l}`,
  cacheValue: (l: number) => `cache_value.${l}`,
  newKey: (l: number) => `new_key.${l}`,
  newValue: (l: number) => `new_value.${l}`,
  head: "head_select",
  logits: "logits",
} as const;

/** Values of the `head_select` input. */
export const HEAD_SELECT = { none: 0, full: 1, codes: 2 } as const;

/** The part of an ORT session the step uses (swap in another backend with the same contract). */
export interface LmSessionLike {
  run(
    feeds: Record<string, ort.Tensor>,
    fetches: Record<string, ort.Tensor | null>,
  ): Promise<Record<string, { data: unknown; dims: readonly number[] }>>;
  release?(): Promise<void>;
}

export type LmHead = "full" | "codes" | "none";

/** What the session needs of the checkpoint's config.json (a Qwen3Config fits). */
export interface LmStepConfig {
  vocab_size: number;
  num_hidden_layers: number;
  num_key_value_heads: number;
  head_dim: number;
}

export interface LmSessionOptions {
  /** intra-op threads (default 1) */
  threads?: number;
  /** extra session options merged over the defaults */
  sessionOptions?: ort.InferenceSession.SessionOptions;
}

export interface StepOptions {
  /** which logits to return (default "full"); "codes" needs a model built with codeRows */
  head?: LmHead;
  /** longest run of slots per session call (default 256); longer inputs are prefilled in chunks */
  chunk?: number;
}

/**
 * An ORT session of a step graph: a model file path, or model bytes (with `sessionOptions.externalData` for
 * initializers kept outside them). One inter-op thread, full graph optimisation, warnings off.
 */
export function createLmOrtSession(
  source: string | Uint8Array,
  o: LmSessionOptions = {},
): Promise<ort.InferenceSession> {
  const so: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: o.threads ?? 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    logSeverityLevel: 3,
    ...o.sessionOptions,
  };
  return typeof source === "string" ? ort.InferenceSession.create(source, so) : ort.InferenceSession.create(source, so);
}

/**
 * A step-graph model file as an LmKvSession. `codeRows` and `fullHead` (default true) must match how the file
 * was built (a mismatch throws at step); server/models/lm's LmModel.fromFile derives them from the config.
 */
export async function openLmKvSession<C extends LmStepConfig>(
  onnxPath: string,
  config: C,
  o: LmSessionOptions & { codeRows: [number, number] | null; fullHead?: boolean },
): Promise<LmKvSession<C>> {
  const session = await createLmOrtSession(onnxPath, o);
  return new LmKvSession(session, config, o.codeRows, o.fullHead ?? true);
}

/** A lane-interleaved, slot-major fp32 KV cache: per layer K and V as [capacity, lanes, Hkv·D]. */
export class LmKvCache {
  keys: Float32Array[];
  values: Float32Array[];
  /** [capacity, lanes] int64, 1 = the slot holds a real token of that lane */
  valid: BigInt64Array;
  /** slots in use */
  length = 0;
  /** per lane: tokens in the cache (real ones only), i.e. the next RoPE position is tokens[b].length */
  readonly tokens: number[][];

  constructor(
    readonly lanes: number,
    readonly layers: number,
    readonly kvWidth: number,
    public capacity: number,
  ) {
    const n = capacity * lanes * kvWidth;
    this.keys = Array.from({ length: layers }, () => new Float32Array(n));
    this.values = Array.from({ length: layers }, () => new Float32Array(n));
    this.valid = new BigInt64Array(capacity * lanes);
    this.tokens = Array.from({ length: lanes }, () => []);
  }

  /** Forget everything (keeps the memory). */
  reset(): void {
    this.length = 0;
    this.valid.fill(0n);
    for (const t of this.tokens) t.length = 0;
  }

  /** Keep the first `n` tokens of a one-lane cache (slots = positions there). */
  truncate(n: number): void {
    if (this.lanes !== 1) throw new Error("lm cache: truncate needs a one-lane cache (reset a pair instead)");
    if (n > this.length) throw new Error(`lm cache: cannot truncate ${this.length} slots to ${n}`);
    this.length = n;
    this.valid.fill(0n, n);
    this.tokens[0].length = n;
  }

  /** Grow to at least `slots` (doubling; copies once per growth). */
  ensure(slots: number): void {
    if (slots <= this.capacity) return;
    let cap = this.capacity;
    while (cap < slots) cap *= 2;
    const grow = (a: Float32Array) => {
      const b = new Float32Array(cap * this.lanes * this.kvWidth);
      b.set(a.subarray(0, this.length * this.lanes * this.kvWidth));
      return b;
    };
    this.keys = this.keys.map(grow);
    this.values = this.values.map(grow);
    const v = new BigInt64Array(cap * this.lanes);
    v.set(this.valid.subarray(0, this.length * this.lanes));
    this.valid = v;
    this.capacity = cap;
  }

  /** Bytes held by K and V. */
  get bytes(): number {
    return 2 * this.layers * this.capacity * this.lanes * this.kvWidth * 4;
  }
}

/** One step-graph session: `step` appends tokens to a cache and returns the last position's logits. */
export class LmKvSession<C extends LmStepConfig = LmStepConfig> {
  readonly kvWidth: number;
  /** session calls made, and how many of them were batched (2 lanes) */
  readonly stats = { calls: 0, pairCalls: 0, slots: 0 };

  constructor(
    readonly session: LmSessionLike,
    readonly config: C,
    readonly codeRows: [number, number] | null,
    readonly hasFullHead: boolean,
  ) {
    this.kvWidth = config.num_key_value_heads * config.head_dim;
  }

  newCache(lanes: 1 | 2, capacity = 256): LmKvCache {
    return new LmKvCache(lanes, this.config.num_hidden_layers, this.kvWidth, Math.max(1, capacity));
  }

  /**
   * Append tokens to every lane (`tokens[b]`, may be empty for some lanes) and return each lane's logits at
   * its last real position (full vocabulary, or the code rows [r0, r1) for head "codes"; null for "none").
   * A lane given no tokens returns the logits of a masked pad row: meaningless, ignore them.
   */
  async step(
    cache: LmKvCache,
    tokens: readonly (readonly number[])[],
    o: StepOptions = {},
  ): Promise<Float32Array[] | null> {
    const L = cache.lanes;
    if (tokens.length !== L) throw new Error(`lm step: ${tokens.length} token lists for a ${L}-lane cache`);
    const head = o.head ?? "full";
    if (head === "codes" && !this.codeRows)
      throw new Error("lm step: this model was built without the code head (codeRows)");
    if (head === "full" && !this.hasFullHead) throw new Error("lm step: this model was built without the full head");
    const S = Math.max(...tokens.map((t) => t.length));
    if (S === 0) throw new Error("lm step: no tokens");
    const vocab = this.config.vocab_size;
    for (const t of tokens)
      for (const id of t)
        if (!(Number.isInteger(id) && id >= 0 && id < vocab))
          throw new Error(`lm step: token id ${id} outside vocabulary ${vocab}`);
    const chunk = Math.max(1, o.chunk ?? 256);
    cache.ensure(cache.length + S);
    let result: Float32Array[] | null = null;
    for (let a = 0; a < S; a += chunk) {
      const n = Math.min(chunk, S - a);
      const lastChunk = a + n === S;
      result = await this.run(cache, tokens, S, a, n, lastChunk ? head : "none");
    }
    return result;
  }

  /** One session call: padded positions [a, a+n) of every lane's left-padded sequence of length S. */
  private async run(
    cache: LmKvCache,
    tokens: readonly (readonly number[])[],
    S: number,
    a: number,
    n: number,
    head: LmHead,
  ): Promise<Float32Array[] | null> {
    const L = cache.lanes;
    const kvw = this.kvWidth;
    const P = cache.length;
    const T = P + n;
    const ids = new BigInt64Array(L * n);
    const pos = new BigInt64Array(L * n);
    for (let b = 0; b < L; b++) {
      const pad = S - tokens[b].length;
      const lane = cache.tokens[b];
      for (let i = 0; i < n; i++) {
        const j = a + i - pad; // index into this lane's new tokens, < 0 for a pad slot
        const slot = (P + i) * L + b;
        if (j >= 0) {
          ids[b * n + i] = BigInt(tokens[b][j]);
          pos[b * n + i] = BigInt(lane.length);
          lane.push(tokens[b][j]);
          cache.valid[slot] = 1n;
        } else {
          cache.valid[slot] = 0n; // ids/pos stay 0: a masked slot
        }
      }
    }
    const feeds: Record<string, ort.Tensor> = {
      [LM_IO.ids]: new ort.Tensor("int64", ids, [L, n]),
      [LM_IO.positions]: new ort.Tensor("int64", pos, [L, n]),
      [LM_IO.slotValid]: new ort.Tensor("int64", cache.valid.subarray(0, T * L), [T, L]),
    };
    const fetches: Record<string, ort.Tensor | null> = {};
    const w = L * kvw;
    for (let l = 0; l < this.config.num_hidden_layers; l++) {
      feeds[LM_IO.cacheKey(l)] = new ort.Tensor("float32", cache.keys[l].subarray(0, T * w), [T, w]);
      feeds[LM_IO.cacheValue(l)] = new ort.Tensor("float32", cache.values[l].subarray(0, T * w), [T, w]);
      fetches[LM_IO.newKey(l)] = new ort.Tensor("float32", cache.keys[l].subarray(P * w, T * w), [n, w]);
      fetches[LM_IO.newValue(l)] = new ort.Tensor("float32", cache.values[l].subarray(P * w, T * w), [n, w]);
    }
    feeds[LM_IO.head] = new ort.Tensor("int64", BigInt64Array.from([BigInt(HEAD_SELECT[head])]), [1]);
    fetches[LM_IO.logits] = null;
    const out = await this.session.run(feeds, fetches);
    this.stats.calls++;
    if (L === 2) this.stats.pairCalls++;
    this.stats.slots += n;
    cache.length = T;
    if (cache.layers > 0)
      checkWrittenInPlace(out[LM_IO.newKey(0)].data as Float32Array, cache.keys[0].subarray(P * w, T * w));
    if (head === "none") return null;
    const data = out[LM_IO.logits].data as Float32Array;
    const width = data.length / L;
    const expected = head === "full" ? this.config.vocab_size : this.codeRows![1] - this.codeRows![0];
    if (width !== expected)
      throw new Error(
        `lm step: the model returned ${width} logits per lane for head "${head}", expected ${expected} (was it built with this head?)`,
      );
    return Array.from({ length: L }, (_, b) => data.slice(b * width, (b + 1) * width));
  }

  async dispose(): Promise<void> {
    await this.session.release?.();
  }
}

/** run() returns a copy of each output; the cache slot must already hold the same values (ORT wrote it). */
function checkWrittenInPlace(returned: Float32Array, slot: Float32Array): void {
  for (let i = 0; i < slot.length; i += 97) {
    if (!Object.is(returned[i], slot[i])) {
      throw new Error(
        "lm session: onnxruntime did not write new_key into the preallocated cache view (the in-place KV pattern of " +
          "server/models/lm/README.md is not supported by this onnxruntime-node build; pin onnxruntime-node 1.30.0)",
      );
    }
  }
}
