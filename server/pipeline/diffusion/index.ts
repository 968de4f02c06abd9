// Model-agnostic ACE-Step diffusion: the sampling loop over a DiT velocity callback, and latent batch helpers.
export * from "./latent-frames";
export * from "./sample-latents";
