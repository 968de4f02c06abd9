// Shared helpers for the layout files: a key -> shape map builder and config
// parsing that turns a zod error into one message naming the config file.
import type { z } from "zod";
import { CheckpointError } from "../dtypes";

export type Shape = number[];
export type KeyShapes = Map<string, Shape>;

export interface Layout {
  /** keys a checkpoint must hold, with their shapes */
  required: KeyShapes;
  /** keys a checkpoint may hold (e.g. a tied lm_head.weight), with their shapes */
  optional: KeyShapes;
}

export function parseConfig<T extends z.ZodType>(schema: T, config: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(config);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
  throw new CheckpointError(`layout: ${what} config.json is invalid: ${issues}`);
}

/** Keys of a Qwen3-style attention block (q/k/v/o projections + per-head RMSNorms on q and k). */
export function attentionKeys(
  add: (key: string, shape: Shape) => void,
  p: string,
  hidden: number,
  heads: number,
  kvHeads: number,
  headDim: number,
  bias: boolean,
): void {
  const q = heads * headDim;
  const kv = kvHeads * headDim;
  add(`${p}q_proj.weight`, [q, hidden]);
  add(`${p}k_proj.weight`, [kv, hidden]);
  add(`${p}v_proj.weight`, [kv, hidden]);
  add(`${p}o_proj.weight`, [hidden, q]);
  if (bias) {
    add(`${p}q_proj.bias`, [q]);
    add(`${p}k_proj.bias`, [kv]);
    add(`${p}v_proj.bias`, [kv]);
    add(`${p}o_proj.bias`, [hidden]);
  }
  add(`${p}q_norm.weight`, [headDim]);
  add(`${p}k_norm.weight`, [headDim]);
}

/** Keys of a SwiGLU MLP without biases (Qwen3MLP). */
export function mlpKeys(
  add: (key: string, shape: Shape) => void,
  p: string,
  hidden: number,
  intermediate: number,
): void {
  add(`${p}gate_proj.weight`, [intermediate, hidden]);
  add(`${p}up_proj.weight`, [intermediate, hidden]);
  add(`${p}down_proj.weight`, [hidden, intermediate]);
}

export function paramCount(keys: KeyShapes): number {
  let n = 0;
  for (const s of keys.values()) n += s.reduce((a, b) => a * b, 1);
  return n;
}
