// FSQ arithmetic of the ACE-Step audio tokenizer. Ports vector-quantize-pytorch ≥ 1.27 `ResidualFSQ`
// (one quantizer, `preserve_symmetry=True`, `bound_hard_clamp=True`, soft clamp of the input to
// 1 + 1/(L−1)) and `FSQ.symmetry_preserving_bound` / `codes_to_indices` / `indices_to_level_indices` /
// `_scale_and_shift_inverse` (lucidrains/vector-quantize-pytorch, finite_scalar_quantization.py and
// residual_fsq.py). The 2048↔6 projections are model
// weights and live elsewhere.

import { CODEBOOK_SIZE } from "./audio-codes";

/** Levels per dimension; dimension 0 varies fastest in the index. */
export const FSQ_LEVELS = [8, 8, 8, 5, 5, 5] as const;
/** Mixed-radix basis: cumprod([1, 8, 8, 8, 5, 5]). */
export const FSQ_BASIS = [1, 8, 64, 512, 2560, 12800] as const;
export const FSQ_DIM = FSQ_LEVELS.length;

/** Per-dimension float32 scale `2 / (L − 1)` as torch computes it (float32 tensor). */
const SCALES = FSQ_LEVELS.map((L) => Math.fround(2 / (L - 1)));
/** Soft-clamp bound `1 + 1/(L − 1)` (float32). */
const SOFT_CLAMP = FSQ_LEVELS.map((L) => Math.fround(1 + 1 / (L - 1)));

function assertIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= CODEBOOK_SIZE) {
    throw new RangeError(`FSQ index ${index} is outside 0..${CODEBOOK_SIZE - 1}`);
  }
}

/** `indices_to_level_indices`: k_d = (index // basis_d) mod L_d. */
export function indexToDigits(index: number): number[] {
  assertIndex(index);
  return FSQ_LEVELS.map((L, d) => Math.floor(index / FSQ_BASIS[d]) % L);
}

/** Σ k_d · basis_d. */
export function digitsToIndex(digits: readonly number[]): number {
  if (digits.length !== FSQ_DIM) throw new RangeError(`FSQ expects ${FSQ_DIM} digits, got ${digits.length}`);
  let index = 0;
  for (let d = 0; d < FSQ_DIM; d++) {
    const k = digits[d];
    if (!Number.isInteger(k) || k < 0 || k >= FSQ_LEVELS[d]) {
      throw new RangeError(`FSQ digit ${d} = ${k} is outside 0..${FSQ_LEVELS[d] - 1}`);
    }
    index += k * FSQ_BASIS[d];
  }
  return index;
}

/** Symmetric value of one digit: `k · float32(2/(L−1)) − 1` in float32 (vqp `_scale_and_shift_inverse`).
 *  Level 8 → {−1, −5/7, −3/7, −1/7, 1/7, 3/7, 5/7, 1}; level 5 → {−1, −0.5, 0, 0.5, 1}. */
export function digitToValue(k: number, dim: number): number {
  return Math.fround(Math.fround(k * SCALES[dim]) - 1);
}

/** index → the 6 normalised values fed to `project_out` (`get_output_from_indices` before projection). */
export function indexToValues(index: number): Float32Array {
  const digits = indexToDigits(index);
  const out = new Float32Array(FSQ_DIM);
  for (let d = 0; d < FSQ_DIM; d++) out[d] = digitToValue(digits[d], d);
  return out;
}

/** `symmetry_preserving_bound(z, hard_clamp=True)` digit: floor((L−1)·(clamp(z,−1,1)+1)/2 + 0.5). */
export function valueToDigit(z: number, dim: number): number {
  const L = FSQ_LEVELS[dim];
  const c = Math.min(1, Math.max(-1, z));
  const k = Math.floor(((L - 1) * (c + 1)) / 2 + 0.5);
  return Math.min(L - 1, Math.max(0, k));
}

/** Values already in FSQ space (e.g. from `indexToValues`) → index: hard clamp, round to the nearest level,
 *  then `codes_to_indices` (Σ round((q+1)/scale)·basis). */
export function valuesToIndex(values: ArrayLike<number>): number {
  if (values.length !== FSQ_DIM) throw new RangeError(`FSQ expects ${FSQ_DIM} values, got ${values.length}`);
  const digits = new Array<number>(FSQ_DIM);
  for (let d = 0; d < FSQ_DIM; d++) digits[d] = valueToDigit(values[d], d);
  return digitsToIndex(digits);
}

/** ResidualFSQ input soft clamp: z ← tanh(z / c)·c with c = 1 + 1/(L−1), applied to `project_in` output. */
export function softClamp(z: ArrayLike<number>): Float32Array {
  const out = new Float32Array(FSQ_DIM);
  for (let d = 0; d < FSQ_DIM; d++) out[d] = Math.tanh(z[d] / SOFT_CLAMP[d]) * SOFT_CLAMP[d];
  return out;
}

/** Full tokenizer-side quantisation of a `project_in` output: soft clamp → hard clamp → nearest level. */
export function quantizeProjected(z: ArrayLike<number>): { index: number; values: Float32Array } {
  const index = valuesToIndex(softClamp(z));
  return { index, values: indexToValues(index) };
}

/** Decode many codes into a `[N, 6]` row-major Float32Array (input to `project_out`). */
export function indicesToValues(indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * FSQ_DIM);
  for (let i = 0; i < indices.length; i++) out.set(indexToValues(indices[i]), i * FSQ_DIM);
  return out;
}

/** ComfyUI pads short code sequences with 35847 (digits 7,0,0,0,4,2); its meaning is UNCONFIRMED. */
export const COMFY_PAD_CODE = 35847;
