// Adaptive Projected Guidance. Ports `MomentumBuffer`, `project` and `apg_forward` of
// acestep/models/common/apg_guidance.py as called by `generate_audio` (base/sft): momentum −0.75, eta 0,
// norm_threshold 2.5, dims = [1] — the TIME axis of [B, T, C], i.e. one norm per (item, channel).
// Spec: sampling.md §5.4. Precision follows upstream: difference, momentum and clipping in float32, projection
// in float64 (acestep.cpp also does the projection in double).

import { type Shape3, assertShape } from "./shape";

export const APG_MOMENTUM = -0.75;
export const APG_NORM_THRESHOLD = 2.5;
export const APG_ETA = 0.0;

/** `MomentumBuffer`: running = update + momentum·running (starts at 0). Create one per generation. */
export class MomentumBuffer {
  running: Float32Array | null = null;
  constructor(readonly momentum: number = APG_MOMENTUM) {}

  update(value: Float32Array): Float32Array {
    const m = Math.fround(this.momentum);
    const prev = this.running;
    const next = new Float32Array(value.length);
    for (let i = 0; i < value.length; i++) next[i] = prev ? Math.fround(value[i] + Math.fround(m * prev[i])) : value[i];
    this.running = next;
    return next;
  }
}

export interface ApgOptions {
  /** Momentum state carried across steps; omit for no momentum. */
  buffer?: MomentumBuffer | null;
  eta?: number;
  normThreshold?: number;
}

/**
 * `apg_forward(pred_cond, pred_uncond, g, momentum_buffer, eta, norm_threshold, dims=[1])`:
 *   d = v_c − v_u;  d ← running average;  d ← d · min(1, thr / ‖d‖_T);
 *   u = v_c / max(‖v_c‖_T, 1e-12);  d∥ = (Σ_T d·u)·u;  d⊥ = d − d∥;
 *   v = v_c + (g − 1)·(d⊥ + eta·d∥).
 */
export function apg(vCond: Float32Array, vUncond: Float32Array, guidanceScale: number, shape: Shape3, opts: ApgOptions = {}): Float32Array {
  assertShape("pred_cond", vCond, shape);
  assertShape("pred_uncond", vUncond, shape);
  const { B, T, C } = shape;
  const eta = opts.eta ?? APG_ETA;
  const thr = opts.normThreshold ?? APG_NORM_THRESHOLD;

  let diff: Float32Array = new Float32Array(vCond.length);
  for (let i = 0; i < diff.length; i++) diff[i] = Math.fround(vCond[i] - vUncond[i]);
  if (opts.buffer) diff = opts.buffer.update(diff);

  const idx = (b: number, t: number, c: number) => (b * T + t) * C + c;
  const out = new Float32Array(vCond.length);
  const g1 = Math.fround(guidanceScale - 1);
  const etaF = Math.fround(eta);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      // clip: one L2 norm over the time axis per (b, c)
      let scale = 1;
      if (thr > 0) {
        let ss = 0;
        for (let t = 0; t < T; t++) ss += diff[idx(b, t, c)] ** 2;
        const norm = Math.fround(Math.sqrt(ss));
        scale = Math.min(1, Math.fround(thr / norm));
      }
      // project onto v_c in float64 (F.normalize: divide by max(norm, 1e-12))
      let vv = 0;
      for (let t = 0; t < T; t++) vv += vCond[idx(b, t, c)] ** 2;
      const vNorm = Math.max(Math.sqrt(vv), 1e-12);
      let dot = 0;
      for (let t = 0; t < T; t++) {
        const i = idx(b, t, c);
        dot += Math.fround(diff[i] * scale) * (vCond[i] / vNorm);
      }
      for (let t = 0; t < T; t++) {
        const i = idx(b, t, c);
        const d = Math.fround(diff[i] * scale);
        const par = dot * (vCond[i] / vNorm);
        const orth = Math.fround(d - par);
        const update = Math.fround(orth + Math.fround(etaF * Math.fround(par)));
        out[i] = Math.fround(vCond[i] + Math.fround(g1 * update));
      }
    }
  }
  return out;
}
