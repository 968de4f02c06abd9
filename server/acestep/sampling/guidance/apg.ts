// Adaptive Projected Guidance. Ports `MomentumBuffer`, `project` and `apg_forward` of
// acestep/models/common/apg_guidance.py as called by `generate_audio` (base/sft): momentum −0.75, eta 0,
// norm_threshold 2.5, dims = [1] — the TIME axis of [B, T, C], i.e. one norm per (item, channel).
// Precision follows upstream: difference, momentum and clipping in float32, projection
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
export function apg(
  vCond: Float32Array,
  vUncond: Float32Array,
  guidanceScale: number,
  shape: Shape3,
  opts: ApgOptions = {},
): Float32Array {
  assertShape("pred_cond", vCond, shape);
  assertShape("pred_uncond", vUncond, shape);
  const { B, T, C } = shape;
  const eta = opts.eta ?? APG_ETA;
  const thr = opts.normThreshold ?? APG_NORM_THRESHOLD;

  let diff: Float32Array = new Float32Array(vCond.length);
  for (let i = 0; i < diff.length; i++) diff[i] = Math.fround(vCond[i] - vUncond[i]);
  if (opts.buffer) diff = opts.buffer.update(diff);

  // Memory is [B, T, C] with C contiguous, so every pass walks t outer and c inner and keeps one accumulator
  // per channel: each (b, c) sum still adds its terms in t order (same result as a per-channel loop over t).
  const out = new Float32Array(vCond.length);
  const g1 = Math.fround(guidanceScale - 1);
  const etaF = Math.fround(eta);
  const ss = new Float64Array(C);
  const vv = new Float64Array(C);
  const dot = new Float64Array(C);
  const scale = new Float64Array(C);
  const vNorm = new Float64Array(C);
  for (let b = 0; b < B; b++) {
    const base = b * T * C;
    const end = base + T * C;
    ss.fill(0);
    vv.fill(0);
    dot.fill(0);
    for (let i = base; i < end; i += C) {
      for (let c = 0; c < C; c++) {
        const d = diff[i + c];
        const v = vCond[i + c];
        ss[c] += d * d;
        vv[c] += v * v;
      }
    }
    for (let c = 0; c < C; c++) {
      // clip: one L2 norm over the time axis per (b, c); project onto v_c in float64 (F.normalize: max(norm, 1e-12))
      scale[c] = thr > 0 ? Math.min(1, Math.fround(thr / Math.fround(Math.sqrt(ss[c])))) : 1;
      vNorm[c] = Math.max(Math.sqrt(vv[c]), 1e-12);
    }
    for (let i = base; i < end; i += C) {
      for (let c = 0; c < C; c++) dot[c] += Math.fround(diff[i + c] * scale[c]) * (vCond[i + c] / vNorm[c]);
    }
    for (let i = base; i < end; i += C) {
      for (let c = 0; c < C; c++) {
        const d = Math.fround(diff[i + c] * scale[c]);
        const par = dot[c] * (vCond[i + c] / vNorm[c]);
        const orth = Math.fround(d - par);
        const update = Math.fround(orth + Math.fround(etaF * Math.fround(par)));
        out[i + c] = Math.fround(vCond[i + c] + Math.fround(g1 * update));
      }
    }
  }
  return out;
}
