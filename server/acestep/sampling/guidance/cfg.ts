// Classifier-free guidance and its interval rule. Ports `cfg_forward` of
// acestep/models/common/apg_guidance.py and the `apply_cfg_guidance = t_curr >= cfg_interval_start and
// t_curr <= cfg_interval_end` test of `generate_audio` (base/sft).

/** Guidance runs at all only when guidance_scale > 1 (the batch is doubled [cond; null]). Turbo never guides. */
export function guidanceEnabled(guidanceScale: number): boolean {
  return guidanceScale > 1.0;
}

/**
 * Whether guidance applies at this step: compares the RAW current time t (1 = start of sampling) with the
 * interval, inclusive. Outside it the conditional velocity is used unchanged. (diffusers uses 1 − t instead.)
 */
export function cfgIntervalApplies(t: number, intervalStart: number, intervalEnd: number): boolean {
  return t >= intervalStart && t <= intervalEnd;
}

/** `cfg_forward`: v_u + g·(v_c − v_u), float32 per op. */
export function cfg(vCond: Float32Array, vUncond: Float32Array, guidanceScale: number): Float32Array {
  if (vCond.length !== vUncond.length)
    throw new RangeError(`cond has ${vCond.length} values, uncond ${vUncond.length}`);
  const g = Math.fround(guidanceScale);
  const out = new Float32Array(vCond.length);
  for (let i = 0; i < out.length; i++)
    out[i] = Math.fround(vUncond[i] + Math.fround(g * Math.fround(vCond[i] - vUncond[i])));
  return out;
}
