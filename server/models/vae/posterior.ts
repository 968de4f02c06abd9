// Oobleck posterior on the host (OobleckDiagonalGaussianDistribution): the encoder graph outputs mean and
// std = softplus(scale) + 1e-4, both [B, latent, T]. mode() = mean (deterministic, our default);
// sample() = mean + std · N(0, 1). Upstream samples (`latent_dist.sample()`, acestep/handler.py `tiled_encode`)
// with torch's RNG per tile; here the noise is drawn once over the whole stitched [B, latent, T] tensor in
// row-major order from the seeded stream of server/random/prng.ts, so a seed gives the same latents whatever
// the tiling.
import { Prng } from "../../random/prng";

export type PosteriorMode = { kind: "mean" } | { kind: "sample"; seed: number };

export function samplePosterior(mean: Float32Array, std: Float32Array, seed: number): Float32Array {
  if (mean.length !== std.length)
    throw new Error(`posterior: mean (${mean.length}) and std (${std.length}) differ in size`);
  const rng = new Prng(seed);
  const out = new Float32Array(mean.length);
  for (let i = 0; i < out.length; i++) out[i] = mean[i] + std[i] * rng.normal();
  return out;
}

/** The latents for a posterior mode: `mean` itself for "mean", a fresh sampled array for "sample". */
export function posteriorLatents(
  mean: Float32Array,
  std: Float32Array,
  mode: PosteriorMode = { kind: "mean" },
): Float32Array {
  return mode.kind === "mean" ? mean : samplePosterior(mean, std, mode.seed);
}
