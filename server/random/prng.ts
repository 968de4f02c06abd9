// The project's one seeded PRNG (tiny and fabricated weights, demo LoRA, VAE posterior samples, LM sampling, the
// Reference Timbre montage, test and benchmark inputs). Upstream draws from torch's generators, which only
// server/acestep/sampling/noise.ts reproduces (for the DiT's initial noise); everything else uses this stream.
//
// Generator: xoshiro128** (Blackman & Vigna, 2018; 128-bit state, period 2^128 − 1), uint32 outputs.
// Seeding:   the seed (any integer in [0, 2^53)) is split into its low and high 32-bit words. Four splitmix32 steps
//            (state += 0x9e3779b9; out = mix(state) with x ^= x>>>16; x *= 0x21f0aaad; x ^= x>>>15; x *= 0x735a2d97;
//            x ^= x>>>15) starting from state = lo give the four state words; the high word is XORed into the
//            splitmix state before the second step. An all-zero state is replaced by a fixed non-zero word.
// Uniforms:  53-bit doubles in [0, 1) from two outputs: (a >>> 5) · 2^26 + (b >>> 6), divided by 2^53.
// Normals:   Box–Muller, u1 ∈ (0, 1] → sqrt(−2 ln u1) · cos(2π u2), then the sin partner.
// The sequence for a seed is fixed forever: tests pin the first values.

function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) >>> 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  z = (z ^ (z >>> 15)) >>> 0;
  return [s, z];
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | undefined;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 53)
      throw new Error(`prng: seed must be an integer in [0, 2^53), got ${seed}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 2 ** 32) >>> 0;
    let st = lo;
    let out: number;
    [st, out] = splitmix32(st);
    this.s0 = out;
    [st, out] = splitmix32((st ^ hi) >>> 0);
    this.s1 = out;
    [st, out] = splitmix32(st);
    this.s2 = out;
    [, out] = splitmix32(st);
    this.s3 = out;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 0x9e3779b9;
  }

  /** Next uint32. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextU32() >>> 5;
    const b = this.nextU32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Standard normal (Box–Muller, pairs). */
  normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    const u1 = 1 - this.uniform(); // (0, 1]
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** Fills `out` with N(mean, std²) (rounded to float32 by the array). */
  fillNormal(out: Float32Array, std = 1, mean = 0): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }
}

/** A fresh stream for `seed` (an integer in [0, 2^53)). */
export function createRng(seed: number): Prng {
  return new Prng(seed);
}

/** Uniform doubles in [0, 1) as a plain function, for callers that only need those. */
export function uniforms(seed: number): () => number {
  const g = new Prng(seed);
  return () => g.uniform();
}

/** Derives a well-mixed 32-bit seed from a base seed and a string label (FNV-1a). */
export function deriveSeed(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
