// server/models/vae: the Oobleck VAE (ACE-Step 1.5) — weight preparation, ONNX graph builders, host-side tiling
// and posterior sampling. Upstream: diffusers AutoencoderOobleck, ace-step/ACE-Step-1.5 acestep/handler.py
// (tiled_encode / tiled_decode); I/O contract:
// server/onnx/README.md §10.
export * from "./config";
export * from "./weights";
export * from "./blocks";
export * from "./encoder";
export * from "./decoder";
export * from "./tiling";
export * from "./posterior";
