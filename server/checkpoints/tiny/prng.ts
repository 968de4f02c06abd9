// Normals for fabricated weights, from the project's one PRNG (server/random/prng.ts): Box-Muller normals for tiny
// checkpoints, and a pool-based variant for full-size ones.
import { createRng, type Prng } from "../../random/prng";

export { createRng, deriveSeed, type Prng } from "../../random/prng";

const POOL_SIZE = 1 << 16;
let normalPool: Float32Array | undefined;

/**
 * Fast normals for full-size fabricated weights (billions of values, where Box-Muller's log/sin/cos per value
 * would take tens of minutes): each value is a uniformly chosen member of one fixed pool of 65 536 standard
 * normals, i.e. a draw from the pool's empirical distribution, then scaled. Same `fillNormal` as Prng.
 */
export function createPoolRng(seed: number): Pick<Prng, "fillNormal"> {
  normalPool ??= createRng(0x5eed_f00d).fillNormal(new Float32Array(POOL_SIZE));
  const pool = normalPool;
  const g = createRng(seed);
  return {
    fillNormal(out, std = 1, mean = 0) {
      // the top 16 bits of each output pick the pool member
      for (let i = 0; i < out.length; i++) out[i] = mean + std * pool[g.nextU32() >>> 16];
      return out;
    },
  };
}
