// Test helper: a seeded random-logits "model" and a cheap random walker over FSM-allowed tokens.
// For i.i.d. continuous random logits, greedy choice restricted to the allowed set is uniform over it,
// so `fakeStep` draws uniformly from `allowedTokens()` and only materialises a full random logits
// vector on the steps whose constraint depends on logits (language first token, caption peek, genres end).
import type { MetadataFsm } from "../constrained/fsm";
import type { Allowed } from "../constrained/mask";
import { argmax } from "../sampling";
import { createRng, type Prng } from "../../random/prng";
import { LM_VOCAB_SIZE } from "../tokens";

let pool: Float32Array[] | null = null;
/** 32 fixed random logit vectors (uniform in [-4, 4)), vocab-sized. */
export function logitsPool(): Float32Array[] {
  if (!pool) {
    pool = Array.from({ length: 32 }, (_, k) => {
      const r = createRng(10_000 + k);
      const a = new Float32Array(LM_VOCAB_SIZE);
      for (let i = 0; i < a.length; i++) a[i] = r.uniform() * 8 - 4;
      return a;
    });
  }
  return pool;
}

/** A deterministic fake LM: logits depend on (seed, sequence length, stream). */
export function fakeLogitsFn(seed: number) {
  const p = logitsPool();
  return (ids: readonly number[], stream: "cond" | "uncond") =>
    p[(seed * 31 + ids.length * 7 + (stream === "uncond" ? 3 : 0)) % p.length];
}

const sets = new WeakMap<Int32Array, Set<number>>();
const asSet = (a: Int32Array) => {
  let s = sets.get(a);
  if (!s) sets.set(a, (s = new Set(a)));
  return s;
};

export function pickUniform(a: Allowed, rng: Prng): number {
  switch (a.kind) {
    case "forced":
      return a.id;
    case "all":
      return Math.floor(rng.uniform() * LM_VOCAB_SIZE);
    case "only": {
      const sizes = (a.ranges ?? []).map(([f, t]) => t - f);
      const total = a.ids.length + sizes.reduce((x, y) => x + y, 0);
      let k = Math.floor(rng.uniform() * total);
      if (k < a.ids.length) return a.ids[k];
      k -= a.ids.length;
      for (const [i, [f]] of (a.ranges ?? []).entries()) {
        if (k < sizes[i]) return f + k;
        k -= sizes[i];
      }
      throw new Error("unreachable");
    }
    case "except": {
      const blocked = asSet(a.ids);
      for (;;) {
        const id = Math.floor(rng.uniform() * LM_VOCAB_SIZE);
        if (!blocked.has(id) && !(a.ranges ?? []).some(([f, t]) => id >= f && id < t)) return id;
      }
    }
  }
}

export function fakeStep(fsm: MetadataFsm, rng: Prng): number {
  const forced = fsm.forcedToken();
  if (forced !== null) return forced;
  if (fsm.needsLogits()) {
    const p = logitsPool();
    const l = p[rng.nextU32() % p.length].slice();
    fsm.applyMask(l);
    return argmax(l);
  }
  return pickUniform(fsm.allowedTokens(), rng);
}

/** Drive an FSM to completion with fakeStep; returns generated ids. */
export function walk(fsm: MetadataFsm, seed: number, maxSteps = 4000): number[] {
  const rng = createRng(seed);
  const ids: number[] = [];
  while (!fsm.done && ids.length < maxSteps) {
    const id = fakeStep(fsm, rng);
    fsm.advance(id);
    ids.push(id);
  }
  return ids;
}
