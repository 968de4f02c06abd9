// Seeded values for every fabricated tensor, chosen by key name and a pure function
// of (seed, key) so any subset can be regenerated in any order:
// norms -> ones; biases -> N(0, 0.01); AdaLN scale_shift_table -> N(0,1)/sqrt(H);
// null_condition_emb -> N(0,1); Snake alpha/beta (log scale) -> N(0, 0.1);
// weight-norm pairs -> weight_v ~ N(0, 1/fan_in), weight_g = |weight_v| per
// output row (so the effective weight equals weight_v); everything else N(0, 0.02).
// Values are produced in chunks (one seeded stream per tensor), so a full-size tensor
// never has to sit in memory; the concatenated chunks equal initTensor's array.
// `fast` draws the normals from createPoolRng instead of Box-Muller (full-size checkpoints).
import type { KeyShapes } from "../layout";
import { createPoolRng, createRng, deriveSeed } from "./prng";

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Elements per chunk of initTensorChunks (16 MB of fp32). */
export const INIT_CHUNK_ELEMENTS = 1 << 22;

/** The whole tensor at once (small tensors, tests). */
export function initTensor(key: string, shape: readonly number[], layout: KeyShapes, seed: number): Float32Array {
  const out = new Float32Array(numel(shape));
  let offset = 0;
  for (const chunk of initTensorChunks(key, shape, layout, seed, { chunkElements: Math.max(1, out.length) })) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

export interface InitChunkOptions {
  /** elements per chunk (default INIT_CHUNK_ELEMENTS) */
  chunkElements?: number;
  /** pool-based normals (createPoolRng): much faster, a different stream */
  fast?: boolean;
}

/** The tensor's values in row-major order, a chunk at a time. */
export function* initTensorChunks(
  key: string,
  shape: readonly number[],
  layout: KeyShapes,
  seed: number,
  o: InitChunkOptions = {},
): Generator<Float32Array> {
  const n = numel(shape);
  const chunkElements = o.chunkElements ?? INIT_CHUNK_ELEMENTS;
  if (key.endsWith(".weight_g")) {
    yield rowNorms(key.replace(/weight_g$/, "weight_v"), vShape(key, layout), layout, seed, o);
    return;
  }
  const fill = filler(key, shape, seed, o.fast ?? false);
  for (let offset = 0; offset < n; offset += chunkElements)
    yield fill(new Float32Array(Math.min(chunkElements, n - offset)));
}

/** A stateful filler: consecutive calls continue one seeded stream. */
function filler(
  key: string,
  shape: readonly number[],
  seed: number,
  fast: boolean,
): (out: Float32Array) => Float32Array {
  const rng = fast ? createPoolRng(deriveSeed(seed, key)) : createRng(deriveSeed(seed, key));
  const last = shape[shape.length - 1] ?? 1;
  if (/norm(_out)?\.weight$/.test(key)) return (out) => out.fill(1);
  const std = key.endsWith(".weight_v")
    ? 1 / Math.sqrt(numel(shape.slice(1)))
    : key.endsWith(".alpha") || key.endsWith(".beta")
      ? 0.1
      : key.endsWith(".bias")
        ? 0.01
        : key.endsWith("scale_shift_table")
          ? 1 / Math.sqrt(last)
          : key === "null_condition_emb"
            ? 1
            : 0.02;
  return (out) => rng.fillNormal(out, std);
}

function vShape(gKey: string, layout: KeyShapes): number[] {
  const v = layout.get(gKey.replace(/weight_g$/, "weight_v"));
  if (!v) throw new Error(`fabricate: ${gKey} has no matching weight_v in the layout`);
  return v;
}

/** L2 norm of each output row of weight_v, streamed through its chunks. */
function rowNorms(
  vKey: string,
  vShapeOf: readonly number[],
  layout: KeyShapes,
  seed: number,
  o: InitChunkOptions,
): Float32Array {
  const rows = vShapeOf[0];
  const per = numel(vShapeOf) / rows;
  const sums = new Float64Array(rows);
  let row = 0;
  let inRow = 0;
  for (const chunk of initTensorChunks(vKey, vShapeOf, layout, seed, o)) {
    for (let i = 0; i < chunk.length; i++) {
      sums[row] += chunk[i] * chunk[i];
      if (++inRow === per) {
        row++;
        inRow = 0;
      }
    }
  }
  return Float32Array.from(sums, Math.sqrt);
}

/** [1, channels, frames] fp32: four distinct leading frames, then one repeated vector (like ComfyUI's hard-coded silence). */
export function tinySilenceLatent(channels: number, frames: number, seed: number): Float32Array {
  const rng = createRng(deriveSeed(seed, "silence_latent"));
  const lead = Array.from({ length: 4 }, () => rng.fillNormal(new Float32Array(channels), 0.5));
  const steady = rng.fillNormal(new Float32Array(channels), 0.5);
  const out = new Float32Array(channels * frames);
  for (let c = 0; c < channels; c++) {
    const row = out.subarray(c * frames, (c + 1) * frames);
    row.fill(steady[c]);
    for (let t = 0; t < Math.min(4, frames); t++) row[t] = lead[t][c];
  }
  return out;
}
