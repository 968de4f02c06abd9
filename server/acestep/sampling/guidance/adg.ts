// Angle-based Dynamic Guidance. Ports `adg_forward` (with `call_cos_tensor`, `compute_perpendicular_component`)
// of acestep/models/common/apg_guidance.py as called by `generate_audio` when use_adg: sigma = t_curr,
// angle_clip = 3.14/6 (3.14, not π), apply_norm = False, apply_clip = True.
// Everything is computed in float64 and the result stored as float32. Like upstream, a row whose x̂ is all
// zeros gives NaN (cosine of a zero vector), and t = 0 divides by zero.

import { type Shape3, assertShape } from "./shape";

export const ADG_ANGLE_CLIP = 3.14 / 6;

export interface AdgOptions {
  angleClip?: number;
  /** ADG_w_norm variant: rescale x̂_new to ‖x̂_c‖ per row. Default false. */
  applyNorm?: boolean;
  /** Clip the scaled angle to ±angleClip. Default true. */
  applyClip?: boolean;
}

/**
 * Per (item, frame) row over the C channels:
 *   w = max(g − 1, 0) + 1e-3;  x̂_c = x − σ·v_c;  x̂_u = x − σ·v_u;  Δ = x̂_c − x̂_u
 *   θ = acos(clamp(cos(x̂_c, x̂_u), −1+1e-6, 1−1e-6));  θ' = clip(w·θ, ±angleClip)
 *   Δ⊥ = Δ − (Δ·x̂_u / (‖x̂_u‖² + 1e-8))·x̂_u
 *   x̂_new = cos θ'·x̂_c + (sin θ > 1e-3 ? Δ⊥·sin θ'/sin θ : Δ⊥·w)
 *   v = (x − x̂_new) / σ
 */
export function adg(
  latents: Float32Array,
  vCond: Float32Array,
  vUncond: Float32Array,
  sigma: number,
  guidanceScale: number,
  shape: Shape3,
  opts: AdgOptions = {},
): Float32Array {
  assertShape("latents", latents, shape);
  assertShape("noise_pred_cond", vCond, shape);
  assertShape("noise_pred_uncond", vUncond, shape);
  const { B, T, C } = shape;
  const clip = opts.angleClip ?? ADG_ANGLE_CLIP;
  const applyClip = opts.applyClip ?? true;
  const applyNorm = opts.applyNorm ?? false;
  let w = guidanceScale - 1;
  w = (w > 0 ? w : 0) + 1e-3;

  const out = new Float32Array(latents.length);
  const hc = new Float64Array(C);
  const hu = new Float64Array(C);
  for (let row = 0; row < B * T; row++) {
    const o = row * C;
    let nc = 0;
    let nu = 0;
    let cu = 0;
    let du = 0;
    for (let c = 0; c < C; c++) {
      hc[c] = latents[o + c] - sigma * vCond[o + c];
      hu[c] = latents[o + c] - sigma * vUncond[o + c];
      nc += hc[c] * hc[c];
      nu += hu[c] * hu[c];
      cu += hc[c] * hu[c];
      du += (hc[c] - hu[c]) * hu[c];
    }
    const cos = Math.min(1 - 1e-6, Math.max(-1 + 1e-6, cu / (Math.sqrt(nc) * Math.sqrt(nu))));
    const theta = Math.acos(cos);
    const thetaNew = applyClip ? Math.min(clip, Math.max(-clip, w * theta)) : w * theta;
    const sinT = Math.sin(theta);
    const k = du / (nu + 1e-8);
    const perpScale = sinT > 1e-3 ? Math.sin(thetaNew) / sinT : w;
    const cosNew = Math.cos(thetaNew);
    let rescale = 1;
    if (applyNorm) {
      let nn = 0;
      for (let c = 0; c < C; c++) {
        const perp = hc[c] - hu[c] - k * hu[c];
        nn += (cosNew * hc[c] + perp * perpScale) ** 2;
      }
      rescale = Math.sqrt(nc) / Math.sqrt(nn);
    }
    for (let c = 0; c < C; c++) {
      const perp = hc[c] - hu[c] - k * hu[c];
      const xNew = (cosNew * hc[c] + perp * perpScale) * rescale;
      out[o + c] = (latents[o + c] - xNew) / sigma;
    }
  }
  return out;
}
