// Seeded values for every tiny tensor, chosen by key name and a pure function
// of (seed, key) so any subset can be regenerated in any order:
// norms -> ones; biases -> N(0, 0.01); AdaLN scale_shift_table -> N(0,1)/sqrt(H);
// null_condition_emb -> N(0,1); Snake alpha/beta (log scale) -> N(0, 0.1);
// weight-norm pairs -> weight_v ~ N(0, 1/fan_in), weight_g = |weight_v| per
// output row (so the effective weight equals weight_v); everything else N(0, 0.02).
import type { KeyShapes } from "../layout";
import { createRng, deriveSeed } from "./prng";

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export function initTensor(key: string, shape: readonly number[], layout: KeyShapes, seed: number): Float32Array {
  const out = new Float32Array(numel(shape));
  const rng = createRng(deriveSeed(seed, key));
  const last = shape[shape.length - 1] ?? 1;
  if (/norm(_out)?\.weight$/.test(key)) return out.fill(1);
  if (key.endsWith(".weight_g")) return rowNorms(initTensor(key.replace(/weight_g$/, "weight_v"), vShape(key, layout), layout, seed), shape[0]);
  if (key.endsWith(".weight_v")) return rng.fillNormal(out, 1 / Math.sqrt(numel(shape.slice(1))));
  if (key.endsWith(".alpha") || key.endsWith(".beta")) return rng.fillNormal(out, 0.1);
  if (key.endsWith(".bias")) return rng.fillNormal(out, 0.01);
  if (key.endsWith("scale_shift_table")) return rng.fillNormal(out, 1 / Math.sqrt(last));
  if (key === "null_condition_emb") return rng.fillNormal(out, 1);
  return rng.fillNormal(out, 0.02);
}

function vShape(gKey: string, layout: KeyShapes): number[] {
  const v = layout.get(gKey.replace(/weight_g$/, "weight_v"));
  if (!v) throw new Error(`tiny: ${gKey} has no matching weight_v in the layout`);
  return v;
}

function rowNorms(v: Float32Array, rows: number): Float32Array {
  const out = new Float32Array(rows);
  const per = v.length / rows;
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = r * per; i < (r + 1) * per; i++) s += v[i] * v[i];
    out[r] = Math.sqrt(s);
  }
  return out;
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
