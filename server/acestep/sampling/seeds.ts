// Per-item seeds and initial noise. Ports acestep/handler.py `prepare_seeds` (Feb f30aee4), the
// `GenerationConfig.seeds` → seed-string conversion of acestep/inference.py `generate_music`, and the per-item branch
// of `prepare_noise` in the model files (seed < 0 or None → unseeded noise). Documented in
// ace-step/ACE-Step-1.5 docs/ja/INFERENCE.md (GenerationConfig.seeds / use_random_seed, GenerationParams.seed).

import { type RandnOptions, seededRandn, seededRandnSteps } from "./noise";
import { runSteps, runStepsYielding, type Steps } from "../steps";

/** Source of fresh random seeds; upstream uses `random.randint(0, 2**32 - 1)`. */
export type SeedSource = () => number;

/** A uniformly random uint32 from the platform CSPRNG. */
export const randomSeed: SeedSource = () => {
  const a = new Uint32Array(1);
  globalThis.crypto.getRandomValues(a);
  return a[0];
};

export interface PreparedSeeds {
  /** One seed per batch item (always ≥ 0 except for explicit negative values other than -1, see below). */
  seeds: number[];
  /** The `seed_value` string reported back: "s1, s2, …". */
  seedValue: string;
}

const PY_FLOAT_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Python `int(float(s))` for a stripped token; null when Python would raise. */
function parseSeedToken(s: string): number | null {
  if (!PY_FLOAT_RE.test(s)) return null;
  const v = Number(s);
  if (!Number.isFinite(v)) return null;
  return Math.trunc(v);
}

/**
 * `prepare_seeds(actual_batch_size, seed, use_random_seed)`:
 * - `useRandomSeed` → fresh random seeds for every item;
 * - a string is a comma-separated list ("-1" or "" → -1; unparsable → -1);
 * - null/undefined or a negative number → -1 for every item; another number → a one-element list;
 * - items past the list get -1; -1 becomes a fresh random seed;
 * - a single non-(-1) value with batch > 1 seeds item 0 only: the other items get random seeds.
 * A negative value other than -1 (e.g. "-5") is kept as is, exactly as upstream; the noise step then treats it
 * as unseeded.
 */
export function prepareSeeds(
  batchSize: number,
  seed: string | number | null | undefined,
  useRandomSeed: boolean,
  rand: SeedSource = randomSeed,
): PreparedSeeds {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batch size ${batchSize} must be an integer ≥ 1`);
  const seeds: number[] = [];
  if (useRandomSeed) {
    for (let i = 0; i < batchSize; i++) seeds.push(rand());
  } else {
    let list: number[];
    if (typeof seed === "string") {
      list = seed.split(",").map((raw) => {
        const s = raw.trim();
        if (s === "-1" || s === "") return -1;
        return parseSeedToken(s) ?? -1;
      });
    } else if (seed === null || seed === undefined || seed < 0) {
      list = new Array<number>(batchSize).fill(-1);
    } else {
      list = [Math.trunc(seed)];
    }
    const singleFixed = list.length === 1 && list[0] !== -1;
    for (let i = 0; i < batchSize; i++) {
      const v = i < list.length ? list[i] : -1;
      if (singleFixed && batchSize > 1 && i > 0) seeds.push(rand());
      else if (v === -1) seeds.push(rand());
      else seeds.push(v);
    }
  }
  return { seeds, seedValue: seeds.join(", ") };
}

/** `generate_music`: `GenerationConfig.seeds` (list or int) → the string handed to `prepare_seeds`. */
export function configSeedsToSeedString(seeds: readonly number[] | number | null | undefined): string {
  if (seeds === null || seeds === undefined) return "";
  if (typeof seeds === "number") return String(seeds);
  return seeds.length > 0 ? seeds.join(",") : "";
}

export interface ResolveSeedsInput {
  batchSize: number;
  /** GenerationConfig.use_random_seed (default true). */
  useRandomSeed?: boolean;
  /** GenerationConfig.seeds: list (padded with random seeds) or a single int. */
  seeds?: readonly number[] | number | null;
  /** GenerationParams.seed (-1 = random). Feb `generate_music` never reads it (only config.seeds); the
   *  INFERENCE doc says it is the fallback when config.seeds is unset, which is what we implement. */
  seed?: number | null;
}

/** Seeds for a generation call as the official API documents them. */
export function resolveSeeds(input: ResolveSeedsInput, rand: SeedSource = randomSeed): PreparedSeeds {
  const fromConfig = configSeedsToSeedString(input.seeds);
  const seedArg = fromConfig !== "" ? fromConfig : (input.seed ?? "");
  return prepareSeeds(input.batchSize, seedArg, input.useRandomSeed ?? true, rand);
}

export interface BatchNoise {
  /** [B, T, C] row-major. */
  noise: Float32Array;
  /** The seed actually used for each item (a fresh random one where the item's seed was negative). */
  usedSeeds: number[];
}

/**
 * Initial noise: item i gets `randn(1, T, C)` from its own generator seeded with seeds[i]; a negative seed
 * means "unseeded" upstream — here a fresh random seed is drawn (and reported) so runs stay replayable.
 */
export function batchNoise(
  seeds: readonly number[],
  frames: number,
  channels = 64,
  opts: RandnOptions = {},
  rand: SeedSource = randomSeed,
): BatchNoise {
  return runSteps(batchNoiseSteps(seeds, frames, channels, opts, rand));
}

/** batchNoise letting the event loop run every few milliseconds (the sampler draws it on the main thread). */
export function batchNoiseYielding(
  seeds: readonly number[],
  frames: number,
  channels = 64,
  opts: RandnOptions = {},
  rand: SeedSource = randomSeed,
): Promise<BatchNoise> {
  return runStepsYielding(batchNoiseSteps(seeds, frames, channels, opts, rand));
}

function* batchNoiseSteps(
  seeds: readonly number[],
  frames: number,
  channels: number,
  opts: RandnOptions,
  rand: SeedSource,
): Steps<BatchNoise> {
  const per = frames * channels;
  const noise = new Float32Array(seeds.length * per);
  const usedSeeds: number[] = [];
  for (const [i, s] of seeds.entries()) {
    const used = s < 0 ? rand() : s;
    usedSeeds.push(used);
    noise.set(yield* seededRandnSteps(used, per, opts), i * per);
  }
  return { noise, usedSeeds };
}

/**
 * Reproducible noise for the SDE solver's re-noise at step i: a fresh generator seeded with seed + i + 1
 * (acestep.cpp's rule). Upstream Python draws it from the unseeded global RNG, so no seed matches it.
 */
export function sdeStepNoise(seed: number, stepIndex: number, n: number, opts: RandnOptions = {}): Float32Array {
  return seededRandn(seed + stepIndex + 1, n, opts);
}
