// createLmLogitsFn: the ONNX LM as the `LogitsFn` of server/lm's decode loop (generateWithLogits).
//
// The loop calls fn(fullSequence, "cond") and, with CFG, fn(fullSequence, "uncond") every step, appending
// the same sampled (or FSM-forced) token(s) to both. The adapter keeps a KV cache per stream and feeds
// only what is new since its last call (several tokens at once after forced steps: chunked prefill on
// top of the cache). A sequence that does not extend the cached one is handled by rolling back to the
// common prefix (one-lane cache) or re-prefilling (CFG pair), so any call order stays correct.
//
// CFG batching (acestep/llm_inference.py `_generate_with_cfg_custom`): given `uncondPrompt`, cond and uncond share one
// two-lane cache and run in ONE session call. On each cond call the adapter predicts the uncond sequence (the last
// uncond sequence + the tokens the cond stream gained since its last call, which is what the loop does), runs both
// lanes, and answers the following uncond call from that result; a wrong prediction only costs a re-run.
//
// Logits are full-vocabulary fp32. With head "codes" only the code-pass rows are computed
// (CODE_HEAD_ROWS: <|im_end|> … last valid audio code) and every other id is −Infinity.

import type { LmHead, LmKvCache, LmKvSession } from "./kv-session";

export type LmStream = "cond" | "uncond";

export interface LmLogitsFnOptions {
  /** "full" (default) or "codes" (code pass: audio codes + EOS only); switch later with setHead */
  head?: Exclude<LmHead, "none">;
  /** the unconditional prompt: enables batched CFG (both streams in one call) from the first step */
  uncondPrompt?: readonly number[];
  /** initial cache capacity in slots (grows by doubling) */
  capacity?: number;
  /** longest prefill chunk per session call (default 256) */
  chunk?: number;
}

export interface LmLogitsFn {
  (tokenIds: readonly number[], stream?: LmStream): Promise<Float32Array>;
  /**
   * With head "codes": the code rows' logits alone ({ logits, offset: first code-head row }), as the decode
   * loop's window path samples them (server/lm/generate.ts); null with the full head. Not a copy: read-only.
   */
  windowed(tokenIds: readonly number[], stream?: LmStream): Promise<{ logits: Float32Array; offset: number } | null>;
  setHead(head: Exclude<LmHead, "none">): void;
  /** drop all cached state (the next call prefills from scratch) */
  reset(): void;
  /** cache slots held per stream and session calls made */
  readonly model: LmKvSession;
}

/** One KV cache (one or two lanes) plus each lane's latest logits. */
class Lanes {
  readonly cache: LmKvCache;
  readonly logits: (Float32Array | null)[];
  readonly heads: (LmHead | null)[];

  constructor(
    private readonly model: LmKvSession,
    lanes: 1 | 2,
    capacity: number,
    private readonly chunk: number,
  ) {
    this.cache = model.newCache(lanes, capacity);
    this.logits = new Array(lanes).fill(null);
    this.heads = new Array(lanes).fill(null);
  }

  reset(): void {
    this.cache.reset();
    this.logits.fill(null);
    this.heads.fill(null);
  }

  /** Bring every lane with a target to exactly that sequence (null: leave the lane as it is). */
  async advance(targets: (readonly number[] | null)[], head: LmHead): Promise<void> {
    const c = this.cache;
    const want = targets.map((t, b) => (t ? t : c.tokens[b].slice()));
    // a lane needs a rollback when its target does not extend the cache, or when the target is already
    // cached but the logits for its last token are missing (or were computed with the other head)
    const stale = (b: number) =>
      !startsWith(want[b], c.tokens[b]) ||
      (targets[b] !== null &&
        want[b].length === c.tokens[b].length &&
        (this.logits[b] === null || this.heads[b] !== head));
    if (want.some((_, b) => stale(b))) {
      if (c.lanes === 1) {
        const keep = Math.min(commonPrefix(want[0], c.tokens[0]), want[0].length - 1);
        c.truncate(Math.max(0, keep));
      } else {
        c.reset();
      }
      this.logits.fill(null);
      this.heads.fill(null);
    }
    const deltas = want.map((w, b) => w.slice(c.tokens[b].length));
    if (deltas.every((d) => d.length === 0)) return;
    const res = (await this.model.step(c, deltas, { head, chunk: this.chunk }))!;
    deltas.forEach((d, b) => {
      if (d.length) {
        this.logits[b] = res[b];
        this.heads[b] = head;
      }
    });
  }
}

function startsWith(seq: readonly number[], prefix: readonly number[]): boolean {
  if (prefix.length > seq.length) return false;
  for (let i = 0; i < prefix.length; i++) if (seq[i] !== prefix[i]) return false;
  return true;
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

export function createLmLogitsFn(model: LmKvSession, opts: LmLogitsFnOptions = {}): LmLogitsFn {
  let head: Exclude<LmHead, "none"> = opts.head ?? "full";
  const capacity = opts.capacity ?? 256;
  const chunk = opts.chunk ?? 256;
  const vocab = model.config.vocab_size;
  const pair = opts.uncondPrompt ? new Lanes(model, 2, capacity, chunk) : null;
  const single = new Map<LmStream, Lanes>();
  let lastCond: number[] | null = null;
  let lastUncond: number[] | null = opts.uncondPrompt ? [...opts.uncondPrompt] : null;

  const expand = (l: Float32Array | null): Float32Array => {
    if (!l) throw new Error("lm logits: no logits for this stream (internal error)");
    if (l.length === vocab) return l.slice();
    const out = new Float32Array(vocab).fill(-Infinity);
    out.set(l, model.codeRows![0]);
    return out;
  };

  const fn = async (tokenIds: readonly number[], stream: LmStream = "cond"): Promise<Float32Array> =>
    expand(await raw(tokenIds, stream));

  /** This stream's logits as the head returned them (code rows only with head "codes"). */
  const raw = async (tokenIds: readonly number[], stream: LmStream): Promise<Float32Array | null> => {
    if (tokenIds.length === 0) throw new Error("lm logits: empty token sequence");
    if (!pair) {
      let s = single.get(stream);
      if (!s) single.set(stream, (s = new Lanes(model, 1, capacity, chunk)));
      await s.advance([tokenIds], head);
      return s.logits[0];
    }
    if (stream === "cond") {
      // predict the uncond sequence so both lanes run in this one call
      let predicted: number[] | null = null;
      if (lastCond === null) predicted = lastUncond;
      else if (lastUncond && startsWith(tokenIds, lastCond))
        predicted = [...lastUncond, ...tokenIds.slice(lastCond.length)];
      lastCond = [...tokenIds];
      await pair.advance([tokenIds, predicted], head);
      return pair.logits[0];
    }
    lastUncond = [...tokenIds];
    await pair.advance([null, tokenIds], head); // a no-op when the prediction was right
    return pair.logits[1];
  };

  return Object.assign(fn, {
    async windowed(tokenIds: readonly number[], stream: LmStream = "cond") {
      if (head !== "codes") return null;
      const l = await raw(tokenIds, stream);
      if (!l || l.length === vocab) return null;
      return { logits: l, offset: model.codeRows![0] };
    },
    setHead(h: Exclude<LmHead, "none">) {
      head = h;
    },
    reset() {
      pair?.reset();
      single.clear();
      lastCond = null;
      lastUncond = opts.uncondPrompt ? [...opts.uncondPrompt] : null;
    },
    model,
  });
}
