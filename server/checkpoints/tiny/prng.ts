// Small seeded PRNG for fabricated weights: mulberry32 uniforms and
// Box-Muller normals. Deterministic across platforms (32-bit integer math).

export interface Rng {
  /** uniform in [0, 1) */
  uniform(): number;
  /** standard normal */
  normal(): number;
  /** fills `out` with N(mean, std) */
  fillNormal(out: Float32Array, std: number, mean?: number): Float32Array;
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derives a well-mixed 32-bit seed from a base seed and a string label (FNV-1a). */
export function deriveSeed(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function createRng(seed: number): Rng {
  const uniform = mulberry32(seed);
  let spare: number | null = null;
  const normal = () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = 1 - uniform(); // (0, 1]
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return {
    uniform,
    normal,
    fillNormal(out, std, mean = 0) {
      for (let i = 0; i < out.length; i++) out[i] = mean + std * normal();
      return out;
    },
  };
}

const POOL_SIZE = 1 << 16;
let normalPool: Float32Array | undefined;

/**
 * Fast normals for full-size fabricated weights (billions of values, where Box-Muller's log/sin/cos per value
 * would take tens of minutes): each value is a uniformly chosen member of one fixed pool of 65 536 standard
 * normals, i.e. a draw from the pool's empirical distribution, then scaled. Same interface as createRng.
 */
export function createPoolRng(seed: number): Pick<Rng, "fillNormal"> {
  normalPool ??= createRng(0x5eed_f00d).fillNormal(new Float32Array(POOL_SIZE), 1);
  const pool = normalPool;
  let a = seed >>> 0;
  return {
    fillNormal(out, std, mean = 0) {
      for (let i = 0; i < out.length; i++) {
        // mulberry32 step (as above), top 16 bits pick the pool member
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        out[i] = mean + std * pool[((t ^ (t >>> 14)) >>> 0) >>> 16];
      }
      return out;
    },
  };
}
