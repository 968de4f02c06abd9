// Error of a lower-precision graph's output against the fp32 graph's output on the same inputs: the figures
// of docs/precision.md (printed by bench/precision.ts) and the bounds of the precision tests.

/** ‖got − ref‖₂ / ‖ref‖₂ (0 when both are zero). */
export function relativeRmse(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (got.length !== ref.length) throw new Error(`relativeRmse: length ${got.length} vs ${ref.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = got[i] - ref[i];
    num += d * d;
    den += ref[i] * ref[i];
  }
  return den === 0 ? (num === 0 ? 0 : Infinity) : Math.sqrt(num / den);
}

/** Signal-to-noise ratio in dB of `got` against `ref`: 10·log10(Σref² / Σ(got − ref)²). */
export function snrDb(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  const r = relativeRmse(got, ref);
  return r === 0 ? Infinity : -20 * Math.log10(r);
}

/** Index of the largest value (first one on ties). */
export function argmax(x: ArrayLike<number>, start = 0, end = x.length): number {
  let best = start;
  for (let i = start + 1; i < end; i++) if (x[i] > x[best]) best = i;
  return best - start;
}

/** KL(softmax(ref) ‖ softmax(got)) in nats over one row of logits. */
export function klFromLogits(ref: ArrayLike<number>, got: ArrayLike<number>): number {
  if (got.length !== ref.length) throw new Error(`klFromLogits: length ${got.length} vs ${ref.length}`);
  const lse = (x: ArrayLike<number>) => {
    let m = -Infinity;
    for (let i = 0; i < x.length; i++) if (x[i] > m) m = x[i];
    let s = 0;
    for (let i = 0; i < x.length; i++) s += Math.exp(x[i] - m);
    return m + Math.log(s);
  };
  const lr = lse(ref);
  const lg = lse(got);
  let kl = 0;
  for (let i = 0; i < ref.length; i++) {
    const lp = ref[i] - lr;
    kl += Math.exp(lp) * (lp - (got[i] - lg));
  }
  return Math.max(0, kl);
}
