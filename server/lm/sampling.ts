// Ports: the per-step logit pipeline of the upstream **pt** backend (acestep/llm_inference.py
// `_generate_with_cfg_custom` L2323 / `_generate_with_constrained_decoding` L2230; MLX uses the same order),
// preferred over nano-vllm's (whose `prepare_sample` inverts the top-p / repetition-penalty
// checks): CFG (fp32) → constraints (FSM mask) → HF repetition penalty → top-k → top-p → temperature →
// softmax → multinomial (argmax when temperature is 0). Pure: the input logits are never modified.
// Sampling randomness comes from the project's seeded PRNG (server/random/prng.ts); torch's global RNG, which
// upstream leaves unseeded for single items (acestep/llm_inference.py `_run_pt`), is not reproduced.
import type { Prng } from "../random/prng";

export interface SamplingParams {
  /** `lm_temperature` (default 0.85); 0 → argmax. */
  temperature?: number;
  /** `lm_top_k`; 0 / undefined → off. */
  topK?: number;
  /** `lm_top_p` (default 0.9); ≥ 1 / ≤ 0 / undefined → off. */
  topP?: number;
  /** HF repetition penalty; 1 / undefined → off. */
  repetitionPenalty?: number;
  /** `lm_cfg_scale`; CFG is applied only when > 1 and uncond logits are given. */
  cfgScale?: number;
}

export const DEFAULT_SAMPLING: Required<SamplingParams> = {
  temperature: 0.85,
  topK: 0,
  topP: 0.9,
  repetitionPenalty: 1,
  cfgScale: 2,
};

export interface SampleInput {
  /** Conditional logits (fp32, vocab-sized). */
  cond: Float32Array;
  /** Unconditional logits for CFG. */
  uncond?: Float32Array;
  /** Constraint step: sets disallowed logits to -Infinity in place (e.g. `fsm.applyMask`). */
  constrain?: (logits: Float32Array) => void;
  /** Ids seen so far for the repetition penalty (pt path: the whole conditional sequence, prompt included). */
  penaltyIds?: Iterable<number>;
  /**
   * The logits (cond and uncond) cover ids [offset, offset + length) only and every id outside is −Infinity
   * (e.g. the LM's code head: 64 024 rows of a 217 204 vocabulary). Every step then works on the window alone;
   * `constrain` must take window logits too (`fsm.applyMask(l, offset)`), and sampleToken returns the full id.
   * The result equals sampling the full-vocabulary logits. Default 0 (full vocabulary).
   */
  offset?: number;
}

/** `uncond + s·(cond − uncond)` in float32 (each op rounded like torch fp32). */
export function applyCfg(cond: Float32Array, uncond: Float32Array, scale: number): Float32Array {
  if (cond.length !== uncond.length) throw new Error(`sampling: cond/uncond length ${cond.length} ≠ ${uncond.length}`);
  const out = new Float32Array(cond.length);
  const s = Math.fround(scale);
  for (let i = 0; i < cond.length; i++) {
    const u = uncond[i];
    out[i] = u + Math.fround(s * Math.fround(cond[i] - u));
  }
  return out;
}

/** HF `RepetitionPenaltyLogitsProcessor`, in place: for each distinct id, score < 0 → ×p, else ÷p. */
export function applyRepetitionPenalty(logits: Float32Array, ids: Iterable<number>, penalty: number): void {
  if (penalty === 1) return;
  const seen = new Set<number>();
  for (const id of ids) {
    if (seen.has(id) || id < 0 || id >= logits.length) continue;
    seen.add(id);
    const v = logits[id];
    logits[id] = v < 0 ? v * penalty : v / penalty;
  }
}

const BUCKETS = 4096;

/** Min and max over finite logits, and their count. */
function finiteRange(logits: Float32Array): { min: number; max: number; n: number } {
  let min = Infinity,
    max = -Infinity,
    n = 0;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i];
    if (v > -Infinity) {
      n++;
      if (v > max) max = v;
      if (v < min) min = v;
    }
  }
  return { min, max, n };
}

/**
 * Walk the finite logits from the largest down, in value buckets (O(V), no full sort), accumulating a
 * weight (1 per token, or softmax probability) until the running total crosses `target` (strictly
 * greater); returns the value at which it crosses, or -Infinity when it never does. Only the crossing
 * bucket is sorted.
 */
function crossingValue(logits: Float32Array, softmax: boolean, target: number): number {
  const { min, max, n } = finiteRange(logits);
  if (n === 0) return -Infinity;
  const weight = softmax ? (v: number) => Math.exp(v - max) : () => 1;
  const scale = max > min ? (BUCKETS - 1) / (max - min) : 0;
  const mass = new Float64Array(BUCKETS);
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i];
    if (v > -Infinity) {
      const w = softmax ? Math.exp(v - max) : 1;
      mass[Math.floor((max - v) * scale)] += w;
      total += w;
    }
  }
  if (softmax) target *= total; // target given as a probability
  let cum = 0;
  for (let b = 0; b < BUCKETS; b++) {
    if (cum + mass[b] <= target) {
      cum += mass[b];
      continue;
    }
    const members: number[] = [];
    for (let i = 0; i < logits.length; i++) {
      const v = logits[i];
      if (v > -Infinity && Math.floor((max - v) * scale) === b) members.push(v);
    }
    members.sort((x, y) => y - x);
    for (const v of members) {
      cum += weight(v);
      if (cum > target) return v;
    }
    return members[members.length - 1];
  }
  return -Infinity;
}

/** HF top-k, in place: remove logits < the k-th largest (ties with it are kept). */
export function applyTopK(logits: Float32Array, k: number): void {
  if (!k || k <= 0 || k >= logits.length) return;
  const kth = crossingValue(logits, false, k - 0.5);
  if (kth === -Infinity) return; // fewer than k finite logits
  for (let i = 0; i < logits.length; i++) if (logits[i] < kth) logits[i] = -Infinity;
}

/**
 * Top-p (nucleus), in place: sort descending, softmax, cumulative sum; tokens whose cumulative sum
 * *before* them already exceeds p are removed (the first is always kept). Tokens tied with the last kept
 * value are all kept (torch's order among exact ties is unspecified). Bucketed, O(V).
 */
export function applyTopP(logits: Float32Array, p: number): void {
  if (!(p > 0 && p < 1)) return;
  const threshold = crossingValue(logits, true, p);
  if (threshold === -Infinity) return;
  for (let i = 0; i < logits.length; i++) if (logits[i] < threshold) logits[i] = -Infinity;
}

/** Index of the largest logit (first on ties), or -1 when all are -Infinity/NaN. */
export function argmax(logits: Float32Array): number {
  let best = -1;
  let bv = -Infinity;
  for (let i = 0; i < logits.length; i++)
    if (logits[i] > bv) {
      bv = logits[i];
      best = i;
    }
  return best;
}

let scratch = new Float64Array(0);

/** Temperature (float32 division) → softmax → one multinomial draw with `rng`. */
export function sampleFromLogits(logits: Float32Array, temperature: number, rng: Prng): number {
  if (!(temperature > 0)) {
    const i = argmax(logits);
    if (i < 0) throw new Error("sampling: every logit is -Infinity (over-constrained step)");
    return i;
  }
  const t = Math.fround(temperature);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const v = Math.fround(logits[i] / t);
    if (v > max) max = v;
  }
  if (max === -Infinity || Number.isNaN(max))
    throw new Error("sampling: every logit is -Infinity (over-constrained step)");
  if (scratch.length < logits.length) scratch = new Float64Array(logits.length);
  let z = 0;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i];
    const e = v > -Infinity ? Math.exp(Math.fround(v / t) - max) : 0;
    scratch[i] = e;
    z += e;
  }
  const u = rng.uniform() * z;
  let acc = 0;
  let last = -1;
  for (let i = 0; i < logits.length; i++) {
    const e = scratch[i];
    if (e === 0) continue;
    acc += e;
    last = i;
    if (u < acc) return i;
  }
  return last;
}

/** The post-CFG, post-constraint, post-filter logits (before temperature) — exposed for tests/debugging. */
export function processLogits(input: SampleInput, params: SamplingParams = {}): Float32Array {
  const p = { ...DEFAULT_SAMPLING, ...params };
  const logits = input.uncond && p.cfgScale > 1 ? applyCfg(input.cond, input.uncond, p.cfgScale) : input.cond.slice();
  input.constrain?.(logits);
  if (p.repetitionPenalty !== 1 && input.penaltyIds) {
    const off = input.offset ?? 0;
    const ids = off ? Array.from(input.penaltyIds, (id) => id - off) : input.penaltyIds; // out-of-window ids: skipped
    applyRepetitionPenalty(logits, ids, p.repetitionPenalty);
  }
  if (p.topK > 0) applyTopK(logits, p.topK);
  if (p.topP > 0 && p.topP < 1) applyTopP(logits, p.topP);
  return logits;
}

/** One token from fp32 logits, in the pt-backend order (see the file header). */
export function sampleToken(input: SampleInput, params: SamplingParams, rng: Prng): number {
  const logits = processLogits(input, params);
  return (input.offset ?? 0) + sampleFromLogits(logits, params.temperature ?? DEFAULT_SAMPLING.temperature, rng);
}
