// Ports: nothing upstream (torch's global RNG, unseeded for single items — acestep/llm_inference.py `_run_pt`). Our own documented,
// seedable PRNG so LM sampling is reproducible: xoshiro128** (Blackman & Vigna) with its 128-bit state
// filled by splitmix32 from a 32-bit seed; uniform doubles use 53 bits from two outputs.

export interface Rng {
  /** Uniform in [0, 1), 53-bit resolution. */
  next(): number;
  /** Raw 32-bit unsigned output. */
  nextU32(): number;
}

export function createRng(seed: number): Rng {
  let x = seed >>> 0;
  const splitmix32 = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix32(),
    b = splitmix32(),
    c = splitmix32(),
    d = splitmix32();
  if ((a | b | c | d) === 0) a = 1;
  const rotl = (v: number, k: number) => ((v << k) | (v >>> (32 - k))) >>> 0;
  const nextU32 = () => {
    const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c = (c ^ a) >>> 0;
    d = (d ^ b) >>> 0;
    b = (b ^ c) >>> 0;
    a = (a ^ d) >>> 0;
    c = (c ^ t) >>> 0;
    d = rotl(d, 11);
    return result;
  };
  return {
    nextU32,
    next: () => ((nextU32() >>> 5) * 67108864 + (nextU32() >>> 6)) / 9007199254740992,
  };
}
