// Ports: the custom decode loops of acestep/llm_inference.py (`_generate_with_constrained_decoding` L2230,
// `_generate_with_cfg_custom` L2323; pt backend): per step logits (cond [+ uncond]) → sampling.ts pipeline
// with the FSM as the constraint step → FSM update → the SAME token appended to both streams → stop on a
// stop id. Model-agnostic: `logitsFn` is any model (a fake in tests, the ONNX LM later).
import type { MetadataFsm } from "./constrained/fsm";
import { createRng, type Prng } from "../random/prng";
import { sampleToken, type SamplingParams } from "./sampling";
import { DEFAULT_STOP_IDS } from "./tokens";

/** Logits of the ids [offset, offset + logits.length) only; every id outside the window is −Infinity. */
export interface WindowedLogits {
  logits: Float32Array;
  offset: number;
}

/**
 * Last-position logits (vocab-sized fp32) for the full token sequence of one stream. A model whose head covers
 * a window of ids (the LM's code head) may also offer `windowed`: the same logits without the −Infinity
 * padding, or null when it currently returns the full vocabulary. The loop then samples over the window alone.
 */
export type LogitsFn = ((
  tokenIds: readonly number[],
  stream: "cond" | "uncond",
) => Float32Array | Promise<Float32Array>) & {
  windowed?: (tokenIds: readonly number[], stream: "cond" | "uncond") => Promise<WindowedLogits | null>;
};

export interface GenerateOptions {
  /** Conditional prompt ids. */
  prompt: readonly number[];
  /** Unconditional prompt ids; CFG runs when given and `sampling.cfgScale > 1`. */
  uncondPrompt?: readonly number[];
  fsm?: MetadataFsm;
  sampling?: SamplingParams;
  maxNewTokens: number;
  /** Default [151645 <|im_end|>, 151643 <|endoftext|>]. The stop token is included in `tokens`. */
  stopIds?: readonly number[];
  /** Seed for a fresh `createRng` (server/random/prng.ts; taken as uint32), or a Prng to share. Default seed 0. */
  seed?: number;
  rng?: Prng;
  /**
   * Skip the model call on steps where the FSM forces one token (default true). The distribution is
   * unchanged (a single allowed token has probability 1); the next call simply sees the forced tokens.
   */
  skipForwardWhenForced?: boolean;
  onToken?: (id: number, step: number) => void;
}

export interface GenerateResult {
  /** Generated ids (prompt excluded; the stop id included when one was produced). */
  tokens: number[];
  stopReason: "stop" | "max_tokens" | "fsm_done";
  /** Number of model forward calls made (cond + uncond). */
  forwardCalls: number;
}

export async function generateWithLogits(logitsFn: LogitsFn, o: GenerateOptions): Promise<GenerateResult> {
  const rng = o.rng ?? createRng((o.seed ?? 0) >>> 0);
  const stop = new Set(o.stopIds ?? DEFAULT_STOP_IDS);
  const sampling = o.sampling ?? {};
  const useCfg = !!o.uncondPrompt && (sampling.cfgScale ?? 2) > 1;
  const cond = [...o.prompt];
  const uncond = o.uncondPrompt ? [...o.uncondPrompt] : [];
  const tokens: number[] = [];
  const skip = o.skipForwardWhenForced ?? true;
  let forwardCalls = 0;
  for (let step = 0; step < o.maxNewTokens; step++) {
    if (o.fsm?.done) return { tokens, stopReason: "fsm_done", forwardCalls };
    let id: number;
    const forced = skip && o.fsm ? o.fsm.forcedToken() : null;
    if (forced !== null) {
      id = forced;
    } else {
      forwardCalls++;
      // the window path needs a step whose constraint does not read the full-vocabulary logits
      const wc = o.fsm?.needsLogits() ? null : ((await logitsFn.windowed?.(cond, "cond")) ?? null);
      let wu: WindowedLogits | null = null;
      if (wc && useCfg) {
        wu = await logitsFn.windowed!(uncond, "uncond");
        if (!wu || wu.offset !== wc.offset || wu.logits.length !== wc.logits.length)
          throw new Error("lm generate: cond and uncond logits cover different id windows");
      }
      const offset = wc?.offset ?? 0;
      const c = wc ? wc.logits : await logitsFn(cond, "cond");
      let u: Float32Array | undefined;
      if (useCfg) {
        forwardCalls++;
        u = wu ? wu.logits : await logitsFn(uncond, "uncond");
      }
      id = sampleToken(
        {
          cond: c,
          uncond: u,
          offset,
          constrain: o.fsm ? (l) => void o.fsm!.applyMask(l, offset) : undefined,
          penaltyIds: cond,
        },
        sampling,
        rng,
      );
    }
    o.fsm?.advance(id);
    tokens.push(id);
    cond.push(id);
    if (useCfg) uncond.push(id);
    o.onToken?.(id, step);
    if (stop.has(id)) return { tokens, stopReason: "stop", forwardCalls };
  }
  return { tokens, stopReason: "max_tokens", forwardCalls };
}
